"""What each role may do, straight from the permission table: an action a role lacks is a 403 with the reason."""

from __future__ import annotations

import pytest

from leadflow.people import roles
from tests.integration.people.factories import lead, person

# Every guarded action of the API, with the permission it needs (bodies are minimal: allowed is "not 403").
ACTIONS = (
    ("GET", "/api/v1/leads", None, "leads:read"),
    ("POST", "/api/v1/leads", {"email": "perm@example.com"}, "leads:create"),
    ("POST", "/api/v1/leads/batch", {"leads": []}, "leads:create"),
    ("POST", "/api/v1/leads/999999/merge", {"other_id": 999998}, "leads:merge"),
    ("POST", "/api/v1/leads/999999/unmerge", None, "leads:merge"),
    ("POST", "/api/v1/duplicates/999999/decision", {"verdict": "merge"}, "leads:merge"),
    ("GET", "/api/v1/duplicates", None, "leads:read"),
    ("GET", "/api/v1/captures", None, "leads:read"),
    ("GET", "/api/v1/companies", None, "companies:read"),
    ("POST", "/api/v1/companies", {}, "companies:write"),
    ("GET", "/api/v1/campaigns", None, "campaigns:read"),
    ("POST", "/api/v1/campaigns", {}, "campaigns:write"),
    ("PATCH", "/api/v1/campaigns/999999", {}, "campaigns:write"),
    ("POST", "/api/v1/campaigns/999999/costs", {}, "campaigns:write"),
    ("GET", "/api/v1/forms", None, "forms:read"),
    ("POST", "/api/v1/forms", {}, "forms:write"),
    ("PATCH", "/api/v1/forms/999999", {}, "forms:write"),
    ("GET", "/api/v1/imports", None, "imports:read"),
    ("POST", "/api/v1/imports", None, "imports:run"),
    ("POST", "/api/v1/imports/999999/start", None, "imports:run"),
    ("GET", "/api/v1/imports/999999/rejects.csv", None, "imports:read"),
    ("GET", "/api/v1/identity/survivorship", None, "leads:read"),
    ("PUT", "/api/v1/identity/survivorship", {"rules": {}}, "identity:rules"),
)


@pytest.mark.parametrize("role", roles.ROLES)
def test_each_role_is_refused_exactly_the_actions_its_permissions_lack(client, factory, role):
    who = person(factory, role)
    for method, path, body, permission in ACTIONS:
        r = client.request(method, path, headers=who.headers, json=body)
        if permission in roles.ROLE_PERMISSIONS[role]:
            assert r.status_code != 403, (role, method, path, r.text)
        else:
            assert r.status_code == 403, (role, method, path, r.status_code, r.text)
            assert permission in r.json()["errors"][0]["reason"]


def test_a_sales_rep_cannot_create_campaigns_edit_forms_or_run_imports_and_is_told_why(client, factory):
    rep = person(factory, "sales_rep")
    r = client.post("/api/v1/campaigns", headers=rep.headers, json={"name": "Spring fair", "channel": "event"})
    assert r.status_code == 403
    assert r.json()["errors"][0]["reason"] == ("the sales rep role may not create and edit campaigns and their "
                                               "costs (campaigns:write)")
    assert client.post("/api/v1/forms", headers=rep.headers, json={}).status_code == 403
    upload = client.post("/api/v1/imports", headers=rep.headers, files={"file": ("a.csv", b"email\na@example.com\n")})
    assert upload.status_code == 403


def test_a_sales_rep_may_edit_their_lead_but_not_give_it_to_someone_else(client, auth, factory):
    rep, other = person(factory, "sales_rep"), person(factory, "sales_rep")
    mine = lead(client, auth, owner=rep)
    assert client.patch(f"/api/v1/leads/{mine}", headers=rep.headers, json={"city": "Turku"}).status_code == 200
    r = client.patch(f"/api/v1/leads/{mine}", headers=rep.headers, json={"owner": other.id, "city": "Oulu"})
    assert r.status_code == 403 and "leads:assign" in r.json()["errors"][0]["reason"]
    after = client.get(f"/api/v1/leads/{mine}", headers=rep.headers).json()
    assert after["owner"] == rep.id and after["city"] == "Turku"


def test_a_telemarketer_may_not_merge_a_lead_on_their_list(client, auth, factory):
    from tests.integration.people.factories import call_list

    caller = person(factory, "telemarketer")
    a, b = lead(client, auth), lead(client, auth)
    call_list(factory, caller, [a, b])
    r = client.post(f"/api/v1/leads/{a}/merge", headers=caller.headers, json={"other_id": b})
    assert r.status_code == 403 and "leads:merge" in r.json()["errors"][0]["reason"]


def test_scopes_narrow_a_keys_permissions_below_its_users_role(client, auth, factory):
    reader = person(factory, "marketing", scopes=["leads:read"])
    assert client.get("/api/v1/leads", headers=reader.headers).status_code == 200
    r = client.post("/api/v1/leads", headers=reader.headers, json={"email": "scoped@example.com"})
    assert r.status_code == 403 and "scopes (leads:read)" in r.json()["errors"][0]["reason"]
    assert client.get("/api/v1/campaigns", headers=reader.headers).status_code == 403
    campaigner = person(factory, "sales_rep", scopes=["campaigns:write", "campaigns:read"])
    refused = client.post("/api/v1/campaigns", headers=campaigner.headers, json={"name": "X", "channel": "event"})
    assert refused.status_code == 403 and "sales rep role" in refused.json()["errors"][0]["reason"]


def test_a_key_scoped_to_reading_sees_only_its_reps_leads(client, auth, factory):
    rep = person(factory, "sales_rep", scopes=["leads:read"])
    mine, other = lead(client, auth, owner=rep), lead(client, auth)
    ids = {i["id"] for i in client.get("/api/v1/leads", headers=rep.headers, params={"limit": 500}).json()["items"]}
    assert ids == {mine} and other not in ids
    assert client.patch(f"/api/v1/leads/{mine}", headers=rep.headers, json={"city": "x"}).status_code == 403
