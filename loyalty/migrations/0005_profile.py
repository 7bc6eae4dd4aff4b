"""Members' calendar and birthday calendar, and the history of their consents."""

from tortoise import migrations
from tortoise.migrations import operations as ops
from loyalty.models.consents import Consent, ConsentChannel
from loyalty.models.members import Calendar
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

# Birthdays entered before calendars were recorded were Gregorian dates, and consents given
# before their history was kept start it, as the system's record of the member's enrolment.
_BACKFILL = [
    "UPDATE member SET birthday_calendar = 'gregorian' WHERE birthday IS NOT NULL",
    *(
        "INSERT INTO consent_change (member_id, consent, granted, changed_by, channel, "
        f"created_at) SELECT id, '{consent}', {consent}_consent, 'system', 'system', enrolled_at "
        f"FROM member WHERE {consent}_consent ORDER BY id"
        for consent in ("marketing", "profiling")
    ),
]


class Migration(migrations.Migration):
    dependencies = [("loyalty", "0004_inbox")]

    initial = False

    operations = [
        ops.CreateModel(
            name="ConsentChange",
            fields=[
                (
                    "id",
                    fields.BigIntField(
                        generated=True, primary_key=True, unique=True, db_index=True
                    ),
                ),
                (
                    "member",
                    fields.ForeignKeyField(
                        "loyalty.Member",
                        source_field="member_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="consent_changes",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "consent",
                    fields.CharEnumField(
                        description="MARKETING: marketing\nPROFILING: profiling",
                        enum_type=Consent,
                        max_length=16,
                    ),
                ),
                ("granted", fields.BooleanField()),
                (
                    "changed_by",
                    fields.CharField(description="member, staff or system", max_length=8),
                ),
                (
                    "staff",
                    fields.ForeignKeyField(
                        "loyalty.StaffUser",
                        source_field="staff_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="consent_changes",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "channel",
                    fields.CharEnumField(
                        description="APP: app\nCOUNTER: counter\nSTATION: station\n"
                        "CONSOLE: console\nBACK_OFFICE: back_office\nSYSTEM: system",
                        enum_type=ConsentChannel,
                        max_length=16,
                    ),
                ),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "consent_change",
                "app": "loyalty",
                "indexes": [Index(fields=["member_id", "id"])],
                "pk_attr": "id",
                "table_description": "A consent granted or withdrawn, kept for good: rows are only ever added.",
            },
            bases=["Model"],
        ),
        ops.AddField(
            model_name="Member",
            name="birthday_calendar",
            field=fields.CharEnumField(
                null=True,
                description="JALALI: jalali\nGREGORIAN: gregorian",
                enum_type=Calendar,
                max_length=9,
            ),
        ),
        ops.AddField(
            model_name="Member",
            name="calendar",
            field=fields.CharEnumField(
                null=True,
                description="JALALI: jalali\nGREGORIAN: gregorian",
                enum_type=Calendar,
                max_length=9,
            ),
        ),
        ops.RunSQL(_BACKFILL, reverse_sql=[]),
    ]
