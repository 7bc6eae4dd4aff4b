"""What the app can be notified of: one builder per kind, in the member's language.

A notification has a type, a title and body to show, a deep link into the app
(`app://rewards/12`) and data for the app, string values only (FCM data messages carry nothing
else). `mobile_contract/push/<type>.schema.json` describes each one for the app; every
notification is kept in the member's inbox (`deliver`), and push (FCM) goes on top of that.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from tortoise.transactions import in_transaction

from loyalty import clock, inbox, outbox
from loyalty.models import InboxMessage, Language, Member
from loyalty.programme.explain import Text, fa_number, money, points
from loyalty.settings import get_settings

# The outbox task that pushes an inbox message to the member's devices (`messaging.push`).
PUSH_TASK = "push"


@dataclass(frozen=True, slots=True)
class Notification:
    type: str
    title: str
    body: str
    link: str
    data: dict[str, str] = field(default_factory=dict)

    def payload(self) -> dict[str, object]:
        """As the app receives it (push and inbox alike)."""
        return {
            "type": self.type,
            "title": self.title,
            "body": self.body,
            "link": self.link,
            "data": dict(self.data),
        }


def _notification(
    type_: str, language: str, title: Text, body: Text, link: str, **data: object
) -> Notification:
    values = {key: _data_value(value) for key, value in data.items() if value is not None}
    return Notification(type_, title.pick(language), body.pick(language), link, values)


def _data_value(value: object) -> str:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    return str(value)


def _date(moment: datetime) -> Text:
    """The day in the club's calendar; Persian digits in Persian."""
    shown = clock.format_date(moment)
    return Text(shown, fa_number(shown.replace("-", "/")))


def _plain(text: str) -> Text:
    """Text given by a person (a name, a manager's message): the same in both languages."""
    return Text(text, text)


def points_earned(
    language: str,
    *,
    purchase_id: int,
    receipt_number: str,
    branch_name: str,
    amount: int,
    points_earned: int,
    credit_earned: int,
    points_balance: int,
) -> Notification:
    """A purchase's receipt: what was paid and what it earned."""
    if points_earned and credit_earned:
        earned = points(points_earned) + Text(" and ", " و ") + money(credit_earned)
    else:
        earned = money(credit_earned) if credit_earned else points(points_earned)
    return _notification(
        "points_earned",
        language,
        Text("You earned ", "") + earned + Text("", " گرفتید"),
        Text(
            f"{branch_name}, receipt {receipt_number}: ", f"{branch_name}، رسید {receipt_number}: "
        )
        + money(amount)
        + Text(". Balance: ", ". مانده: ")
        + points(points_balance)
        + Text(".", "."),
        f"app://purchases/{purchase_id}",
        purchaseId=purchase_id,
        receiptNumber=receipt_number,
        amount=amount,
        points=points_earned,
        credit=credit_earned,
        pointsBalance=points_balance,
    )


def tier_upgraded(
    language: str, *, tier_id: int, tier_name: str, multiplier_percent: int
) -> Notification:
    """The member moved up a tier (`tier_name` in their language)."""
    bonus = Text("", "")
    if multiplier_percent > 100:
        shown = f"×{multiplier_percent / 100:g}"
        bonus = Text(
            f" Purchases now earn {shown} points.",
            f" خریدها اکنون {fa_number(shown)} امتیاز می‌گیرند.",
        )
    return _notification(
        "tier_upgraded",
        language,
        Text(f"Welcome to {tier_name}", f"به سطح {tier_name} خوش آمدید"),
        Text(f"You reached the {tier_name} tier.", f"به سطح {tier_name} رسیدید.") + bonus,
        "app://tier",
        tierId=tier_id,
        tierName=tier_name,
        multiplierPercent=multiplier_percent,
    )


def points_expiring(language: str, *, points_expiring: int, expires_at: datetime) -> Notification:
    """Points will expire soon unless spent."""
    return _notification(
        "points_expiring",
        language,
        points(points_expiring) + Text(" expire soon", " به‌زودی منقضی می‌شود"),
        Text("Spend them before ", "تا پیش از ")
        + _date(expires_at)
        + Text(" on a reward or a purchase.", " آن‌ها را برای جایزه یا خرید خرج کنید."),
        "app://points/expiring",
        points=points_expiring,
        expiresAt=expires_at,
    )


def voucher_issued(
    language: str, *, code: str, benefit: str, expires_at: datetime | None = None
) -> Notification:
    """A voucher is the member's (`benefit` in their language): show the code at the counter."""
    until = Text("", "")
    if expires_at is not None:
        until = Text(" Valid until ", " معتبر تا ") + _date(expires_at) + Text(".", ".")
    return _notification(
        "voucher_issued",
        language,
        Text("A voucher for you: ", "یک کوپن برای شما: ") + _plain(benefit),
        Text(f"Show the code {code} at the counter.", f"کد {code} را هنگام خرید نشان دهید.")
        + until,
        f"app://vouchers/{code}",
        code=code,
        benefit=benefit,
        expiresAt=expires_at,
    )


def survey_invitation(
    language: str, *, survey_id: int, survey_title: str, reward_points: int = 0
) -> Notification:
    """Please answer a survey (after a visit, or a campaign's)."""
    reward = Text("", "")
    if reward_points:
        reward = Text(" and earn ", " و ") + points(reward_points) + Text("", " بگیرید")
    return _notification(
        "survey_invitation",
        language,
        Text("How was it?", "نظر شما چیست؟"),
        Text(f"Answer «{survey_title}»", f"به پرسش‌نامه‌ی «{survey_title}» پاسخ دهید")
        + reward
        + Text(".", "."),
        f"app://surveys/{survey_id}",
        surveyId=survey_id,
        rewardPoints=reward_points,
    )


def wheel_prize(language: str, *, game_id: int, prize: str, prize_points: int = 0) -> Notification:
    """The wheel of fortune stopped on a prize (`prize` in the member's language)."""
    return _notification(
        "wheel_prize",
        language,
        Text("The wheel has spoken", "گردونه چرخید"),
        Text(f"You won {prize}.", f"برنده شدید: {prize}."),
        f"app://games/wheel/{game_id}",
        gameId=game_id,
        prize=prize,
        points=prize_points,
    )


def lottery_won(language: str, *, lottery_id: int, lottery_name: str, prize: str) -> Notification:
    """The member's ticket was drawn."""
    return _notification(
        "lottery_won",
        language,
        Text("You won the draw!", "در قرعه‌کشی برنده شدید!"),
        Text(f"{lottery_name}: {prize}.", f"{lottery_name}: {prize}."),
        f"app://games/lotteries/{lottery_id}",
        lotteryId=lottery_id,
        lotteryName=lottery_name,
        prize=prize,
    )


def stamp_card_completed(
    language: str, *, card_id: int, card_name: str, reward: str
) -> Notification:
    """A stamp card is full: its reward is ready."""
    return _notification(
        "stamp_card_completed",
        language,
        Text(f"{card_name} is complete", f"کارت {card_name} کامل شد"),
        Text(f"Your reward is ready: {reward}.", f"جایزه‌ی شما آماده است: {reward}."),
        f"app://stamps/{card_id}",
        cardId=card_id,
        cardName=card_name,
        reward=reward,
    )


def referral_rewarded(language: str, *, friend_name: str, points_awarded: int) -> Notification:
    """A friend the member referred joined and bought: the referrer's points."""
    return _notification(
        "referral_rewarded",
        language,
        Text("Thanks for the referral", "از معرفی شما سپاسگزاریم"),
        Text(f"{friend_name} joined the club. You earned ", f"{friend_name} به باشگاه پیوست. ")
        + points(points_awarded)
        + Text(".", " گرفتید."),
        "app://referrals",
        friendName=friend_name,
        points=points_awarded,
    )


def offer(
    language: str, *, campaign_id: int, title: str, body: str, coupon_code: str | None = None
) -> Notification:
    """A campaign's or journey's message (written by a manager), perhaps with a coupon code."""
    text = _plain(body)
    if coupon_code:
        text += Text(f" Your code: {coupon_code}", f" کد شما: {coupon_code}")
    return _notification(
        "offer",
        language,
        _plain(title),
        text,
        f"app://offers/{campaign_id}",
        campaignId=campaign_id,
        couponCode=coupon_code,
    )


def message(language: str, *, title: str, body: str) -> Notification:
    """A service message from the club: no action needed."""
    return _notification("message", language, _plain(title), _plain(body), "app://inbox")


BUILDERS: dict[str, Callable[..., Notification]] = {
    builder.__name__: builder
    for builder in (
        points_earned,
        tier_upgraded,
        points_expiring,
        voucher_issued,
        survey_invitation,
        wheel_prize,
        lottery_won,
        stamp_card_completed,
        referral_rewarded,
        offer,
        message,
    )
}


def push_enabled() -> bool:
    return bool(get_settings().firebase_credentials)


async def language_of(member_id: int) -> Language:
    found = await Member.filter(id=member_id).values_list("language", flat=True)
    return Language(found[0]) if found else Language.FA


async def deliver(
    member_id: int, notification: Notification, *, dedupe_key: str, push: bool = True
) -> tuple[InboxMessage, bool]:
    """Keep it in the member's inbox and, with push configured, push it to their devices once
    this commits (`push=False`: the caller pushes a batch of messages together); the same
    `dedupe_key` again delivers nothing new."""
    async with in_transaction():
        message, created = await inbox.deliver(
            member_id,
            kind=notification.type,
            title=notification.title,
            body=notification.body,
            link=notification.link,
            data=dict(notification.data),
            dedupe_key=dedupe_key,
        )
        if created and push and push_enabled():
            await outbox.record(PUSH_TASK, {"message_ids": [message.id]})
    return message, created
