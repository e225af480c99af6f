"""The lead page's timeline renders every kind of activity any stage writes, from the shape that stage stored,
with people by name: each action done through its public door, then the lead page opened."""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import select

from leadflow.leads.models import Activity
from tests.integration.people.factories import call_list, lead, person
from tests.integration.people.pages import form_token, sign_in

HTMX = {"HX-Request": "true"}
SOURCE = Path(__file__).resolve().parents[3] / "src" / "leadflow"
# Kinds the demo writes for six months of sales work (checked on the demo's own pages in test_demo_alive.py).
DEMO_KINDS = {"call", "email", "meeting"}


def _page(client, lead_id: int) -> str:
    page = client.get(f"/leads/{lead_id}")
    assert page.status_code == 200, page.text[-2000:]
    return page.text


def _timeline(client, lead_id: int) -> str:
    part = client.get(f"/leads/{lead_id}/timeline", headers=HTMX)
    assert part.status_code == 200, part.text[-2000:]
    return part.text


def test_saving_bant_through_the_api_keeps_the_lead_page_open(client, auth, factory):
    lead_id = lead(client, auth, first_name="Berit")
    r = client.put(f"/api/v1/leads/{lead_id}/bant", headers=auth, json={"budget": "10k-50k", "need": "high"})
    assert r.status_code == 200, r.text
    sign_in(client, person(factory, "marketing").email)
    page = _page(client, lead_id)
    assert "kind-bant_changed" in page
    assert re.search(r'<span class="field-name">Budget</span>: <del>empty</del> → <ins>10k-50k</ins>', page)


def test_saving_bant_on_the_page_and_from_a_form_keeps_the_lead_page_open(client, auth, factory):
    form = {"name": "Demo request", "slug": "demo-request", "fields": [
        {"maps_to": "email", "required": True, "label": {"en": "Email"}},
        {"maps_to": "custom_fields.budget", "label": {"en": "Budget"}},
        {"maps_to": "custom_fields.timeline", "label": {"en": "When"}}]}
    assert client.post("/api/v1/forms", headers=auth, json=form).status_code == 201
    assert client.post("/f/demo-request", data={"email": "ines@formen.example", "custom_fields.budget": "25k",
                                                "custom_fields.timeline": "3 months"}).status_code == 200
    [found] = client.get("/api/v1/leads", headers=auth, params={"email": "ines@formen.example"}).json()["items"]
    sign_in(client, person(factory, "marketing").email)
    token = form_token(client, f"/leads/{found['id']}")
    saved = client.post(f"/leads/{found['id']}/qualification/bant", headers=HTMX, data={
        "csrf_token": token, "budget": "50k-100k", "authority": "decision_maker", "need": "", "timeline": "3m"})
    assert saved.status_code == 200, saved.text
    page = _page(client, found["id"])
    assert page.count("kind-bant_changed") == 2
    assert "by the lead (capture #" in page
    assert "<ins>50k-100k</ins>" in page and "<ins>decision_maker</ins>" in page


def test_every_action_on_a_lead_renders_on_its_page_with_people_by_name(client, auth, factory):
    marketer = person(factory, "marketing")
    rep = person(factory, "sales_rep")
    caller = person(factory, "telemarketer")
    survivor = lead(client, auth, first_name="Ada", last_name="Berg", email="ada@berg.example")
    other = lead(client, auth, first_name="Ada", last_name="Berg", email="ada.berg@private.example")
    # captured again (merged), edited through the API with a new owner, a note, a stage move, BANT, Sales Ready
    assert client.post("/api/v1/leads", headers=auth, json={"email": "ada@berg.example",
                                                            "job_title": "CFO"}).status_code in (200, 201)
    assert client.patch(f"/api/v1/leads/{survivor}", headers=auth,
                        json={"city": "Bergen", "owner": rep.id}).status_code == 200
    assert client.post(f"/api/v1/leads/{survivor}/notes", headers=auth, json={"text": "Met at the fair"}
                       ).status_code == 201
    assert client.post(f"/api/v1/leads/{other}/assign", headers=auth, json={"to": "queue:Partners"}
                       ).status_code == 201  # routing's hand-over
    assert client.post(f"/api/v1/leads/{survivor}/stage", headers=auth, json={"to": "mql"}).status_code == 200
    assert client.put("/api/v1/sales-ready-rule", headers=auth,
                      json={"expression": "bant.known >= 1"}).status_code == 200
    call_list(factory, caller, [survivor])
    assert client.put(f"/api/v1/leads/{survivor}/bant", headers=caller.headers,
                      json={"authority": "decision_maker"}).status_code == 200
    # merged by hand, then undone
    assert client.post(f"/api/v1/leads/{survivor}/merge", headers=auth, json={"other_id": other}).status_code == 201
    assert client.post(f"/api/v1/leads/{other}/unmerge", headers=auth).status_code == 200
    # an in-place edit on the page, and a lead a sales rep enters (theirs from the start)
    sign_in(client, marketer.email)
    token = form_token(client, f"/leads/{survivor}")
    assert client.post(f"/leads/{survivor}/edit/person", headers=HTMX, data={
        "csrf_token": token, "first_name": "Ada", "last_name": "Berg", "job_title": "Chief Financial Officer",
        "language": ""}).status_code == 200
    sign_in(client, rep.email)
    entered = client.post("/leads/new", data={"csrf_token": form_token(client, "/leads/new"), "first_name": "Rune",
                                              "email": "rune@entered.example"}, follow_redirects=False)
    assert entered.status_code == 303
    entered_id = int(entered.headers["location"].rsplit("=", 1)[1])

    sign_in(client, marketer.email)
    pages = {lead_id: _page(client, lead_id) + _timeline(client, lead_id) for lead_id in (survivor, other, entered_id)}
    with factory() as session:
        written = {(a.lead_id, a.kind) for a in session.scalars(
            select(Activity).where(Activity.lead_id.in_(list(pages))))}
    kinds = {kind for _, kind in written}
    assert kinds >= {"captured", "merged", "field_changed", "note", "stage_changed", "bant_changed", "sales_ready",
                     "lead_merged", "merged_away", "lead_unmerged", "unmerged", "owner_changed", "assigned"}
    for lead_id, kind in written:
        assert f"activity kind-{kind}" in pages[lead_id], (lead_id, kind)
    both = "".join(pages.values())
    assert not re.search(r"\b(user|api_key):\d+", both)  # people by name, never by number
    captures = client.get(f"/leads/{survivor}/captures", headers=HTMX).text
    assert "from API key “tests”" in captures and not re.search(r"\b(user|api_key):\d+", captures)
    assert f"<ins>sales_rep {rep.email}</ins>" in pages[survivor]  # the new owner, by name
    assert f"by API key “telemarketer key” of telemarketer {caller.email}" in pages[survivor]
    assert "Met at the fair" in pages[survivor] and "The rule held: bant.known &gt;= 1" in pages[survivor]
    assert "<ins>Chief Financial Officer</ins>" in pages[survivor]


def test_the_actions_above_cover_every_kind_the_code_writes():
    """A new kind of activity gets a case in the test above (or the demo's); the timeline reads it generically."""
    written = set()
    for path in SOURCE.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        written |= set(re.findall(r"(?:add_activity|log_activity)\([^()]*?kind=\"(\w+)\"", text, re.S))
        written |= set(re.findall(r"\{\"kind\": \"(\w+)\", \"summary\"", text))
        written |= set(re.findall(r"\"kind\": \"(\w+)\",\n\s+\"summary\"", text))
    covered = {"captured", "merged", "field_changed", "note", "stage_changed", "bant_changed", "sales_ready",
               "lead_merged", "merged_away", "lead_unmerged", "unmerged", "owner_changed", "assigned"} | DEMO_KINDS
    covered |= {"followup", "contact", "task", "quote", "competitor", "recycled"}  # tests/integration/followup/
    # test_followup_pages.py renders them on the lead's timeline
    covered |= {"journey", "survey_answered"}  # the test below
    assert written >= {"captured", "merged", "bant_changed", "lead_merged"}  # the scan finds them
    assert written <= covered, sorted(written - covered)


def test_a_journey_step_and_a_survey_answer_show_on_the_lead_page(client, auth, factory):
    from leadflow.journeys import engine
    from tests.integration.surveys.helpers import link, make_survey

    from sqlalchemy import select as select_

    from leadflow.people.models import CallList

    lead_id = lead(client, auth, first_name="Siiri", phone="+358401234567")
    call_list(factory, person(factory, "telemarketer"), [])
    with factory() as session:
        list_id = session.scalar(select_(CallList.id).where(CallList.name == "today"))
    definition = {"entry": [{"kind": "manual"}], "reentry": {"mode": "never"}, "goals": [], "start": "points",
                  "steps": [{"id": "points", "type": "add_points", "points": 7, "reason": "asked for the brochure",
                             "next": "call"},
                            {"id": "call", "type": "add_to_call_list", "call_list_id": list_id, "next": "end"},
                            {"id": "end", "type": "exit"}]}
    made = client.post("/api/v1/journeys", headers=auth, json={"name": "Timeline journey", "definition": definition})
    assert made.status_code == 201, made.text
    journey_id = made.json()["id"]
    assert client.post(f"/api/v1/journeys/{journey_id}/publish", headers=auth).status_code == 200
    entered = client.post(f"/api/v1/journeys/{journey_id}/enrol", headers=auth, json={"lead_ids": [lead_id]})
    assert entered.json()["entered"] == [lead_id], entered.text
    engine.run_pass(factory)
    survey = make_survey(client, auth)
    assert client.post(link(client, auth, survey["id"], lead_id), data={
        "need": "high", "role": "Buyer", "staff": "50", "topics": ["pumps"], "next_step": "quote"}).status_code == 200

    sign_in(client, person(factory, "marketing").email)
    page = _page(client, lead_id)
    assert "kind-points_added" in page and "asked for the brochure" in page
    assert "kind-journey" in page and "Added to the call list today" in page
    assert "kind-survey_answered" in page
