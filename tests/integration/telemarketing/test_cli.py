"""`leadflow calls lists|create|add|build|next|outcome|release|throughput|scripts` on a database of their own,
through the `leadflow` command as it is assembled from the stages."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from leadflow import clock, db
from leadflow.cli import app
from leadflow.leads import service as leads_service
from leadflow.leads.models import Lead
from leadflow.people import service as people_service
from leadflow.telemarketing import scripts
from tests.integration.telemarketing.helpers import KIND, SCRIPT


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


def calls(*args):
    return CliRunner().invoke(app, ["calls", *[str(a) for a in args]], catch_exceptions=False)


def _world(factory) -> list[int]:
    with factory() as session:
        people_service.create_team(session=session, name="Callers", kind=KIND)
        for email, role in (("boss@example.com", "sales_manager"), ("ann@example.com", "telemarketer"),
                            ("bob@example.com", "telemarketer")):
            people_service.create_user(session=session, email=email, role=role, name=email.split("@")[0].title(),
                                       team="Callers", password="correct horse battery")
        scripts.create({"name": "Qualify", "questions": SCRIPT}, session=session)
        moment = clock.now()
        rows = [{"first_name": f"C{i}", "email": f"c{i}@example.com", "country": "FI", "stage": "new",
                 "phone": f"+35840555{i:04d}" if i < 3 else None, "city": "Oulu" if i % 2 else "Espoo",
                 "custom_fields": {}, "manual_fields": [], "other_emails": [], "other_phones": [], "first_touch": {},
                 "last_touch": {}, "do_not_contact": False, "created_at": moment, "updated_at": moment}
                for i in range(4)]
        ids = leads_service.insert_with_ids(Lead.__table__, rows, session=session)
        session.commit()
    return ids


def test_call_lists_are_made_filled_and_worked_from_the_command_line(cli_db):
    ids = _world(cli_db)
    assert "no call lists yet" in calls("lists").output
    assert "no call scripts yet" not in (shown := calls("scripts").output)
    assert "\tQualify\tv1\tcampaign -\ton\t3 question(s)" in shown

    bad = calls("create", "Wrong", "--owner", "boss@example.com", "--hours", "18:00-09:00")
    assert bad.exit_code == 1 and "hours_to" in bad.output
    assert calls("create", "Wrong", "--owner", "nobody@example.com").exit_code == 1
    made = calls("create", "Finland", "--owner", "boss@example.com", "--team", "Callers", "--hours", "00:00-24:00",
                 "--days", "1234567", "--zone", "Europe/Helsinki", "--script", 1, "--targets", "calls=2,reached=1")
    assert made.exit_code == 0, made.output
    list_id = int(made.output.split("call list ")[1].split(" ")[0])
    added = calls("add", list_id, "--lead", ids[0], "--lead", ids[3], "--lead", ids[0])
    assert added.exit_code == 0, added.output
    assert json.loads(added.output) == {"added": 1, "reopened": 0, "skipped": {"no_phone": 1}}
    assert calls("add", list_id).exit_code == 1

    by_condition = calls("create", "Oulu", "--owner", "boss@example.com", "--team", "Callers", "--condition",
                         'city == "Oulu"', "--hours", "00:00-24:00", "--days", "1234567")
    assert by_condition.exit_code == 0 and "the worker fills it" in by_condition.output
    oulu_id = int(by_condition.output.split("call list ")[1].split(" ")[0])
    built = calls("build", oulu_id)
    assert built.exit_code == 0 and "1 lead(s) added" in built.output  # Oulu: ids[1] has a phone, ids[3] none
    assert calls("build", list_id).exit_code == 1  # filled by hand
    listed = calls("lists").output
    assert f"{list_id}\tFinland\tmanual\tactive\t1 waiting, 1 due, 0 held, 0 done, 0 call-backs\tBoss" in listed
    assert f"{oulu_id}\tOulu\tcondition\tactive\t1 waiting" in listed

    first = json.loads(calls("next", list_id, "--user", "ann@example.com").output)
    assert (first["claimed"], first["lead_id"], first["zone"]) == (True, ids[0], "Europe/Helsinki")
    assert json.loads(calls("next", list_id, "--user", "bob@example.com").output)["claimed"] is False
    assert calls("release", list_id, ids[0], "--user", "bob@example.com").output.strip() == "nothing held"
    assert calls("release", list_id, ids[0], "--user", "ann@example.com").output.strip() == "released"
    assert json.loads(calls("next", list_id, "--user", "bob@example.com").output)["lead_id"] == ids[0]
    wrong = calls("outcome", list_id, ids[0], "--user", "bob@example.com", "--outcome", "qualified", "--answers",
                  '{"need": "desperately"}')
    assert wrong.exit_code == 1 and "answers.need" in wrong.output
    done = calls("outcome", list_id, ids[0], "--user", "bob@example.com", "--outcome", "qualified", "--answers",
                 '{"need": "high", "role": "CTO"}', "--seconds", 240, "--note", "Wants a quote")
    assert done.exit_code == 0, done.output
    result = json.loads(done.output)
    assert result["done"] is True and "filled BANT need, job title" in result["did"]
    assert calls("outcome", list_id, ids[0], "--user", "bob@example.com", "--outcome", "busy").exit_code == 1
    no_time = calls("outcome", oulu_id, ids[1], "--user", "ann@example.com", "--outcome", "call_back")
    assert no_time.exit_code == 1 and "callback_at" in no_time.output

    everyone = calls("throughput").output
    assert "Finland\tBob\t1 calls\t1 reached\t1 qualified\t4.0 min/call\t1 day(s)" in everyone
    assert "calls 1.0/2 missed, reached 1.0/1 met" in everyone
    assert calls("throughput", "--user", "ann@example.com").output.strip() == "no calls in the last 7 day(s)"
    assert "Bob" in calls("throughput", "--list", list_id, "--user", "bob@example.com").output
