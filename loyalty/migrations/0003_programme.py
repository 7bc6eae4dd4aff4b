"""The loyalty programme: earning rules, tiers, standing, events, referral, rewards, coupons,
devices, and the ledger columns that say why (backfilled for transactions already recorded)."""

from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from loyalty.models.ledger import TransactionKind
from loyalty.models.programme import ReferralStatus, RuleKind, TierChangeReason
from loyalty.models.rewards import BenefitKind, DiscountSource, RewardKind
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index
from tortoise.fields.db_defaults import SqlDefault
import secrets

# Transactions recorded before this migration: the member's side of their legs, kept on the
# transaction from now on, and the points that count towards tiers.
_BACKFILL = (
    "UPDATE journal_transaction SET "
    "points = COALESCE((SELECT SUM(p.amount) FROM posting p JOIN account a ON a.id = p.account_id "
    "WHERE p.transaction_id = journal_transaction.id AND a.member_id IS NOT NULL "
    "AND a.unit = 'points'), 0), "
    "credit = COALESCE((SELECT SUM(p.amount) FROM posting p JOIN account a ON a.id = p.account_id "
    "WHERE p.transaction_id = journal_transaction.id AND a.member_id IS NOT NULL "
    "AND a.unit = 'rial'), 0);"
    "UPDATE journal_transaction SET tier_points = points "
    "WHERE kind = 'earn' OR (kind = 'reversal' AND purchase_id IS NOT NULL)"
)


# Members enrolled before this migration get their standing, with the history they have.
_STANDING_FACTS = (
    "UPDATE member_standing SET "
    "visit_count = (SELECT COUNT(*) FROM purchase p WHERE p.member_id = member_standing.member_id),"
    "first_visit_at = (SELECT MIN(occurred_at) FROM purchase p "
    "WHERE p.member_id = member_standing.member_id),"
    "last_visit_at = (SELECT MAX(occurred_at) FROM purchase p "
    "WHERE p.member_id = member_standing.member_id),"
    "spend_total = COALESCE((SELECT SUM(amount) FROM purchase p "
    "WHERE p.member_id = member_standing.member_id), 0),"
    "tier_points_total = COALESCE((SELECT SUM(tier_points) FROM journal_transaction t "
    "WHERE t.member_id = member_standing.member_id AND t.tier_points > 0), 0)"
)
_MEMBERS_WITH_ACCOUNTS = (
    "SELECT m.id AS member_id, p.id AS points, c.id AS credit FROM member m "
    "JOIN account p ON p.member_id = m.id AND p.unit = 'points' "
    "JOIN account c ON c.member_id = m.id AND c.unit = 'rial' ORDER BY m.id"
)
_BATCH = 500
# As loyalty.programme.standing makes them, frozen here as a migration must be.
_REFERRAL_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def new_referral_code() -> str:
    return "".join(secrets.choice(_REFERRAL_ALPHABET) for _ in range(8))


async def _backfill(apps, schema_editor) -> None:
    client = schema_editor.client
    await client.execute_script(_BACKFILL)
    members = await client.execute_query_dict(_MEMBERS_WITH_ACCOUNTS)
    numbered = client.capabilities.dialect == "postgres"
    for start in range(0, len(members), _BATCH):
        batch = members[start : start + _BATCH]
        values, params = [], []
        for row in batch:
            base = len(params)
            marks = [f"${base + n}" if numbered else "?" for n in range(1, 5)]
            # The database has no defaults (tortoise keeps them in Python): zeros are explicit.
            values.append(f"({', '.join(marks)}, 0, 0, 0, 0, 0)")
            params += [row["member_id"], row["points"], row["credit"], new_referral_code()]
        await client.execute_query(
            "INSERT INTO member_standing "
            "(member_id, points_account_id, credit_account_id, referral_code, "
            "visit_count, spend_total, tier_points_total, points_debt, credit_debt) "
            f"VALUES {', '.join(values)}",
            params,
        )
    await client.execute_script(_STANDING_FACTS)


async def _nothing(apps, schema_editor) -> None:
    return None


class DescribeField(ops.AlterField):
    """A field whose description alone changes (the enum values listed in it): the state
    changes, the database need not. Tortoise would rebuild the table on SQLite for it, which
    the foreign keys pointing at journal_transaction refuse."""

    async def database_forward(self, *args, **kwargs) -> None:
        return None

    async def database_backward(self, *args, **kwargs) -> None:
        return None


class Migration(migrations.Migration):
    dependencies = [("loyalty", "0002_ledger_guards")]

    initial = False

    operations = [
        ops.CreateModel(
            name="CodeGuess",
            fields=[
                (
                    "id",
                    fields.BigIntField(
                        generated=True, primary_key=True, unique=True, db_index=True
                    ),
                ),
                ("subject", fields.CharField(max_length=64)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "code_guess",
                "app": "loyalty",
                "indexes": [Index(fields=["subject", "created_at"])],
                "pk_attr": "id",
                "table_description": "A code that was not found, counted so guessing can be rate-limited.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="ConfigChange",
            fields=[
                (
                    "id",
                    fields.BigIntField(
                        generated=True, primary_key=True, unique=True, db_index=True
                    ),
                ),
                ("entity", fields.CharField(max_length=32)),
                ("entity_id", fields.CharField(max_length=32)),
                ("version", fields.IntField()),
                ("action", fields.CharField(max_length=16)),
                (
                    "snapshot",
                    fields.JSONField(
                        encoder=functools.partial(dumps, separators=(",", ":")), decoder=loads
                    ),
                ),
                (
                    "staff",
                    fields.ForeignKeyField(
                        "loyalty.StaffUser",
                        source_field="staff_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="config_changes",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("client", fields.CharField(default="", max_length=100)),
                (
                    "created_at",
                    fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=True),
                ),
            ],
            options={
                "table": "config_change",
                "app": "loyalty",
                "indexes": [Index(fields=["entity", "entity_id"])],
                "pk_attr": "id",
                "table_description": "Append-only audit trail of the programme's configuration.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Coupon",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                ("name", fields.CharField(max_length=100)),
                (
                    "benefit",
                    fields.CharEnumField(
                        description="PERCENT_OFF: percent_off\nAMOUNT_OFF: amount_off\nFREE_PRODUCT: free_product",
                        enum_type=BenefitKind,
                        max_length=16,
                    ),
                ),
                (
                    "basis_points",
                    fields.IntField(default=0, description="For percent off: 1000 is 10%"),
                ),
                ("amount", fields.BigIntField(default=0, description="For amount off: Rials")),
                (
                    "max_discount",
                    fields.BigIntField(null=True, description="Cap on a percent-off discount"),
                ),
                (
                    "sku",
                    fields.CharField(default="", description="For a free product", max_length=64),
                ),
                ("min_basket", fields.BigIntField(default=0)),
                (
                    "uses_per_code",
                    fields.IntField(null=True, default=1, description="None: no limit per code"),
                ),
                ("max_uses_per_member", fields.IntField(null=True)),
                ("max_uses_total", fields.IntField(null=True)),
                ("used_total", fields.IntField(default=0)),
                ("starts_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("ends_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("active", fields.BooleanField(default=True)),
                ("version", fields.IntField(default=1)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "coupon",
                "app": "loyalty",
                "pk_attr": "id",
                "table_description": "What a family of codes gives, and the limits on using them.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="CouponCode",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                (
                    "coupon",
                    fields.ForeignKeyField(
                        "loyalty.Coupon",
                        source_field="coupon_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="codes",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("code", fields.CharField(unique=True, max_length=32)),
                (
                    "member",
                    fields.ForeignKeyField(
                        "loyalty.Member",
                        source_field="member_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="coupon_codes",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("uses", fields.IntField(default=0)),
                (
                    "expires_at",
                    fields.DatetimeField(
                        null=True,
                        description="Besides the coupon's own end",
                        auto_now=False,
                        auto_now_add=False,
                    ),
                ),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "coupon_code",
                "app": "loyalty",
                "indexes": [Index(fields=["coupon_id"]), Index(fields=["member_id"])],
                "pk_attr": "id",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Device",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                (
                    "member",
                    fields.ForeignKeyField(
                        "loyalty.Member",
                        source_field="member_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="devices",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("token", fields.CharField(max_length=512)),
                ("platform", fields.CharField(default="", max_length=16)),
                ("active", fields.BooleanField(default=True)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ("last_seen_at", fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={
                "table": "device",
                "app": "loyalty",
                "unique_together": (("member", "token"),),
                "indexes": [Index(fields=["token"])],
                "pk_attr": "id",
                "table_description": "A member's device and its push (FCM) token. A token seen on two members' devices",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="EarningRule",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                ("name", fields.CharField(max_length=100)),
                (
                    "kind",
                    fields.CharEnumField(
                        description="POINTS_PER_AMOUNT: points_per_amount\nCASHBACK: cashback\nEVENT_POINTS: event_points\nDISCOUNT: discount",
                        enum_type=RuleKind,
                        max_length=24,
                    ),
                ),
                (
                    "params",
                    fields.JSONField(
                        default=dict,
                        encoder=functools.partial(dumps, separators=(",", ":")),
                        decoder=loads,
                    ),
                ),
                (
                    "conditions",
                    fields.JSONField(
                        default=dict,
                        encoder=functools.partial(dumps, separators=(",", ":")),
                        decoder=loads,
                    ),
                ),
                (
                    "branch_ids",
                    fields.JSONField(
                        default=list,
                        description="Empty: every branch",
                        encoder=functools.partial(dumps, separators=(",", ":")),
                        decoder=loads,
                    ),
                ),
                ("starts_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("ends_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("priority", fields.IntField(default=0, description="Higher first")),
                (
                    "exclusive_group",
                    fields.CharField(
                        default="",
                        description="Of the rules in a group only the first that fits",
                        max_length=48,
                    ),
                ),
                ("active", fields.BooleanField(default=True)),
                ("version", fields.IntField(default=1)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ("updated_at", fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={
                "table": "earning_rule",
                "app": "loyalty",
                "pk_attr": "id",
                "table_description": "One earning rule or offer. Its parameters and conditions are checked by the domain.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="EventAward",
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
                        related_name="event_awards",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("event", fields.CharField(max_length=32)),
                ("reference", fields.CharField(max_length=100)),
                (
                    "rule",
                    fields.ForeignKeyField(
                        "loyalty.EarningRule",
                        source_field="rule_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="event_awards",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("points", fields.BigIntField()),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "event_award",
                "app": "loyalty",
                "unique_together": (("member", "rule", "reference"),),
                "indexes": [Index(fields=["member_id", "event", "created_at"])],
                "pk_attr": "id",
                "table_description": "Points given for an event (visit, review, birthday...), at most once per reference.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="ProgrammeSetting",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                ("key", fields.CharField(unique=True, max_length=32)),
                (
                    "value",
                    fields.JSONField(
                        default=dict,
                        encoder=functools.partial(dumps, separators=(",", ":")),
                        decoder=loads,
                    ),
                ),
                ("version", fields.IntField(default=1)),
                ("updated_at", fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={
                "table": "programme_setting",
                "app": "loyalty",
                "pk_attr": "id",
                "table_description": "Club-wide settings of the programme (tier rules, expiry, referral), one row a key.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="PurchaseDiscount",
            fields=[
                (
                    "id",
                    fields.BigIntField(
                        generated=True, primary_key=True, unique=True, db_index=True
                    ),
                ),
                (
                    "purchase",
                    fields.ForeignKeyField(
                        "loyalty.Purchase",
                        source_field="purchase_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="discounts",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "source",
                    fields.CharEnumField(
                        description="RULE: rule\nCOUPON: coupon\nREWARD: reward",
                        enum_type=DiscountSource,
                        max_length=8,
                    ),
                ),
                ("source_id", fields.IntField()),
                (
                    "code",
                    fields.ForeignKeyField(
                        "loyalty.CouponCode",
                        source_field="code_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="uses_on",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "member",
                    fields.ForeignKeyField(
                        "loyalty.Member",
                        source_field="member_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="discounts",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("amount", fields.BigIntField(description="Rials off")),
                (
                    "sku",
                    fields.CharField(default="", description="A product given free", max_length=64),
                ),
                ("reason", fields.CharField(max_length=300)),
                ("reason_fa", fields.CharField(default="", max_length=300)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "purchase_discount",
                "app": "loyalty",
                "indexes": [
                    Index(fields=["purchase_id"]),
                    Index(fields=["code_id"]),
                    Index(fields=["member_id", "source", "source_id"]),
                ],
                "pk_attr": "id",
                "table_description": "A discount the club gave on a purchase, and why.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Referral",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                (
                    "referrer",
                    fields.ForeignKeyField(
                        "loyalty.Member",
                        source_field="referrer_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="referrals_made",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "referee",
                    fields.ForeignKeyField(
                        "loyalty.Member",
                        source_field="referee_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="referred_by",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "status",
                    fields.CharEnumField(
                        default=ReferralStatus.PENDING,
                        description="PENDING: pending\nREWARDED: rewarded\nREJECTED: rejected\nREVERSED: reversed",
                        enum_type=ReferralStatus,
                        max_length=12,
                    ),
                ),
                ("note", fields.CharField(default="", max_length=200)),
                (
                    "purchase",
                    fields.ForeignKeyField(
                        "loyalty.Purchase",
                        source_field="purchase_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="referrals",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "transaction",
                    fields.ForeignKeyField(
                        "loyalty.JournalTransaction",
                        source_field="transaction_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="referral",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ("decided_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "referral",
                "app": "loyalty",
                "unique_together": (("referee",),),
                "indexes": [Index(fields=["referrer_id"])],
                "pk_attr": "id",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Reward",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                ("name", fields.CharField(max_length=100)),
                ("description", fields.CharField(default="", max_length=500)),
                (
                    "kind",
                    fields.CharEnumField(
                        default=RewardKind.DISCOUNT,
                        description="DISCOUNT: discount\nFREE_PRODUCT: free_product\nVOUCHER: voucher",
                        enum_type=RewardKind,
                        max_length=16,
                    ),
                ),
                (
                    "benefit",
                    fields.CharEnumField(
                        description="PERCENT_OFF: percent_off\nAMOUNT_OFF: amount_off\nFREE_PRODUCT: free_product",
                        enum_type=BenefitKind,
                        max_length=16,
                    ),
                ),
                ("basis_points", fields.IntField(default=0)),
                ("amount", fields.BigIntField(default=0)),
                ("max_discount", fields.BigIntField(null=True)),
                ("sku", fields.CharField(default="", max_length=64)),
                (
                    "coupon",
                    fields.ForeignKeyField(
                        "loyalty.Coupon",
                        source_field="coupon_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="rewards",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "voucher_days",
                    fields.IntField(default=30, description="How long a voucher stays valid"),
                ),
                ("cost_points", fields.BigIntField()),
                ("stock", fields.IntField(null=True, description="Left to give (none: unlimited)")),
                ("per_member_limit", fields.IntField(null=True)),
                (
                    "tier_ids",
                    fields.JSONField(
                        default=list,
                        description="Empty: every tier",
                        encoder=functools.partial(dumps, separators=(",", ":")),
                        decoder=loads,
                    ),
                ),
                ("starts_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("ends_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("active", fields.BooleanField(default=True)),
                ("version", fields.IntField(default=1)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "reward",
                "app": "loyalty",
                "unique_together": (("coupon",),),
                "pk_attr": "id",
                "table_description": "An item of the rewards catalogue, priced in points.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="RewardRedemption",
            fields=[
                (
                    "id",
                    fields.BigIntField(
                        generated=True, primary_key=True, unique=True, db_index=True
                    ),
                ),
                (
                    "reward",
                    fields.ForeignKeyField(
                        "loyalty.Reward",
                        source_field="reward_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="redemptions",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "member",
                    fields.ForeignKeyField(
                        "loyalty.Member",
                        source_field="member_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="reward_redemptions",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("points", fields.BigIntField()),
                (
                    "transaction",
                    fields.ForeignKeyField(
                        "loyalty.JournalTransaction",
                        source_field="transaction_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="reward_redemption",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "purchase",
                    fields.ForeignKeyField(
                        "loyalty.Purchase",
                        source_field="purchase_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="reward_redemptions",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "voucher",
                    fields.ForeignKeyField(
                        "loyalty.CouponCode",
                        source_field="voucher_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="reward_redemption",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("idempotency_key", fields.CharField(unique=True, max_length=160)),
                ("request_hash", fields.CharField(max_length=64)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "reward_redemption",
                "app": "loyalty",
                "indexes": [Index(fields=["member_id", "reward_id"])],
                "pk_attr": "id",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Tier",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                ("name", fields.CharField(max_length=60)),
                ("name_fa", fields.CharField(default="", max_length=60)),
                ("rank", fields.IntField(description="0 for the entry tier, then up")),
                (
                    "threshold",
                    fields.BigIntField(description="Points earned or Rials spent to reach it"),
                ),
                ("points_multiplier_percent", fields.IntField(default=100)),
                ("active", fields.BooleanField(default=True)),
                ("version", fields.IntField(default=1)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={"table": "tier", "app": "loyalty", "pk_attr": "id"},
            bases=["Model"],
        ),
        ops.CreateModel(
            name="MemberStanding",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                (
                    "member",
                    fields.ForeignKeyField(
                        "loyalty.Member",
                        source_field="member_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="standing",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("points_account_id", fields.IntField()),
                ("credit_account_id", fields.IntField()),
                ("referral_code", fields.CharField(unique=True, max_length=16)),
                (
                    "tier",
                    fields.ForeignKeyField(
                        "loyalty.Tier",
                        source_field="tier_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="standings",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("tier_since", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                (
                    "tier_review_at",
                    fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
                ),
                (
                    "tier_grace_until",
                    fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
                ),
                ("visit_count", fields.IntField(default=0)),
                (
                    "first_visit_at",
                    fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
                ),
                (
                    "last_visit_at",
                    fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
                ),
                ("spend_total", fields.BigIntField(default=0)),
                ("tier_points_total", fields.BigIntField(default=0)),
                (
                    "points_debt",
                    fields.BigIntField(
                        default=0, description="Points a refund could not take back"
                    ),
                ),
                (
                    "credit_debt",
                    fields.BigIntField(
                        default=0, description="Cash-back a refund could not take back"
                    ),
                ),
                (
                    "next_expiry_at",
                    fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
                ),
            ],
            options={
                "table": "member_standing",
                "app": "loyalty",
                "unique_together": (("member",),),
                "indexes": [Index(fields=["next_expiry_at"]), Index(fields=["tier_review_at"])],
                "pk_attr": "id",
                "table_description": "What the rules need to know of a member, kept in step with each purchase.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="TierChange",
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
                        related_name="tier_changes",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "from_tier",
                    fields.ForeignKeyField(
                        "loyalty.Tier",
                        source_field="from_tier_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="changes_from",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "to_tier",
                    fields.ForeignKeyField(
                        "loyalty.Tier",
                        source_field="to_tier_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="changes_to",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "reason",
                    fields.CharEnumField(
                        description="UPGRADE: upgrade\nDOWNGRADE: downgrade\nGRACE: grace\nRENEWED: renewed",
                        enum_type=TierChangeReason,
                        max_length=16,
                    ),
                ),
                (
                    "qualifying",
                    fields.BigIntField(description="The member's qualifying total at the time"),
                ),
                (
                    "purchase",
                    fields.ForeignKeyField(
                        "loyalty.Purchase",
                        source_field="purchase_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="tier_changes",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "tier_change",
                "app": "loyalty",
                "indexes": [Index(fields=["member_id", "id"])],
                "pk_attr": "id",
                "table_description": "A change to a member's tier: an event that notifications will follow.",
            },
            bases=["Model"],
        ),
        DescribeField(
            model_name="JournalTransaction",
            name="kind",
            field=fields.CharEnumField(
                description="EARN: earn\nSPEND: spend\nTOP_UP: top_up\nADJUST: adjust\nREVERSAL: reversal\nEXPIRE: expire",
                enum_type=TransactionKind,
                max_length=16,
            ),
        ),
        ops.AddField(
            model_name="JournalTransaction",
            name="credit",
            field=fields.BigIntField(default=0, db_default=0),
        ),
        ops.AddField(
            model_name="JournalTransaction",
            name="lines",
            field=fields.JSONField(
                default=list,
                db_default=SqlDefault("'[]'"),
                encoder=functools.partial(dumps, separators=(",", ":")),
                decoder=loads,
            ),
        ),
        ops.AddField(
            model_name="JournalTransaction",
            name="points",
            field=fields.BigIntField(default=0, db_default=0),
        ),
        ops.AddField(
            model_name="JournalTransaction",
            name="points_expire_at",
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name="JournalTransaction",
            name="tier_points",
            field=fields.BigIntField(default=0, db_default=0),
        ),
        ops.AddIndex(
            model_name="JournalTransaction",
            index=Index(fields=["member_id", "created_at"]),
        ),
        ops.AddField(
            model_name="Purchase",
            name="discount",
            field=fields.BigIntField(default=0, db_default=0, description="Rials the club took off"),
        ),
        ops.AddField(
            model_name="Purchase",
            name="paid_with_credit",
            field=fields.BigIntField(default=0, db_default=0, description="Rials"),
        ),
        ops.AddIndex(
            model_name="Purchase",
            index=Index(fields=["member_id", "occurred_at"]),
        ),
        ops.RunPython(_backfill, reverse_code=_nothing),
    ]
