"""Schemathesis over /openapi.json: no input a client can send is a server error, and answers match the schema."""

from __future__ import annotations

import pytest
import schemathesis
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from tests.conftest import make_settings

SEED = 20260101
CONFIG = {
    "seed": SEED,
    "request-timeout": 600,  # a batch of 1,000 items on a loaded machine; the check is the answer, not the time
    "generation": {"max-examples": 4, "deterministic": True, "mode": "all", "database": "none"},
    "phases": {"examples": {"enabled": False}, "coverage": {"enabled": True}, "fuzzing": {"enabled": True},
               "stateful": {"enabled": False}},
}


@pytest.fixture
def contract_app(fresh_database):
    """The app on a database of its own whose requests commit for real: every operation's examples run in one test,
    and in a rolled-back transaction their savepoints' locks would pile up until PostgreSQL's lock table is full."""
    from leadflow import db
    from leadflow.app import create_app

    db.upgrade(fresh_database.url)
    settings = make_settings(fresh_database.url, meta_app_secret="meta-secret", meta_verify_token="verify",
                             google_ads_key="google-key")
    app = create_app(settings)
    yield app
    app.state.engine.dispose()


@pytest.fixture
def contract_key(contract_app) -> str:
    from leadflow.people import service as people_service

    with contract_app.state.sessionmaker() as session:
        _, key = people_service.create_api_key(session=session, name="contract")
        session.commit()
    return key


@pytest.fixture
def known_ids(contract_app, contract_key):
    from fastapi.testclient import TestClient

    from leadflow.people import service as people_service

    with contract_app.state.sessionmaker() as session:
        owner = people_service.create_user(session=session, email="caller@example.com", role="telemarketer",
                                           password="correct horse battery")
        session.commit()
    headers = {"Authorization": f"Bearer {contract_key}"}
    with TestClient(contract_app) as client:
        lead = client.post("/api/v1/leads", headers=headers, json={"email": "a@example.com", "first_name": "A"})
        company = client.post("/api/v1/companies", headers=headers, json={"name": "Acme"})
        campaign = client.post("/api/v1/campaigns", headers=headers, json={"name": "Spring", "code": "SPRING"})
        form = client.post("/api/v1/forms", headers=headers, json={
            "name": "Contact", "fields": [{"maps_to": "email", "required": True, "label": {"en": "Email"}}]})
        call_list = client.post("/api/v1/call-lists", headers=headers, json={
            "name": "Calls", "owner_id": owner.id, "hours_from": 0, "hours_to": 1440, "days": "1234567"})
        client.patch(f"/api/v1/leads/{lead.json()['id']}", headers=headers, json={"phone": "+358401234567"})
        client.post(f"/api/v1/call-lists/{call_list.json()['id']}/leads", headers=headers,
                    json={"lead_ids": [lead.json()["id"]]})
        script = client.post("/api/v1/call-scripts", headers=headers, json={"name": "Qualify", "questions": [
            {"key": "need", "label": "Need?", "kind": "text", "maps_to": "bant.need"}]})
    return {"lead_id": lead.json()["id"], "company_id": company.json()["id"], "campaign_id": campaign.json()["id"],
            "form_id": form.json()["id"], "call_list_id": call_list.json()["id"], "script_id": script.json()["id"]}


@pytest.fixture
def api_schema(contract_app):
    return schemathesis.openapi.from_asgi("/openapi.json", contract_app, config=schemathesis.Config.from_dict(CONFIG))


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
def test_no_input_is_a_server_error_and_answers_match_the_schema(case, contract_key, known_ids):
    for name, value in (case.path_parameters or {}).items():
        if name in known_ids and not isinstance(value, bool) and str(value).lstrip("-").isdigit() and len(str(value)) < 10:
            case.path_parameters[name] = known_ids[name]
    case.call_and_validate(headers={"Authorization": f"Bearer {contract_key}"},
                           checks=[not_a_server_error, response_schema_conformance])


def test_every_api_operation_declares_the_api_key_so_the_docs_can_authorize(client, api_key):
    schema = client.get("/openapi.json").json()
    assert schema["components"]["securitySchemes"]["apiKey"] == {
        "type": "http", "scheme": "bearer", "bearerFormat": "API key",
        "description": schema["components"]["securitySchemes"]["apiKey"]["description"]}
    api = [(path, method, op) for path, ops in schema["paths"].items() if path.startswith("/api/v1")
           for method, op in ops.items()]
    unsecured = [(path, method) for path, method, op in api if op.get("security") != [{"apiKey": []}]]
    assert api and unsecured == []
    assert "security" not in schema["paths"]["/healthz"]["get"]
    # the declared scheme is the one the API checks: without the key 401, with it 200
    assert client.get("/api/v1/leads").status_code == 401
    assert client.get("/api/v1/leads", headers={"Authorization": f"Bearer {api_key}"}).status_code == 200
