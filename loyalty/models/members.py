"""Members of the club and the cards they carry."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model

from loyalty.models.messaging import MessageChannel


class Gender(StrEnum):
    FEMALE = "female"
    MALE = "male"
    OTHER = "other"


class Language(StrEnum):
    FA = "fa"
    EN = "en"


class Calendar(StrEnum):
    JALALI = "jalali"
    GREGORIAN = "gregorian"


class Member(Model):
    id = fields.IntField(primary_key=True)
    phone = fields.CharField(max_length=20, unique=True, description="E.164")
    first_name = fields.CharField(max_length=100, default="")
    last_name = fields.CharField(max_length=100, default="")
    birthday = fields.DateField(null=True)
    # Which calendar's anniversary is the birthday: the one it was entered in.
    birthday_calendar = fields.CharEnumField(Calendar, max_length=9, null=True)
    gender = fields.CharEnumField(Gender, max_length=8, null=True)
    city = fields.CharField(max_length=100, default="")
    area = fields.CharField(max_length=100, default="")
    interests = fields.JSONField(default=list)
    language = fields.CharEnumField(Language, max_length=2, default=Language.FA)
    # Null: the club's calendar.
    calendar = fields.CharEnumField(Calendar, max_length=9, null=True)
    marketing_consent = fields.BooleanField(default=False)
    profiling_consent = fields.BooleanField(default=False)
    calls_consent = fields.BooleanField(default=True, db_default=True)
    # An operator found the phone number wrong: no more calls to it.
    wrong_phone_at = fields.DatetimeField(null=True)
    enrolled_branch: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "loyalty.Branch", null=True, on_delete=fields.RESTRICT, related_name="enrolled_members"
    )
    enrolled_at = fields.DatetimeField(auto_now_add=True)
    # The leaderboard: the name the member chose to appear by (empty: a masked name), and
    # whether they keep off it.
    display_name = fields.CharField(max_length=30, default="", db_default="")
    leaderboard_opt_out = fields.BooleanField(default=False, db_default=False)
    preferred_channel = fields.CharEnumField(
        MessageChannel,
        max_length=8,
        default=MessageChannel.PUSH,
        db_default=MessageChannel.PUSH.value,
        description="Where messages go besides the inbox",
    )

    # Erasure pseudonymised the member (loyalty/privacy/erasure.py): their phone is a tombstone.
    erased_at = fields.DatetimeField(null=True)

    class Meta:
        table = "member"
        # Enrolments over a period, the club's and a branch's (loyalty/reports).
        indexes = (("enrolled_at",), ("enrolled_branch_id", "enrolled_at"))

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


class CardStatus(StrEnum):
    ACTIVE = "active"
    BLOCKED = "blocked"
    # A new card took over the member: this one is refused like a blocked one.
    REPLACED = "replaced"


class Card(Model):
    """A contactless card bound to a member. The balance lives on the server, never on the card.

    An NFC card carries one NDEF record: its number and a MAC over the number and the tag's
    UID under the card key of `key_version` (loyalty.cards.keys). Cards numbered before the
    NFC station have no UID.
    """

    id = fields.IntField(primary_key=True)
    card_number = fields.CharField(max_length=32, unique=True)
    member: fields.ForeignKeyRelation[Member] = fields.ForeignKeyField(
        "loyalty.Member", on_delete=fields.RESTRICT, related_name="cards"
    )
    status = fields.CharEnumField(CardStatus, max_length=8, default=CardStatus.ACTIVE)
    created_at = fields.DatetimeField(auto_now_add=True)
    uid = fields.CharField(
        max_length=32, unique=True, null=True, description="The tag's UID, upper-case hex"
    )
    key_version = fields.SmallIntField(null=True, description="The card key its MAC is under")
    branch: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "loyalty.Branch", null=True, on_delete=fields.RESTRICT, related_name="cards_enrolled"
    )
    enrolled_by: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "loyalty.StaffUser", null=True, on_delete=fields.RESTRICT, related_name="cards_enrolled"
    )
    status_changed_at = fields.DatetimeField(null=True)
    status_changed_by: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "loyalty.StaffUser", null=True, on_delete=fields.RESTRICT, related_name="cards_changed"
    )
    status_reason = fields.CharField(max_length=300, default="", db_default="")
    replaced_by: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "loyalty.Card", null=True, on_delete=fields.RESTRICT, related_name="replaces"
    )

    class Meta:
        table = "card"
        indexes = (("member_id",),)
