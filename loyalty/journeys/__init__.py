"""Journeys: messages tied to each member's own timeline, defined by managers.

Timer kinds (after a purchase, birthday, win-back, points expiring, new products) are found day
by day by `runs.run_due`, a scheduled job; event kinds (welcome, tier upgraded) follow an outbox
event their write records (`triggers`). Every message goes through `messaging.messages.send`:
consent, the weekly cap and quiet hours apply, and a dedupe key per journey, member and occasion
means a day gone over again sends nothing twice.
"""
