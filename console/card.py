"""The member's card as text: who they are, what they bought, what they said before.

The text is in logical order; the screen lays it out for the terminal line by line as it wraps
(`Writer.paragraphs`)."""

from __future__ import annotations

from console.results import Card, Purchase
from console.text import Writer, isolated


def purchase_line(writer: Writer, purchase: Purchase) -> str:
    items = ", ".join(f"{isolated(item.name)} ×{item.quantity}" for item in purchase.items)
    branch, amount = isolated(purchase.branch), writer.money(purchase.amount)
    return f"{writer.moment(purchase.at)}  {branch}  {amount}" + (f"\n    {items}" if items else "")


def card_text(writer: Writer, card: Card, purchase: Purchase | None) -> str:
    lines = [
        isolated(card.name),
        f"Phone: {card.phone}",
        f"Tier: {isolated(card.tier) if card.tier else '-'}",
        f"Points: {card.points:,}   Credit: {writer.money(card.credit)}",
    ]
    if purchase is not None:
        lines += ["", "This call is about:", purchase_line(writer, purchase)]
    sections: list[tuple[str, list[str]]] = [
        ("Last purchases", [purchase_line(writer, p) for p in card.purchases]),
        (
            "Earlier calls",
            [
                f"{writer.moment(c.at)}  {c.outcome or '-'}  {isolated(c.operator)}"
                + "".join(f"\n    {isolated(a.question)}: {isolated(a.answer)}" for a in c.answers)
                for c in card.earlier_calls
            ],
        ),
        (
            "Complaints",
            [
                f"{writer.moment(c.raised_at)}  {c.category} {c.status}  {isolated(c.note)}"
                + "".join(
                    f"\n    {writer.moment(f.at)} {isolated(f.by)}: {isolated(f.note)}"
                    for f in c.follow_ups
                )
                for c in card.complaints
            ],
        ),
        (
            "Recent messages",
            [f"{writer.moment(m.at)}  {m.channel}  {isolated(m.title)}" for m in card.messages],
        ),
        (
            "Offers to mention",
            [
                f"{isolated(o.title)}: {isolated(o.details)}" + ("" if o.ready else " (not yet)")
                for o in card.offers
            ],
        ),
    ]
    for title, entries in sections:
        lines += ["", f"{title}:", *(entries or ["-"])]
    return "\n".join(lines)
