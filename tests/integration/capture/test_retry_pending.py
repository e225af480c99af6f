"""A capture a failure left pending is processed again by the worker through the same intake, with waits between
attempts, and failed for good with its reason after the last; a Meta lead awaiting its fields is left alone."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from leadflow import clock, worker
from tests.conftest import make_settings


@pytest.fixture
def outage(connection, database):
    """The database refuses new leads named 'Faulty' (a trigger), as a lost connection or a lock would; heal()
    ends it. Created in the test's transaction, so it is gone with it."""
    if database.dialect == "postgresql":
        connection.execute(text(
            "CREATE FUNCTION lf_test_outage() RETURNS trigger AS $$ BEGIN IF NEW.first_name = 'Faulty' THEN "
            "RAISE EXCEPTION 'simulated outage'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql"))
        connection.execute(text("CREATE TRIGGER lf_test_outage BEFORE INSERT ON leads FOR EACH ROW "
                                "EXECUTE FUNCTION lf_test_outage()"))
        statements = ["DROP TRIGGER lf_test_outage ON leads", "DROP FUNCTION lf_test_outage()"]
    else:
        connection.execute(text("CREATE TRIGGER lf_test_outage BEFORE INSERT ON leads WHEN "
                                "NEW.first_name = 'Faulty' BEGIN SELECT RAISE(ABORT, 'simulated outage'); END"))
        statements = ["DROP TRIGGER lf_test_outage"]

    def heal() -> None:
        for statement in statements:
            connection.execute(text(statement))

    return heal


@pytest.fixture
def later():
    """Move the clock on (the worker claims jobs and captures by clock.now())."""
    offset = timedelta()

    def move(by: timedelta) -> None:
        nonlocal offset
        offset += by
        moved = clock.now() + by
        clock.set_clock(lambda: moved)

    yield move
    clock.set_clock(None)


def capture_of(client, auth, capture_id: int) -> dict:
    return client.get(f"/api/v1/captures/{capture_id}", headers=auth).json()


def test_a_capture_left_pending_by_a_failure_is_processed_again_by_the_worker(client, auth, factory, outage,
                                                                              later):
    r = client.post("/api/v1/leads", headers={**auth, "Idempotency-Key": "retry-1"},
                    json={"email": "faulty@example.com", "first_name": "Faulty", "utm_source": "fair"})
    assert r.status_code == 202, r.text
    capture = capture_of(client, auth, r.json()["capture_id"])
    assert capture["outcome"] == "pending" and capture["attempts"] == 1 and capture["retry_at"]
    assert "could not be processed" in capture["reasons"][0]["reason"]
    outage()
    worker.drain(factory)
    assert capture_of(client, auth, capture["id"])["outcome"] == "pending"  # its wait is not over yet
    later(timedelta(minutes=2))
    worker.drain(factory)
    done = capture_of(client, auth, capture["id"])
    assert done["outcome"] == "created" and done["lead_id"] and done["retry_at"] is None
    lead = client.get(f"/api/v1/leads/{done['lead_id']}", headers=auth).json()
    assert lead["email"] == "faulty@example.com" and lead["first_touch"]["utm_source"] == "fair"
    again = client.post("/api/v1/leads", headers={**auth, "Idempotency-Key": "retry-1"},
                        json={"email": "faulty@example.com", "first_name": "Faulty"})
    assert again.json() == {"capture_id": capture["id"], "outcome": "created", "lead_id": done["lead_id"]}
    assert again.status_code == 201


def test_a_capture_that_keeps_failing_ends_failed_with_its_reason(client, auth, factory, outage, later):
    r = client.post("/api/v1/leads", headers=auth, json={"email": "never@example.com", "first_name": "Faulty"})
    assert r.status_code == 202
    capture_id = r.json()["capture_id"]
    waits = []
    for _ in range(10):
        capture = capture_of(client, auth, capture_id)
        if capture["outcome"] != "pending":
            break
        waits.append(capture["attempts"])
        later(timedelta(hours=5))
        worker.drain(factory)
    capture = capture_of(client, auth, capture_id)
    assert capture["outcome"] == "failed" and capture["retry_at"] is None and capture["lead_id"] is None
    assert waits == [1, 2, 3, 4, 5, 6] and capture["attempts"] == 7
    assert "gave up after 7 attempts" in capture["reasons"][0]["reason"]
    failed = client.get("/api/v1/captures", params={"outcome": "failed"}, headers=auth).json()["items"]
    assert [c["id"] for c in failed] == [capture_id]


def test_a_meta_lead_awaiting_its_fields_is_not_retried(database, factory, api_key, later):
    from leadflow.app import create_app

    secret = "meta-app-secret"
    app = create_app(make_settings(database.url, meta_app_secret=secret), sessionmaker=factory)
    body = json.dumps({"object": "page", "entry": [{"id": "p1", "changes": [
        {"field": "leadgen", "value": {"leadgen_id": "lg-77", "page_id": "p1", "form_id": "f1"}}]}]}).encode()
    signature = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    auth = {"Authorization": f"Bearer {api_key}"}
    with TestClient(app) as client:
        r = client.post("/compat/meta/leadgen", content=body,
                        headers={"content-type": "application/json", "X-Hub-Signature-256": signature})
        assert r.status_code == 200, r.text
        capture_id = r.json()["received"][0]["capture_id"]
        later(timedelta(days=1))
        worker.drain(factory)
        capture = capture_of(client, auth, capture_id)
    assert capture["outcome"] == "pending" and capture["retry_at"] is None and capture["attempts"] == 0
    assert capture["reasons"][0]["field"] == "leadgen_id"
