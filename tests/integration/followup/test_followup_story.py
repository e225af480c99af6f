"""A hand-over opens a follow-up due on the owner's working days (Helsinki, Finnish holidays); the worker's pass
reminds the owner once, tells them and their manager once at the due time, and after a grace period gives the lead to
someone else through routing (never back to the same rep; the fallback queue when nobody else can take it). A lead
leaving sales closes its follow-up. Through the API and the worker, on a simulated clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from leadflow import clock, events, worker
from leadflow.followup import jobs
from leadflow.outbox import OutboxMessage
from leadflow.people.models import Notification
from tests.integration.people.factories import lead, person, team

# Friday 4 December 2026, 15:00 in Helsinki (13:00 UTC); Wednesday 23 December, the day before Christmas Eve.
FRIDAY = datetime(2026, 12, 4, 13, 0, tzinfo=UTC)
BEFORE_CHRISTMAS = datetime(2026, 12, 23, 13, 0, tzinfo=UTC)


class Clock:
    """The simulated clock of a test: set, moved on, always reset."""

    def __init__(self, moment: datetime):
        self.moment = moment
        clock.set_clock(lambda: self.moment)

    def move(self, **delta) -> None:
        self.moment += timedelta(**delta)


def _pass(factory) -> None:
    """The worker as it runs: its schedule books a pass now; then every due message."""
    with factory() as session:
        jobs.ensure_scheduled(session)
        session.commit()
    worker.drain(factory)


def _notices(factory, user_id: int, kind: str | None = None) -> list[Notification]:
    with factory() as session:
        query = select(Notification).where(Notification.user_id == user_id)
        if kind:
            query = query.where(Notification.kind == kind)
        return list(session.scalars(query))


def _count(factory, topic: str) -> int:
    with factory() as session:
        return session.scalar(select(func.count()).select_from(OutboxMessage).where(OutboxMessage.topic == topic))


def _helsinki(client, who) -> None:
    r = client.patch("/api/v1/me/preferences", headers=who.headers,
                     json={"timezone": "Europe/Helsinki", "holiday_country": "FI"})
    assert r.status_code == 200, r.text
    assert (r.json()["holiday_country"], r.json()["holiday_region"]) == ("FI", None)


def _hand(client, auth, lead_id: int, who) -> None:
    r = client.post(f"/api/v1/leads/{lead_id}/assign", headers=auth, json={"to": f"user:{who.email}"})
    assert r.status_code == 201, r.text


def test_a_hand_over_is_due_on_the_next_working_day_reminded_escalated_once(client, auth, factory):
    manager = person(factory, "sales_manager")
    team(factory, "Helsinki", manager=manager.email)
    rep = person(factory, "sales_rep", team="Helsinki")
    _helsinki(client, rep)
    when = Clock(BEFORE_CHRISTMAS)
    try:
        lead_id = lead(client, auth, first_name="Aino", last_name="Laine", country="FI")
        _hand(client, auth, lead_id, rep)
        worker.drain(factory)

        (followup,) = client.get(f"/api/v1/leads/{lead_id}/followups", headers=auth).json()
        # 9 hours of Wednesday; Christmas Eve, Christmas Day and the weekend skipped; 15 hours of Monday: 15:00.
        assert datetime.fromisoformat(followup["due_at"]) == datetime(2026, 12, 28, 13, 0, tzinfo=UTC)
        assert followup["status"] == "open" and followup["state"] == "due" and followup["owner_id"] == rep.id
        assert followup["next_step"] == "remind"
        assert datetime.fromisoformat(followup["remind_at"]) == datetime(2026, 12, 28, 11, 0, tzinfo=UTC)
        assert followup["policy"]["counted_on"] == "working_days" and followup["policy"]["holidays"] == "FI"
        assert followup["policy"]["reasons"] == [
            "skipped Thu 2026-12-24 (public holiday: Christmas Eve)",
            "skipped Fri 2026-12-25 (public holiday: Christmas Day)", "skipped Sat 2026-12-26 (weekend)",
            "skipped Sun 2026-12-27 (weekend)"]
        state = client.get(f"/api/v1/leads/{lead_id}/followup", headers=rep.headers).json()
        assert (state["status"], state["label"]) == ("due", "Due in 5 d")

        _pass(factory)  # nothing is due yet
        assert _notices(factory, rep.id, "followup_reminder") == []

        when.move(days=4, hours=22, minutes=5)  # Monday 13:05 Helsinki: the reminder
        _pass(factory)
        _pass(factory)
        (reminder,) = _notices(factory, rep.id, "followup_reminder")
        assert "Aino Laine" in reminder.title and reminder.link == f"/leads/{lead_id}"
        assert _notices(factory, manager.id) == []

        when.move(hours=2)  # Monday 15:05: overdue, the owner and their manager are told once
        _pass(factory)
        _pass(factory)
        assert len(_notices(factory, rep.id, "followup_overdue")) == 1
        (escalated,) = _notices(factory, manager.id, "followup_escalated")
        assert "Aino Laine" in escalated.title and f"{rep.email})" in escalated.body  # a name, never an id
        assert _count(factory, events.FOLLOWUP_OVERDUE) == 1
        state = client.get(f"/api/v1/leads/{lead_id}/followup", headers=rep.headers).json()
        assert state["status"] == "overdue" and state["overdue_minutes"] == 5 and state["label"] == "Overdue 5 min"
        (followup,) = client.get(f"/api/v1/leads/{lead_id}/followups", headers=auth).json()
        assert followup["next_at"] is None and followup["escalated_at"] is not None

        mine = client.get("/api/v1/followups?owner=me&state=overdue", headers=rep.headers).json()
        assert [f["lead_id"] for f in mine] == [lead_id]
        assert client.get("/api/v1/followups?owner=me&state=due", headers=rep.headers).json() == []

        when.move(days=3)
        _pass(factory)  # nothing more, ever
        assert len(_notices(factory, rep.id)) == 3  # the hand-over's alert, the reminder, the overdue notice
        assert len(_notices(factory, manager.id)) == 1
    finally:
        clock.set_clock(None)


def test_a_second_hand_over_closes_the_first_and_a_duplicate_message_opens_nothing(client, auth, factory):
    first, second = person(factory, "sales_rep"), person(factory, "sales_rep")
    when = Clock(FRIDAY)
    try:
        lead_id = lead(client, auth, first_name="Eero")
        _hand(client, auth, lead_id, first)
        worker.drain(factory)
        when.move(hours=1)
        _hand(client, auth, lead_id, second)
        worker.drain(factory)
        with factory() as session:  # the same hand-over delivered again (at least once) opens nothing
            message = session.scalars(select(OutboxMessage).where(OutboxMessage.topic == events.LEAD_ASSIGNED)
                                      .order_by(OutboxMessage.id.desc())).first()
            jobs.assigned(session, [message.payload, message.payload])
            session.commit()
        newest, oldest = client.get(f"/api/v1/leads/{lead_id}/followups", headers=auth).json()
        assert (oldest["owner_id"], oldest["status"], oldest["close_reason"]) == (first.id, "reassigned",
                                                                                   "reassigned")
        assert oldest["next_at"] is None
        assert (newest["owner_id"], newest["status"]) == (second.id, "open")
        # UTC, no holidays: 24 hours of Friday and Monday from 14:00 on Friday.
        assert datetime.fromisoformat(newest["due_at"]) == datetime(2026, 12, 7, 14, 0, tzinfo=UTC)

        r = client.patch(f"/api/v1/leads/{lead_id}", headers=auth, json={"stage": "nurture"})
        assert r.status_code == 200, r.text
        worker.drain(factory)
        newest = client.get(f"/api/v1/leads/{lead_id}/followups", headers=auth).json()[0]
        assert (newest["status"], newest["close_reason"], newest["next_at"]) == ("closed", "stage", None)
        assert client.get(f"/api/v1/leads/{lead_id}/followup", headers=auth).json()["status"] == "none"
    finally:
        clock.set_clock(None)


def _rules(client, auth, team_name: str) -> None:
    r = client.post("/api/v1/routing/rule-sets", headers=auth, json={"activate": True, "definition": {
        "fallback_queue": "Nobody free", "rules": [{"name": "Team", "when": "", "to": f"team:{team_name}"}]}})
    assert r.status_code == 201, r.text


def _policy(client, auth, **fields) -> dict:
    body = {"name": "Fast", "hours": 2, "clock": "calendar", "remind_before_minutes": None, "escalate": False,
            "reassign_after_hours": 1, **fields}
    r = client.post("/api/v1/followup/policies", headers=auth, json=body)
    assert r.status_code == 201, r.text
    return r.json()


def test_an_overdue_lead_goes_to_someone_else_after_the_grace_period(client, auth, factory):
    team(factory, "Reassign")
    one, other = person(factory, "sales_rep", team="Reassign"), person(factory, "sales_rep", team="Reassign")
    _rules(client, auth, "Reassign")
    _policy(client, auth, task_kind="call")
    when = Clock(FRIDAY)
    try:
        lead_id = lead(client, auth, first_name="Tuuli", last_name="Koski")
        _hand(client, auth, lead_id, one)
        worker.drain(factory)
        (followup,) = client.get(f"/api/v1/leads/{lead_id}/followups", headers=auth).json()
        assert followup["policy"]["name"] == "Fast" and followup["next_step"] == "escalate"
        assert datetime.fromisoformat(followup["reassign_at"]) == FRIDAY + timedelta(hours=3)
        assert _count(factory, events.TASK_CREATED) == 1

        when.move(hours=2, minutes=1)
        _pass(factory)
        assert client.get(f"/api/v1/leads/{lead_id}", headers=auth).json()["owner"] == one.id
        when.move(hours=1)
        _pass(factory)
        body = client.get(f"/api/v1/leads/{lead_id}", headers=auth).json()
        assert body["owner"] == other.id  # never back to the rep who let it go overdue
        newest, first = client.get(f"/api/v1/leads/{lead_id}/followups", headers=auth).json()
        assert (first["status"], first["close_reason"], first["reassigned_at"] is not None) == (
            "reassigned", "overdue", True)
        assert (newest["owner_id"], newest["status"]) == (other.id, "open")
        policy_tasks = [t for t in client.get(f"/api/v1/leads/{lead_id}/tasks", headers=auth,
                                              params={"status": "all"}).json() if t["origin"] == "policy"]
        assert {(t["owner_id"], t["status"]) for t in policy_tasks} == {(one.id, "canceled"), (other.id, "open")}

        # The second rep lets it go overdue too: the first may take it again (someone else than the owner).
        when.move(hours=3, minutes=1)
        _pass(factory)
        _pass(factory)
        assert client.get(f"/api/v1/leads/{lead_id}", headers=auth).json()["owner"] == one.id
    finally:
        clock.set_clock(None)


def test_nobody_else_to_take_it_puts_the_lead_in_the_fallback_queue(client, auth, factory):
    team(factory, "Alone")
    only = person(factory, "sales_rep", team="Alone")
    _rules(client, auth, "Alone")
    _policy(client, auth)
    when = Clock(FRIDAY)
    try:
        lead_id = lead(client, auth, first_name="Onni")
        _hand(client, auth, lead_id, only)
        worker.drain(factory)
        when.move(hours=3, minutes=1)
        _pass(factory)
        _pass(factory)
        body = client.get(f"/api/v1/leads/{lead_id}", headers=auth).json()
        assert (body["owner"], body["queue"]) == (None, "Nobody free")
        (followup,) = client.get(f"/api/v1/leads/{lead_id}/followups", headers=auth).json()
        assert (followup["status"], followup["close_reason"]) == ("reassigned", "overdue")
    finally:
        clock.set_clock(None)


def test_a_rep_sees_only_the_follow_ups_of_leads_they_see(client, auth, factory):
    mine, theirs = person(factory, "sales_rep"), person(factory, "sales_rep")
    own_lead, their_lead = lead(client, auth, first_name="Oma"), lead(client, auth, first_name="Muu")
    _hand(client, auth, own_lead, mine)
    _hand(client, auth, their_lead, theirs)
    worker.drain(factory)
    seen = client.get("/api/v1/followups", headers=mine.headers).json()
    assert {f["lead_id"] for f in seen} == {own_lead}
    assert client.get(f"/api/v1/followups?owner={theirs.id}", headers=mine.headers).json() == []
    assert client.get(f"/api/v1/leads/{their_lead}/followups", headers=mine.headers).status_code == 404
    assert client.get(f"/api/v1/leads/{their_lead}/followup", headers=mine.headers).status_code == 404
    assert client.get("/api/v1/followups?owner=someone", headers=mine.headers).status_code == 422
    admin_view = client.get("/api/v1/followups", headers=auth).json()
    assert {own_lead, their_lead} <= {f["lead_id"] for f in admin_view}
