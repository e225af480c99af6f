"""POST /bench/floor: the capture benchmark's floor exists only when LEADFLOW_BENCH_FLOOR is set."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from leadflow.app import create_app
from tests.conftest import make_settings


@pytest.fixture
def floor_client(database, factory):
    app = create_app(make_settings(database.url, bench_floor=True), sessionmaker=factory)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def test_floor_endpoint_is_not_mounted_on_a_normal_server(client, auth):
    r = client.post("/bench/floor", headers=auth, json={"email": "floor@example.com"})
    assert r.status_code == 404
    assert "/bench/floor" not in client.get("/openapi.json").json()["paths"]


def test_floor_endpoint_stores_one_capture_and_nothing_else(floor_client, auth):
    r = floor_client.post("/bench/floor", headers=auth, json={"email": "floor@example.com", "first_name": "Flo"})
    assert r.status_code == 201, r.text
    capture = floor_client.get(f"/api/v1/captures/{r.json()['capture_id']}", headers=auth).json()
    assert capture["channel"] == "bench_floor"
    assert capture["outcome"] == "created"
    assert capture["lead_id"] is None
    assert floor_client.get("/api/v1/leads", params={"email": "floor@example.com"},
                            headers=auth).json()["items"] == []


def test_floor_endpoint_checks_the_api_key_like_the_real_one(floor_client):
    r = floor_client.post("/bench/floor", headers={"Authorization": "Bearer lf_00000000_nope"},
                          json={"email": "floor@example.com"})
    assert r.status_code == 401


def test_floor_endpoint_refuses_malformed_json(floor_client, auth):
    r = floor_client.post("/bench/floor", headers={**auth, "content-type": "application/json"}, content=b"{")
    assert r.status_code == 400
    assert r.json()["errors"][0]["field"] == "body"
