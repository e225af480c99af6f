"""Qualification pages: the lead page's panel (BANT edited in place, stage moves, history) and the Sales Ready
rule's settings page (check with the error position, preview, save with a version); who may see and do what."""

from __future__ import annotations

from tests.integration.people.factories import call_list, lead, person
from tests.integration.people.pages import form_token, sign_in

HTMX = {"HX-Request": "true"}


def test_the_lead_page_loads_the_qualification_panel(client, auth, factory):
    lead_id = lead(client, auth)
    sign_in(client, person(factory, "marketing").email)
    page = client.get(f"/leads/{lead_id}")
    assert f'hx-get="/leads/{lead_id}/qualification" hx-trigger="load"' in page.text
    panel = client.get(f"/leads/{lead_id}/qualification", headers=HTMX)
    assert panel.status_code == 200
    assert "<html" not in panel.text and "0 of 4 known" in panel.text
    assert "Move to MQL" in panel.text and "Disqualify" in panel.text and "Not Sales Ready yet" in panel.text
    assert "No stage changes yet" in panel.text
    whole = client.get(f"/leads/{lead_id}/qualification")  # without JavaScript: a page of its own
    assert whole.status_code == 200 and "<html" in whole.text and "Qualification of" in whole.text


def test_a_telemarketer_records_bant_in_place_with_who_and_when(client, auth, factory):
    caller = person(factory, "telemarketer")
    lead_id = lead(client, auth)
    call_list(factory, caller, [lead_id])
    sign_in(client, caller.email)
    token = form_token(client, f"/leads/{lead_id}/qualification")
    r = client.post(f"/leads/{lead_id}/qualification/bant", headers=HTMX, data={
        "csrf_token": token, "budget": "<b>25k</b>", "authority": "decision_maker", "need": "CRM for 40 reps",
        "timeline": "3m"})
    assert r.status_code == 200, r.text
    assert "Saved budget, authority, need, timeline." in r.text
    assert "4 of 4 known" in r.text and "a telemarketer" in r.text and "Within 3 months" in r.text
    assert "<b>25k</b>" not in r.text
    body = client.get(f"/api/v1/leads/{lead_id}/bant", headers=auth).json()
    assert body["criteria"]["need"]["value"] == "CRM for 40 reps"
    assert body["criteria"]["timeline"]["source"] == "telemarketer"


def test_a_budget_typed_with_more_than_an_amount_is_saved_and_shown_as_typed(client, auth, factory):
    lead_id = lead(client, auth)
    sign_in(client, person(factory, "marketing").email)
    token = form_token(client, f"/leads/{lead_id}/qualification")
    r = client.post(f"/leads/{lead_id}/qualification/bant", headers=HTMX, data={
        "csrf_token": token, "budget": "50k EUR approved", "authority": "", "need": "", "timeline": ""})
    assert r.status_code == 200, r.text
    assert "<td>50k EUR approved</td>" in r.text and 'value="50k EUR approved"' in r.text
    assert client.get(f"/api/v1/leads/{lead_id}/bant", headers=auth).json()["criteria"]["budget"]["value"] == (
        "50k EUR approved")


def test_an_unreadable_answer_is_422_beside_its_field(client, auth, factory):
    lead_id = lead(client, auth)
    sign_in(client, person(factory, "marketing").email)
    token = form_token(client, f"/leads/{lead_id}/qualification")
    r = client.post(f"/leads/{lead_id}/qualification/bant", headers=HTMX,
                    data={"csrf_token": token, "budget": "a lot of money", "authority": "", "need": "",
                          "timeline": ""})
    assert r.status_code == 422
    assert f'id="bant-{lead_id}-budget-error"' in r.text and "a lot of money" in r.text
    assert client.get(f"/api/v1/leads/{lead_id}/bant", headers=auth).json()["known"] == 0


def test_stage_buttons_move_the_lead_and_the_history_shows_it(client, auth, factory):
    lead_id = lead(client, auth)
    seller = person(factory, "marketing")
    sign_in(client, seller.email)
    token = form_token(client, f"/leads/{lead_id}/qualification")
    r = client.post(f"/leads/{lead_id}/qualification/stage", data={"csrf_token": token, "to": "mql"},
                    follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"/leads/{lead_id}#qualification"
    panel = client.get(f"/leads/{lead_id}/qualification", headers=HTMX).text
    assert "Stage: MQL" in panel and "New → MQL" in panel and f"by marketing {seller.email}" in panel
    assert f"user:{seller.id}" not in panel  # people by name
    assert client.get(f"/api/v1/leads/{lead_id}", headers=auth).json()["stage"] == "mql"


def test_disqualifying_on_the_page_needs_a_reason(client, auth, factory):
    lead_id = lead(client, auth)
    sign_in(client, person(factory, "marketing").email)
    token = form_token(client, f"/leads/{lead_id}/qualification")
    r = client.post(f"/leads/{lead_id}/qualification/stage", headers=HTMX,
                    data={"csrf_token": token, "to": "disqualified", "reason": "", "note": ""})
    assert r.status_code == 422 and "A reason is required to disqualify" in r.text
    assert client.get(f"/api/v1/leads/{lead_id}", headers=auth).json()["stage"] == "new"
    r = client.post(f"/leads/{lead_id}/qualification/stage", headers=HTMX,
                    data={"csrf_token": token, "to": "disqualified", "reason": "student", "note": "Thesis"})
    assert r.status_code == 200 and "Moved from New to Disqualified." in r.text
    assert "Student or researcher" in r.text and "Move to Recycled" in r.text


def test_a_move_not_allowed_on_the_page_is_422_with_the_allowed_moves(client, auth, factory):
    lead_id = lead(client, auth)
    sign_in(client, person(factory, "marketing").email)
    token = form_token(client, f"/leads/{lead_id}/qualification")
    r = client.post(f"/leads/{lead_id}/qualification/stage", headers=HTMX,
                    data={"csrf_token": token, "to": "customer"})
    assert r.status_code == 422 and "allowed from new: mql, sql, nurture, disqualified" in r.text


def test_forms_without_the_csrf_token_are_refused(client, auth, factory):
    lead_id = lead(client, auth)
    sign_in(client, person(factory, "admin").email)
    assert client.post(f"/leads/{lead_id}/qualification/bant", data={"need": "high"}).status_code == 403
    assert client.post(f"/leads/{lead_id}/qualification/stage", data={"to": "mql"}).status_code == 403
    assert client.post("/settings/sales-ready", data={"expression": "score > 1"}).status_code == 403
    assert client.get(f"/api/v1/leads/{lead_id}/bant", headers=auth).json()["known"] == 0


def test_a_lead_someone_may_not_see_is_a_404_page(client, auth, factory):
    rep = person(factory, "sales_rep")
    lead_id = lead(client, auth, owner=person(factory, "sales_rep"))
    sign_in(client, rep.email)
    assert client.get(f"/leads/{lead_id}/qualification", headers=HTMX).status_code == 404
    token = form_token(client, "/settings/sales-ready")
    r = client.post(f"/leads/{lead_id}/qualification/stage", data={"csrf_token": token, "to": "mql"})
    assert r.status_code == 404
    assert client.get(f"/api/v1/leads/{lead_id}", headers=auth).json()["stage"] == "new"


def test_the_rule_page_shows_an_error_at_its_position_and_saves_a_version(client, factory):
    manager = person(factory, "sales_manager")
    sign_in(client, manager.email)
    page = client.get("/settings/sales-ready")
    assert page.status_code == 200 and "Sales Ready rule" in page.text and 'href="/settings/sales-ready"' in page.text
    token = form_token(client, "/settings/sales-ready")
    r = client.post("/settings/sales-ready", data={"csrf_token": token, "expression": "score >= 60 and grade = ",
                                                   "note": "try"})
    assert r.status_code == 422
    assert "ends too early" in r.text and "at column 24" in r.text and 'aria-invalid="true"' in r.text
    r = client.post("/settings/sales-ready/preview", headers=HTMX,
                    data={"csrf_token": token, "expression": "score >= 60 and grade = "})
    assert r.status_code == 422 and "^" in r.text
    r = client.post("/settings/sales-ready", data={"csrf_token": token, "expression": "score >= 55 and grade in ('A')",
                                                   "note": "Agreed <b>Monday</b>"}, follow_redirects=False)
    assert r.status_code == 303
    page = client.get("/settings/sales-ready")
    assert "Saved version" in page.text and "score &gt;= 55" in page.text
    assert "Agreed &lt;b&gt;Monday&lt;/b&gt;" in page.text and "in force" in page.text
    assert f"<td>sales_manager {manager.email}</td>" in page.text and f"user:{manager.id}" not in page.text


def test_the_rule_page_previews_matching_leads_without_saving(client, auth, factory):
    lead_id = lead(client, auth, job_title="Preview Page Chief")
    client.put(f"/api/v1/leads/{lead_id}/bant", headers=auth, json={"need": "high"})
    sign_in(client, person(factory, "marketing").email)
    token = form_token(client, "/settings/sales-ready")
    r = client.post("/settings/sales-ready/preview", headers=HTMX,
                    data={"csrf_token": token, "expression": 'job_title contains "preview page chief"'})
    assert r.status_code == 200
    assert "<strong>1</strong> of the" in r.text and f'href="/leads/{lead_id}"' in r.text
    versions = client.get("/api/v1/sales-ready-rule", headers=auth).json()["versions"]
    assert all("preview page chief" not in v["expression"] for v in versions)


def test_only_rule_editors_may_save_the_rule(client, factory):
    rep = person(factory, "sales_rep")
    sign_in(client, rep.email)
    page = client.get("/settings/sales-ready")
    assert page.status_code == 200 and "Save as a new version" not in page.text and "readonly" in page.text
    token = form_token(client, "/settings/sales-ready")
    r = client.post("/settings/sales-ready", data={"csrf_token": token, "expression": "score >= 1"})
    assert r.status_code == 403
