"""Sign-in state: one-time codes and refresh tokens (both stored hashed)."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class OtpChallenge(Model):
    id = fields.BigIntField(primary_key=True)
    phone = fields.CharField(max_length=20, db_index=True)
    ip = fields.CharField(max_length=64, db_index=True)
    code_hash = fields.CharField(max_length=64)
    attempts = fields.IntField(default=0)
    created_at = fields.DatetimeField(auto_now_add=True, db_index=True)
    expires_at = fields.DatetimeField()
    consumed_at = fields.DatetimeField(null=True)

    class Meta:
        table = "otp_challenge"


class SubjectKind(StrEnum):
    MEMBER = "member"
    STAFF = "staff"


class RefreshToken(Model):
    id = fields.BigIntField(primary_key=True)
    token_hash = fields.CharField(max_length=64, unique=True)
    subject_kind = fields.CharEnumField(SubjectKind, max_length=8)
    subject_id = fields.IntField()
    created_at = fields.DatetimeField(auto_now_add=True)
    expires_at = fields.DatetimeField()
    revoked_at = fields.DatetimeField(null=True)

    class Meta:
        table = "refresh_token"
        indexes = (("subject_kind", "subject_id"),)
