"""The GraphQL schema: thin resolvers over the loyalty domain."""

import strawberry
from graphql import GraphQLError
from strawberry.extensions import (
    DisableIntrospection,
    MaskErrors,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    ValidationCache,
)
from strawberry.schema.config import StrawberryConfig

from loyalty.errors import DomainError
from loyalty.settings import Settings
from schema.auth import AuthMutations
from schema.counter import CounterMutations
from schema.members import MemberMutations, MemberQueries


@strawberry.type(description="Everything that can be read.")
class Query(MemberQueries):
    pass


@strawberry.type(description="Everything that can be changed.")
class Mutation(AuthMutations, MemberMutations, CounterMutations):
    pass


class DomainAwareMaskErrors(MaskErrors):
    """Show GraphQL's own errors and domain refusals (with their code); mask everything else."""

    def _process_errors(self, errors: list[GraphQLError]) -> list[GraphQLError]:
        processed = []
        for error in errors:
            original = error.original_error
            if isinstance(original, DomainError):
                error.extensions = {**(error.extensions or {}), "code": original.code.value}
                processed.append(error)
            elif original is None:
                processed.append(error)
            else:
                processed.append(self.anonymise_error(error))
        return processed


def build_schema(settings: Settings) -> strawberry.Schema:
    extensions = [
        QueryDepthLimiter(max_depth=settings.graphql_max_depth),
        MaxTokensLimiter(max_token_count=settings.graphql_max_tokens),
        MaxAliasesLimiter(max_alias_count=settings.graphql_max_aliases),
        ParserCache(maxsize=1024),
        ValidationCache(maxsize=1024),
        DomainAwareMaskErrors(),
    ]
    if settings.production:
        extensions.append(DisableIntrospection())
    return strawberry.Schema(
        query=Query,
        mutation=Mutation,
        extensions=extensions,
        config=StrawberryConfig(disable_field_suggestions=settings.production),
    )
