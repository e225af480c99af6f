"""The routing rule-set document: the issue's shape loads as written, every problem is named with its path at once,
and a rule set written back loads to itself."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from leadflow.routing.rules import (
    RoutingRule,
    RuleSet,
    RuleSetError,
    Target,
    dump,
    empty,
    load,
)

ISSUE_DOCUMENT = """
fallback_queue: Unassigned          # optional
rules:
  - name: Northern Finland
    when: city == "Oulu"
    to: user:oulu.rep@example.com
  - name: Rest of Finland
    when: country == "FI"
    to: team:Finland
    method: fewest_open             # optional, default round_robin; only for team targets
    on_capture: true                # optional: also route at capture (account ownership), not only when Sales Ready
"""


def problems(document) -> dict[str, str]:
    with pytest.raises(RuleSetError) as raised:
        load(document)
    return dict(raised.value.problems)


def test_the_issues_yaml_shape_loads_as_written():
    rule_set = load(yaml.safe_load(ISSUE_DOCUMENT))
    assert rule_set.fallback_queue == "Unassigned"
    north, rest = rule_set.rules
    assert (north.name, north.when, north.to, north.method) == (
        "Northern Finland", 'city == "Oulu"', Target("user", "oulu.rep@example.com"), "round_robin")
    assert (north.on_capture, north.fallthrough) == (False, True)
    assert (rest.to, rest.method, rest.on_capture) == (Target("team", "Finland"), "fewest_open", True)
    assert str(rest.to) == "team:Finland" and str(north.to) == "user:oulu.rep@example.com"
    assert rest.matches({"country": "fi"}) and not rest.matches({"country": "SE"})


def test_a_rule_set_written_back_loads_to_itself():
    document = {"fallback_queue": "Nordics inbox", "rules": [
        {"name": "Everyone", "to": "queue:Triage", "fallthrough": False},
        {"name": "West coast", "when": 'postal_code >= "90000" and postal_code < "96000"', "to": "team:US West",
         "method": "fewest_open", "on_capture": True},
        {"name": "CRM buyers", "when": "interests.crm >= 20", "to": "user:Anna.Virtanen@Example.COM"}]}
    rule_set = load(document)
    assert load(dump(rule_set)) == rule_set
    assert dump(load(dump(rule_set))) == dump(rule_set)
    assert rule_set.rules[2].to.name == "anna.virtanen@example.com"
    assert rule_set.rules[0].when is None and rule_set.rules[0].matches({})
    assert load(dump(empty())) == empty() == RuleSet(())


def test_a_rule_built_in_code_parses_its_condition():
    rule = RoutingRule("Oulu", 'city == "Oulu"', Target("user", "a@example.com"))
    assert rule.matches({"city": "OULU"}) and not rule.matches({"city": "Espoo"})
    assert rule == load({"rules": [{"name": "Oulu", "when": 'city == "Oulu"', "to": "user:a@example.com"}]}).rules[0]
    assert RoutingRule("All", "", Target("queue", "Triage")).when is None


def test_every_problem_is_named_with_its_path_at_once():
    found = problems({"fallback_queue": "", "colour": "red", "rules": [
        {"name": "A", "when": 'country = "FI"', "to": "team:Finland", "method": "random", "priority": 3},
        {"name": "a", "to": "user:not-an-email"},
        {"when": "city ==", "to": "group:Sales", "on_capture": "true"},
        {"name": "Q", "to": "queue:Triage", "method": "fewest_open", "fallthrough": 0},
        "team:Finland",
        {"name": "x" * 201, "to": "team:"},
    ]})
    assert set(found) == {"fallback_queue", "colour", "rules[0].method", "rules[0].priority", "rules[1].name",
                          "rules[1].to", "rules[2].name", "rules[2].when", "rules[2].to", "rules[2].on_capture",
                          "rules[3].method", "rules[3].fallthrough", "rules[4]", "rules[5].name", "rules[5].to"}
    assert "unknown key" in found["colour"] and "unknown key" in found["rules[0].priority"]
    assert "round_robin, fewest_open" in found["rules[0].method"]
    assert "rules[0]" in found["rules[1].name"]  # names are unique whatever their case
    assert "not an email" in found["rules[1].to"]
    assert found["rules[2].name"] == "is required"
    assert "user:EMAIL, team:NAME or queue:NAME" in found["rules[2].to"]
    assert "true or false" in found["rules[2].on_capture"] and "'true'" in found["rules[2].on_capture"]
    assert "only a team" in found["rules[3].method"] and "true or false" in found["rules[3].fallthrough"]
    assert "200 characters" in found["rules[5].name"]


def test_a_bad_condition_names_the_problem_and_its_column():
    found = problems({"rules": [{"name": "Typo", "when": 'country == "FI" and postcode >= 1000', "to": "queue:Q"}]})
    assert found["rules[0].when"].startswith("unknown field 'postcode'")
    assert found["rules[0].when"].endswith("(at column 21)")
    found = problems({"rules": [{"name": "Open", "when": 'city == "Oulu', "to": "queue:Q"}]})
    assert "not closed" in found["rules[0].when"] and "(at column 9)" in found["rules[0].when"]


def test_a_condition_may_use_the_routing_fields_but_not_an_events():
    load({"rules": [{"name": "R", "to": "queue:Q", "when": 'campaign like "Spring*" and source == "google" and '
                     'medium == "cpc" and campaign_id = 4 and queue is unknown and sales_ready and score >= 60'}]})
    found = problems({"rules": [{"name": "R", "to": "queue:Q", "when": 'event.url like "*pricing*"'}]})
    assert "cannot be used in a routing rule" in found["rules[0].when"]


def test_the_document_shape_itself_is_checked():
    assert problems([]) == {"": "must be an object with rules (a list) and optionally fallback_queue"}
    assert "is required" in problems({})["rules"]
    assert "must be a list" in problems({"rules": {"name": "A"}})["rules"]
    assert load({"rules": []}) == empty()
    too_many = [{"name": f"Rule {i}", "to": "queue:Q"} for i in range(501)]
    assert "at most 500" in problems({"rules": too_many})["rules"]
    assert len(load({"rules": too_many[:500]}).rules) == 500


def test_the_rule_set_names_what_it_reads_and_whom_it_sends_to():
    rule_set = load(yaml.safe_load(ISSUE_DOCUMENT))
    assert rule_set.names() == ("city", "country")
    assert rule_set.users() == ("oulu.rep@example.com",)
    assert rule_set.teams() == ("Finland",)
    assert rule_set.queues() == ("Unassigned",)


@pytest.mark.parametrize(("text", "target"), [
    ("user: Ann@Example.com ", Target("user", "ann@example.com")),
    ("TEAM:Finland North", Target("team", "Finland North")),
    ("queue:Later", Target("queue", "Later")),
])
def test_targets_read_as_written(text, target):
    assert Target.parse(text) == target


def test_every_example_in_the_routing_docs_loads():
    text = (Path(__file__).resolve().parents[3] / "docs" / "routing.md").read_text("utf-8")
    examples = re.findall(r"```yaml\n(.*?)```", text, re.DOTALL)
    assert len(examples) >= 5
    for example in examples:
        assert load(dump(load(yaml.safe_load(example)))) == load(yaml.safe_load(example))
