"""Managers define surveys: each change is a new version, kept whole in the audit trail."""

from __future__ import annotations

from collections.abc import Mapping

from loyalty.actors import Actor
from loyalty.errors import InvalidInput, NotFound
from loyalty.history import Page
from loyalty.models import Branch, Role, Survey, SurveyChannel, SurveyInvitation, SurveyResponse
from loyalty.programme import audit
from loyalty.programme.coupons import paged
from loyalty.surveys.definitions import Definition, parse, questions_of

ENTITY = "survey"


async def _cleaned(raw: Mapping[str, object]) -> dict:
    definition: Definition = parse(raw)
    branch_ids = sorted(set(definition.branch_ids))
    if branch_ids and await Branch.filter(id__in=branch_ids).count() != len(branch_ids):
        raise InvalidInput("branchIds names a branch that does not exist", field="branchIds")
    return {
        **definition.model_dump(exclude={"questions", "branch_ids"}),
        "questions": [q.model_dump(mode="json") for q in definition.questions],
        "branch_ids": branch_ids,
    }


async def create(actor: Actor, definition: Mapping[str, object]) -> Survey:
    actor.require_staff(Role.MANAGER)
    return await audit.create_versioned(actor, Survey, ENTITY, await _cleaned(definition))


async def was_offered(survey_id: int) -> bool:
    """Whether members were asked it already (in the app or on a call)."""
    return await SurveyInvitation.exists(survey_id=survey_id) or await SurveyResponse.exists(
        survey_id=survey_id
    )


async def update(
    actor: Actor,
    survey_id: int,
    definition: Mapping[str, object],
    *,
    expected_version: int | None = None,
) -> Survey:
    """Replace a survey's definition. Once it was offered its questions keep their codes,
    kinds, choices and scores, so every answer keeps its meaning: only their wording changes."""
    actor.require_staff(Role.MANAGER)
    values = await _cleaned(definition)

    async def same_meaning(survey: Survey) -> dict:
        if values["channel"] != survey.channel:
            raise InvalidInput(
                "a survey's channel cannot change; make a new survey", field="channel"
            )
        shapes = [q.shape for q in questions_of(values["questions"])]
        if shapes != [q.shape for q in questions_of(survey.questions)] and await was_offered(
            survey.id
        ):
            raise InvalidInput(
                "questions: members were already asked this survey, so its questions keep their "
                "codes, kinds, choices and scores; correct the wording, or make a new survey",
                field="questions",
            )
        return {}

    return await audit.update_versioned(
        actor,
        Survey,
        ENTITY,
        survey_id,
        values,
        expected_version=expected_version,
        also=same_meaning,
    )


async def set_active(
    actor: Actor, survey_id: int, active: bool, *, expected_version: int | None = None
) -> Survey:
    """Switch a survey on or off: a new version with the rest of its definition unchanged."""
    survey = await get(actor, survey_id)
    definition = {name: getattr(survey, name) for name in Definition.model_fields}
    return await update(
        actor, survey_id, {**definition, "active": active}, expected_version=expected_version
    )


async def get(actor: Actor, survey_id: int) -> Survey:
    actor.require_staff(Role.MANAGER)
    survey = await Survey.get_or_none(id=survey_id)
    if survey is None:
        raise NotFound(ENTITY, survey_id)
    return survey


async def listed(
    actor: Actor,
    *,
    first: int = 20,
    before_id: int | None = None,
    include_inactive: bool = False,
    channel: SurveyChannel | None = None,
) -> Page[Survey]:
    """The surveys, newest first (managers)."""
    actor.require_staff(Role.MANAGER)
    query = Survey.all() if include_inactive else Survey.filter(active=True)
    if channel is not None:
        query = query.filter(channel=channel)
    return await paged(query, first, before_id)
