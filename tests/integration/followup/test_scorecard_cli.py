"""`leadflow followup norms` and `leadflow followup scorecard` on a database of their own, through the `leadflow`
command as it is assembled from the stages."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from leadflow import db
from leadflow.cli import app


@pytest.fixture
def cli_db(fresh_database, monkeypatch):
    from leadflow.settings import get_settings

    db.upgrade(fresh_database.url)
    monkeypatch.setenv("LEADFLOW_DATABASE_URL", fresh_database.url)
    monkeypatch.setenv("LEADFLOW_SECRET_KEY", "test-secret-" + "x" * 40)
    get_settings.cache_clear()
    yield fresh_database
    get_settings.cache_clear()


def followup(*args):
    return CliRunner().invoke(app, ["followup", *[str(a) for a in args]], catch_exceptions=False)


def test_norms_are_shown_set_and_refused_with_the_field(cli_db):
    shown = followup("norms")
    assert shown.exit_code == 0, shown.output
    assert "followed_up_pct      >= 80" in shown.output and "average_order        >= 15000 EUR" in shown.output
    assert "sales_cycle_days     no norm" in shown.output
    changed = followup("norms", "--set", "followed_up_pct=90", "--set", "average_order=20000 USD")
    assert changed.exit_code == 0, changed.output
    assert "followed_up_pct      >= 90.00" in changed.output and ">= 20000.00 USD" in changed.output
    bad = followup("norms", "--set", "won_pct=150")
    assert bad.exit_code == 1 and "norms[0].value: a percentage from 0 to 100" in bad.output
    assert "won_pct              >= 25" in followup("norms").output


def test_the_scorecard_as_csv_from_the_command_line(cli_db):
    result = followup("scorecard", "--group", "team", "--period", "last_month", "--csv")
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert lines[0].startswith("group,key,label,handed_over") and lines[-1].startswith("team,,All,0,0")
    bad = followup("scorecard", "--from", "2026-13-01", "--to", "2026-12-31")
    assert bad.exit_code == 1 and "from: '2026-13-01' is not a date" in bad.output
