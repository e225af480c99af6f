"""The seeds' brochure journey end to end on a database of its own (SQLite and PostgreSQL): the ready template,
the worker's ticks on a simulated clock, the survey email sent through a real SMTP server (aiosmtpd), its bounce,
open and survey answers coming back through leadflow's public addresses, and every way of the branch."""

from __future__ import annotations

import itertools
import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from leadflow import events, outbox, worker
from leadflow.email.models import EmailMessage
from leadflow.journeys import jobs, service, template
from leadflow.leads.models import Activity, Lead
from leadflow.people import service as people_service
from leadflow.people.models import CallList, CallListLead
from leadflow.routing.models import Assignment
from leadflow.surveys import links as survey_links
from leadflow.surveys.models import Survey
from tests.conftest import make_settings
from tests.integration.email import reports
from tests.integration.email.conftest import SECRET, smtp  # noqa: F401 - the real SMTP server fixture

PASSES = itertools.count(1)
BROWSER = {"User-Agent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/120 Safari/537"}


@pytest.fixture
def app_client(world):
    from leadflow.app import create_app

    settings = make_settings(world.url, secret_key=SECRET, base_url="http://testserver")
    with world.factory() as session:
        _, key = people_service.create_api_key(session=session, name="tests")
        session.commit()
    with TestClient(create_app(settings, sessionmaker=world.factory), raise_server_exceptions=False) as client:
        yield client, {"Authorization": f"Bearer {key}"}, settings


def ticks(world) -> None:
    """The worker as it runs: journeys' tick (booked at start), the sender's pass, every handler, until idle (ten
    seconds on: the booked tick is due)."""
    world.clock.forward(seconds=10)
    with world.factory() as session:
        jobs.ensure_scheduled(session)
        outbox.publish(session, events.EMAIL_PASS, {"at": int(world.clock.at.timestamp())},
                       key=f"test-pass:{next(PASSES)}")
        session.commit()
    worker.drain(world.factory)


def test_the_brochure_journey_takes_each_lead_its_way(world, app_client, smtp):  # noqa: F811
    client, auth, settings = app_client
    with world.factory() as session:
        people_service.create_user(session=session, email="tina@example.com", role="telemarketer", name="Tina")
        journey = template.create_brochure_template(session=session, actor="tests")
        service.publish(journey, session=session, actor="tests")
        session.commit()
        journey_id = journey.id
    names = ["bounced", "quote", "answered", "opened", "silent"]
    leads = dict(zip(names, world.leads(5, prefix="brochure"), strict=True))
    assert sorted(world.enrol(journey_id, list(leads.values()))["entered"]) == sorted(leads.values())

    ticks(world)
    assert smtp.messages == []  # a week to wait
    world.clock.forward(days=7, seconds=5)
    ticks(world)
    ticks(world)
    assert len(smtp.messages) == 5  # the survey email, once each
    with world.factory() as session:
        sent = {m.lead_id: m for m in session.scalars(select(EmailMessage))}
        survey_id = session.scalar(select(Survey.id).where(Survey.key == "brochure-followup"))
    assert {m.status for m in sent.values()} == {"sent"}
    by_address = {recipients[0]: mime for recipients, mime in smtp.messages}

    world.clock.forward(hours=2)
    bounce = client.post("/api/v1/email/bounces", headers={**auth, "Content-Type": "message/rfc822"},
                         content=reports.dsn(sent[leads["bounced"]].to_address, sent[leads["bounced"]].id))
    assert bounce.status_code == 200, bounce.text
    for name in ("quote", "answered", "opened"):
        html = by_address[sent[leads[name]].to_address].get_body(("html",)).get_content()
        pixel = re.search(r'src="http://testserver(/t/o/[^"]+)"', html).group(1)
        assert client.get(pixel, headers=BROWSER).status_code == 200
    for name, next_step in (("quote", "quote"), ("answered", "nothing")):
        link = survey_links.survey_url(settings, survey_id, leads[name], sent[leads[name]].id)
        page = client.get(link.removeprefix("http://testserver"))
        assert page.status_code == 200, page.text
        answered = client.post(link.removeprefix("http://testserver"),
                               data={"need": "high", "timeline": "3m", "budget": "10k-50k",
                                     "authority": "decision_maker", "next_step": next_step})
        assert answered.status_code in (200, 303), answered.text
    ticks(world)  # the answers are heard: their runs' rows due now
    ticks(world)  # the next tick takes them their way
    runs = world.runs(journey_id)
    assert runs[leads["quote"]][:2] == ("done", "sales")
    assert runs[leads["answered"]][:2] == ("done", "points")
    assert runs[leads["opened"]][:2] == ("active", "answer")  # three days to answer

    world.clock.forward(days=3, seconds=5)
    ticks(world)
    runs = world.runs(journey_id)
    assert {name: runs[lead_id][:2] for name, lead_id in leads.items()} == {
        "bounced": ("done", "discard_bounced"), "quote": ("done", "sales"), "answered": ("done", "points"),
        "opened": ("done", "call"), "silent": ("done", "discard_unopened")}
    with world.factory() as session:
        stage = {name: session.get(Lead, lead_id).stage for name, lead_id in leads.items()}
        assert stage == {"bounced": "disqualified", "quote": "sql", "answered": "nurture", "opened": "new",
                         "silent": "disqualified"}
        assert session.get(Lead, leads["quote"]).sales_ready_at is not None
        assert session.scalar(select(Assignment.id).where(Assignment.lead_id == leads["quote"])) is not None
        listed = set(session.scalars(select(CallListLead.lead_id)
                                     .join(CallList, CallList.id == CallListLead.call_list_id)
                                     .where(CallList.name == "Brochure follow-up")))
        assert listed == {leads["opened"]}
        assert session.get(Lead, leads["answered"]).custom_fields.get("journey_points") == 10
        reasons = session.scalars(select(Activity.summary).where(Activity.lead_id == leads["silent"],
                                                                 Activity.kind == "stage_changed")).all()
        assert reasons and "other" in reasons[-1]
    # each (lead, step) once
    rows = world.steps(journey_id)
    assert len(rows) == len({(lead, step, visit) for lead, step, visit, *_ in rows})
    ticks(world)
    assert len(smtp.messages) == 5 and len(world.steps(journey_id)) == len(rows)
