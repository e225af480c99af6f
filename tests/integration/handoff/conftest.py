"""Handoff's fixtures: a settable clock, a Sales Ready lead made through the API, endpoints made through the API."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from leadflow import clock, worker
from tests.integration.people.factories import lead

SECRET = "whsec_test_" + "k" * 24


class Clock:
    def __init__(self):
        self.now = datetime.now(UTC).replace(microsecond=0)

    def advance(self, **delta) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def moment():
    state = Clock()
    clock.set_clock(lambda: state.now)
    yield state
    clock.set_clock(None)


def endpoint(client, auth, **body) -> dict:
    r = client.post("/api/v1/webhooks", headers=auth, json=body)
    assert r.status_code == 201, r.text
    return r.json()


def sales_ready_lead(client, auth, factory, **fields) -> int:
    """A lead the Sales Ready rule (grade B) accepts, taken through the worker."""
    assert client.put("/api/v1/sales-ready-rule", headers=auth,
                      json={"expression": 'grade = "B"'}).status_code == 200
    fields.setdefault("job_title", "VP Sales")
    fields.setdefault("custom_fields", {"employees": 5000})
    lead_id = lead(client, auth, **fields)
    worker.drain(factory)
    assert client.get(f"/api/v1/leads/{lead_id}", headers=auth).json()["stage"] == "sql"
    return lead_id


def deliveries(client, auth, **params) -> list[dict]:
    r = client.get("/api/v1/webhooks/deliveries", headers=auth, params=params)
    assert r.status_code == 200, r.text
    return r.json()


@pytest.fixture
def admin_page(app, factory):
    """A browser signed in as an admin."""
    from fastapi.testclient import TestClient

    from tests.integration.people.factories import person
    from tests.integration.people.pages import sign_in

    admin = person(factory, "admin")
    with TestClient(app, raise_server_exceptions=False) as browser:
        assert sign_in(browser, admin.email).status_code == 303
        yield browser
