"""Typed errors: every mutation returns a union of its success type and these."""

import functools
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, ParamSpec, TypeVar, Union

import strawberry
from pydantic.alias_generators import to_camel

from loyalty import errors as domain
from schema.scalars import BigInt

ErrorCode = strawberry.enum(domain.ErrorCode, description="Stable machine-readable error codes.")


@strawberry.interface(description="A request the club refused. Nothing was changed.")
class Error:
    code: ErrorCode = strawberry.field(description="What went wrong, for programs.")
    message: str = strawberry.field(description="What went wrong, for people (English).")


@strawberry.type(description="The input is not acceptable; `field` names the culprit.")
class InvalidInputError(Error):
    field: str | None = strawberry.field(description="The input field at fault, if one is.")


@strawberry.type(description="Something the request names does not exist (or is not yours).")
class NotFoundError(Error):
    pass


@strawberry.type(description="The request clashes with what is already recorded.")
class ConflictError(Error):
    pass


@strawberry.type(
    description="Someone else changed it since the version you read: reload it and try again."
)
class VersionConflictError(Error):
    pass


@strawberry.type(
    description="A code or reward cannot be used now; `message` says why (expired, used up, "
    "below the minimum basket, not yours, out of stock, limit reached, not for your tier)."
)
class NotUsableError(Error):
    pass


# The refusals of codes and rewards that NotUsableError reports.
NOT_USABLE = frozenset(
    {
        domain.ErrorCode.CODE_NOT_VALID,
        domain.ErrorCode.NOT_ELIGIBLE,
        domain.ErrorCode.OUT_OF_STOCK,
        domain.ErrorCode.LIMIT_REACHED,
    }
)


@strawberry.type(description="The balance does not cover the amount.")
class InsufficientBalanceError(Error):
    available: BigInt = strawberry.field(description="What the member holds.")
    requested: BigInt = strawberry.field(description="What the request needed.")


@strawberry.type(description="Your role may not do this.")
class PermissionDeniedError(Error):
    pass


@strawberry.type(description="Not signed in, or the credentials or code are wrong or expired.")
class AuthenticationError(Error):
    pass


@strawberry.type(description="Too many requests; wait before trying again.")
class RateLimitedError(Error):
    retry_after_seconds: int = strawberry.field(description="Seconds to wait.")


def to_error(exc: domain.DomainError) -> Error:
    code, message = exc.code, exc.message
    match exc:
        case domain.InvalidInput():
            return InvalidInputError(code=code, message=message, field=exc.field)
        case domain.NotFound():
            return NotFoundError(code=code, message=message)
        case domain.Conflict() if code is domain.ErrorCode.VERSION_CONFLICT:
            return VersionConflictError(code=code, message=message)
        case domain.Conflict():
            return ConflictError(code=code, message=message)
        case domain.InsufficientBalance():
            return InsufficientBalanceError(
                code=code, message=message, available=exc.available, requested=exc.requested
            )
        case domain.PermissionDenied():
            return PermissionDeniedError(code=code, message=message)
        case domain.AuthenticationFailed():
            return AuthenticationError(code=code, message=message)
        case domain.RateLimited():
            return RateLimitedError(
                code=code, message=message, retry_after_seconds=exc.retry_after_seconds
            )
    if code in NOT_USABLE:
        return NotUsableError(code=code, message=message)
    # Other refusals (refund too large, blocked card): a conflict with recorded state.
    return ConflictError(code=code, message=message)


P = ParamSpec("P")
R = TypeVar("R")


def named_as_input(error: domain.InvalidInput, prefix: str) -> domain.InvalidInput:
    """The domain names a setting `messaging.quiet_from`; the input calls it `quietFrom`."""
    field = to_camel((error.field or "").removeprefix(prefix))
    return domain.InvalidInput(error.message.replace(error.field or "", field, 1), field=field)


def returns_errors(resolver: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R | Any]]:
    """Turn domain refusals into typed error results instead of GraphQL errors."""

    @functools.wraps(resolver)
    async def wrapper(*args: P.args, **kwargs: P.kwargs) -> R | Any:
        try:
            return await resolver(*args, **kwargs)
        except domain.DomainError as exc:
            return to_error(exc)

    return wrapper


INPUT = "What to do: the operation's input."

# The errors any signed-in operation may return.
COMMON_ERRORS = (InvalidInputError, AuthenticationError, PermissionDeniedError)


def result_union(name: str, description: str, *types: type) -> Any:
    """`Success | Error…` as a named GraphQL union; the common errors are always included."""
    members = tuple(dict.fromkeys((*types, *COMMON_ERRORS)))
    return Annotated[Union[members], strawberry.union(name, description=description)]  # noqa: UP007


ALL_ERROR_TYPES = (
    InvalidInputError,
    NotFoundError,
    ConflictError,
    VersionConflictError,
    InsufficientBalanceError,
    NotUsableError,
    PermissionDeniedError,
    AuthenticationError,
    RateLimitedError,
)
