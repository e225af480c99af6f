"""`leadflow surveys ...` and the reads other stages use (latest answers per lead, what was submitted since)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from typer.testing import CliRunner

from leadflow import clock, db
from leadflow.settings import get_settings
from leadflow.surveys import queries
from tests.integration.people.factories import lead
from tests.integration.surveys.helpers import link, make_survey


@pytest.fixture
def cli_db(fresh_database, monkeypatch):
    db.upgrade(fresh_database.url)
    monkeypatch.setenv("LEADFLOW_DATABASE_URL", fresh_database.url)
    monkeypatch.setenv("LEADFLOW_SECRET_KEY", "test-secret-" + "x" * 40)
    get_settings.cache_clear()
    yield fresh_database
    get_settings.cache_clear()


def test_the_cli_adds_the_template_lists_shows_and_makes_a_leads_link(cli_db):
    from leadflow.cli import app
    from leadflow.leads.models import Lead

    runner = CliRunner()
    assert "no surveys yet" in runner.invoke(app, ["surveys", "list"], catch_exceptions=False).output
    made = runner.invoke(app, ["surveys", "template", "brochure"], catch_exceptions=False)
    assert made.exit_code == 0 and made.output.strip().endswith("brochure-followup created")
    again = runner.invoke(app, ["surveys", "template", "brochure"], catch_exceptions=False)
    assert again.output.strip().endswith("was there already")
    assert runner.invoke(app, ["surveys", "template", "webinar"], catch_exceptions=False).exit_code == 1
    listed = runner.invoke(app, ["surveys", "list"], catch_exceptions=False).output
    assert "brochure-followup\tv1\ton\t0 responses\tBrochure follow-up" in listed
    shown = runner.invoke(app, ["surveys", "show", "brochure-followup"], catch_exceptions=False).output
    assert "- need: How well does what you read fit what you need? [single, required] -> bant.need" in shown
    assert "(quote, meeting, call, nothing)" in shown
    assert runner.invoke(app, ["surveys", "show", "nope"], catch_exceptions=False).exit_code == 1

    engine = db.make_engine(cli_db.url)
    with db.make_sessionmaker(engine)() as session:
        person = Lead(email="cli@pumps.example", stage="new", channel="api")
        session.add(person)
        session.commit()
        lead_id = person.id
    engine.dispose()
    url = runner.invoke(app, ["surveys", "link", "brochure-followup", "--lead", str(lead_id), "--message", "5"],
                        catch_exceptions=False)
    assert url.exit_code == 0 and "/s/" in url.output
    from leadflow.surveys import links

    claims = links.read_token("test-secret-" + "x" * 40, url.output.strip().rsplit("/s/", 1)[1])
    assert (claims.lead_id, claims.message_id) == (lead_id, 5)
    assert runner.invoke(app, ["surveys", "link", "1", "--lead", "424242"], catch_exceptions=False).exit_code == 1


def test_latest_answers_take_each_keys_newest_answer_over_every_survey(client, auth, session):
    first = make_survey(client, auth, key="first")
    second = make_survey(client, auth, key="second", questions=[
        {"key": "need", "label": "Still need it?", "kind": "single", "options": [{"value": "low"}, {"value": "high"}],
         "required": True}])
    ann, bob, nobody = (lead(client, auth, email=f"{n}@pumps.example") for n in ("ann", "bob", "nobody"))
    started = clock.now()
    try:
        assert client.post(link(client, auth, first["id"], ann), data={"need": "high", "next_step": "quote",
                                                                      "role": "CTO"}).status_code == 200
        clock.set_clock(lambda: started + timedelta(minutes=5))
        assert client.post(link(client, auth, second["id"], ann), data={"need": "low"}).status_code == 200
        assert client.post(link(client, auth, first["id"], bob), data={"need": "low", "next_step": "nothing"}
                           ).status_code == 200
    finally:
        clock.set_clock(None)
    latest = queries.latest_answers([ann, bob, nobody], session=session)
    assert latest == {ann: {"need": "low", "next_step": "quote", "role": "CTO"},
                      bob: {"need": "low", "next_step": "nothing"}}
    since = queries.submitted([ann, bob, nobody], started + timedelta(minutes=1), session=session)
    assert {lead_id: [s["survey_id"] for s in items] for lead_id, items in since.items()} == {
        ann: [second["id"]], bob: [first["id"]]}
    assert set(queries.submitted([ann], None, session=session, survey_id=first["id"])) == {ann}
    assert queries.choices(session=session) == [(first["id"], "Survey first"), (second["id"], "Survey second")]
