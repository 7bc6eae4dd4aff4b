"""Managers' happy-call rules: each trigger takes its own setting and no other; the script is a
CALL survey; changes are versioned."""

from __future__ import annotations

import pytest

from loyalty.errors import DomainError, ErrorCode
from loyalty.happycalls import queue, rules
from loyalty.models import HappyCallRule, HappyCallTrigger
from tests.happycalls.conftest import Club


@pytest.mark.parametrize(
    ("trigger", "setting"),
    [
        ("sample", {"sample_percent": 30}),
        ("first_purchase", {}),
        ("amount_at_least", {"min_amount": 5_000_000}),
        ("low_survey_score", {"max_score": 4}),
    ],
)
async def test_each_trigger_is_saved_with_its_setting(
    club: Club, trigger: str, setting: dict
) -> None:
    rule = await HappyCallRule.get(id=await club.rule(trigger, priority=7, **setting))
    assert rule.trigger is HappyCallTrigger(trigger)
    assert (rule.priority, rule.deadline_hours, rule.version, rule.branch_ids) == (7, 48, 1, [])
    for name, value in setting.items():
        assert getattr(rule, name) == value


@pytest.mark.parametrize(
    ("trigger", "setting", "field"),
    [
        ("sample", {}, "samplePercent"),
        ("sample", {"sample_percent": 0}, "samplePercent"),
        ("sample", {"sample_percent": 101}, "samplePercent"),
        ("sample", {"sample_percent": 10, "min_amount": 1}, "minAmount"),
        ("first_purchase", {"max_score": 3}, "maxScore"),
        ("amount_at_least", {}, "minAmount"),
        ("amount_at_least", {"min_amount": -5}, "minAmount"),
        ("low_survey_score", {"max_score": 11}, "maxScore"),
        ("low_survey_score", {}, "maxScore"),
        ("sample", {"sample_percent": 10, "deadline_hours": 0}, "deadlineHours"),
        ("sample", {"sample_percent": 10, "priority": 101}, "priority"),
        ("phase_of_moon", {}, "trigger"),
        ("sample", {"sample_percent": 10, "branch_ids": [999]}, "branchIds"),
    ],
)
async def test_a_rule_that_does_not_fit_its_trigger_is_refused(
    club: Club, trigger: str, setting: dict, field: str
) -> None:
    with pytest.raises(DomainError) as excinfo:
        await club.rule(trigger, **setting)
    assert (excinfo.value.code, excinfo.value.field) == (ErrorCode.INVALID_INPUT, field)  # type: ignore[attr-defined]
    assert await HappyCallRule.all().count() == 0


async def test_the_script_must_be_a_call_survey(club: Club) -> None:
    with pytest.raises(DomainError) as excinfo:
        await club.rule("first_purchase", survey_id=club.app_survey)
    assert excinfo.value.field == "surveyId"  # type: ignore[attr-defined]
    with pytest.raises(DomainError):
        await club.rule("first_purchase", survey_id=999)


async def test_a_change_is_a_new_version_and_a_stale_one_is_refused(club: Club) -> None:
    rule_id = await club.rule("sample", sample_percent=10)
    changed = {"name": "Most", "trigger": "sample", "survey_id": club.script, "deadline_hours": 24}
    rule = await rules.update(
        club.boss, rule_id, {**changed, "sample_percent": 80}, expected_version=1
    )
    assert (rule.version, rule.sample_percent, rule.deadline_hours) == (2, 80, 24)
    with pytest.raises(DomainError) as excinfo:
        await rules.update(club.boss, rule_id, {**changed, "sample_percent": 5}, expected_version=1)
    assert excinfo.value.code is ErrorCode.VERSION_CONFLICT


async def test_only_managers_set_rules_and_policy_and_supervisors_read_them(club: Club) -> None:
    await club.rule("first_purchase")
    definition = {"name": "x", "trigger": "first_purchase", "survey_id": club.script}
    for actor in (club.ali, club.supervisor, club.cashier):
        with pytest.raises(DomainError) as excinfo:
            await rules.create(actor, {**definition, "deadline_hours": 4})
        assert excinfo.value.code is ErrorCode.PERMISSION_DENIED
    assert len((await rules.listed(club.supervisor)).items) == 1
    policy, version = await queue.policy(club.supervisor)
    assert (policy.claim_minutes, policy.max_attempts, version) == (15, 3, 0)
    for actor in (club.ali, club.cashier):
        with pytest.raises(DomainError):
            await rules.listed(actor)
        with pytest.raises(DomainError):
            await queue.policy(actor)


def test_sampling_is_decided_by_the_purchase_alone() -> None:
    taken = [n for n in range(1, 1001) if rules.sampled(n, 30)]
    assert taken == [n for n in range(1, 1001) if rules.sampled(n, 30)]
    assert 240 < len(taken) < 360  # about 30%
    assert all(rules.sampled(n, 100) for n in range(1, 200))
    # A larger share takes every purchase a smaller one takes.
    assert set(taken) <= {n for n in range(1, 1001) if rules.sampled(n, 60)}
