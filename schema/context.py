"""What every resolver gets: who is asking, from where, and per-request loaders."""

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from strawberry.dataloader import DataLoader

from loyalty import ledger
from loyalty.actors import Actor, ActorKind
from loyalty.errors import AuthenticationFailed
from loyalty.messaging.channels import SmsSender
from loyalty.models import Branch, Language, Member

# Verifies a Firebase ID token and returns the phone number it vouches for.
PhoneVerifier = Callable[[str], Awaitable[str]]


async def _load_branches(ids: list[int]) -> list[Branch | None]:
    found = {b.id: b for b in await Branch.filter(id__in=ids)}
    return [found.get(i) for i in ids]


@dataclass
class Loaders:
    branch: DataLoader[int, Branch | None] = field(
        default_factory=lambda: DataLoader(load_fn=_load_branches)
    )
    balances: DataLoader[int, ledger.Balances] = field(
        default_factory=lambda: DataLoader(load_fn=ledger.balances_of)
    )


@dataclass
class Context:
    actor: Actor | None
    client_ip: str
    sms_sender: SmsSender
    verify_firebase_token: PhoneVerifier | None = None
    auth_problem: str | None = None
    loaders: Loaders = field(default_factory=Loaders)
    _language: asyncio.Future[Language] | None = field(default=None, init=False, repr=False)

    def require_actor(self) -> Actor:
        if self.actor is None:
            raise AuthenticationFailed(self.auth_problem or "sign in first")
        return self.actor

    async def language(self) -> Language:
        """The viewer's language: a member's own choice; staff and visitors read Persian.

        Looked up once a request: resolvers running side by side share the one look-up."""
        if self._language is None:
            self._language = asyncio.ensure_future(self._look_up_language())
        return await self._language

    async def _look_up_language(self) -> Language:
        chosen = []
        if self.actor is not None and self.actor.kind is ActorKind.MEMBER:
            chosen = await Member.filter(id=self.actor.id).values_list("language", flat=True)
        return Language(chosen[0]) if chosen else Language.FA

    def require_member(self) -> int:
        actor = self.require_actor()
        if actor.kind is not ActorKind.MEMBER or actor.id is None:
            raise AuthenticationFailed("sign in as a member")
        return actor.id
