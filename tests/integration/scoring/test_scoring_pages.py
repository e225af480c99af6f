"""Scoring through HTTP and the CLI: rule sets (validation with paths, YAML round trip, activation and rescore),
the lead's score in its JSON and on its page, the rescore and backtest commands."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from leadflow import db, worker
from leadflow.scoring import service as scoring_service
from tests.integration.people.factories import lead, person
from tests.integration.people.pages import form_token, sign_in

NOW = datetime.now(UTC)


def _event(factory, lead_id: int, event_type: str, at: datetime | None = None, **props) -> None:
    from leadflow.tracking.models import Event

    with factory() as session:
        event = Event(lead_id=lead_id, type=event_type, occurred_at=at or NOW, received_at=NOW, source="api",
                      properties=props)
        session.add(event)
        session.flush()
        scoring_service.score_events([event], session=session)
        session.commit()


def test_lead_json_carries_score_grade_band_and_the_explanation(client, auth, factory):
    lead_id = lead(client, auth, job_title="Chief Executive Officer")
    _event(factory, lead_id, "page_view", url="https://acme.example/pricing")
    _event(factory, lead_id, "webinar_attended")
    body = client.get(f"/api/v1/leads/{lead_id}", headers=auth).json()
    assert body["score"] == 25 + 1 + 10 + 20 and body["grade"] == "B" and body["band"] == "warm"
    assert body["stage"] == "new"
    assert {r["rule"] for r in body["score_explanation"]} >= {"webinar-attended", "seniority-c-level"}
    full = client.get(f"/api/v1/leads/{lead_id}/score", headers=auth).json()
    assert full["score"] == body["score"] and full["bands"] == {"hot": 60, "warm": 30}
    assert [r["rule"] for r in full["behaviour"]][:2] == ["webinar-attended", "pricing-page"]


def test_a_lead_someone_may_not_see_has_no_score_for_them(client, auth, factory):
    rep = person(factory, "sales_rep")
    lead_id = lead(client, auth)
    assert client.get(f"/api/v1/leads/{lead_id}/score", headers=rep.headers).status_code == 404


def test_an_invalid_rule_set_is_refused_with_the_path_of_each_problem(client, auth):
    definition = {"behaviour": [{"id": "x", "event": "page_view", "points": "ten"},
                                {"id": "y", "event": "download", "points": 5, "cap": {"points": 5, "period": "year"}}],
                  "bands": {"hot": 20, "warm": 40}}
    r = client.post("/api/v1/scoring/rule-sets", headers=auth, json={"definition": definition})
    assert r.status_code == 422
    fields = {e["field"] for e in r.json()["errors"]}
    assert {"behaviour[0].points", "behaviour[1].cap.period", "bands.hot"} <= fields


def test_rule_set_yaml_export_imports_back_unchanged(client, auth):
    rule_sets = client.get("/api/v1/scoring/rule-sets", headers=auth).json()
    active = next(r for r in rule_sets if r["status"] == "active")
    exported = client.get(f"/api/v1/scoring/rule-sets/{active['id']}?format=yaml", headers=auth)
    assert exported.status_code == 200 and "half_life_days: 30" in exported.text
    r = client.post("/api/v1/scoring/rule-sets", headers=auth, json={"text": exported.text, "format": "yaml"})
    assert r.status_code == 201, r.text
    assert r.json()["definition"] == active["definition"] and r.json()["status"] == "draft"


def test_marketing_may_edit_rules_and_a_sales_rep_may_not(client, factory):
    rep, marketer = person(factory, "sales_rep"), person(factory, "marketing")
    assert client.get("/api/v1/scoring/rule-sets", headers=rep.headers).status_code == 403
    assert client.get("/api/v1/scoring/rule-sets", headers=marketer.headers).status_code == 200


def test_activating_a_rule_set_rescores_every_lead_in_the_background(client, auth, factory):
    lead_id = lead(client, auth, job_title="Intern")
    _event(factory, lead_id, "download", name="Guide")
    assert client.get(f"/api/v1/leads/{lead_id}", headers=auth).json()["score"] == 0
    definition = {"name": "downloads matter", "half_life_days": 60,
                  "behaviour": [{"id": "dl", "label": "Download", "event": "download", "points": 70}]}
    draft = client.post("/api/v1/scoring/rule-sets", headers=auth, json={"definition": definition}).json()
    r = client.post(f"/api/v1/scoring/rule-sets/{draft['id']}/activate", headers=auth)
    assert r.status_code == 202
    worker.drain(factory)
    run = client.get(f"/api/v1/scoring/runs/{r.json()['run_id']}", headers=auth).json()
    assert run["status"] == "done" and run["done"] >= 1
    body = client.get(f"/api/v1/leads/{lead_id}", headers=auth).json()
    assert (body["score"], body["band"], body["grade"]) == (70, "hot", "D")


def test_a_changed_job_title_regrades_the_lead_through_the_worker(client, auth, factory):
    lead_id = lead(client, auth, job_title="Assistant")
    worker.drain(factory)
    assert client.get(f"/api/v1/leads/{lead_id}", headers=auth).json()["grade"] == "D"
    client.patch(f"/api/v1/leads/{lead_id}", headers=auth, json={"job_title": "VP Sales",
                                                                 "custom_fields": {"employees": 5000}})
    worker.drain(factory)
    body = client.get(f"/api/v1/leads/{lead_id}", headers=auth).json()
    assert body["grade"] == "B" and body["score"] == 18 + 15


def test_the_lead_page_panel_shows_score_band_and_why(client, auth, factory):
    admin = person(factory, "admin")
    lead_id = lead(client, auth, job_title="Head of Marketing")
    _event(factory, lead_id, "page_view", url="https://acme.example/demo")
    sign_in(client, admin.email)
    r = client.get(f"/leads/{lead_id}/score", headers={"HX-Request": "true"})
    assert r.status_code == 200
    assert "Visited the demo page" in r.text and "Vice president or head of" in r.text and "badge" in r.text
    assert 'id="score-slot"' in client.get(f"/leads/{lead_id}").text


def test_the_rule_set_page_shows_errors_beside_the_textarea_and_saves_a_valid_draft(client, factory):
    marketer = person(factory, "marketing")
    sign_in(client, marketer.email)
    page = client.get("/scoring")
    assert page.status_code == 200 and "Pricing" in page.text or "pricing" in page.text
    token = form_token(client, "/scoring/new")
    bad = client.post("/scoring/new", data={"csrf_token": token, "format": "yaml",
                                            "text": "behaviour:\n  - id: a\n    event: page_view\n    points: x\n"})
    assert bad.status_code == 422 and "behaviour[0].points" in bad.text
    broken = client.post("/scoring/new", data={"csrf_token": token, "format": "yaml", "text": "fit: [\n"})
    assert broken.status_code == 422 and "line" in broken.text
    good = client.post("/scoring/new", data={"csrf_token": token, "format": "yaml",
                                             "text": "name: Small\nbehaviour:\n  - id: a\n    event: page_view\n"
                                                     "    points: 2\n"}, follow_redirects=False)
    assert good.status_code == 303
    page = client.get("/scoring").text
    assert "Small" in page
    assert f"<td>marketing {marketer.email}</td>" in page and f"user:{marketer.id}" not in page  # by name


# -- the CLI, on a database of its own -----------------------------------------------------------------------

@pytest.fixture
def cli_db(fresh_database, monkeypatch):
    from leadflow.settings import get_settings

    db.upgrade(fresh_database.url)
    monkeypatch.setenv("LEADFLOW_DATABASE_URL", fresh_database.url)
    monkeypatch.setenv("LEADFLOW_SECRET_KEY", "test-secret-" + "x" * 40)
    get_settings.cache_clear()
    engine = db.make_engine(fresh_database.url)
    yield engine
    engine.dispose()
    get_settings.cache_clear()


def leadflow(*args):
    from leadflow.cli import app

    return CliRunner().invoke(app, [str(a) for a in args], catch_exceptions=False)


def _history(engine, count: int) -> None:
    """Leads 1..count: every third downloads twice and becomes a customer; the others only view a page."""
    when = (NOW - timedelta(days=1)).isoformat()
    with engine.begin() as conn:
        for i in range(1, count + 1):
            won = i % 3 == 0
            conn.execute(text("INSERT INTO leads (id, email, stage, custom_fields, manual_fields, first_touch, "
                              "last_touch, score_explanation, interests, do_not_contact, created_at, updated_at) "
                              "VALUES (:id, :email, :stage, '{}', '[]', '{}', '{}', '[]', '{}', false, :t, :t)"),
                         {"id": i, "email": f"l{i}@acme.example", "stage": "customer" if won else "new", "t": NOW})
            types = ["download", "download"] if won else ["page_view"]
            for t in types:
                conn.execute(text("INSERT INTO events (lead_id, type, occurred_at, received_at, source, properties) "
                                  "VALUES (:l, :t, :at, :at, 'api', :p)"),
                             {"l": i, "t": t, "at": datetime.fromisoformat(when), "p": json.dumps({"url": "/a"})})


def test_rescore_command_scores_a_few_hundred_leads_from_their_history(cli_db):
    _history(cli_db, 300)
    result = leadflow("rescore")
    assert result.exit_code == 0, result.output
    with cli_db.connect() as conn:
        scores = dict(conn.execute(text("SELECT id, score FROM leads")).all())
        assert conn.execute(text("SELECT count(*) FROM lead_scores")).scalar() == 300
    assert scores[3] == 20 and scores[1] == 1


def test_backtest_reports_conversion_per_band_lift_and_auc_for_current_and_proposed(cli_db, tmp_path):
    _history(cli_db, 30)
    proposed = tmp_path / "proposed.yaml"
    proposed.write_text("name: downloads are hot\nbands: {hot: 15, warm: 5}\nbehaviour:\n"
                        "  - {id: dl, event: download, points: 10}\n", "utf-8")
    result = leadflow("scoring", "backtest", "--rules", proposed)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    current = next(line for line in lines if line.startswith("current"))
    assert "leads 30" in current and "won 10" in current and "AUC 1.000" in current
    hot = [line for line in lines if line.strip().startswith("hot")]
    # proposed: the 10 customers score 20 (hot) and the others 0 (cold): all hot leads convert, lift 3
    assert "leads       10" in hot[1] and "100.0%" in hot[1] and "lift  3.00" in hot[1]


def test_export_and_import_commands_round_trip_a_rule_set(cli_db, tmp_path):
    out = tmp_path / "rules.yaml"
    assert leadflow("scoring", "export", out).exit_code == 0
    imported = leadflow("scoring", "import", out)
    assert imported.exit_code == 0 and "v2 saved as draft" in imported.output
    bad = tmp_path / "bad.json"
    bad.write_text('{"fit": [{"id": "a", "field": "nope", "match": "x", "points": 1}]}', "utf-8")
    refused = leadflow("scoring", "import", bad)
    assert refused.exit_code == 1 and "fit[0].field" in refused.output
