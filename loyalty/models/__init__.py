"""Tortoise models of the club. Import them from here."""

from loyalty.models.auth import OtpChallenge, RefreshToken, SubjectKind
from loyalty.models.club import Branch, Role, StaffUser
from loyalty.models.ledger import (
    Account,
    JournalTransaction,
    Posting,
    Reversal,
    TransactionKind,
    Unit,
)
from loyalty.models.members import Card, CardStatus, Gender, Language, Member
from loyalty.models.purchases import Purchase, PurchaseItem

__models__ = [
    Account,
    Branch,
    Card,
    JournalTransaction,
    Member,
    OtpChallenge,
    Posting,
    Purchase,
    PurchaseItem,
    RefreshToken,
    Reversal,
    StaffUser,
]

__all__ = [
    "Account",
    "Branch",
    "Card",
    "CardStatus",
    "Gender",
    "JournalTransaction",
    "Language",
    "Member",
    "OtpChallenge",
    "Posting",
    "Purchase",
    "PurchaseItem",
    "RefreshToken",
    "Reversal",
    "Role",
    "StaffUser",
    "SubjectKind",
    "TransactionKind",
    "Unit",
]
