"""Recycling a lead to marketing: a reason from the managed list and a revisit day; the lead goes to nurture, its
open tasks are canceled and its open follow-up closed; on the revisit day the worker brings it back to the inbox
(stage recycled) with a task and one bell notice for its former owner, exactly once."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select, update

from leadflow import clock, events, worker
from leadflow.followup.models import Followup, Recycle
from leadflow.outbox import OutboxMessage
from tests.integration.followup.factories import published, rep_with_lead
from tests.integration.people.factories import person


def _soon(days: int) -> str:
    return (date.today() + timedelta(days=days)).isoformat()


def test_a_recycled_lead_goes_to_nurture_and_comes_back_on_its_revisit_day_once(client, auth, factory):
    rep, lead_id = rep_with_lead(client, auth, factory)
    assert client.post(f"/api/v1/leads/{lead_id}/stage", headers=auth, json={"to": "sql"}).status_code == 200
    task = client.post(f"/api/v1/leads/{lead_id}/tasks", headers=rep.headers,
                       json={"title": "Call", "due_at": (datetime.now(UTC) + timedelta(hours=3)).isoformat()}).json()
    with factory() as session:
        session.add(Followup(lead_id=lead_id, owner_id=rep.id, due_at=datetime.now(UTC) + timedelta(hours=20),
                             next_at=datetime.now(UTC) + timedelta(hours=18), next_step="remind"))
        session.commit()
    reasons = client.get("/api/v1/recycle-reasons", headers=rep.headers).json()
    assert "not_now" in [r["key"] for r in reasons]

    r = client.post(f"/api/v1/leads/{lead_id}/recycle", headers=rep.headers,
                    json={"reason": "not_now", "note": "Budget in Q3", "revisit_on": _soon(30)})
    assert r.status_code == 201, r.text
    recycle_id = r.json()["id"]
    assert client.get(f"/api/v1/leads/{lead_id}", headers=auth).json()["stage"] == "nurture"
    assert client.get(f"/api/v1/leads/{lead_id}/tasks", headers=rep.headers).json() == []
    (canceled,) = [p for p in published(factory, events.TASK_COMPLETED) if p["task_id"] == task["id"]]
    assert canceled["status"] == "canceled"
    with factory() as session:
        (row,) = session.scalars(select(Followup).where(Followup.lead_id == lead_id))
        assert (row.status, row.close_reason, row.next_at) == ("closed", "recycled", None)
        (timer,) = session.scalars(select(OutboxMessage).where(OutboxMessage.key == f"lead.revisit:{recycle_id}"))
        assert timer.available_at > datetime.now(UTC) + timedelta(days=29)
    (event,) = [p for p in published(factory, events.LEAD_RECYCLED) if p["lead_id"] == lead_id]
    assert event["reason"] == "not_now" and event["owner_id"] == rep.id

    worker.drain(factory)  # not yet: the revisit day is a month away
    assert client.get(f"/api/v1/leads/{lead_id}", headers=auth).json()["stage"] == "nurture"

    with factory() as session:  # the revisit day came
        session.execute(update(OutboxMessage).where(OutboxMessage.key == f"lead.revisit:{recycle_id}")
                        .values(available_at=datetime.now(UTC) - timedelta(minutes=1)))
        session.commit()
    worker.drain(factory)
    worker.drain(factory)
    assert client.get(f"/api/v1/leads/{lead_id}", headers=auth).json()["stage"] == "recycled"
    (back,) = client.get(f"/api/v1/leads/{lead_id}/tasks", headers=rep.headers).json()
    assert back["title"].startswith("Revisit: ") and back["owner_id"] == rep.id and back["origin"] == "recycle"
    notices = client.get("/api/v1/notifications", headers=rep.headers).json()
    assert [n["link"] for n in notices["items"] if n["kind"] == "revisit"] == [f"/leads/{lead_id}"]
    with factory() as session:
        assert session.get(Recycle, recycle_id).returned_at is not None
    with factory() as session:  # the message delivered again (at least once): nothing more happens
        from leadflow.followup import recycling

        assert recycling.revisit([recycle_id], session=session) == []
        session.commit()
    assert len(client.get(f"/api/v1/leads/{lead_id}/tasks", headers=rep.headers).json()) == 1


def test_a_lead_moved_on_meanwhile_stays_where_it_is(client, auth, factory):
    rep, lead_id = rep_with_lead(client, auth, factory)
    recycle_id = client.post(f"/api/v1/leads/{lead_id}/recycle", headers=rep.headers,
                             json={"reason": "not_now", "revisit_on": _soon(3)}).json()["id"]
    assert client.post(f"/api/v1/leads/{lead_id}/stage", headers=auth, json={"to": "sql"}).status_code == 200
    later = datetime.now(UTC) + timedelta(days=5)
    clock.set_clock(lambda: later)
    try:
        worker.drain(factory)
    finally:
        clock.set_clock(None)
    assert client.get(f"/api/v1/leads/{lead_id}", headers=auth).json()["stage"] == "sql"
    assert client.get(f"/api/v1/leads/{lead_id}/tasks", headers=rep.headers).json() == []
    with factory() as session:
        assert session.get(Recycle, recycle_id).returned_at is None


def test_bad_recycles_are_refused_and_others_leads_are_not_found(client, auth, factory):
    rep, lead_id = rep_with_lead(client, auth, factory)
    url = f"/api/v1/leads/{lead_id}/recycle"
    r = client.post(url, headers=rep.headers, json={"reason": "bored", "revisit_on": date.today().isoformat()})
    assert r.status_code == 422 and "reason" in r.text and "revisit_on" in r.text
    assert client.post(url, headers=rep.headers, json={"reason": "not_now"}).status_code == 422
    other = person(factory, "sales_rep")
    assert client.post(url, headers=other.headers, json={"reason": "not_now", "revisit_on": _soon(9)}
                       ).status_code == 404
    assert client.post(url, headers=rep.headers, json={"reason": "not_now", "revisit_on": _soon(9)}
                       ).status_code == 201
    twice = client.post(url, headers=rep.headers, json={"reason": "not_now", "revisit_on": _soon(9)})
    assert twice.status_code == 422 and "already" in twice.text


def _due(factory, recycle_id: int) -> None:
    with factory() as session:
        session.execute(update(OutboxMessage).where(OutboxMessage.key == f"lead.revisit:{recycle_id}")
                        .values(available_at=datetime.now(UTC) - timedelta(minutes=1)))
        session.commit()


def test_recycling_again_leaves_only_the_latest_revisit_day_live(client, auth, factory):
    """Recycled (day A), back in sales, recycled again (day B): A's timer firing does nothing; B's brings the lead
    back once."""
    rep, lead_id = rep_with_lead(client, auth, factory)
    first = client.post(f"/api/v1/leads/{lead_id}/recycle", headers=rep.headers,
                        json={"reason": "not_now", "revisit_on": _soon(10)}).json()["id"]
    assert client.post(f"/api/v1/leads/{lead_id}/stage", headers=auth, json={"to": "sql"}).status_code == 200
    r = client.post(f"/api/v1/leads/{lead_id}/recycle", headers=rep.headers,
                    json={"reason": "not_now", "revisit_on": _soon(60)})
    assert r.status_code == 201, r.text
    second = r.json()["id"]

    _due(factory, first)  # day A came: the superseded recycle does nothing
    worker.drain(factory)
    assert client.get(f"/api/v1/leads/{lead_id}", headers=auth).json()["stage"] == "nurture"
    assert client.get(f"/api/v1/leads/{lead_id}/tasks", headers=rep.headers).json() == []
    assert [n for n in client.get("/api/v1/notifications", headers=rep.headers).json()["items"]
            if n["kind"] == "revisit"] == []
    with factory() as session:
        assert session.get(Recycle, first).returned_at is None

    _due(factory, second)  # day B came: back once
    worker.drain(factory)
    worker.drain(factory)
    assert client.get(f"/api/v1/leads/{lead_id}", headers=auth).json()["stage"] == "recycled"
    (back,) = client.get(f"/api/v1/leads/{lead_id}/tasks", headers=rep.headers).json()
    assert back["origin"] == "recycle"
    notices = client.get("/api/v1/notifications", headers=rep.headers).json()["items"]
    assert [n["link"] for n in notices if n["kind"] == "revisit"] == [f"/leads/{lead_id}"]
    with factory() as session:
        assert session.get(Recycle, second).returned_at is not None
        assert session.get(Recycle, first).returned_at is None
