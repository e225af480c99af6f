"""One condition language: a lead reads the same to a scoring fit rule and to the Sales Ready rule, through HTTP —
company sizes written as people write them count as numbers in both, and bad conditions are refused alike."""

from __future__ import annotations

import pytest

from leadflow import worker
from tests.integration.people.factories import lead

SIZES = ["5,000 employees", "1.500", "5000+", "1 200", "1'000", "€2.5M"]
SMALL = ["800 employees", "999", "12"]


def _activate(client, auth, factory, definition: dict) -> None:
    draft = client.post("/api/v1/scoring/rule-sets", headers=auth, json={"definition": definition})
    assert draft.status_code == 201, draft.text
    assert client.post(f"/api/v1/scoring/rule-sets/{draft.json()['id']}/activate", headers=auth).status_code == 202
    worker.drain(factory)


def _fit_rules(client, auth, lead_id: int) -> set[str]:
    body = client.get(f"/api/v1/leads/{lead_id}/score", headers=auth).json()
    return {reason["rule"] for reason in body["fit"]}


def _ready_preview(client, auth, expression: str) -> set[int]:
    r = client.post("/api/v1/sales-ready-rule/preview", headers=auth, json={"expression": expression})
    assert r.status_code == 200, r.text
    return {item["id"] for item in r.json()["sample"]}


def test_company_sizes_written_as_people_write_them_pass_fit_and_sales_ready_alike(client, auth, factory):
    marker = "sizes-agree"
    big = {size: lead(client, auth, job_title=f"{marker} {i}", custom_fields={"employees": size})
           for i, size in enumerate(SIZES)}
    small = {size: lead(client, auth, job_title=f"{marker} small {i}", custom_fields={"employees": size})
             for i, size in enumerate(SMALL)}
    _activate(client, auth, factory, {"name": "sizes", "fit": [
        {"id": "big-data", "field": "employees", "match": {"gte": 1000}, "points": 10},
        {"id": "big-text", "when": "employees >= 1000", "points": 10},
        {"id": "big-custom", "when": "custom.employees >= 1000", "points": 10},
    ]})
    for size, lead_id in big.items():
        assert _fit_rules(client, auth, lead_id) == {"big-data", "big-text", "big-custom"}, size
    for size, lead_id in small.items():
        assert _fit_rules(client, auth, lead_id) == set(), size

    for expression in (f'job_title contains "{marker}" and employees >= 1000',
                       f'job_title contains "{marker}" and custom.employees >= 1000'):
        assert _ready_preview(client, auth, expression) == set(big.values()), expression

    # and the rule in force moves exactly the big ones to SQL through the worker
    r = client.put("/api/v1/sales-ready-rule", headers=auth,
                   json={"expression": f'job_title contains "{marker}" and employees >= 1000'})
    assert r.status_code == 200, r.text
    worker.drain(factory)
    stages = {lead_id: client.get(f"/api/v1/leads/{lead_id}", headers=auth).json()["stage"]
              for lead_id in (*big.values(), *small.values())}
    assert {lead_id for lead_id, stage in stages.items() if stage == "sql"} == set(big.values())


def test_the_company_record_reads_alike_in_both(client, auth, factory, session):
    from leadflow.leads.models import Lead

    r = client.post("/api/v1/companies", headers=auth, json={"name": "Sizeable Valves", "employees": 5000})
    assert r.status_code == 201, r.text
    lead_id = lead(client, auth, job_title="company-record-agrees")
    session.get(Lead, lead_id).company_id = r.json()["id"]
    session.flush()
    _activate(client, auth, factory, {"name": "records", "fit": [
        {"id": "record-data", "field": "company.employees", "match": {"gte": 1000}, "points": 10},
        {"id": "record-text", "when": "company.employees >= 1000 and company.name like \"*valves*\"",
         "points": 10},
        {"id": "fact-text", "when": "employees >= 1000", "points": 10}]})
    assert _fit_rules(client, auth, lead_id) == {"record-data", "record-text", "fact-text"}
    assert _ready_preview(client, auth, 'job_title = "company-record-agrees" and company.employees >= 1000 '
                                        'and employees >= 1000 and company = "sizeable valves"') == {lead_id}


def test_text_rules_in_words_and_wildcards_score_like_their_data_form(client, auth, factory):
    lead_id = lead(client, auth, job_title="Vertriebsleiter DACH")
    _activate(client, auth, factory, {"name": "text rules", "fit": [
        {"id": "leiter-data", "field": "job_title", "match": {"words": ["*leiter"]}, "points": 10},
        {"id": "leiter-text", "when": 'job_title has words ("ceo", "*leiter")', "points": 10},
        {"id": "like-text", "when": 'job_title like "*dach"', "points": 5}],
        "behaviour": [{"id": "pricing", "event": "page_view", "when": 'event.url like "*/pricing*"', "points": 7}]})
    assert _fit_rules(client, auth, lead_id) == {"leiter-data", "leiter-text", "like-text"}
    r = client.post("/api/v1/events", headers=auth, json={"events": [
        {"type": "page_view", "lead_id": lead_id, "properties": {"url": "https://acme.example/Pricing/team"}},
        {"type": "page_view", "lead_id": lead_id, "properties": {"url": "https://acme.example/blog"}}]})
    assert r.status_code == 200, r.text
    body = client.get(f"/api/v1/leads/{lead_id}/score", headers=auth).json()
    assert [reason["rule"] for reason in body["behaviour"]] == ["pricing"]


@pytest.mark.parametrize(("rule", "field", "words"), [
    ({"id": "x", "when": "employees >=", "points": 1}, "fit[0].when", "expected a value (at column 13)"),
    ({"id": "x", "when": "score >= 50", "points": 1}, "fit[0].when", "'score' cannot be used in a fit rule"),
    ({"id": "x", "when": "job_title has words 'ceo' or", "points": 1}, "fit[0].when", "(at column 29)"),
    ({"id": "x", "field": "employes", "match": {"gte": 1}, "points": 1}, "fit[0].field", "unknown field"),
    ({"id": "x", "field": "job_title", "match": {"gte": 1}, "when": "stage = 'new'", "points": 1},
     "fit[0].field", "either when"),
])
def test_a_bad_condition_in_a_rule_set_is_a_422_naming_its_field_and_position(client, auth, rule, field, words):
    r = client.post("/api/v1/scoring/rule-sets", headers=auth, json={"definition": {"fit": [rule]}})
    assert r.status_code == 422, r.text
    found = {e["field"]: e["reason"] for e in r.json()["errors"]}
    assert field in found and words in found[field], found


def test_a_bad_behaviour_condition_is_a_422_and_the_sales_ready_rule_names_the_catalogue(client, auth):
    r = client.post("/api/v1/scoring/rule-sets", headers=auth, json={"definition": {"behaviour": [
        {"id": "x", "event": "page_view", "when": 'job_title like "*ceo*"', "points": 1}]}})
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "behaviour[0].when"
    assert "cannot be used in a behaviour rule" in r.json()["errors"][0]["reason"]
    r = client.put("/api/v1/sales-ready-rule", headers=auth, json={"expression": "event.url like '*x*'"})
    assert r.status_code == 422 and r.json()["errors"][0]["position"] == 0
    r = client.put("/api/v1/sales-ready-rule", headers=auth, json={"expression": "job_title has wordz ('x')"})
    assert r.status_code == 422 and r.json()["errors"][0]["position"] == 14


def test_rule_sets_written_before_the_one_language_keep_loading_and_scoring(client, auth, factory):
    """The data form took any name under custom., company. and bant. (a custom key with a dot, a company fact no
    catalogue lists): such a rule set saves, activates and scores, and a capture with BANT answers is taken."""
    _activate(client, auth, factory, {"name": "written before", "fit": [
        {"id": "utm", "field": "custom.utm.source", "match": "google", "points": 7},
        {"id": "size", "field": "company.size", "match": {"known": True}, "points": 3},
        {"id": "budget-case", "field": "bant.Budget", "match": {"gte": 5}, "points": 1},
        {"id": "soon", "field": "bant.timeline", "match": {"lte": 3}, "points": 5}]})
    r = client.post("/api/v1/leads", headers=auth, json={
        "email": "before.language@example.com", "first_name": "Ada", "last_name": "Before",
        "custom_fields": {"utm.source": "Google", "budget": "10k-50k", "timeline": "3 months"}})
    assert r.status_code in (200, 201), r.text
    lead_id = r.json()["id"]
    worker.drain(factory)
    # the dotted custom key is read as it always was; "3m" (the stored timeline) is 3 months, not 3 million
    assert _fit_rules(client, auth, lead_id) == {"utm", "soon"}
    assert client.get("/api/v1/scoring/rule-sets", headers=auth).status_code == 200
