"""Exactly once: a sender killed while the mail server holds its DATA leaves the message `sending`; the next pass
finds the lease run out, marks it unconfirmed with the reason and sends nothing again. Several passes at once
(threads, each its own sessions) send every message once. Both databases, committed for real."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from leadflow import clock, db
from leadflow.email import sender, template_service
from leadflow.email import service as email_service
from leadflow.email.models import EmailMessage
from leadflow.leads.models import Lead
from leadflow.settings import get_settings
from tests.integration.email.conftest import BODY, SECRET, smtp_env
from tests.integration.live import ROOT, cli_env, free_port


class HoldingInbox:
    """Takes the DATA, then holds its answer until released (the moment a sender can be cut off)."""

    def __init__(self, hold: bool):
        self.messages = []
        self.hold = hold
        self.received = threading.Event()
        self.release = threading.Event()

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        self.received.set()
        while self.hold and not self.release.is_set():
            await asyncio.sleep(0.05)
        return "250 OK"


@pytest.fixture
def own_db(fresh_database):
    db.upgrade(fresh_database.url)
    engine = db.make_engine(fresh_database.url)
    yield fresh_database, db.make_sessionmaker(engine)
    engine.dispose()


def _messages(factory, count: int) -> list[int]:
    with factory() as session:
        template = template_service.create({"name": "Brochure", "subject": "Hi {{ first_name }}", "body_mjml": BODY},
                                           session=session, user_id=None)
        leads = [Lead(email=f"person{i}@example.com", first_name=f"P{i}") for i in range(count)]
        session.add_all(leads)
        session.flush()
        email_service.queue_messages([{"key": f"m{lead.id}", "lead_id": lead.id, "template_id": template.id}
                                      for lead in leads], session=session)
        session.commit()
        return list(session.scalars(select(EmailMessage.id).order_by(EmailMessage.id)))


def _statuses(factory) -> dict[int, tuple[str, str | None]]:
    with factory() as session:
        return {m.id: (m.status, m.reason) for m in session.scalars(select(EmailMessage))}


def test_a_sender_killed_mid_send_sends_nothing_twice(own_db, monkeypatch):
    database, factory = own_db
    inbox = HoldingInbox(hold=True)
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        ids = _messages(factory, 1)
        env = cli_env(database.url, LEADFLOW_SMTP_HOST="127.0.0.1", LEADFLOW_SMTP_PORT=str(port),
                      LEADFLOW_SMTP_STARTTLS="false", LEADFLOW_SMTP_FROM="news@example.com",
                      LEADFLOW_SECRET_KEY=SECRET, PYTHONPATH=str(ROOT / "src"))
        process = subprocess.Popen([sys.executable, "-m", "leadflow", "email", "send"], env=env, cwd=ROOT,
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        try:
            assert inbox.received.wait(120), process.stdout.read1().decode() if process.poll() is not None else ""
        finally:
            process.kill()
            process.wait(30)
        inbox.release.set()
        assert _statuses(factory)[ids[0]][0] == "sending"  # committed before the SMTP conversation

        smtp_env(monkeypatch, port)
        settings = get_settings()
        assert sender.run_pass(factory, settings) == 0  # within the lease: left alone
        assert _statuses(factory)[ids[0]][0] == "sending"
        later = datetime.now(UTC) + sender.LEASE + timedelta(minutes=1)
        clock.set_clock(lambda: later)
        assert sender.run_pass(factory, settings) == 0
        status, reason = _statuses(factory)[ids[0]]
        assert status == "unconfirmed" and "not sent again by itself" in reason
        assert sender.run_pass(factory, settings) == 0
        assert len(inbox.messages) == 1  # the copy the server took while the sender died; never a second
    finally:
        clock.set_clock(None)
        controller.stop()
        get_settings.cache_clear()


def test_passes_running_at_once_send_each_message_once(own_db, monkeypatch):
    _, factory = own_db
    inbox = HoldingInbox(hold=False)
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        ids = _messages(factory, 40)
        smtp_env(monkeypatch, port)
        settings = get_settings()
        start = threading.Barrier(4)
        sent: list[int] = []
        errors: list[BaseException] = []

        def one_pass():
            try:
                start.wait()
                sent.append(sender.run_pass(factory, settings, limit=3))
            except BaseException as exc:  # noqa: BLE001 - reported by the test
                errors.append(exc)

        threads = [threading.Thread(target=one_pass) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(300)
        assert not errors, errors
        assert sum(sent) == 40
        assert sorted(int(m["X-Leadflow-Message"]) for m in inbox.messages) == ids
        assert {status for status, _ in _statuses(factory).values()} == {"sent"}
    finally:
        controller.stop()
        get_settings.cache_clear()
