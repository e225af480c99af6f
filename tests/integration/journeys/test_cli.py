"""`leadflow journeys ...` on a database of its own: import a definition, list, show the flow, simulate with a seed
(the same output twice), publish, enrol, pause and resume; a problem exits 1 naming the field."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from leadflow import db
from leadflow.cli import app
from tests.integration.journeys.journeys import brochure


@pytest.fixture
def cli_db(fresh_database, monkeypatch):
    from leadflow.settings import get_settings

    db.upgrade(fresh_database.url)
    monkeypatch.setenv("LEADFLOW_DATABASE_URL", fresh_database.url)
    monkeypatch.setenv("LEADFLOW_SECRET_KEY", "test-secret-" + "x" * 40)
    get_settings.cache_clear()
    yield fresh_database
    get_settings.cache_clear()


def journeys(*args):
    return CliRunner().invoke(app, ["journeys", *[str(a) for a in args]], catch_exceptions=False)


def test_a_journey_from_a_file_listed_shown_simulated_and_published(cli_db, tmp_path):
    path = tmp_path / "brochure.json"
    path.write_text(json.dumps(brochure()))
    made = journeys("import", path, "--name", "Brochure follow-up")
    assert made.exit_code == 0, made.output
    listed = journeys("list")
    assert "draft" in listed.output and "Brochure follow-up" in listed.output
    shown = journeys("show", 1)
    assert shown.exit_code == 0, shown.output
    assert "wait7: Wait (Wait): 7 days" in shown.output
    assert "when its email bounced (survey):" in shown.output and "otherwise:" in shown.output
    assert json.loads(journeys("show", 1, "--json").output) == brochure()
    first = journeys("simulate", 1, "--seed", 5, "--start", "2027-01-04T09:00:00+00:00", "--rate", "opened=60")
    second = journeys("simulate", 1, "--seed", 5, "--start", "2027-01-04T09:00:00+00:00", "--rate", "opened=60")
    assert first.exit_code == 0, first.output
    assert first.output == second.output and "0 sample leads through the draft (version 1)" in first.output
    assert journeys("publish", 1).output.strip() == "Published version 1 of journey 1."
    assert "live" in journeys("list").output
    assert journeys("pause", 1).output.strip() == "Journey 1 paused."
    assert journeys("pause", 1, "--resume").output.strip() == "Journey 1 resumed."


def test_problems_exit_1_naming_the_field(cli_db, tmp_path):
    broken = brochure()
    broken["steps"][0]["duration"] = "soon"
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(broken))
    bad = journeys("import", path, "--name", "Broken")
    assert bad.exit_code == 1 and "definition.steps.wait7.duration: 'soon' is no duration" in bad.output
    assert journeys("publish", 4).exit_code == 1
    path.write_text(json.dumps(brochure()))
    journeys("import", path, "--name", "Fine")
    rate = journeys("simulate", 1, "--rate", "opened=lots")
    assert rate.exit_code == 1 and "opened: 'lots' is not a number" in rate.output
    nobody = journeys("enrol", 1)
    assert nobody.exit_code == 1 and "lead: give --lead N" in nobody.output
    unpublished = journeys("enrol", 1, "--lead", 1)
    assert unpublished.exit_code == 1 and "publish it first" in unpublished.output
