"""Scoring rules written as text (`when`) compile onto the same condition core as their data form and score alike;
their problems name the rule's path and the column."""

from __future__ import annotations

import json
from importlib import resources

import pytest

from leadflow.errors import Invalid
from leadflow.scoring import rules

T0 = 1_800_000_000.0
DEFAULTS = json.loads(resources.files("leadflow.scoring").joinpath("defaults.json").read_text("utf-8"))
TEXT_OP = {"equals": "=", "in": "in", "contains": "contains", "like": "like", "words": "has words", "gte": ">=",
           "lte": "<="}


def _quoted(value) -> str:
    return json.dumps(value, ensure_ascii=False) if isinstance(value, str) else str(value)


def as_text(name: str, spec) -> str:
    """A data condition written in the condition language, by hand (so the test does not trust the renderer)."""
    if isinstance(spec, str):
        spec = {"like": spec}
    (op, operand), = spec.items()
    items = operand if isinstance(operand, list) else [operand]
    listed = "(" + ", ".join(_quoted(v) for v in items) + ")"
    if op in ("not_equals", "not_in"):
        return f"not ({name} {'=' if op == 'not_equals' else 'in'} {listed if op == 'not_in' else _quoted(operand)})"
    if op == "known":
        return f"{name} is {'known' if operand else 'unknown'}"
    if op in ("gte", "lte", "equals"):
        return f"{name} {TEXT_OP[op]} {_quoted(operand)}"
    return f"{name} {TEXT_OP[op]} {listed}"


def text_form(definition: dict) -> dict:
    fit = [{k: v for k, v in rule.items() if k not in ("field", "match")} | {"when": as_text(rule["field"],
                                                                                            rule["match"])}
           for rule in definition["fit"]]
    behaviour = []
    for rule in definition["behaviour"]:
        rule = dict(rule)
        where = rule.pop("where", None)
        if where:
            rule["when"] = " and ".join(as_text(f"event.{prop}", spec) for prop, spec in where.items())
        behaviour.append(rule)
    return {**definition, "fit": fit, "behaviour": behaviour}


DATA, TEXT = rules.parse(DEFAULTS), rules.parse(text_form(DEFAULTS))
LEADS = [{"job_title": title, "employees": size, "country": country, "email_domain": domain, "industry": industry,
          "bant_known": known}
         for title in ("CEO", "Vertriebsleiter", "Analyst", "Head of Sales", "Praktikant", "Daglig leder", None)
         for size in ("5,000 employees", 120, None, "1.500", "1 200", "5000+")
         for country in ("de", "US", None) for domain in ("gmail.com", "acme.example")
         for industry in ("Software", None) for known in (0, 3)]


def test_the_shipped_rules_written_as_text_grade_every_lead_alike():
    for lead in LEADS:
        data, text = rules.evaluate_fit(DATA, lead), rules.evaluate_fit(TEXT, lead)
        assert (data.points, data.grade, data.hits) == (text.points, text.grade, text.hits), lead


@pytest.mark.parametrize(("event_type", "properties"), [
    ("page_view", {"url": "https://acme.example/Priser/team"}), ("page_view", {"url": "https://acme.example/blog"}),
    ("page_view", {"url": "https://acme.example/careers/x"}), ("download", {"url": "/crm.pdf", "name": "Prisliste"}),
    ("call_outcome", {"outcome": "Meeting_Booked"}), ("call_outcome", {}), ("email_open", {}),
])
def test_the_shipped_behaviour_rules_written_as_text_match_the_same_events(event_type, properties):
    ids = [r.id for r in rules.matching_rules(DATA, event_type, properties)]
    assert ids == [r.id for r in rules.matching_rules(TEXT, event_type, properties)]


def test_a_text_rule_reads_several_fields_and_the_replay_memo_knows_them():
    rule_set = rules.parse({"fit": [{"id": "big-senior", "points": 10,
                                     "when": 'employees >= 1000 and job_title has words ("ceo") or bant_known >= 3'}]})
    rule = rule_set.fit[0]
    assert set(rule.reads) >= {"employees", "job_title", "bant.known", "bant_known"}
    assert rules.evaluate_fit(rule_set, {"employees": "5,000", "job_title": "CEO"}).points == 10
    assert rules.evaluate_fit(rule_set, {"bant_known": 3}).points == 10
    assert rules.evaluate_fit(rule_set, {"employees": "999", "job_title": "CEO"}).points == 0


def test_a_behaviour_rule_as_text_reads_the_events_properties():
    rule_set = rules.parse({"behaviour": [{"id": "p", "event": "page_view", "points": 4, "product": "crm",
                                           "when": 'event.url like "*/products/crm*" and not (event.ref = "ads")'}]})
    state = rules.BehaviourState()
    assert rules.apply_event(rule_set, state, "page_view", {"url": "https://x.example/products/CRM/tour"}, T0)
    assert not rules.apply_event(rule_set, state, "page_view", {"url": "https://x.example/products/crm",
                                                                "ref": "Ads"}, T0)


@pytest.mark.parametrize(("rule", "field", "words"), [
    ({"id": "a", "when": "employees >= ", "points": 1}, "fit[0].when", "(at column 14)"),
    ({"id": "a", "when": "", "points": 1}, "fit[0].when", "must be a condition"),
    ({"id": "a", "when": "interests.crm > 1", "points": 1}, "fit[0].when", "cannot be used in a fit rule"),
    ({"id": "a", "when": "bant.wallet = 1", "points": 1}, "fit[0].when", "unknown field 'bant.wallet'"),
    ({"id": "a", "field": "job_title", "when": "stage = 'new'", "points": 1}, "fit[0].field", "either when"),
    ({"id": "a", "field": "company.wallet", "match": {"regex": "x"}, "points": 1}, "fit[0].match.regex",
     "unknown operator"),
    ({"id": "a", "field": "wallet", "match": "x", "points": 1}, "fit[0].field", "unknown field"),
])
def test_problems_of_a_fit_condition_name_their_path(rule, field, words):
    with pytest.raises(Invalid) as caught:
        rules.parse({"fit": [rule]})
    found = {e.field: e.reason for e in caught.value.errors}
    assert field in found and words in found[field], found


def test_problems_of_a_behaviour_condition_name_their_path():
    with pytest.raises(Invalid) as caught:
        rules.parse({"behaviour": [{"id": "a", "event": "x", "points": 1, "when": "job_title = 'x'"},
                                   {"id": "b", "event": "x", "points": 1, "when": "event.url = 'x'",
                                    "where": {"url": "x"}}]})
    found = {e.field: e.reason for e in caught.value.errors}
    assert "cannot be used in a behaviour rule" in found["behaviour[0].when"]
    assert "either when" in found["behaviour[1].where"]


def test_the_rules_table_shows_how_a_text_rule_was_written():
    rule_set = rules.parse({"fit": [{"id": "s", "when": 'job_title has words ("ceo")', "points": 5}],
                            "behaviour": [{"id": "p", "event": "page_view", "when": 'event.url like "*x*"',
                                           "points": 1}]})
    assert (rule_set.fit[0].field, rule_set.fit[0].condition.op) == ("job_title", "when")
    assert rule_set.fit[0].condition.operand == 'job_title has words ("ceo")'
    assert rule_set.behaviour[0].where[0][1].operand == 'event.url like "*x*"'
