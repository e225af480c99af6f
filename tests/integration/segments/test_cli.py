"""`leadflow segments list | create | show | members | rebuild` on a database of their own, through the `leadflow`
command as it is assembled from the stages."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from leadflow import clock, db
from leadflow.cli import app
from leadflow.leads import service as leads_service
from leadflow.leads.models import Lead


@pytest.fixture
def cli_db(fresh_database, monkeypatch):
    from leadflow.settings import get_settings

    db.upgrade(fresh_database.url)
    monkeypatch.setenv("LEADFLOW_DATABASE_URL", fresh_database.url)
    monkeypatch.setenv("LEADFLOW_SECRET_KEY", "test-secret-" + "x" * 40)
    get_settings.cache_clear()
    engine = db.make_engine(fresh_database.url)
    yield db.make_sessionmaker(engine)
    engine.dispose()
    get_settings.cache_clear()


def segments(*args):
    return CliRunner().invoke(app, ["segments", *[str(a) for a in args]], catch_exceptions=False)


def _leads(factory, countries: list[str]) -> list[int]:
    with factory() as session:
        moment = clock.now()
        rows = [{"first_name": f"C{i}", "email": f"c{i}@example.com", "country": c, "stage": "new",
                 "custom_fields": {}, "manual_fields": [], "other_emails": [], "other_phones": [], "first_touch": {},
                 "last_touch": {}, "do_not_contact": False, "created_at": moment, "updated_at": moment}
                for i, c in enumerate(countries)]
        ids = leads_service.insert_with_ids(Lead.__table__, rows, session=session)
        session.commit()
    return ids


def test_segments_are_made_worked_out_and_listed_from_the_command_line(cli_db):
    ids = _leads(cli_db, ["FI", "SE", "FI"])
    assert "No segments yet" in segments("list").output
    bad = segments("create", "--name", "Finns", "--condition", 'country = = "FI"')
    assert bad.exit_code == 1 and "condition:" in bad.output and "at column" in bad.output
    made = segments("create", "--name", "Finns", "--condition", 'country == "FI"', "--description", "Suomi")
    assert made.exit_code == 0, made.output
    segment_id = int(made.output.split("created segment ")[1].split(":")[0])
    assert "state: building" in segments("show", segment_id).output
    rebuilt = segments("rebuild", segment_id, "--now")
    assert rebuilt.exit_code == 0 and f"segment {segment_id}: 2 entered, 0 left" in rebuilt.output
    shown = segments("show", segment_id).output
    assert "members: 2" in shown and "state: built" in shown and 'condition: country == "FI"' in shown
    listed = segments("members", segment_id).output.strip().splitlines()
    assert listed == [f"{ids[0]}\tc0@example.com", f"{ids[2]}\tc2@example.com"]
    assert segments("members", segment_id, "--after", ids[0]).output.strip() == f"{ids[2]}\tc2@example.com"
    assert f"{segment_id}\t2\tbuilt\tFinns" in segments("list").output
    queued = segments("rebuild", segment_id)
    assert queued.exit_code == 0 and "being checked again by the worker" in queued.output
    missing = segments("show", 999999)
    assert missing.exit_code == 1 and "segment 999999 not found" in missing.output
    assert segments("create", "--name", "finns", "--condition", "score > 1").exit_code == 1
