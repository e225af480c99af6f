"""The lead export (the inbox's CSV and `leadflow export leads`) carries what a team works with: score, grade,
band, stage and its reason, BANT answers, the owner and the campaigns by name; streamed, cells formula-safe."""

from __future__ import annotations

import csv
import io

from fastapi.testclient import TestClient

from leadflow import db
from leadflow.app import create_app
from tests.conftest import make_settings
from tests.integration.live import run_cli
from tests.integration.people.factories import person
from tests.integration.people.pages import sign_in

NEW_COLUMNS = {"score", "grade", "band", "stage", "stage_reason", "sales_ready_at", "bant_budget", "bant_authority",
               "bant_need", "bant_timeline", "owner_name", "owner_email", "campaign", "latest_campaign"}


def _story(client, auth, rep_id: int) -> tuple[int, int]:
    """A chief with BANT answers, owned by a rep, from a trade fair; a competitor disqualified; a formula."""
    assert client.post("/api/v1/campaigns", headers=auth, json={
        "name": "Elmia Subcontractor 2026", "code": "ELMIA26", "channel": "trade_fair"}).status_code == 201
    chief = client.post("/api/v1/leads", headers=auth, json={
        "first_name": "Astrid", "last_name": "Lund", "email": "astrid@lund.example", "job_title": "CEO",
        "country": "SE", "utm_campaign": "ELMIA26"}).json()["id"]
    assert client.put(f"/api/v1/leads/{chief}/bant", headers=auth, json={
        "budget": "10k-50k", "authority": "decision_maker", "timeline": "3 months"}).status_code == 200
    assert client.patch(f"/api/v1/leads/{chief}", headers=auth, json={"owner": rep_id}).status_code == 200
    rival = client.post("/api/v1/leads", headers=auth, json={
        "first_name": "=HYPERLINK(\"http://evil.example\")", "email": "rival@competitor.example"}).json()["id"]
    assert client.post(f"/api/v1/leads/{rival}/stage", headers=auth,
                       json={"to": "disqualified", "reason": "competitor"}).status_code == 200
    return chief, rival


def _check(rows: list[dict], chief: int, rival: int, rep_email: str, score: int) -> None:
    by_id = {int(row["id"]): row for row in rows}
    assert NEW_COLUMNS <= set(rows[0]) and "owner" not in rows[0]
    row = by_id[chief]
    assert (row["score"], row["grade"], row["band"]) == (str(score), "A", "warm")
    assert (row["bant_budget"], row["bant_authority"], row["bant_need"], row["bant_timeline"]) == (
        "10k-50k", "decision_maker", "", "3m")
    assert row["owner_email"] == rep_email and row["owner_name"] == f"sales_rep {rep_email}"
    assert row["campaign"] == row["latest_campaign"] == "Elmia Subcontractor 2026"
    assert (row["stage"], row["stage_reason"]) == ("new", "")
    assert (by_id[rival]["stage"], by_id[rival]["stage_reason"]) == ("disqualified", "competitor")
    assert by_id[rival]["first_name"].startswith("'=HYPERLINK")  # a spreadsheet will not run it


def test_the_inbox_export_names_the_owner_and_carries_score_stage_reason_and_bant(client, auth, factory):
    rep = person(factory, "sales_rep")
    chief, rival = _story(client, auth, rep.id)
    score = client.get(f"/api/v1/leads/{chief}", headers=auth).json()["score"]
    assert score == 25 + 5 + 12  # C-level, a target country, three BANT answers known
    sign_in(client, person(factory, "marketing").email)
    whole = client.get("/leads/export.csv")
    assert whole.status_code == 200 and whole.headers["content-type"].startswith("text/csv")
    _check(list(csv.DictReader(io.StringIO(whole.text))), chief, rival, rep.email, score)
    picked = client.post("/leads/bulk", data={"csrf_token": _token(client), "action": "export",
                                              "ids": [str(chief), str(rival)]})
    _check(list(csv.DictReader(io.StringIO(picked.text))), chief, rival, rep.email, score)


def test_the_command_line_export_has_the_same_columns(fresh_database, tmp_path):
    db.upgrade(fresh_database.url)
    key = run_cli(fresh_database.url, "apikey", "create", "--name", "export").stdout.strip()
    auth = {"Authorization": f"Bearer {key}"}
    engine = db.make_engine(fresh_database.url)
    try:
        with TestClient(create_app(make_settings(fresh_database.url), engine=engine)) as client:
            with db.make_sessionmaker(engine)() as session:
                from leadflow.people import service as people_service

                rep = people_service.create_user(session=session, email="rep@export.example", role="sales_rep",
                                                 name="sales_rep rep@export.example", password="x" * 16)
                session.commit()
                rep_id = rep.id
            chief, rival = _story(client, auth, rep_id)
            score = client.get(f"/api/v1/leads/{chief}", headers=auth).json()["score"]
    finally:
        engine.dispose()
    out = tmp_path / "leads.csv"
    result = run_cli(fresh_database.url, "export", "leads", str(out))
    assert result.returncode == 0, result.stderr
    _check(list(csv.DictReader(out.open(encoding="utf-8"))), chief, rival, "rep@export.example", score)


def _token(client) -> str:
    from tests.integration.people.pages import form_token

    return form_token(client, "/leads")
