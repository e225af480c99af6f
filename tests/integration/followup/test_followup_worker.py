"""Every reminder and escalation happens once: real `leadflow worker` processes step the due timers; one is killed
(SIGKILL) as it works and another started, and two run at once. Each follow-up gets one reminder or one overdue
alert for its owner and its manager, one `followup.overdue`, one timeline entry; the timers end empty."""

from __future__ import annotations

import signal
from datetime import timedelta

from sqlalchemy import func, select

from leadflow import clock, db, events, outbox, worker
from leadflow.followup import service as followup_service
from leadflow.followup.models import Followup
from leadflow.leads import service as leads_service
from leadflow.leads.models import Activity, Lead
from leadflow.outbox import OutboxMessage
from leadflow.people import service as people_service
from leadflow.people.models import Notification
from tests.integration.live import wait_for
from tests.integration.operations.test_processes import _start

OVERDUE, REMIND = 600, 60  # follow-ups past their due time (two chunks of the pass), and only due for a reminder


def _setup(url: str):
    """A rep in a team with a manager, a 2-hour calendar policy reminding 110 minutes before; leads handed over
    3 days ago (overdue) and 1 hour ago (reminder due, not overdue), through `lead.assigned` as routing sends it."""
    db.upgrade(url)
    engine = db.make_engine(url)
    factory = db.make_sessionmaker(engine)
    with factory() as session:
        manager = people_service.create_user(session=session, email="boss@example.com", role="sales_manager",
                                             password="correct horse battery")
        people_service.create_team(session=session, name="North", kind="sales", manager="boss@example.com")
        rep = people_service.create_user(session=session, email="rep@example.com", role="sales_rep", team="North",
                                         password="correct horse battery")
        followup_service.create_policy({"name": "Two hours", "hours": 2, "clock": "calendar",
                                        "remind_before_minutes": 110}, session=session, actor="test")
        session.commit()
    now = clock.now()
    for count, ago, first in ((OVERDUE, timedelta(days=3), 0), (REMIND, timedelta(hours=1), OVERDUE)):
        moment = now - ago
        clock.set_clock(lambda moment=moment: moment)
        try:
            with factory() as session:
                ids = leads_service.insert_with_ids(Lead.__table__, [{
                    "first_name": f"Lead {first + i}", "stage": "sql", "owner_id": rep.id, "assigned_at": moment,
                    "custom_fields": {}, "manual_fields": [], "other_emails": [], "other_phones": [],
                    "first_touch": {}, "last_touch": {}, "do_not_contact": False, "created_at": moment,
                    "updated_at": moment} for i in range(count)], session=session)
                outbox.publish_many(session, [{"topic": events.LEAD_ASSIGNED, "payload": {
                    "lead_id": lead_id, "assignment_id": lead_id, "owner_id": rep.id, "owner_email": rep.email,
                    "queue": None, "previous_owner_id": None}} for lead_id in ids])
                session.commit()
            worker.drain(factory)
        finally:
            clock.set_clock(None)
    return engine, factory, rep, manager


def _settled(factory) -> bool:
    with db.reading(factory)() as session:
        return session.scalar(select(func.count()).select_from(Followup).where(
            Followup.next_at.is_not(None), Followup.next_at <= clock.now())) == 0


def _check_once(factory, rep, manager) -> None:
    with db.reading(factory)() as session:
        def count(model, *where):
            return session.scalar(select(func.count()).select_from(model).where(*where))

        assert count(Followup) == OVERDUE + REMIND
        assert count(Notification, Notification.user_id == rep.id, Notification.kind == "followup_overdue") == OVERDUE
        assert count(Notification, Notification.user_id == manager.id,
                     Notification.kind == "followup_escalated") == OVERDUE
        assert count(Notification, Notification.user_id == rep.id, Notification.kind == "followup_reminder") == REMIND
        assert count(OutboxMessage, OutboxMessage.topic == events.FOLLOWUP_OVERDUE) == OVERDUE
        # The timeline entry is not keyed: one per follow-up only if each step ran once.
        overdue = count(Activity, Activity.kind == "followup", Activity.summary.like("Follow-up overdue%"))
        assert overdue == OVERDUE
        assert count(Followup, Followup.escalated_at.is_not(None), Followup.next_at.is_(None)) == OVERDUE
        assert count(Followup, Followup.reminded_at.is_not(None), Followup.next_step == "escalate") == REMIND
        assert count(Followup, Followup.reminded_at.is_not(None), Followup.escalated_at.is_not(None)) == 0


def test_a_worker_killed_while_stepping_timers_and_restarted_sends_each_alert_once(fresh_database, tmp_path):
    engine, factory, rep, manager = _setup(fresh_database.url)
    log = tmp_path / "worker.log"
    try:
        first = _start(fresh_database.url, log, "worker")
        try:
            def started() -> bool:
                with db.reading(factory)() as session:
                    return bool(session.scalar(select(func.count()).select_from(Followup).where(
                        Followup.escalated_at.is_not(None))))
            wait_for(started, what="the worker began the pass", deadline_s=180,
                     alive=lambda: f"it exited first:\n{log.read_text()}" if first.poll() is not None else None)
            first.send_signal(signal.SIGKILL)
            first.wait()
        finally:
            if first.poll() is None:
                first.kill()
        second = _start(fresh_database.url, tmp_path / "second.log", "worker")
        try:
            wait_for(lambda: _settled(factory), what="the restarted worker finished the pass", deadline_s=300,
                     alive=lambda: "it exited" if second.poll() is not None else None)
        finally:
            second.send_signal(signal.SIGTERM)
            second.wait(60)
        _check_once(factory, rep, manager)
    finally:
        engine.dispose()


def test_two_workers_stepping_at_once_send_each_alert_once(fresh_database, tmp_path):
    engine, factory, rep, manager = _setup(fresh_database.url)
    workers = [_start(fresh_database.url, tmp_path / f"worker{i}.log", "worker") for i in range(2)]
    try:
        wait_for(lambda: _settled(factory), what="the workers finished the pass", deadline_s=300,
                 alive=lambda: "a worker exited" if any(w.poll() is not None for w in workers) else None)
    finally:
        for process in workers:
            process.send_signal(signal.SIGTERM)
        for process in workers:
            process.wait(60)
    try:
        _check_once(factory, rep, manager)
    finally:
        engine.dispose()
