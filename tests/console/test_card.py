"""The member's card as the operator reads it: every section the call needs."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from console.card import card_text
from console.results import (
    Answer,
    Card,
    Complaint,
    EarlierCall,
    FollowUp,
    Item,
    Message,
    Offer,
    Purchase,
)
from console.text import Writer

AT = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)  # 11:30 in Tehran


def test_the_card_shows_purchases_earlier_calls_complaints_messages_and_offers() -> None:
    purchase = Purchase(AT, "Tajrish", 1_250_000, [Item("Latte", 2, 900_000)])
    card = Card(
        member_id="7",
        name="Sara Ahmadi",
        phone="+989121234567",
        tier="Gold",
        points=1_200,
        credit=500_000,
        purchases=[purchase],
        earlier_calls=[EarlierCall(AT, "COMPLETED", "Reza", [Answer("Staff?", "Kind")])],
        complaints=[
            Complaint(
                "7",
                "SERVICE",
                "cold coffee",
                "OPEN",
                AT,
                "Reza",
                [FollowUp(AT, "Ali", "called her")],
            )
        ],
        messages=[Message(AT, "SMS", "Happy birthday", "…")],
        offers=[Offer("Free cake", "on your next visit", True), Offer("Gold", "500 more", False)],
    )
    text = card_text(Writer(ZoneInfo("Asia/Tehran"), "gregorian", "rial", True), card, purchase)
    for expected in [
        "Sara Ahmadi",
        "Phone: +989121234567",
        "Tier: Gold",
        "Points: 1,200   Credit: 500,000 Rials",
        "2026-12-01 11:30  Tajrish  1,250,000 Rials\n    Latte ×2",
        "2026-12-01 11:30  COMPLETED  Reza\n    Staff?: Kind",
        "SERVICE OPEN  cold coffee\n    2026-12-01 11:30 Ali: called her",
        "SMS  Happy birthday",
        "Free cake: on your next visit",
        "Gold: 500 more (not yet)",
    ]:
        assert expected in text
