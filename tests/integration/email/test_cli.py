"""`leadflow email ...` on a database of its own: a template from an MJML file, send what is due through a real
SMTP server, the log, bounces read from an .eml file and an mbox, suppress by hand."""

from __future__ import annotations

import mailbox

import pytest
from aiosmtpd.controller import Controller
from typer.testing import CliRunner

from leadflow import db
from leadflow.cli import app
from leadflow.email import service as email_service
from leadflow.leads.models import Lead
from leadflow.settings import get_settings
from tests.integration.email import reports
from tests.integration.email.conftest import BODY, Inbox, smtp_env
from tests.integration.live import free_port


@pytest.fixture
def cli_db(fresh_database, monkeypatch):
    db.upgrade(fresh_database.url)
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    monkeypatch.setenv("LEADFLOW_DATABASE_URL", fresh_database.url)
    smtp_env(monkeypatch, port)
    engine = db.make_engine(fresh_database.url)
    yield db.make_sessionmaker(engine), inbox
    engine.dispose()
    controller.stop()
    get_settings.cache_clear()


def _run(*args: str):
    return CliRunner().invoke(app, ["email", *args], catch_exceptions=False)


def test_the_cli_creates_sends_and_reads_bounces(cli_db, tmp_path):
    factory, inbox = cli_db
    body = tmp_path / "welcome.mjml"
    body.write_text(BODY, "utf-8")
    created = _run("create", "--name", "Welcome", "--subject", "Hi {{ first_name }}", "--body", str(body))
    assert created.exit_code == 0 and "template 1 created" in created.output
    broken = tmp_path / "broken.mjml"
    broken.write_text("<mjml><mj-body>{% if %}</mj-body></mjml>", "utf-8")
    refused = _run("create", "--name", "Broken", "--subject", "x", "--body", str(broken))
    assert refused.exit_code == 1 and "body_mjml: line 1" in refused.output
    with factory() as session:
        leads = [Lead(email="ann@example.com", first_name="Ann"), Lead(email="bob@example.com", first_name="Bob")]
        session.add_all(leads)
        session.flush()
        email_service.queue_messages([{"key": f"k{lead.id}", "lead_id": lead.id, "template_id": 1}
                                      for lead in leads], session=session)
        session.commit()
    assert "2 messages sent" in _run("send").output
    assert sorted(r for r, _ in inbox.messages) == [["ann@example.com"], ["bob@example.com"]]
    assert "0 messages sent" in _run("send").output

    eml = tmp_path / "bounce.eml"
    eml.write_text(reports.dsn("ann@example.com", 1), "utf-8")
    box = mailbox.mbox(str(tmp_path / "bounces.mbox"))
    box.add(mailbox.mboxMessage(reports.arf("bob@example.com", 2)))
    box.flush()
    read = _run("bounces", str(eml), str(tmp_path / "bounces.mbox"))
    assert read.exit_code == 0 and "hard\tann@example.com: hard bounce of message 1, suppressed" in read.output
    assert "complaint\tbob@example.com: complaint" in read.output
    log = _run("messages")
    assert "\tbounced\t" in log.output
    assert _run("suppress", "carol@example.com").output.strip() == "suppressed"
    assert _run("suppress", "carol@example.com").output.strip() == "already suppressed"
    assert _run("unsuppress", "carol@example.com").output.strip() == "allowed again"
    assert _run("bounces", str(tmp_path / "missing.eml")).exit_code == 1
