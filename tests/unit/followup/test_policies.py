"""Follow-up policies as data: checked field by field, the first active one whose condition holds applies, else the
default; the snapshot a follow-up keeps."""

import pytest

from leadflow.conditions.syntax import RuleError
from leadflow.followup import policies
from leadflow.routing import rules


def test_a_policy_is_checked_with_every_problem_by_its_field():
    policy, problems = policies.check({"name": " ", "when": "source ==", "hours": 0, "clock": "lunar",
                                       "remind_before_minutes": "x", "reassign_after_hours": -1, "escalate": "maybe",
                                       "task_kind": "dance", "colour": "red"})
    assert policy is None
    assert {field for field, _ in problems} == {"name", "when", "hours", "clock", "remind_before_minutes",
                                                "reassign_after_hours", "escalate", "task_kind", "colour"}
    assert policies.check([])[1] == [("policy", "must be an object with name, when, hours, clock, ...")]


def test_a_form_s_texts_are_read_as_numbers_and_flags():
    policy, problems = policies.check({"name": "Form", "hours": "8", "remind_before_minutes": "",
                                       "reassign_after_hours": "4", "escalate": "on", "active": ""})
    assert problems == []
    assert (policy.hours, policy.remind_before_minutes, policy.reassign_after_hours, policy.escalate,
            policy.active) == (8, None, 4, True, False)


def test_the_first_active_policy_whose_condition_holds_applies_else_the_default():
    rows = [policies.check(raw)[0] for raw in (
        {"name": "Paused", "when": 'source == "google"', "hours": 1, "active": False},
        {"name": "Google", "when": 'source == "google"', "hours": 4},
        {"name": "Enterprise", "when": 'team == "Enterprise"', "hours": 48})]
    assert policies.choose(rows, {"source": "google", "team": "Enterprise"}).name == "Google"
    assert policies.choose(rows, {"source": "newsletter", "team": "Enterprise"}).name == "Enterprise"
    assert policies.choose(rows, {"source": "newsletter", "team": None}) is policies.DEFAULT
    assert policies.names(rows) == {"source", "team"}


def test_team_is_a_field_of_the_followup_scope_only():
    assert policies.check({"name": "x", "when": 'team == "A"'})[1] == []
    with pytest.raises(RuleError, match="cannot be used in a routing rule"):
        rules.parse_when('team == "A"')


def test_the_snapshot_keeps_what_set_the_times():
    policy, _ = policies.check({"name": "Calls", "hours": 8, "clock": "working_hours", "task_kind": "call"})
    assert policy.snapshot() == {"name": "Calls", "when": "", "hours": 8, "clock": "working_hours",
                                 "remind_before_minutes": 120, "escalate": True, "reassign_after_hours": None,
                                 "task_kind": "call", "id": None}
    assert policies.dump(policy)["task_kind"] == "call"


@pytest.mark.parametrize("text", ["²", "٣", "1e3", "12.5"])
def test_digits_of_other_scripts_and_decimals_are_refused_with_the_field(text):
    policy, problems = policies.check({"name": "Odd", "hours": text})
    assert policy is None and [field for field, _ in problems] == ["hours"]
