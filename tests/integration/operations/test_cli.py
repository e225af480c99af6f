"""The `leadflow` command: migrate, API keys, exports, and settings from the environment."""

from __future__ import annotations

import csv
import json

import httpx
from sqlalchemy import create_engine, inspect, text

from leadflow import db
from tests.integration.live import LiveServer, run_cli


def test_migrations_upgrade_from_empty_and_downgrade_back(fresh_database):
    url = fresh_database.url
    result = run_cli(url, "migrate")
    assert result.returncode == 0, result.stderr
    engine = create_engine(db.normalize_url(url))
    tables = set(inspect(engine).get_table_names())
    assert {"leads", "companies", "campaigns", "campaign_costs", "captures", "activities", "consents",
            "api_keys", "outbox", "forms", "imports"} <= tables
    down = run_cli(url, "migrate", "base", "--down")
    assert down.returncode == 0, down.stderr
    engine.dispose()
    engine = create_engine(db.normalize_url(url))
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    engine.dispose()
    assert run_cli(url, "migrate").returncode == 0


def test_apikey_create_prints_only_the_key_and_it_works_until_revoked(fresh_database):
    with LiveServer(fresh_database.url) as server:
        created = run_cli(server.url, "apikey", "create", "--name", "crm sync")
        assert created.returncode == 0
        key = created.stdout.strip()
        assert created.stdout == key + "\n" and key.startswith("lf_")
        headers = {"Authorization": f"Bearer {key}"}
        assert httpx.get(server.base + "/api/v1/leads", headers=headers).status_code == 200
        listed = run_cli(server.url, "apikey", "list").stdout
        assert "crm sync" in listed and key not in listed
        key_id = next(line.split("\t")[0] for line in listed.splitlines() if "crm sync" in line)
        assert run_cli(server.url, "apikey", "revoke", key_id).returncode == 0
        assert httpx.get(server.base + "/api/v1/leads", headers=headers).status_code == 401


def test_export_leads_and_captures_to_csv(fresh_database, tmp_path):
    with LiveServer(fresh_database.url) as server:
        for body in ({"email": "exp1@example.com", "first_name": "Één", "custom_fields": {"size": "L"},
                      "utm_source": "fair"},
                     {"email": "EXP1@example.com", "city": "Tromsø"}, {"email": "broken"}):
            httpx.post(server.base + "/api/v1/leads", json=body, headers=server.auth)
        leads_file, captures_file = tmp_path / "leads.csv", tmp_path / "captures.csv"
        assert run_cli(server.url, "export", "leads", str(leads_file)).returncode == 0
        assert run_cli(server.url, "export", "captures", str(captures_file)).returncode == 0
    leads = list(csv.DictReader(leads_file.open(encoding="utf-8")))
    assert len(leads) == 1
    assert leads[0]["email"] == "exp1@example.com" and leads[0]["first_name"] == "Één"
    assert leads[0]["city"] == "Tromsø" and json.loads(leads[0]["custom_fields"]) == {"size": "L"}
    assert leads[0]["first_utm_source"] == "fair"
    captures = list(csv.DictReader(captures_file.open(encoding="utf-8")))
    assert [c["outcome"] for c in captures] == ["created", "merged", "rejected"]
    assert captures[0]["lead_id"] == leads[0]["id"] and captures[2]["lead_id"] == ""
    assert {"id", "channel", "external_id", "received_at", "outcome", "lead_id"} <= set(captures[0])


def test_secret_key_is_generated_once_and_kept_in_the_database(fresh_database):
    from leadflow.settings import Settings, ensure_secret_key

    db.upgrade(fresh_database.url)
    engine = db.make_engine(fresh_database.url)
    settings = Settings(database_url=fresh_database.url, secret_key=None)
    first = ensure_secret_key(settings, engine)
    assert len(first) >= 32
    assert ensure_secret_key(settings, engine) == first
    with engine.connect() as conn:
        assert conn.execute(text("select value from instance_settings where key='secret_key'")).scalar() == first
    engine.dispose()


def test_json_logs_are_one_object_a_line(fresh_database):
    result = run_cli(fresh_database.url, "migrate", LEADFLOW_LOG_FORMAT="json", LEADFLOW_LOG_LEVEL="INFO")
    assert result.returncode == 0
    lines = [line for line in result.stderr.splitlines() if line.startswith("{")]
    assert lines
    for line in lines:
        entry = json.loads(line)
        assert {"time", "level", "logger", "message"} <= set(entry)
