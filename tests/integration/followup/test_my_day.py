"""The pages of a salesperson's day: the lead page's follow-up panel logs a contact in two clicks (a kind, an
outcome) and shows the task it set, tasks are done from the panel and from /my-day, a lead is recycled from the
panel; /my-day lists the rep's follow-ups (overdue first, in red), tasks, call-backs and new leads, and is their
start page; nobody sees another rep's."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from leadflow.followup.models import Followup
from tests.integration.followup.factories import rep_with_lead
from tests.integration.people.factories import lead, person, team
from tests.integration.people.pages import form_token, sign_in

HTMX = {"HX-Request": "true"}


def test_two_clicks_on_the_lead_page_log_a_call_and_set_the_next_task(client, auth, factory):
    rep, lead_id = rep_with_lead(client, auth, factory, first_name="Outi", last_name="Virtanen")
    sign_in(client, rep.email)
    page = client.get(f"/leads/{lead_id}")
    assert f'hx-get="/leads/{lead_id}/follow-up"' in page.text
    panel = client.get(f"/leads/{lead_id}/follow-up", headers=HTMX)
    assert panel.status_code == 200 and 'name="outcome" value="no_answer"' in panel.text
    assert re.search(r'value="call" id="fu-kind-call" checked', panel.text)  # Call is chosen: one click to log
    token = form_token(client, f"/leads/{lead_id}/follow-up")
    logged = client.post(f"/leads/{lead_id}/follow-up/contacts", headers=HTMX,
                         data={"csrf_token": token, "kind": "call", "outcome": "no_answer", "at": "", "note": ""})
    assert logged.status_code == 200, logged.text
    assert "Logged: call, no answer." in logged.text and "Next: Call again" in logged.text
    assert "lead-changed" in logged.headers["HX-Trigger"]
    (task,) = client.get(f"/api/v1/leads/{lead_id}/tasks", headers=rep.headers).json()
    assert task["title"] == "Call again"

    done = client.post(f"/leads/{lead_id}/follow-up/tasks/{task['id']}", headers=HTMX,
                       data={"csrf_token": token, "action": "done"})
    assert done.status_code == 200 and "Done: Call again." in done.text and "No open tasks." in done.text

    refused = client.post(f"/leads/{lead_id}/follow-up/contacts", headers=HTMX,
                          data={"csrf_token": token, "kind": "call", "outcome": "call_back", "at": ""})
    assert refused.status_code == 422 and "call back needs its time" in refused.text
    back = client.post(f"/leads/{lead_id}/follow-up/contacts", headers=HTMX, data={
        "csrf_token": token, "kind": "email", "outcome": "call_back",
        "at": (datetime.now(UTC) + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")})
    assert back.status_code == 200 and "Next: Call back" in back.text

    without_js = client.post(f"/leads/{lead_id}/follow-up/contacts", follow_redirects=False,
                             data={"csrf_token": token, "kind": "visit", "outcome": "held"})
    assert without_js.status_code == 303 and without_js.headers["location"] == f"/leads/{lead_id}"

    recycled = client.post(f"/leads/{lead_id}/follow-up/recycle", headers=HTMX, data={
        "csrf_token": token, "reason": "not_now", "revisit_on": (datetime.now(UTC) + timedelta(days=60)).date(),
        "note": "Next budget year"})
    assert recycled.status_code == 200 and "Recycled to marketing" in recycled.text
    assert client.get(f"/api/v1/leads/{lead_id}", headers=auth).json()["stage"] == "nurture"
    assert client.get(f"/api/v1/leads/{lead_id}/tasks", headers=rep.headers).json() == []


def test_my_day_lists_follow_ups_tasks_call_backs_and_new_leads_and_is_the_reps_start_page(client, auth, factory):
    rep, late_id = rep_with_lead(client, auth, factory, first_name="Late", last_name="Lead")
    soon_id = lead(client, auth, owner=rep, first_name="Soon", last_name="Lead")
    back_id = lead(client, auth, owner=rep, first_name="Back", last_name="Lead")
    other = person(factory, "sales_rep")
    hidden_id = lead(client, auth, owner=other, first_name="Hidden", last_name="Lead")
    moment = datetime.now(UTC)
    with factory() as session:
        session.add_all([Followup(lead_id=soon_id, owner_id=rep.id, due_at=moment + timedelta(hours=5)),
                         Followup(lead_id=late_id, owner_id=rep.id, due_at=moment - timedelta(hours=2)),
                         Followup(lead_id=hidden_id, owner_id=other.id, due_at=moment - timedelta(hours=2))])
        session.commit()
    task = client.post(f"/api/v1/leads/{late_id}/tasks", headers=rep.headers, json={
        "kind": "send_quote", "title": "Send the price list", "due_at": (moment - timedelta(hours=1)).isoformat()}
    ).json()
    client.post(f"/api/v1/leads/{back_id}/contacts", headers=rep.headers, json={
        "outcome": "call_back", "at": (moment + timedelta(days=3)).isoformat()})
    client.post(f"/api/v1/leads/{hidden_id}/tasks", headers=other.headers, json={
        "title": "Not yours", "due_at": (moment - timedelta(hours=1)).isoformat()})

    sign_in(client, rep.email)
    assert client.get("/", follow_redirects=False).headers["location"] == "/my-day"
    page = client.get("/my-day")
    assert page.status_code == 200, page.text
    text = page.text
    assert "<h1>My day</h1>" in text and 'href="/my-day"' in text  # in the navigation too
    followups = text.split('id="day-followups"')[1].split("</section>")[0]
    assert followups.index("Late Lead") < followups.index("Soon Lead") and "Overdue" in followups
    assert 'class="day-late"' in followups
    assert "Send the price list" in text and "Call-backs" in text
    backs = text.split('id="day-backs"')[1].split("</section>")[0]
    assert "Back Lead" in backs and "call at" in backs
    assert "Hidden" not in text and "Not yours" not in text

    api = client.get("/api/v1/my-day", headers=rep.headers).json()
    assert [f["lead_id"] for f in api["followups"]] == [late_id, soon_id] and api["followups"][0]["overdue"]
    assert [t["title"] for t in api["tasks"]] == ["Send the price list"]
    assert [t["lead_id"] for t in api["call_backs"]] == [back_id]
    assert {n["lead_id"] for n in api["new_leads"]} == {late_id, soon_id, back_id}

    token = form_token(client, "/my-day")
    done = client.post(f"/my-day/tasks/{task['id']}/done", data={"csrf_token": token}, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/my-day"
    assert "Send the price list" not in client.get("/my-day").text.split('id="day-tasks"')[1].split("</section>")[0]
    hidden_task = client.get("/api/v1/tasks", headers=other.headers).json()[0]
    assert client.post(f"/my-day/tasks/{hidden_task['id']}/done", data={"csrf_token": token}).status_code == 404


def test_a_manager_opens_a_teammates_day_and_marketing_cannot_open_my_day(client, auth, factory):
    manager = person(factory, "sales_manager")
    team(factory, "North", manager=manager.email)
    rep = person(factory, "sales_rep", team="North")
    lead_id = lead(client, auth, owner=rep, first_name="Team", last_name="Lead")
    client.post(f"/api/v1/leads/{lead_id}/tasks", headers=rep.headers, json={
        "title": "Call the buyer", "due_at": (datetime.now(UTC) - timedelta(minutes=5)).isoformat()})
    sign_in(client, manager.email)
    mine = client.get("/my-day")
    assert mine.status_code == 200 and "Call the buyer" not in mine.text
    theirs = client.get(f"/my-day?user={rep.id}")
    assert "Call the buyer" in theirs.text and "’s day" in theirs.text
    marketer = person(factory, "marketing")
    sign_in(client, marketer.email)
    assert client.get("/my-day").status_code == 403
    assert 'href="/my-day"' not in client.get("/campaigns").text


def test_the_panel_adds_moves_and_finishes_tasks_and_refuses_a_stale_move(client, auth, factory):
    rep, lead_id = rep_with_lead(client, auth, factory, first_name="Panel")
    sign_in(client, rep.email)
    token = form_token(client, f"/leads/{lead_id}/follow-up")
    due = (datetime.now(UTC) + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    assert client.post(f"/leads/{lead_id}/follow-up/tasks", headers=HTMX,
                       data={"kind": "call", "title": "Ring", "due_at": due}).status_code == 403  # no CSRF token
    bad = client.post(f"/leads/{lead_id}/follow-up/tasks", headers=HTMX,
                      data={"csrf_token": token, "kind": "call", "title": "", "due_at": due})
    assert bad.status_code == 422 and "title: say what is to be done" in bad.text
    stranger = client.post(f"/leads/{lead_id}/follow-up/tasks", headers=HTMX,
                           data={"csrf_token": token, "kind": "call", "title": "Ring", "due_at": due,
                                 "owner_id": "999999"})
    assert stranger.status_code == 422 and "Choose someone from the list." in stranger.text
    added = client.post(f"/leads/{lead_id}/follow-up/tasks", headers=HTMX,
                        data={"csrf_token": token, "kind": "call", "title": "Ring the buyer", "due_at": due})
    assert added.status_code == 200 and "Task added: Ring the buyer." in added.text
    (task,) = client.get(f"/api/v1/leads/{lead_id}/tasks", headers=rep.headers).json()

    later = (datetime.now(UTC) + timedelta(days=4)).strftime("%Y-%m-%dT%H:%M")
    moved = client.post(f"/leads/{lead_id}/follow-up/tasks/{task['id']}", headers=HTMX,
                        data={"csrf_token": token, "action": "move", "due_at": later})
    assert moved.status_code == 200 and "Moved: Ring the buyer." in moved.text
    assert client.patch(f"/api/v1/tasks/{task['id']}", headers=rep.headers, json={"status": "done"}).status_code == 200
    stale = client.post(f"/leads/{lead_id}/follow-up/tasks/{task['id']}", headers=HTMX,
                        data={"csrf_token": token, "action": "move", "due_at": later})
    assert stale.status_code == 409 and "only an open task moves" in stale.text
    without_js = client.post(f"/leads/{lead_id}/follow-up/tasks/{task['id']}", follow_redirects=False,
                             data={"csrf_token": token, "action": "cancel"})
    assert without_js.status_code == 303 and without_js.headers["location"] == f"/leads/{lead_id}"
    entries = [a["summary"] for a in client.get(f"/api/v1/leads/{lead_id}/activities", headers=rep.headers).json()]
    assert sum(s.startswith("Task moved") for s in entries) == 1
