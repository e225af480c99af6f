"""Follow-up policies through the API and the command line: the first whose condition holds sets the due time (by
source, band or team), 422s name the field, only holders of followup:policies change them, the order can change."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime

from fastapi.testclient import TestClient

from leadflow import clock, db, worker
from leadflow.app import create_app
from leadflow.people import service as people_service
from tests.conftest import make_settings
from tests.integration.live import run_cli
from tests.integration.people.factories import lead, person, team

MONDAY = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)


def _create(client, auth, **fields):
    return client.post("/api/v1/followup/policies", headers=auth, json=fields)


def test_policies_are_checked_field_by_field(client, auth, factory):
    rep = person(factory, "sales_rep")
    assert client.get("/api/v1/followup/policies", headers=rep.headers).status_code == 403
    assert _create(client, rep.headers, name="Mine").status_code == 403
    cases = [({"name": "", "hours": 24}, "name"),
             ({"name": "Bad when", "when": "source ==", "hours": 4}, "when"),
             ({"name": "Unknown field", "when": "colour == \"red\""}, "when"),
             ({"name": "Zero", "hours": 0}, "hours"),
             ({"name": "Too long", "hours": 100000}, "hours"),
             ({"name": "Clock", "clock": "lunar"}, "clock"),
             ({"name": "Kind", "task_kind": "dance"}, "task_kind"),
             ({"name": "Remind", "remind_before_minutes": -5}, "remind_before_minutes"),
             ({"name": "Reassign", "reassign_after_hours": 0}, "reassign_after_hours"),
             ({"name": "Extra", "colour": "red"}, "colour")]
    for body, field in cases:
        r = _create(client, auth, **body)
        assert r.status_code == 422, (body, r.text)
        assert any(field in e["field"] for e in r.json()["errors"]), (body, r.json())
    assert client.get("/api/v1/followup/policies", headers=auth).json() == []

    google = _create(client, auth, name="Google", when='source == "google"', hours=4, clock="working_hours")
    assert google.status_code == 201, google.text
    assert _create(client, auth, name="google").status_code == 409
    hot = _create(client, auth, name="Hot", when='band == "hot"', hours=2, position=0).json()
    assert [p["name"] for p in client.get("/api/v1/followup/policies", headers=auth).json()] == ["Hot", "Google"]
    moved = client.post(f"/api/v1/followup/policies/{hot['id']}/move", headers=auth, json={"position": 5})
    assert [p["name"] for p in moved.json()] == ["Google", "Hot"]
    assert client.post(f"/api/v1/followup/policies/{hot['id']}/move", headers=auth,
                       json={"position": -1}).status_code == 422
    changed = client.put(f"/api/v1/followup/policies/{hot['id']}", headers=auth,
                         json={"name": "Hot leads", "when": 'band == "hot"', "hours": 1, "escalate": False})
    assert changed.status_code == 200 and changed.json()["hours"] == 1 and changed.json()["escalate"] is False
    assert client.put("/api/v1/followup/policies/999999", headers=auth, json={"name": "x"}).status_code == 404
    assert client.delete(f"/api/v1/followup/policies/{hot['id']}", headers=auth).status_code == 204
    assert client.get(f"/api/v1/followup/policies/{hot['id']}", headers=auth).status_code == 404
    assert [p["position"] for p in client.get("/api/v1/followup/policies", headers=auth).json()] == [0]


def test_the_first_policy_that_holds_sets_the_due_time_by_source_and_team(client, auth, factory):
    team(factory, "Enterprise")
    big, small = person(factory, "sales_rep", team="Enterprise"), person(factory, "sales_rep")
    assert _create(client, auth, name="Enterprise team", when='team == "Enterprise"', hours=48,
                   clock="calendar").status_code == 201
    assert _create(client, auth, name="Google ads", when='source == "google"', hours=4,
                   clock="calendar").status_code == 201
    clock.set_clock(lambda: MONDAY)
    try:
        ids = {}
        for name, who, touch in (("big", big, {"utm_source": "google"}), ("ads", small, {"utm_source": "google"}),
                                 ("other", small, {})):
            ids[name] = lead(client, auth, first_name=name, **touch)
            r = client.post(f"/api/v1/leads/{ids[name]}/assign", headers=auth, json={"to": f"user:{who.email}"})
            assert r.status_code == 201, r.text
        worker.drain(factory)
        got = {name: client.get(f"/api/v1/leads/{lead_id}/followups", headers=auth).json()[0]
               for name, lead_id in ids.items()}
    finally:
        clock.set_clock(None)
    assert got["big"]["policy"]["name"] == "Enterprise team" and got["big"]["team_id"] is not None
    assert datetime.fromisoformat(got["big"]["due_at"]) == datetime(2026, 11, 18, 9, 0, tzinfo=UTC)
    assert got["ads"]["policy"]["name"] == "Google ads"
    assert datetime.fromisoformat(got["ads"]["due_at"]) == datetime(2026, 11, 16, 13, 0, tzinfo=UTC)
    assert got["other"]["policy"]["name"] == "Default (24 hours on working days)"
    assert got["other"]["policy_id"] is None
    assert datetime.fromisoformat(got["other"]["due_at"]) == datetime(2026, 11, 17, 9, 0, tzinfo=UTC)


def test_the_command_line_imports_lists_and_exports_policies(fresh_database, tmp_path):
    url = fresh_database.url
    db.upgrade(url)
    good = tmp_path / "policies.yaml"
    good.write_text('policies:\n  - name: Web forms\n    when: channel == "form"\n    hours: 8\n'
                    '    clock: working_hours\n    task_kind: call\n  - name: Everything else\n    hours: 24\n')
    r = run_cli(url, "followup", "policies", "import", str(good))
    assert r.returncode == 0, r.stderr
    assert "2 follow-up policies saved" in r.stdout
    listed = run_cli(url, "followup", "policies", "list").stdout
    assert "1. Web forms: 8 h (working_hours)" in listed and "task: call" in listed
    exported = run_cli(url, "followup", "policies", "export", "--format", "json")
    assert [p["name"] for p in json.loads(exported.stdout)["policies"]] == ["Web forms", "Everything else"]
    bad = tmp_path / "bad.yaml"
    bad.write_text("policies:\n  - name: Broken\n    hours: -1\n")
    r = run_cli(url, "followup", "policies", "import", str(bad))
    assert r.returncode == 1 and "policies[0].hours" in r.stderr
    assert "1. Web forms" in run_cli(url, "followup", "policies", "list").stdout  # unchanged
    assert run_cli(url, "followup", "due").stdout.strip() == "no follow-up timer is due"


def test_the_same_policy_made_by_several_people_at_once_is_made_once(fresh_database):
    """Names are unique and positions a sequence however many write at once (one writer of the list at a time)."""
    db.upgrade(fresh_database.url)
    app = create_app(make_settings(fresh_database.url))
    engine = db.make_engine(fresh_database.url)
    factory = db.make_sessionmaker(engine)
    try:
        with factory() as session:
            _, key = people_service.create_api_key(session=session, name="tests")
            session.commit()
        auth = {"Authorization": f"Bearer {key}"}
        results: list[int] = []
        barrier = threading.Barrier(6)

        def create(index: int) -> None:
            with TestClient(app) as mine:
                barrier.wait(timeout=60)
                name = "Trade fair" if index % 2 else f"Web {index}"
                results.append(mine.post("/api/v1/followup/policies", headers=auth,
                                         json={"name": name, "hours": 8}).status_code)

        threads = [threading.Thread(target=create, args=(i,)) for i in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(results) == [201, 201, 201, 201, 409, 409], results
        with TestClient(app) as client:
            rows = client.get("/api/v1/followup/policies", headers=auth).json()
        names = [p["name"] for p in rows]
        assert sorted(names) == ["Trade fair", "Web 0", "Web 2", "Web 4"]
        assert sorted(p["position"] for p in rows) == [0, 1, 2, 3]
    finally:
        engine.dispose()
