"""Logging a contact: through the API with its outcome, which sets the next step (a task) unless the person picks
another; the owner's open follow-up closes; the timeline, the event and the CSV export have it; nobody logs on or
reads a lead they do not see."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient

from leadflow import db, events
from leadflow.app import create_app
from leadflow.followup.models import Followup, Task
from leadflow.people import service as people_service
from tests.conftest import make_settings
from tests.integration.followup.factories import published, rep_with_lead
from tests.integration.live import run_cli
from tests.integration.people.factories import person


def _later(hours: int) -> str:
    return (datetime.now(UTC) + timedelta(hours=hours)).isoformat()


def test_a_call_back_outcome_makes_a_call_task_at_the_agreed_time_and_is_on_the_timeline(client, auth, factory):
    rep, lead_id = rep_with_lead(client, auth, factory)
    at = _later(30)
    r = client.post(f"/api/v1/leads/{lead_id}/contacts", headers=rep.headers,
                    json={"kind": "call", "outcome": "call_back", "at": at, "note": "Back from holiday on Monday"})
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["user_id"] == rep.id and body["outcome"] == "call_back"
    assert body["task"]["kind"] == "call" and body["task"]["owner_id"] == rep.id and body["task"]["origin"] == "outcome"
    assert datetime.fromisoformat(body["task"]["due_at"]) == datetime.fromisoformat(at)
    assert "Call back" in body["next_step"]["reason"]

    timeline = client.get(f"/api/v1/leads/{lead_id}/activities", headers=rep.headers)
    assert timeline.status_code == 200
    summaries = {a["kind"]: a["summary"] for a in timeline.json()}
    assert summaries["contact"].startswith("Call: Call back") and summaries["task"].startswith("Task: Call back")
    (event,) = [p for p in published(factory, events.CONTACT_LOGGED) if p["lead_id"] == lead_id]
    assert event["contact_id"] == body["id"] and event["outcome"] == "call_back"
    assert [p["task_id"] for p in published(factory, events.TASK_CREATED) if p["lead_id"] == lead_id] == [
        body["task"]["id"]]


def test_each_outcome_sets_its_next_step(client, auth, factory):
    rep, lead_id = rep_with_lead(client, auth, factory)
    url = f"/api/v1/leads/{lead_id}/contacts"
    busy = client.post(url, headers=rep.headers, json={"kind": "call", "outcome": "busy"}).json()
    assert busy["task"]["title"] == "Call again" and busy["task"]["kind"] == "call"
    assert datetime.fromisoformat(busy["task"]["due_at"]) > datetime.now(UTC)
    quote = client.post(url, headers=rep.headers, json={"kind": "meeting", "outcome": "quote_requested"}).json()
    assert quote["task"]["kind"] == "send_quote"
    meeting = client.post(url, headers=rep.headers, json={"kind": "email", "outcome": "meeting_booked",
                                                         "at": _later(48)}).json()
    assert meeting["task"]["kind"] == "meeting"
    no = client.post(url, headers=rep.headers, json={"kind": "call", "outcome": "not_interested"}).json()
    assert no["task"] is None and no["next_step"]["suggest"] == ["recycle", "disqualify"]
    mine = client.post(url, headers=rep.headers, json={
        "kind": "call", "outcome": "busy", "next_task": {"kind": "email", "title": "Email the brochure",
                                                         "due_at": _later(2)}}).json()
    assert mine["task"]["kind"] == "email" and mine["task"]["title"] == "Email the brochure"
    none = client.post(url, headers=rep.headers, json={"kind": "call", "outcome": "busy", "no_next_step": True})
    assert none.json()["task"] is None
    listed = client.get(f"/api/v1/leads/{lead_id}/tasks", headers=rep.headers).json()
    assert sorted(t["kind"] for t in listed) == ["call", "email", "meeting", "send_quote"]


def test_bad_contacts_are_refused_with_the_field_and_the_reason(client, auth, factory):
    rep, lead_id = rep_with_lead(client, auth, factory)
    url = f"/api/v1/leads/{lead_id}/contacts"

    def problem(json):
        r = client.post(url, headers=rep.headers, json=json)
        assert r.status_code == 422, r.text
        return r.text

    assert "outcome" in problem({"kind": "email", "outcome": "busy"})
    assert "at" in problem({"kind": "call", "outcome": "call_back"})
    assert "future" in problem({"kind": "call", "outcome": "reached", "occurred_at": _later(5)})
    assert "kind" in problem({"kind": "fax", "outcome": "reached"})
    assert "time zone" in problem({"kind": "call", "outcome": "reached", "occurred_at": "2026-12-01T09:00"})
    assert "time zone" in problem({"kind": "call", "outcome": "call_back", "at": "2030-12-01T09:00"})
    assert client.get("/api/v1/contacts", headers=rep.headers, params={"since": "2026-01-01T00:00"}).status_code == 200
    assert "due_at" in problem({"kind": "call", "outcome": "reached", "next_task": {"kind": "call", "title": "x"}})


def test_the_owners_first_contact_follows_the_lead_up(client, auth, factory):
    rep, lead_id = rep_with_lead(client, auth, factory)
    with factory() as session:
        session.add(Followup(lead_id=lead_id, owner_id=rep.id, due_at=datetime.now(UTC) + timedelta(hours=24),
                             handed_at=datetime.now(UTC) - timedelta(hours=1)))
        session.add(Task(lead_id=lead_id, owner_id=rep.id, kind="call", title="Call Outi (follow-up)",
                         due_at=datetime.now(UTC) + timedelta(hours=24), origin="policy"))
        session.commit()
    assert client.post(f"/api/v1/leads/{lead_id}/contacts", headers=rep.headers,
                       json={"outcome": "reached", "no_next_step": True}).status_code == 201
    with factory() as session:
        (row,) = session.query(Followup).filter_by(lead_id=lead_id).all()
        assert row.status == "followed_up" and row.contact_id is not None
    (task,) = client.get(f"/api/v1/leads/{lead_id}/tasks", headers=rep.headers, params={"status": "all"}).json()
    assert task["status"] == "canceled"  # the hand-over's call is made: it leaves the rep's day with the follow-up


def test_a_call_logged_after_the_due_time_counts_as_late_whatever_time_it_claims(client, auth, factory):
    rep, lead_id = rep_with_lead(client, auth, factory)
    due = datetime.now(UTC) - timedelta(hours=3)
    with factory() as session:
        session.add(Followup(lead_id=lead_id, owner_id=rep.id, due_at=due, handed_at=due - timedelta(hours=24),
                             escalated_at=due))
        session.commit()
    claimed = (due - timedelta(hours=1)).isoformat()  # "I called an hour before it was due"
    assert client.post(f"/api/v1/leads/{lead_id}/contacts", headers=rep.headers,
                       json={"outcome": "reached", "occurred_at": claimed}).status_code == 201
    state = client.get(f"/api/v1/leads/{lead_id}/followup", headers=rep.headers).json()
    assert state["status"] == "followed_up"
    assert datetime.fromisoformat(state["first_contact_at"]) > due  # counted when it was logged: late


def test_a_next_task_and_no_next_step_together_are_refused(client, auth, factory):
    rep, lead_id = rep_with_lead(client, auth, factory)
    both = client.post(f"/api/v1/leads/{lead_id}/contacts", headers=rep.headers,
                       json={"outcome": "no_answer", "no_next_step": True,
                             "next_task": {"kind": "call", "title": "Again", "due_at": _later(24)}})
    assert both.status_code == 422 and "no_next_step" in both.text
    assert client.get(f"/api/v1/leads/{lead_id}/tasks", headers=rep.headers).json() == []


def test_a_rep_cannot_log_on_or_read_another_reps_lead(client, auth, factory):
    rep, lead_id = rep_with_lead(client, auth, factory)
    other = person(factory, "sales_rep")
    assert client.post(f"/api/v1/leads/{lead_id}/contacts", headers=other.headers,
                       json={"outcome": "reached"}).status_code == 404
    assert client.post(f"/api/v1/leads/{lead_id}/contacts", headers=rep.headers,
                       json={"outcome": "reached"}).status_code == 201
    assert client.get(f"/api/v1/leads/{lead_id}/contacts", headers=other.headers).status_code == 404
    assert client.get("/api/v1/contacts", headers=other.headers).json() == []
    assert len(client.get("/api/v1/contacts", headers=rep.headers).json()) == 1
    marketer = person(factory, "marketing")
    assert client.get("/api/v1/contacts", headers=marketer.headers).status_code == 403


def test_contacts_export_as_csv(client, auth, factory):
    rep, lead_id = rep_with_lead(client, auth, factory)
    client.post(f"/api/v1/leads/{lead_id}/contacts", headers=rep.headers,
                json={"kind": "visit", "outcome": "held", "note": "=cmd, \"quoted\"", "duration_minutes": 45})
    r = client.get("/api/v1/contacts", headers=rep.headers, params={"format": "csv", "user": "me"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    (row,) = list(csv.DictReader(io.StringIO(r.text)))
    assert row["lead_id"] == str(lead_id) and row["kind"] == "visit" and row["duration_minutes"] == "45"
    assert row["note"] == "'=cmd, \"quoted\""  # a spreadsheet does not run it


def test_the_command_line_exports_contacts_and_tasks(fresh_database, tmp_path):
    db.upgrade(fresh_database.url)
    with TestClient(create_app(make_settings(fresh_database.url))) as client:
        engine = db.make_engine(fresh_database.url)
        factory = db.make_sessionmaker(engine)
        with factory() as session:
            _, key = people_service.create_api_key(session=session, name="tests")
            session.commit()
        rep, lead_id = rep_with_lead(client, {"Authorization": f"Bearer {key}"}, factory)
        other, other_lead = rep_with_lead(client, {"Authorization": f"Bearer {key}"}, factory)
        assert client.post(f"/api/v1/leads/{lead_id}/contacts", headers=rep.headers,
                           json={"outcome": "quote_requested", "note": "40 seats"}).status_code == 201
        assert client.post(f"/api/v1/leads/{other_lead}/contacts", headers=other.headers,
                           json={"outcome": "reached"}).status_code == 201
        engine.dispose()
    every, mine, task_file = tmp_path / "all.csv", tmp_path / "mine.csv", tmp_path / "tasks.csv"
    assert run_cli(fresh_database.url, "export", "contacts", str(every)).returncode == 0
    assert run_cli(fresh_database.url, "export", "contacts", str(mine), "--user", rep.email).returncode == 0
    assert run_cli(fresh_database.url, "export", "tasks", str(task_file)).returncode == 0
    assert {r["lead_id"] for r in csv.DictReader(every.open(encoding="utf-8"))} == {str(lead_id), str(other_lead)}
    (row,) = list(csv.DictReader(mine.open(encoding="utf-8")))
    assert row["outcome"] == "quote_requested" and row["note"] == "40 seats" and row["next_task_kind"] == "send_quote"
    (task,) = list(csv.DictReader(task_file.open(encoding="utf-8")))
    assert task["kind"] == "send_quote" and task["origin"] == "outcome" and task["status"] == "open"


def test_no_answer_before_christmas_calls_again_after_the_reps_public_holidays(client, auth, factory):
    """A rep in Helsinki with Finnish holidays, no hours set: no answer on Wednesday 23 December 2026 is called again
    on Monday the 28th (24th-26th holidays, 27th a Sunday) at the start of their hours, 08:00 their time."""
    from leadflow import clock

    rep, lead_id = rep_with_lead(client, auth, factory)
    r = client.patch("/api/v1/me/preferences", headers=rep.headers,
                     json={"timezone": "Europe/Helsinki", "holiday_country": "FI"})
    assert r.status_code == 200, r.text
    clock.set_clock(lambda: datetime(2026, 12, 23, 11, 0, tzinfo=UTC))
    try:
        r = client.post(f"/api/v1/leads/{lead_id}/contacts", headers=rep.headers,
                        json={"kind": "call", "outcome": "no_answer"})
    finally:
        clock.set_clock(None)
    assert r.status_code == 201, r.text
    task = r.json()["task"]
    assert task["title"] == "Call again"
    assert datetime.fromisoformat(task["due_at"]) == datetime(2026, 12, 28, 6, 0, tzinfo=UTC)
