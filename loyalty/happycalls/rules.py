"""Managers say which purchases are worth a call: each rule picks purchases by its trigger
(and branches), names the CALL survey read out, and how soon and how urgently to call."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError
from pydantic.alias_generators import to_camel

from loyalty.actors import Actor
from loyalty.errors import InvalidInput, NotFound
from loyalty.happycalls import SUPERVISORS
from loyalty.history import Page, paged
from loyalty.models import Branch, HappyCallRule, HappyCallTrigger, Role, Survey, SurveyChannel
from loyalty.programme import audit
from loyalty.surveys.definitions import MAX_RATING
from loyalty.validation import MAX_RIAL, refusal

ENTITY = "happy_call_rule"
MAX_DEADLINE_HOURS = 30 * 24
# The setting each trigger needs; the others stay empty.
SETTING = {
    HappyCallTrigger.SAMPLE: "sample_percent",
    HappyCallTrigger.FIRST_PURCHASE: None,
    HappyCallTrigger.AMOUNT_AT_LEAST: "min_amount",
    HappyCallTrigger.LOW_SURVEY_SCORE: "max_score",
}


class Definition(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
    trigger: Annotated[HappyCallTrigger, Field(strict=False)]
    survey_id: int = Field(gt=0)
    deadline_hours: int = Field(ge=1, le=MAX_DEADLINE_HOURS)
    branch_ids: list[int] = []
    sample_percent: int | None = Field(default=None, ge=1, le=100)
    min_amount: int | None = Field(default=None, ge=1, le=MAX_RIAL)
    max_score: int | None = Field(default=None, ge=0, le=MAX_RATING)
    priority: int = Field(default=0, ge=0, le=100)
    active: bool = True


async def _cleaned(raw: Mapping[str, object]) -> dict:
    try:
        definition = Definition.model_validate(dict(raw))
    except ValidationError as error:
        raise refusal(error) from None
    wanted = SETTING[definition.trigger]
    for name in filter(None, SETTING.values()):
        given = getattr(definition, name) is not None
        if given != (name == wanted):
            field = to_camel(name)
            trigger = definition.trigger.name
            need = "needs" if name == wanted else "takes no"
            raise InvalidInput(f"{field}: a {trigger} rule {need} {field}", field=field)
    survey = await Survey.get_or_none(id=definition.survey_id)
    if survey is None:
        raise InvalidInput("surveyId: there is no such survey", field="surveyId")
    if survey.channel is not SurveyChannel.CALL:
        raise InvalidInput("surveyId: the script must be a CALL survey", field="surveyId")
    branch_ids = sorted(set(definition.branch_ids))
    if branch_ids and await Branch.filter(id__in=branch_ids).count() != len(branch_ids):
        raise InvalidInput("branchIds names a branch that does not exist", field="branchIds")
    return {**definition.model_dump(), "branch_ids": branch_ids}


async def create(actor: Actor, definition: Mapping[str, object]) -> HappyCallRule:
    actor.require_staff(Role.MANAGER)
    return await audit.create_versioned(actor, HappyCallRule, ENTITY, await _cleaned(definition))


async def update(
    actor: Actor,
    rule_id: int,
    definition: Mapping[str, object],
    *,
    expected_version: int | None = None,
) -> HappyCallRule:
    """A rule's next version; calls it queued already keep their script and deadline."""
    actor.require_staff(Role.MANAGER)
    values = await _cleaned(definition)
    return await audit.update_versioned(
        actor, HappyCallRule, ENTITY, rule_id, values, expected_version=expected_version
    )


async def get(actor: Actor, rule_id: int) -> HappyCallRule:
    actor.require_staff(*SUPERVISORS)
    rule = await HappyCallRule.get_or_none(id=rule_id)
    if rule is None:
        raise NotFound(ENTITY, rule_id)
    return rule


async def listed(
    actor: Actor, *, first: int = 20, before_id: int | None = None
) -> Page[HappyCallRule]:
    """The rules, newest first (managers and supervisors)."""
    actor.require_staff(*SUPERVISORS)
    return await paged(HappyCallRule.all(), first, before_id)


def sampled(purchase_id: int, percent: int) -> bool:
    """Whether a SAMPLE rule of `percent` takes this purchase: decided by the purchase's id
    alone, so every run of the job (and every process) agrees."""
    digest = hashlib.sha256(f"happy-call:{purchase_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % 100 < percent
