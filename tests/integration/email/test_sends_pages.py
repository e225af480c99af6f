"""The sends' pages: a marketer makes an A/B test and a send from the forms (CSRF checked, problems named beside
their field), the list shows it, the results page shows the chart's data and its table; a salesperson may not
see them. And the command line: a send made, listed and its results; the Hillstrom file judged by ab-test."""

from __future__ import annotations

import json
import re

from typer.testing import CliRunner

from leadflow import worker
from tests.integration.email.sends_helpers import campaign_with_leads, templates
from tests.integration.people.factories import person
from tests.integration.people.pages import form_token, sign_in


def _signed_in(client, factory, role: str):
    who = person(factory, role)
    assert sign_in(client, who.email).status_code == 303
    return who


def test_a_marketer_makes_a_test_and_a_send_from_the_pages_and_reads_the_results(client, factory):
    a, b = templates(factory, "Page A", "Page <B>")
    campaign_id, _ = campaign_with_leads(factory, 30, code="pages")
    _signed_in(client, factory, "marketing")

    token = form_token(client, "/email/experiments")
    refused = client.post("/email/experiments", data={
        "csrf_token": token, "name": "Pages test", "key_0": "A", "template_0": str(a), "share_0": "60",
        "key_1": "B", "template_1": str(b), "share_1": "30", "holdout_pct": "10", "metric": "click",
        "window_days": "14"})
    assert refused.status_code == 422 and "The shares add up to 90 %, not 100 %." in refused.text
    assert 'value="Pages test"' in refused.text  # what was typed stays
    made = client.post("/email/experiments", data={
        "csrf_token": token, "name": "Pages test", "key_0": "A", "template_0": str(a), "share_0": "50",
        "key_1": "B", "template_1": str(b), "share_1": "50", "subject_1": "Other subject", "holdout_pct": "10",
        "metric": "click", "window_days": "14"}, follow_redirects=False)
    assert made.status_code == 303, made.text
    assert client.post("/email/experiments", data={"name": "No token"}).status_code == 403

    page = client.get("/email/sends")
    assert page.status_code == 200 and "Page &lt;B&gt;" in page.text  # escaped
    experiment_id = re.search(r'value="experiment:(\d+)"', page.text).group(1)
    token = form_token(client, "/email/sends")
    missing = client.post("/email/sends", data={"csrf_token": token, "name": "No audience",
                                                "content": f"template:{a}"})
    assert missing.status_code == 422 and "Choose a segment or a campaign." in missing.text
    created = client.post("/email/sends", data={
        "csrf_token": token, "name": "Pages send", "audience": f"campaign:{campaign_id}",
        "content": f"experiment:{experiment_id}", "window_days": "14"}, follow_redirects=False)
    assert created.status_code == 303, created.text
    worker.drain(factory)

    results = client.get(created.headers["location"])
    assert results.status_code == 200
    assert 'id="send-results"' in results.text and 'id="verdict"' in results.text
    assert "no winner yet" in results.text.lower()
    assert re.search(r"10 % held out\. +Sent from", results.text)  # two sentences, not "held out.Sent"
    data = json.loads(re.search(r'<script type="application/json"[^>]*>(.*?)</script>', results.text, re.S).group(1))
    assert "A" in json.dumps(data) and "hold-out" in json.dumps(data)
    assert re.search(r'<tr data-variant="hold-out">.*?<td class="num">(\d+)</td>', results.text, re.S)
    listed = client.get("/email/sends")
    assert "Pages send" in listed.text and "A/B test: Pages test" in listed.text


def test_a_salesperson_sees_no_sends(client, factory):
    _signed_in(client, factory, "sales_rep")
    assert client.get("/email/sends").status_code == 403
    assert client.get("/email/experiments").status_code == 403


def test_the_command_line_judges_the_hillstrom_file(shared_data):
    from leadflow.cli import app

    path = shared_data / "behaviour" / "hillstrom_email_campaign.csv"
    done = CliRunner().invoke(app, ["email", "ab-test", "--csv", str(path)], catch_exceptions=False)
    assert done.exit_code == 0, done.output
    assert "Mens E-Mail: 3894 of 21307 = 18.3 %" in done.output
    assert "Womens E-Mail: 3238 of 21387 = 15.1 %" in done.output
    assert "No E-Mail: 2262 of 21306 = 10.6 %" in done.output
    assert "vs No E-Mail: lift 72.1 %, z = 22.49" in done.output
    assert "winner: Mens E-Mail beats Womens E-Mail on visit with more than 99.9 % confidence" in done.output
    assert "winner: Mens E-Mail beats Womens E-Mail on spend with 97.0 % confidence" in done.output
    wrong = CliRunner().invoke(app, ["email", "ab-test", "--csv", str(path), "--rate", "opened"])
    assert wrong.exit_code == 1 and "no column 'opened'" in wrong.output


def test_the_command_line_makes_a_send_and_shows_its_results(fresh_database, monkeypatch):
    from leadflow import db
    from leadflow.cli import app
    from leadflow.settings import get_settings

    db.upgrade(fresh_database.url)
    engine = db.make_engine(fresh_database.url)
    factory = db.make_sessionmaker(engine)
    monkeypatch.setenv("LEADFLOW_DATABASE_URL", fresh_database.url)
    monkeypatch.setenv("LEADFLOW_SECRET_KEY", "test-secret-" + "x" * 40)
    get_settings.cache_clear()
    try:
        a, b = templates(factory, "Cli A", "Cli B")
        campaign_id, _ = campaign_with_leads(factory, 20, code="cli")
        runner = CliRunner()
        bad = runner.invoke(app, ["email", "experiment", "--name", "Cli test", "--variant", f"A={a}",
                                  "--variant", f"B={b}", "--split", "70,20"])
        assert bad.exit_code == 1 and "split: the shares add up to 90 %, not 100 %" in bad.output
        made = runner.invoke(app, ["email", "experiment", "--name", "Cli test", "--variant", f"A={a}",
                                   "--variant", f"B={b}", "--holdout", "10"], catch_exceptions=False)
        assert made.exit_code == 0 and "A 50 %, B 50 %, hold-out 10 %" in made.output, made.output
        experiment_id = re.search(r"A/B test (\d+)", made.output).group(1)
        sent = runner.invoke(app, ["email", "sends", "create", "--name", "Cli send", "--campaign", str(campaign_id),
                                   "--experiment", experiment_id], catch_exceptions=False)
        assert sent.exit_code == 0 and "sending: Cli send" in sent.output, sent.output
        send_id = re.search(r"send (\d+)", sent.output).group(1)
        worker.drain(factory)
        listed = runner.invoke(app, ["email", "sends", "list"], catch_exceptions=False)
        assert "Cli send" in listed.output and "audience 20" in listed.output
        shown = runner.invoke(app, ["email", "sends", "results", send_id, "--json"], catch_exceptions=False)
        variants = {row["variant"]: row for row in json.loads(shown.output)["variants"]}
        assert sum(row["audience"] for row in variants.values()) == 20
        none = runner.invoke(app, ["email", "sends", "results", "999999"])
        assert none.exit_code == 1 and "no send 999999" in none.output
    finally:
        get_settings.cache_clear()
        engine.dispose()


def test_numbers_typed_with_other_digits_are_problems_not_server_errors(client, factory):
    a, b = templates(factory, "Digits A", "Digits B")
    _signed_in(client, factory, "marketing")
    odd = "\u00b2"  # a digit to str.isdigit(), not to int()
    token = form_token(client, "/email/experiments")
    base = {"csrf_token": token, "name": "Digits", "key_0": "A", "template_0": str(a), "key_1": "B",
            "template_1": str(b), "holdout_pct": "10", "metric": "click", "window_days": "14"}
    for change in ({"template_0": odd}, {"share_0": odd}, {"holdout_pct": odd}, {"window_days": odd}):
        assert client.post("/email/experiments", data={**base, **change}).status_code == 422, change
    token = form_token(client, "/email/sends")
    base = {"csrf_token": token, "name": "Digits send", "audience": "segment:1", "content": f"template:{a}",
            "window_days": "14"}
    for change in ({"audience": "segment:" + odd}, {"content": "template:" + odd}, {"window_days": odd}):
        assert client.post("/email/sends", data={**base, **change}).status_code == 422, change
    assert client.get("/email/messages", params={"template_id": odd, "before": odd}).status_code == 200
