"""Exactly one alert per assignment, even when the worker dies mid-send: a real `leadflow worker` is killed while the
SMTP server holds the alert's DATA; the next run sends the same message again (the same Message-ID, so the mail
system keeps one) and no second alert is ever made: one notice on the bell, one email job."""

from __future__ import annotations

import asyncio
import signal
import threading
from datetime import timedelta
from email import message_from_bytes, policy

from aiosmtpd.controller import Controller
from sqlalchemy import func, select

from leadflow import clock, db, events, outbox, worker
from leadflow.leads import service as leads_service
from leadflow.leads.models import Lead
from leadflow.outbox import OutboxMessage
from leadflow.people import service as people_service
from leadflow.people.models import Notification
from leadflow.routing import service as routing_service
from leadflow.settings import get_settings
from tests.integration.live import free_port, wait_for
from tests.integration.operations.test_processes import _start


class HoldingInbox:
    """Takes the first message's DATA and holds its answer until released (the sender waits for "250")."""

    def __init__(self):
        self.messages = []
        self.arrived = threading.Event()
        self.release = threading.Event()

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        self.arrived.set()
        if len(self.messages) == 1:
            while not self.release.is_set():
                await asyncio.sleep(0.05)
        return "250 OK"


def test_a_worker_killed_while_sending_an_alert_sends_the_same_alert_never_a_second(fresh_database, tmp_path,
                                                                                    monkeypatch):
    url = fresh_database.url
    db.upgrade(url)
    engine = db.make_engine(url)
    factory = db.make_sessionmaker(engine)
    inbox = HoldingInbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    smtp = {"LEADFLOW_SMTP_HOST": "127.0.0.1", "LEADFLOW_SMTP_PORT": str(port), "LEADFLOW_SMTP_STARTTLS": "false"}
    log = tmp_path / "worker.log"
    for name, value in smtp.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    try:
        with factory() as session:
            rep = people_service.create_user(session=session, email="oulu.rep@example.com", role="sales_rep",
                                             password="correct horse battery")
            routing_service.save_rule_set({"rules": [{"name": "Oulu", "when": 'city == "Oulu"',
                                                      "to": "user:oulu.rep@example.com"}]},
                                          session=session, actor="test", activate=True)
            moment = clock.now()
            (lead_id,) = leads_service.insert_with_ids(Lead.__table__, [{
                "first_name": "Outi", "city": "Oulu", "stage": "sql", "custom_fields": {}, "manual_fields": [],
                "other_emails": [], "other_phones": [], "first_touch": {}, "last_touch": {}, "do_not_contact": False,
                "created_at": moment, "updated_at": moment}], session=session)
            routing_service.route([lead_id], session=session, trigger="sales_ready")
            session.commit()
        first = _start(url, log, "worker", "--once", **smtp)
        try:
            wait_for(inbox.arrived.is_set, what="the worker sent the alert", deadline_s=120,
                     alive=lambda: f"it exited first:\n{log.read_text()}" if first.poll() is not None else None)
            first.send_signal(signal.SIGKILL)  # killed before the server's "250": the job is not done
            first.wait()
        finally:
            inbox.release.set()
            if first.poll() is None:
                first.kill()
        later = clock.now() + timedelta(minutes=6)  # the killed worker's lease has run out
        clock.set_clock(lambda: later)
        try:
            worker.drain(factory)
        finally:
            clock.set_clock(None)
            get_settings.cache_clear()
        assert len(inbox.messages) == 2
        assert inbox.messages[0]["Message-ID"] == inbox.messages[1]["Message-ID"]
        assert inbox.messages[0]["Subject"] == inbox.messages[1]["Subject"]
        with factory() as session:
            assert session.scalar(select(func.count()).select_from(Notification).where(
                Notification.user_id == rep.id)) == 1
            assert session.scalar(select(func.count()).select_from(OutboxMessage).where(
                OutboxMessage.topic == events.EMAIL_SEND)) == 1
            assert session.scalar(select(func.count()).select_from(OutboxMessage).where(
                OutboxMessage.done_at.is_(None))) == 0
            routing_service.route([lead_id], session=session, trigger="sales_ready")  # again: it has its owner
            outbox.publish(session, events.LEAD_SALES_READY, {"lead_id": lead_id}, key="again")
            session.commit()
        worker.drain(factory)
        assert len(inbox.messages) == 2
    finally:
        controller.stop()
        engine.dispose()
        get_settings.cache_clear()
