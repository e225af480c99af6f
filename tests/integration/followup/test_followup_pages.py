"""The follow-up pages as their users work them: an admin adds, edits, reorders and deletes policies on
/settings/follow-up, with problems shown by their field and nothing escaped wrong; a rep cannot open it; the inbox
shows each lead's follow-up and filters the overdue ones; a person sets their holidays' country."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from leadflow import clock, worker
from tests.integration.people.factories import lead, person
from tests.integration.people.pages import form_token, sign_in

BASE = "/settings/follow-up"


def _form(token: str, **fields) -> dict:
    return {"csrf_token": token, "name": "", "when": "", "hours": "24", "clock": "working_days", "remind": "1",
            "remind_before_minutes": "120", "escalate": "1", "active": "1", **fields}


def test_an_admin_manages_policies_on_the_settings_page(client, factory):
    admin = person(factory, "admin")
    rep = person(factory, "sales_rep")
    sign_in(client, rep.email)
    assert client.get(BASE).status_code == 403
    client.cookies.clear()
    sign_in(client, admin.email)
    page = client.get(BASE)
    assert page.status_code == 200 and "Default (24 hours on working days)" in page.text
    token = form_token(client, BASE)

    bad = client.post(BASE, data=_form(token, name="<b>Bad</b>", when="source ==", hours="0", clock="lunar"))
    assert bad.status_code == 422
    for field in ("error-when", "error-hours", "error-clock"):
        assert f'id="{field}"' in bad.text, field
    assert "&lt;b&gt;Bad&lt;/b&gt;" in bad.text and "<b>Bad</b>" not in bad.text

    for name, when in (("Google", 'source == "google"'), ("Hot", 'band == "hot"')):
        added = client.post(BASE, data=_form(token, name=name, when=when, hours="4", clock="working_hours",
                                             reassign="1", reassign_after_hours="2", task_kind="call"),
                            follow_redirects=False)
        assert added.status_code == 303, added.text
    assert client.post(BASE, data=_form(token, name="google")).status_code == 409
    rows = client.get("/api/v1/followup/policies", headers=admin.headers).json()
    assert [(p["name"], p["hours"], p["reassign_after_hours"], p["task_kind"]) for p in rows] == [
        ("Google", 4, 2, "call"), ("Hot", 4, 2, "call")]
    hot = rows[1]["id"]
    assert client.post(f"{BASE}/{hot}/move", data={"csrf_token": token, "position": "0"},
                       follow_redirects=False).status_code == 303
    edit = client.get(f"{BASE}/{hot}")
    assert edit.status_code == 200 and 'value="Hot"' in edit.text
    bad_edit = client.post(f"{BASE}/{hot}", data=_form(token, name="Hot", when="colour == 1"))
    assert bad_edit.status_code == 422 and 'id="error-when"' in bad_edit.text
    saved = client.post(f"{BASE}/{hot}", data=_form(token, name="Hot leads", when='band == "hot"', hours="2"),
                        follow_redirects=False)
    assert saved.status_code == 303
    rows = client.get("/api/v1/followup/policies", headers=admin.headers).json()
    assert [(p["name"], p["hours"], p["reassign_after_hours"]) for p in rows] == [("Hot leads", 2, None),
                                                                                ("Google", 4, 2)]
    assert client.post(f"{BASE}/{hot}/delete", data={"csrf_token": token}, follow_redirects=False).status_code == 303
    assert [p["name"] for p in client.get("/api/v1/followup/policies", headers=admin.headers).json()] == ["Google"]
    assert client.get(f"{BASE}/{hot}").status_code == 404


def test_the_inbox_shows_follow_ups_and_filters_the_overdue_ones(client, auth, factory):
    rep = person(factory, "sales_rep")
    moment = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)  # a Monday
    clock.set_clock(lambda: moment)
    try:
        late, fresh = lead(client, auth, first_name="Late"), lead(client, auth, first_name="Fresh")
        assert client.post(f"/api/v1/leads/{late}/assign", headers=auth,
                           json={"to": f"user:{rep.email}"}).status_code == 201
        worker.drain(factory)
        later = moment + timedelta(hours=27)
        clock.set_clock(lambda: later)
        assert client.post(f"/api/v1/leads/{fresh}/assign", headers=auth,
                           json={"to": f"user:{rep.email}"}).status_code == 201
        worker.drain(factory)
        sign_in(client, rep.email)
        page = client.get("/leads")
        assert page.status_code == 200
        assert "Overdue 3 h" in page.text and "Due in 24 h" in page.text
        overdue = client.get("/leads?followup=overdue")
        assert overdue.status_code == 200 and "Late" in overdue.text and "Fresh" not in overdue.text
        assert client.get("/leads?followup=someday").status_code == 422
        timeline = client.get(f"/leads/{late}/timeline", headers={"HX-Request": "true"})
        assert timeline.status_code == 200 and "activity kind-followup" in timeline.text
        assert "Follow-up due Tue 17 Nov 09:00 (UTC)" in timeline.text
    finally:
        clock.set_clock(None)


def test_a_person_sets_the_country_of_their_holidays(client, factory):
    rep = person(factory, "sales_rep")
    r = client.patch("/api/v1/me/preferences", headers=rep.headers, json={"holiday_country": "XX"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "holiday_country"
    r = client.patch("/api/v1/me/preferences", headers=rep.headers, json={"holiday_region": "BY"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "holiday_region"
    r = client.patch("/api/v1/me/preferences", headers=rep.headers, json={"holiday_country": "de",
                                                                          "holiday_region": "by"})
    assert r.status_code == 200 and (r.json()["holiday_country"], r.json()["holiday_region"]) == ("DE", "BY")
    r = client.patch("/api/v1/me/preferences", headers=rep.headers, json={"holiday_region": "ZZ"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "holiday_region"
    r = client.patch("/api/v1/me/preferences", headers=rep.headers, json={"holiday_country": None})
    assert r.status_code == 422  # a region without its country
    r = client.patch("/api/v1/me/preferences", headers=rep.headers, json={"holiday_country": None,
                                                                          "holiday_region": None})
    assert r.status_code == 200 and r.json()["holiday_country"] is None


def test_the_preferences_page_sets_the_holidays_country(client, factory):
    rep = person(factory, "sales_rep")
    sign_in(client, rep.email)
    page = client.get("/me/preferences")
    assert page.status_code == 200 and '<option value="FI">Finland (FI)</option>' in page.text
    token = form_token(client, "/me/preferences")
    base = {"csrf_token": token, "notify_in_app": "1", "timezone": "Europe/Helsinki", "hours_set": "1"}
    bad = client.post("/me/preferences", data={**base, "holiday_country": "FI", "holiday_region": "QQ"})
    assert bad.status_code == 422 and 'id="error-holiday_region"' in bad.text
    saved = client.post("/me/preferences", data={**base, "holiday_country": "FI"}, follow_redirects=False)
    assert saved.status_code == 303
    assert client.get("/api/v1/me/preferences", headers=rep.headers).json()["holiday_country"] == "FI"
    assert '<option value="FI" selected>' in client.get("/me/preferences").text


def test_the_lead_timeline_tells_what_sales_did(client, auth, factory):
    """Every kind of entry sales writes reads on the lead's timeline: a contact, a task, a quote, a competitor in
    play and the recycling."""
    rep = person(factory, "sales_rep")
    lead_id = lead(client, auth, first_name="Taina", owner=rep)
    assert client.post(f"/api/v1/leads/{lead_id}/stage", headers=auth, json={"to": "sql"}).status_code == 200
    base = f"/api/v1/leads/{lead_id}"
    soon = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    assert client.post(f"{base}/contacts", headers=rep.headers,
                       json={"kind": "visit", "outcome": "held", "note": "Saw the plant <b>room</b>",
                             "no_next_step": True}).status_code == 201
    assert client.post(f"{base}/tasks", headers=rep.headers,
                       json={"kind": "send_quote", "title": "Quote the retrofit", "due_at": soon}).status_code == 201
    assert client.post(f"{base}/quotes", headers=rep.headers,
                       json={"reference": "Q-77", "amount": "4500", "currency": "EUR"}).status_code == 201
    assert client.post(f"{base}/competitors", headers=rep.headers, json={"name": "Acme Controls"}).status_code == 201
    revisit = (datetime.now(UTC) + timedelta(days=60)).date().isoformat()
    assert client.post(f"{base}/recycle", headers=rep.headers,
                       json={"reason": "not_now", "revisit_on": revisit}).status_code == 201
    sign_in(client, rep.email)
    timeline = client.get(f"/leads/{lead_id}/timeline").text
    assert "Visit: Held" in timeline and "Saw the plant &lt;b&gt;room&lt;/b&gt;" in timeline
    assert "Task: Quote the retrofit" in timeline and "Task canceled: Quote the retrofit" in timeline
    assert "Quote Q-77: 4500.00 EUR (draft)" in timeline and "Competitor in play: Acme Controls" in timeline
    assert f"Recycled to marketing: Not now: interested later; revisit on {revisit}" in timeline
