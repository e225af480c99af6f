"""The weekly digest: sent once to each person holding analytics:digest (marketing, sales managers) however often
the Monday job runs, received by a real SMTP server with a text part, an HTML part and the PDF attached (its text
holds the figures), each as its person may see them (a manager: their team's leads, no costs; their reps' follow-up
norms missed); a rep receives none. The same digest as JSON and as a PDF download for the person asking."""

from __future__ import annotations

import re
import zlib
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from leadflow import clock, events, outbox, worker
from leadflow.analytics import digest
from leadflow.analytics.models import DigestSent
from leadflow.settings import get_settings
from tests.integration.analytics import figures
from tests.integration.followup.factories import handover
from tests.integration.live import free_port
from tests.integration.people.factories import person, team
from tests.integration.people.pages import sign_in

API = "/api/v1/analytics"


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.rcpt_tos, message_from_bytes(envelope.content, policy=policy.default)))
        return "250 OK"


@pytest.fixture
def smtp(monkeypatch):
    """A real SMTP server on a free port; the worker reads its address from the environment."""
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    for name, value in {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(port), "SMTP_STARTTLS": "false",
                        "SMTP_FROM": "crm@example.com"}.items():
        monkeypatch.setenv(f"LEADFLOW_{name}", value)
    get_settings.cache_clear()
    yield inbox
    controller.stop()
    get_settings.cache_clear()


def pdf_text(data: bytes) -> str:
    """The text a PDF shows (fpdf2 writes each piece as `(text) Tj` in zlib-compressed page streams)."""
    shown = []
    for match in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", data, re.S):
        try:
            content = zlib.decompress(match.group(1))
        except zlib.error:
            continue
        shown += [m.decode("latin-1") for m in re.findall(rb"\((.*?)\) Tj", content)]
    return "\n".join(shown)


def _week_of_figures(factory):
    """Last week: 3 google leads (2 of the rep's team, one a customer of 5,000), 2,000 spent; the week before: 1
    google lead, 500 spent. The rep's hand-over last week was never followed up."""
    marketing = person(factory, "marketing")
    manager = person(factory, "sales_manager")
    team(factory, "East", manager=manager.email)
    rep = person(factory, "sales_rep", team="East")
    week = digest.last_week(clock.now().date())
    start = datetime(week.year, week.month, week.day, 10, tzinfo=UTC)
    with factory() as session:
        google = figures.campaign(session, source="google")
        figures.cost(session, google, amount="2000", on=week + timedelta(days=1))
        figures.cost(session, google, amount="500", on=week - timedelta(days=6))
        ids = [figures.lead(session, campaign_id=google, created_at=start + timedelta(days=1), stage="customer",
                            won="5000", owner_id=rep.id),
               figures.lead(session, campaign_id=google, created_at=start + timedelta(days=2), owner_id=rep.id),
               figures.lead(session, campaign_id=google, created_at=start + timedelta(days=2)),
               figures.lead(session, campaign_id=google, created_at=start - timedelta(days=6))]
        figures.refresh(session, ids)
        handover(session, ids[1], rep.id, handed_at=start + timedelta(days=2), hours=24)
        session.commit()
    return marketing, manager, rep, week


def _run_monday_job(factory, week) -> None:
    monday = datetime(week.year, week.month, week.day, 6, tzinfo=UTC) + timedelta(days=7)
    with factory() as session:
        outbox.publish(session, events.ANALYTICS_DIGEST, {"at": monday.isoformat()})
        session.commit()
    worker.drain(factory)


def test_each_manager_gets_the_digest_once_with_the_pdf_and_a_rep_none(factory, smtp):
    marketing, manager, rep, week = _week_of_figures(factory)
    _run_monday_job(factory, week)
    _run_monday_job(factory, week)  # a second run (another worker, a retry) sends nothing again

    received = {to[0]: message for to, message in smtp.messages}
    assert sorted(received) == sorted([marketing.email, manager.email]) and len(smtp.messages) == 2
    assert rep.email not in received

    mail = received[marketing.email]
    assert str(mail["Subject"]).strip() == f"Digest of {week:%d %b}: 3 leads, 1 customer, 5,000.00 EUR"
    text = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    assert "Leads      3" in text and "5,000.00 EUR" in text and "2,000.00 EUR" in text and "ROI" in text
    assert "<table" in html and "5,000.00 EUR" in html
    (attachment,) = list(mail.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_filename() == f"leadflow-digest-{week.isoformat()}.pdf"
    data = attachment.get_content()
    assert data.startswith(b"%PDF")
    shown = pdf_text(data)
    assert "5,000.00 EUR" in shown and "2,000.00 EUR" in shown and "150.0 %" in shown  # ROI (5000 - 2000) / 2000
    assert "google" in shown

    boss = received[manager.email]
    boss_text = boss.get_body(("plain",)).get_content()
    assert "Leads      2" in boss_text
    assert not re.search(r"^(Cost|ROI)\s", boss_text, re.M)  # no cost or ROI row for a manager
    assert "Costs and ROI are shown to marketing and admins." in boss_text
    assert "Followed up" in boss_text  # the rep's hand-over never followed up: the norm missed
    assert pdf_text(next(boss.iter_attachments()).get_content()).count("Followed up") == 1

    with factory() as session:
        rows = list(session.scalars(select(DigestSent).order_by(DigestSent.user_id)))
        assert [(r.user_id, r.week, r.emailed) for r in rows] == sorted(
            [(marketing.id, week, True), (manager.id, week, True)])
        assert {r.user_id: r.figures["now"]["leads"] for r in rows} == {marketing.id: 3, manager.id: 2}


def test_the_digest_as_json_and_as_a_pdf_for_the_person_asking(client, factory):
    marketing, manager, rep, week = _week_of_figures(factory)
    mine = client.get(f"{API}/digest", headers=marketing.headers, params={"week": week.isoformat()})
    assert mine.status_code == 200, mine.text
    body = mine.json()
    assert body["week"] == week.isoformat() and body["costs_shown"] is True
    assert body["now"] == {"leads": 3, "mqls": 1, "sqls": 1, "customers": 1, "revenue": "5000.00",
                           "cost": "2000.00", "roi": "1.5000"}
    assert body["before"]["leads"] == 1 and body["changes"][0]["source"] == "google"
    theirs = client.get(f"{API}/digest", headers=manager.headers, params={"week": week.isoformat()}).json()
    assert theirs["costs_shown"] is False and theirs["now"]["leads"] == 2 and theirs["now"]["cost"] is None
    assert "Followed up" in [m["figure"] for m in theirs["missed"] if m["area"] == "follow_up"]
    rep_view = client.get(f"{API}/digest", headers=rep.headers).json()
    assert rep_view["now"]["leads"] == 2 and rep_view["costs_shown"] is False

    future = client.get(f"{API}/digest", headers=marketing.headers, params={"week": clock.now().date().isoformat()})
    assert future.status_code == 422 and future.json()["errors"][0]["field"] == "week"
    bad = client.get(f"{API}/digest", headers=marketing.headers, params={"week": "last week"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "week"

    sign_in(client, marketing.email)
    pdf = client.get("/dashboards/digest.pdf", params={"week": (week + timedelta(days=3)).isoformat()})
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF") and "5,000.00 EUR" in pdf_text(pdf.content)
    assert f"leadflow-digest-{week.isoformat()}.pdf" in pdf.headers["content-disposition"]


def test_without_an_smtp_server_the_digest_is_recorded_not_emailed(factory):
    marketing, manager, rep, week = _week_of_figures(factory)
    with factory() as session:
        done = digest.send(week, session=session)
        again = digest.send(week, session=session)
        assert (done.sent, done.emailed, again.sent, again.skipped) == (2, 0, 0, 2)
        row = session.scalar(select(DigestSent).where(DigestSent.user_id == marketing.id))
        assert row.emailed is False and "no SMTP server" in row.note
        session.rollback()
