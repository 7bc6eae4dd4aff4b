"""The station's operations: online through the API, offline within the server's limits.

Every operation is written to the queue with its idempotency key before it is sent, and the
queue is sent in order, so what was accepted offline reaches the server before what follows
it, exactly once (the server answers a repeated key with its first answer).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import nfc.tag

from nfc_station import api as gql
from nfc_station import tags
from nfc_station.api import Api, Offline, Refused
from nfc_station.store import DONE, FAILED, Store
from nfc_station.tags import CardOnReader, TagError, UnsuitableTag

log = logging.getLogger(__name__)
receipts = logging.getLogger("nfc_station.receipt")

WRITE_ATTEMPTS = 3
# Offline, a tap does not wait on the link again this soon after it failed (sync() always tries).
RETRY_SECONDS = 2.0
MUTATIONS = {"purchase": gql.PURCHASE, "topup": gql.TOP_UP, "pay": gql.PAY}
# Until the server told it otherwise, a station accepts nothing that spends offline.
NO_LIMITS = {"creditPerCardPerDay": 0, "creditPerStation": 0, "purchases": False}


def refusal(code: str, message: str) -> dict[str, Any]:
    return {"ok": False, "code": code, "message": message}


def card_number(record: str | None) -> str | None:
    parts = (record or "").split(".")
    return parts[1] if len(parts) == 4 and parts[0] == "LC1" else None


def utc_now() -> datetime:
    return datetime.now(UTC)


class Station:
    def __init__(self, api: Api, store: Store, clock: Callable[[], datetime] = utc_now) -> None:
        self.api, self.store = api, store
        self.clock = clock  # the station's clock, in UTC
        self.online: bool | None = None  # unknown until the first request
        self._failed_at = 0.0  # monotonic time the server was last found unreachable
        self._sync_lock = threading.RLock()

    # --- the server's settings ---------------------------------------------------------------

    def refresh_config(self) -> dict[str, Any] | None:
        try:
            config = self._call(gql.CONFIG)
        except Offline:
            return None
        self.store.set_setting("config", config)
        return config

    def limits(self) -> dict[str, Any]:
        config = self.store.setting("config")
        return config["offline"] if config else NO_LIMITS

    def club_day(self) -> str:
        """Today in the club's time zone, kept with the limits (the station's own zone may be
        another); UTC until the server told it, when nothing may be spent offline anyway."""
        config = self.store.setting("config") or {}
        zone = ZoneInfo(config.get("timeZone") or "UTC")
        return self.clock().astimezone(zone).date().isoformat()

    # --- sending -------------------------------------------------------------------------------

    def _call(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        try:
            result = self.api.call(query, variables)
        except Offline:
            self.online = False
            self._failed_at = time.monotonic()
            raise
        except Refused:
            self.online = True  # a refusal is an answer: the server is there
            raise
        self.online = True
        return result

    def sync(self) -> dict[str, int]:
        """Send what waits, in order, until done or the server cannot be reached."""
        sent = failed = 0
        with self._sync_lock:
            for op in self.store.waiting():
                variables = dict(op.variables)
                if op.accepted_offline_at:
                    variables["acceptedOfflineAt"] = op.accepted_offline_at
                try:
                    result = self._call(MUTATIONS[op.kind], {"input": variables})
                except Offline:
                    break
                except Refused as refused:
                    self.store.answered(op.key, False, refusal(refused.code, refused.message))
                    failed += 1
                    continue
                self.store.answered(op.key, True, result)
                if result.get("balances"):
                    self.store.update_balances(op.card_number, result["balances"])
                sent += 1
        return {"sent": sent, "failed": failed, "waiting": self.store.queue_size()}

    # --- operations by tap -----------------------------------------------------------------------

    def balance(self, card: CardOnReader) -> dict[str, Any]:
        unusable = _unusable(card)
        if unusable:
            return unusable
        number = card_number(card.record)
        try:
            return self._tapped(card)
        except Refused as refused:
            return refusal(refused.code, refused.message)
        except Offline:
            pass
        seen = self.store.seen(number)
        if seen is None or seen.uid != card.uid:
            return refusal("OFFLINE", "offline, and this card was not seen here before")
        balances = dict(seen.member["balances"])
        balances["credit"] -= self.store.offline_credit(number)
        return {
            "ok": True,
            "online": False,
            "card": number,
            "member": seen.member,
            "balances": balances,
            "asOf": seen.seen_at,
        }

    def _tapped(self, card: CardOnReader) -> dict[str, Any]:
        tapped = self._call(gql.TAP, {"card": {"record": card.record, "uid": card.uid}})
        number, member = tapped["card"]["number"], tapped["member"]
        self.store.remember(number, card.uid, tapped["card"]["status"], member)
        return {
            "ok": True,
            "online": True,
            "card": number,
            "member": member,
            "balances": member["balances"],
        }

    def purchase(
        self,
        card: CardOnReader,
        *,
        amount: int,
        receipt_number: str,
        items: list[dict[str, Any]] | None = None,
        paid_with_credit: int = 0,
    ) -> dict[str, Any]:
        variables = {
            "amount": amount,
            "receiptNumber": receipt_number,
            "items": items or [],
            "paidWithCredit": paid_with_credit,
            # Sent as taken: a retry after a lost answer must be the same request.
            "occurredAt": self.clock().isoformat(),
        }
        return self._operate("purchase", card, variables, credit=paid_with_credit)

    def top_up(self, card: CardOnReader, *, amount: int, paid_by: str) -> dict[str, Any]:
        """`paid_by`: how the member paid at the counter, CASH or CARD."""
        variables = {"amount": amount, "paidBy": paid_by}
        return self._operate("topup", card, variables, credit=0)

    def pay(self, card: CardOnReader, *, amount: int, purse: str = "CREDIT") -> dict[str, Any]:
        credit = amount if purse == "CREDIT" else 0
        return self._operate("pay", card, {"amount": amount, "purse": purse}, credit=credit)

    def _operate(
        self, kind: str, card: CardOnReader, variables: dict[str, Any], *, credit: int
    ) -> dict[str, Any]:
        unusable = _unusable(card)
        if unusable:
            return unusable
        number = card_number(card.record)
        if self.store.seen(number) is None and self.online is not False:
            try:  # what the station knows of a card lets it serve the card offline later
                self._tapped(card)
            except Offline:
                pass
            except Refused as refused:
                return refusal(refused.code, refused.message)
        card_input = {"record": card.record, "uid": card.uid}
        key = self.store.add(kind, {"card": card_input, **variables}, number, credit)
        # Under the sync lock: a sync in the background must not send it while it is judged.
        with self._sync_lock:
            if self.online is not False or time.monotonic() - self._failed_at > RETRY_SECONDS:
                self.sync()
            if self.store.get(key).state in (DONE, FAILED):
                answer = self.store.answer(key) or {}
                return self._answered(kind, number, answer, online=True)
            problem = self._offline_problem(kind, card, number, variables, credit)
            if problem is not None:
                self.store.drop(key)
                return problem
            self.store.accept_offline(key, self.club_day())
        seen = self.store.seen(number)
        answer: dict[str, Any] = {"ok": True, "queued": True}
        if seen is not None:
            balances = dict(seen.member["balances"])
            balances["credit"] -= self.store.offline_credit(number)
            answer["balances"] = balances
        return self._answered(kind, number, answer, online=False)

    def _answered(
        self, kind: str, number: str, answer: dict[str, Any], *, online: bool
    ) -> dict[str, Any]:
        result = {"online": online, "operation": kind, "card": number, **answer}
        result.setdefault("ok", "code" not in answer)
        seen = self.store.seen(number)
        if seen is not None:  # whom to tell: the server answers with balances only
            result.setdefault("member", seen.member)
        if result["ok"]:
            receipts.info(
                "%s card %s: %s%s",
                kind,
                number,
                {k: v for k, v in result.items() if k in ("balances", "pointsEarned", "entry")},
                "" if online else " (offline: sent when the server is back)",
            )
        return result

    def _offline_problem(
        self,
        kind: str,
        card: CardOnReader,
        number: str,
        variables: dict[str, Any],
        credit: int,
    ) -> dict[str, Any] | None:
        """Why this cannot be accepted offline, or None when it can."""
        limits = self.limits()
        seen = self.store.seen(number)
        if seen is not None and seen.uid != card.uid:
            return refusal("CARD_INVALID", "this card's record belongs to another tag")
        if seen is not None and seen.status != "ACTIVE":
            return refusal("CARD_BLOCKED", "this card is blocked")
        if kind == "purchase" and not limits["purchases"]:
            return refusal("OFFLINE", "offline: purchases are not accepted until it is back")
        if kind == "pay" and variables["purse"] != "CREDIT":
            return refusal("OFFLINE", "offline: points can be spent when the server is back")
        if not credit:
            return None
        if seen is None:
            return refusal("OFFLINE", "offline, and this card's credit was not seen here before")
        available = seen.member["balances"]["credit"] - self.store.offline_credit(number)
        if credit > available:
            return refusal("INSUFFICIENT_BALANCE", f"not enough credit: {available} Rials")
        today = self.store.offline_credit(number, day=self.club_day())
        if today + credit > limits["creditPerCardPerDay"]:
            return refusal(
                "LIMIT_REACHED",
                f"offline, this card may pay {limits['creditPerCardPerDay'] - today} Rials more "
                "today",
            )
        pending = self.store.offline_credit()
        if pending + credit > limits["creditPerStation"]:
            return refusal(
                "LIMIT_REACHED",
                f"offline, this station may accept {limits['creditPerStation'] - pending} "
                "Rials more until it syncs",
            )
        return None

    # --- cards -------------------------------------------------------------------------------

    def enrol(self, tag: nfc.tag.Tag, member: dict[str, Any]) -> dict[str, Any]:
        """Find the member by phone or enrol them, write a blank card, read it back, bind it."""
        try:
            enrolled = self._call(gql.ENROL_MEMBER, {"input": member})
            member_id = enrolled["member"]["id"]
            return self._write_and_bind(
                tag, gql.ENROL_CARD, lambda card: {"card": card, "memberId": member_id}
            )
        except (Offline, Refused) as error:
            return _failed(error)

    def replace(
        self, tag: nfc.tag.Tag, old_number: str, reason: str, keeper: Api
    ) -> dict[str, Any]:
        """A new blank card takes over the old card's member, with a card keeper's credential
        (a manager or cashier: the station's own may not)."""
        try:
            return self._write_and_bind(
                tag,
                gql.REPLACE_CARD,
                lambda card: {"cardNumber": old_number, "newCard": card, "reason": reason},
                keeper,
            )
        except (Offline, Refused) as error:
            return _failed(error)

    def _write_and_bind(self, tag, mutation: str, make_input, keeper: Api | None = None):
        uid = tags.uid_of(tag)
        issued = self._call(gql.ISSUE_RECORD, {"uid": uid})
        password = bytes.fromhex(issued["tagPassword"])
        for attempt in range(1, WRITE_ATTEMPTS + 1):
            try:
                tags.write(tag, issued["record"], password)
                break
            except UnsuitableTag as error:
                return refusal("CARD_UNSUITABLE", f"{error}; nothing was bound")
            except TagError as error:
                log.warning("writing card %s, attempt %d: %s", uid, attempt, error)
                if attempt == WRITE_ATTEMPTS:
                    return refusal(
                        "CARD_NOT_WRITTEN",
                        f"the card was not written ({error}); nothing was bound: tap it again",
                    )
        card = {"record": issued["record"], "uid": uid}
        bound = (keeper or self.api).call(mutation, {"input": make_input(card)})
        number = bound["card"]["number"]
        self.store.remember(number, uid, bound["card"]["status"], bound["card"]["member"])
        return {"ok": True, "online": True, "card": number, "member": bound["card"]["member"]}

    def block(self, number: str, reason: str, keeper: Api) -> dict[str, Any]:
        """Block a card by its number (a lost one), with a card keeper's credential."""
        variables = {"cardNumber": number, "reason": reason}
        return self._block(gql.BLOCK_CARD, variables, keeper)

    def block_tapped(self, card: CardOnReader, reason: str, keeper: Api) -> dict[str, Any]:
        """Block the card on the reader, with a card keeper's credential."""
        variables = {"card": {"record": card.record, "uid": card.uid}, "reason": reason}
        return self._block(gql.BLOCK_TAPPED_CARD, variables, keeper)

    def _block(self, mutation: str, variables: dict[str, Any], keeper: Api) -> dict[str, Any]:
        try:
            changed = keeper.call(mutation, {"input": variables})["card"]
        except (Offline, Refused) as error:
            return _failed(error)
        number = changed["number"]
        seen = self.store.seen(number)
        if seen is not None:  # refused offline from now on
            self.store.remember(number, seen.uid, changed["status"], seen.member)
        return {
            "ok": True,
            "online": True,
            "card": number,
            "status": changed["status"],
            "member": changed["member"],
        }


def _failed(error: Offline | Refused) -> dict[str, Any]:
    if isinstance(error, Refused):
        return refusal(error.code, error.message)
    return refusal("OFFLINE", f"the server cannot be reached: {error}")


def _unusable(card: CardOnReader) -> dict[str, Any] | None:
    """Why the tapped card cannot be served, if it cannot."""
    if card.unread:
        return refusal("CARD_UNREAD", "the card was taken away before it was read: tap it again")
    if card_number(card.record) is None:
        return refusal("CARD_INVALID", "this is not a club card")
    return None
