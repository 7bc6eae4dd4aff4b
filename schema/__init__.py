"""The GraphQL schema: thin resolvers over the loyalty domain."""

import strawberry
from graphql import GraphQLError
from strawberry.extensions import (
    AddValidationRules,
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
from schema import audit
from schema.analysis import AnalysisMutations, AnalysisQueries
from schema.auth import AuthMutations
from schema.backoffice import BackOfficeMutations
from schema.campaigns import CampaignMutations, CampaignQueries
from schema.cards import CardMutations, CardQueries
from schema.counter import CounterMutations, CounterQueries
from schema.devices import DeviceMutations
from schema.games import GameMutations, GameQueries
from schema.happycalls import HappyCallMutations, HappyCallQueries
from schema.home import HomeQueries
from schema.inbox import InboxMutations
from schema.journeys import JourneyMutations, JourneyQueries
from schema.leaderboard import LeaderboardMutations, LeaderboardQueries
from schema.members import MemberMutations, MemberQueries
from schema.memberview import MemberViewQueries
from schema.privacy import PrivacyMutations, PrivacyQueries
from schema.programme import ProgrammeMutations, ProgrammeQueries
from schema.reports import ReportMutations, ReportQueries
from schema.rewards import RewardMutations, RewardQueries
from schema.scalars import SCALARS
from schema.stamps import StampMutations, StampQueries
from schema.surveys import SurveyMutations, SurveyQueries


@strawberry.type(description="Everything that can be read.")
class Query(
    MemberQueries,
    audit.AuditQueries,
    PrivacyQueries,
    MemberViewQueries,
    HomeQueries,
    CounterQueries,
    ProgrammeQueries,
    RewardQueries,
    LeaderboardQueries,
    StampQueries,
    SurveyQueries,
    GameQueries,
    CampaignQueries,
    JourneyQueries,
    CardQueries,
    HappyCallQueries,
    AnalysisQueries,
    ReportQueries,
):
    pass


@strawberry.type(description="Everything that can be changed.")
class Mutation(
    AuthMutations,
    MemberMutations,
    CounterMutations,
    BackOfficeMutations,
    ProgrammeMutations,
    RewardMutations,
    LeaderboardMutations,
    StampMutations,
    DeviceMutations,
    InboxMutations,
    SurveyMutations,
    GameMutations,
    CampaignMutations,
    JourneyMutations,
    CardMutations,
    HappyCallMutations,
    AnalysisMutations,
    ReportMutations,
    PrivacyMutations,
):
    pass


audit.install(Mutation)


class DomainAwareMaskErrors(MaskErrors):
    """Show domain refusals (with their code) and request errors (parsing, validation, variable
    coercion: they have no path); mask what went wrong while resolving anything else."""

    def _process_errors(self, errors: list[GraphQLError]) -> list[GraphQLError]:
        processed = []
        for error in errors:
            original = error.original_error
            if isinstance(original, DomainError):
                error.extensions = {**(error.extensions or {}), "code": original.code.value}
                processed.append(error)
            elif original is None or error.path is None:
                processed.append(error)
            else:
                processed.append(self.anonymise_error(error))
        return processed


def build_schema(settings: Settings) -> strawberry.Schema:
    # The limiters' rule classes are built once: ValidationCache keys on the rule classes, so
    # classes made anew for every request would make every request miss the cache.
    rules = [
        *QueryDepthLimiter(max_depth=settings.graphql_max_depth).validation_rules,
        *MaxAliasesLimiter(max_alias_count=settings.graphql_max_aliases).validation_rules,
    ]
    # Factories: each request gets fresh extension instances (the caches live at module level).
    extensions = [
        lambda: AddValidationRules(rules),
        lambda: MaxTokensLimiter(max_token_count=settings.graphql_max_tokens),
        lambda: ParserCache(maxsize=1024),
        lambda: ValidationCache(maxsize=1024),
        DomainAwareMaskErrors,
    ]
    if settings.production:
        extensions.append(DisableIntrospection)
    return strawberry.Schema(
        query=Query,
        mutation=Mutation,
        extensions=extensions,
        config=StrawberryConfig(disable_field_suggestions=settings.production, scalar_map=SCALARS),
    )
