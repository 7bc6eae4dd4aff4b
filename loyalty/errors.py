"""Domain errors. Each carries a stable code that adapters show to clients as is."""

from __future__ import annotations

from enum import StrEnum


class ErrorCode(StrEnum):
    INVALID_INPUT = "INVALID_INPUT"
    INVALID_PHONE = "INVALID_PHONE"
    INVALID_AMOUNT = "INVALID_AMOUNT"
    NOT_FOUND = "NOT_FOUND"
    DUPLICATE_RECEIPT = "DUPLICATE_RECEIPT"
    ALREADY_EXISTS = "ALREADY_EXISTS"
    INSUFFICIENT_BALANCE = "INSUFFICIENT_BALANCE"
    IDEMPOTENCY_CONFLICT = "IDEMPOTENCY_CONFLICT"
    REFUND_EXCEEDS_PURCHASE = "REFUND_EXCEEDS_PURCHASE"
    CARD_BLOCKED = "CARD_BLOCKED"
    CARD_INVALID = "CARD_INVALID"
    PERMISSION_DENIED = "PERMISSION_DENIED"
    AUTHENTICATION_FAILED = "AUTHENTICATION_FAILED"
    CODE_INVALID = "CODE_INVALID"
    CODE_EXPIRED = "CODE_EXPIRED"
    TOO_MANY_ATTEMPTS = "TOO_MANY_ATTEMPTS"
    RATE_LIMITED = "RATE_LIMITED"
    VERSION_CONFLICT = "VERSION_CONFLICT"
    OUT_OF_STOCK = "OUT_OF_STOCK"
    LIMIT_REACHED = "LIMIT_REACHED"
    NOT_ELIGIBLE = "NOT_ELIGIBLE"
    CODE_NOT_VALID = "CODE_NOT_VALID"
    REPORT_NOT_READY = "REPORT_NOT_READY"


class DomainError(Exception):
    """A request the domain refuses. Nothing was written."""

    code: ErrorCode = ErrorCode.INVALID_INPUT

    def __init__(self, message: str, *, code: ErrorCode | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code


class InvalidInput(DomainError):
    def __init__(self, message: str, *, field: str | None = None, code: ErrorCode | None = None):
        super().__init__(message, code=code or ErrorCode.INVALID_INPUT)
        self.field = field


class NotFound(DomainError):
    code = ErrorCode.NOT_FOUND

    def __init__(self, entity: str, key: object) -> None:
        super().__init__(f"{entity} {key} was not found")
        self.entity = entity


class Conflict(DomainError):
    """The request clashes with what is already recorded (duplicates, idempotency keys)."""

    code = ErrorCode.ALREADY_EXISTS


class InsufficientBalance(DomainError):
    code = ErrorCode.INSUFFICIENT_BALANCE

    def __init__(self, unit: str, available: int, requested: int) -> None:
        from loyalty.money import format_money, format_points

        if unit == "points":
            held, wanted = format_points(available), format_points(requested)
            super().__init__(f"not enough points: {held} available, {wanted} requested")
        else:
            held, wanted = format_money(available), format_money(requested)
            super().__init__(f"not enough credit: {held} available, {wanted} requested")
        self.unit = unit
        self.available = available
        self.requested = requested


class PermissionDenied(DomainError):
    code = ErrorCode.PERMISSION_DENIED


class AuthenticationFailed(DomainError):
    code = ErrorCode.AUTHENTICATION_FAILED


class RateLimited(DomainError):
    code = ErrorCode.RATE_LIMITED

    def __init__(self, message: str, retry_after_seconds: int) -> None:
        super().__init__(message)
        self.retry_after_seconds = retry_after_seconds


class ReportNotReady(DomainError):
    """The report roll-ups are still being filled (by another caller, or beyond this report's
    time budget): try again in a while."""

    code = ErrorCode.REPORT_NOT_READY

    def __init__(self, days_done: int, days: int) -> None:
        super().__init__(
            f"reports are being prepared: {days_done} of {days} days; try again in a minute"
        )
        self.days_done = days_done
        self.days = days
