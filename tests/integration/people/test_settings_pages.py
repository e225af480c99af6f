"""Settings pages: users (created with a password shown once), teams, API keys (shown once), admins only."""

from __future__ import annotations

import re

import pytest

from leadflow.people.models import Team, User
from tests.integration.people.factories import person
from tests.integration.people.pages import form_token, sign_in

SECRET = re.compile(r'<code id="secret-value">([^<]+)</code>')


@pytest.fixture
def admin(client, factory):
    who = person(factory, "admin")
    assert sign_in(client, who.email).status_code == 303
    return who


def _token(client) -> str:
    return form_token(client, "/settings")


def test_create_user_shows_the_password_once_and_they_can_sign_in(client, admin, factory, session):
    token = _token(client)
    r = client.post("/settings/users", data={"csrf_token": token, "email": "New.Rep@Example.com", "name": "New Rep",
                                             "role": "sales_rep", "team": ""})
    assert r.status_code == 201
    assert r.headers["cache-control"] == "no-store"
    password = SECRET.search(r.text).group(1)
    assert "shown only this once" in r.text.lower()
    listing = client.get("/settings/users")
    assert "new.rep@example.com" in listing.text and password not in listing.text

    client.cookies.clear()
    assert sign_in(client, "new.rep@example.com", password).status_code == 303
    assert client.get("/").status_code == 200


def test_create_user_errors_beside_the_fields(client, admin):
    token = _token(client)
    r = client.post("/settings/users", data={"csrf_token": token, "email": "not an address", "role": "sales_rep"})
    assert r.status_code == 422 and 'id="error-email"' in r.text
    r = client.post("/settings/users", data={"csrf_token": token, "email": admin.email, "role": "sales_rep"})
    assert r.status_code == 422 and "already exists" in r.text
    r = client.post("/settings/users", data={"csrf_token": token, "email": "x@example.com", "role": "king"})
    assert r.status_code == 422 and 'id="error-role"' in r.text


def test_change_role_and_team(client, admin, factory, session):
    rep = person(factory, "sales_rep")
    token = _token(client)
    r = client.post("/settings/teams", data={"csrf_token": token, "name": "Nordics", "kind": "sales",
                                             "manager": str(admin.id), "shared": "1"})
    assert r.status_code == 200 and "Team Nordics created" in r.text
    team = session.query(Team).filter_by(name="Nordics").one()
    assert team.manager_id == admin.id and team.members_see_each_other

    r = client.post(f"/settings/users/{rep.id}", data={"csrf_token": token, "role": "sales_manager",
                                                     "team": str(team.id)})
    assert r.status_code == 200 and f"{rep.email} saved." in r.text
    user = session.get(User, rep.id, populate_existing=True)
    assert (user.role, user.team_id) == ("sales_manager", team.id)


def test_deactivated_user_can_no_longer_sign_in_and_can_be_reactivated(client, admin, factory, session):
    rep = person(factory, "sales_rep")
    token = _token(client)
    r = client.post(f"/settings/users/{rep.id}/deactivate", data={"csrf_token": token})
    assert r.status_code == 200 and "is deactivated" in r.text
    assert client.get("/api/v1/leads", headers=rep.headers).status_code == 401
    client.cookies.clear()
    assert sign_in(client, rep.email).status_code == 401

    assert sign_in(client, admin.email).status_code == 303
    token = _token(client)
    client.post(f"/settings/users/{rep.id}/reactivate", data={"csrf_token": token})
    client.cookies.clear()
    assert sign_in(client, rep.email).status_code == 303


def test_an_admin_cannot_deactivate_themselves_or_demote_the_last_admin(client, factory, session):
    session.query(User).filter(User.role == "admin").update({"is_active": False})
    session.commit()
    admin = person(factory, "admin")
    assert sign_in(client, admin.email).status_code == 303
    token = _token(client)
    r = client.post(f"/settings/users/{admin.id}/deactivate", data={"csrf_token": token})
    assert "You cannot deactivate yourself." in r.text
    r = client.post(f"/settings/users/{admin.id}", data={"csrf_token": token, "role": "marketing", "team": ""})
    assert "last active admin" in r.text
    assert session.get(User, admin.id, populate_existing=True).role == "admin"


def test_edit_team(client, admin, session):
    token = _token(client)
    client.post("/settings/teams", data={"csrf_token": token, "name": "Benelux", "kind": "sales"})
    team = session.query(Team).filter_by(name="Benelux").one()
    assert not team.members_see_each_other
    assert "Benelux" in client.get(f"/settings/teams/{team.id}").text
    r = client.post(f"/settings/teams/{team.id}", data={"csrf_token": token, "name": "Benelux & DACH",
                                                        "kind": "telemarketing", "shared": "1"})
    assert r.status_code == 200 and "Team Benelux &amp; DACH saved." in r.text
    session.refresh(team)
    assert (team.name, team.kind, team.members_see_each_other) == ("Benelux & DACH", "telemarketing", True)
    bad = client.post(f"/settings/teams/{team.id}", data={"csrf_token": token, "name": "", "kind": "sales"})
    assert bad.status_code == 422 and 'id="error-name"' in bad.text
    dup = client.post("/settings/teams", data={"csrf_token": token, "name": "Benelux & DACH", "kind": "sales"})
    assert dup.status_code == 422 and "already exists" in dup.text


def test_api_key_is_shown_once_works_and_stops_when_revoked(client, admin):
    token = _token(client)
    r = client.post("/settings/api-keys", data={"csrf_token": token, "name": "Website <form>",
                                                "user": str(admin.id), "scopes": ["leads:read"]})
    assert r.status_code == 201 and r.headers["cache-control"] == "no-store"
    key = SECRET.search(r.text).group(1)
    assert "Website &lt;form&gt;" in r.text and "data-copy" in r.text
    assert client.get("/api/v1/leads", headers={"Authorization": f"Bearer {key}"}).status_code == 200
    assert client.post("/api/v1/leads", headers={"Authorization": f"Bearer {key}"},
                       json={"email": "a@example.com"}).status_code == 403

    listing = client.get("/settings/api-keys")
    assert key not in listing.text and key.split("_")[1] in listing.text
    key_id = int(re.search(r'/settings/api-keys/(\d+)/revoke', listing.text.split("Website &lt;form&gt;")[1]).group(1))
    r = client.post(f"/settings/api-keys/{key_id}/revoke", data={"csrf_token": token})
    assert r.status_code == 200 and "is revoked" in r.text
    assert client.get("/api/v1/leads", headers={"Authorization": f"Bearer {key}"}).status_code == 401


def test_api_key_form_errors(client, admin):
    token = _token(client)
    r = client.post("/settings/api-keys", data={"csrf_token": token, "name": "", "user": ""})
    assert r.status_code == 422 and 'id="error-name"' in r.text
    r = client.post("/settings/api-keys", data={"csrf_token": token, "name": "x", "user": str(admin.id),
                                                "scopes": ["everything"]})
    assert r.status_code == 422 and 'id="error-scopes"' in r.text


@pytest.mark.parametrize("role", ["marketing", "sales_manager", "sales_rep", "telemarketer"])
def test_only_admins_see_settings(client, factory, role):
    who = person(factory, role)
    assert sign_in(client, who.email).status_code == 303
    token = form_token(client, "/")
    for path in ("/settings", "/settings/users", "/settings/teams", "/settings/api-keys"):
        assert client.get(path).status_code == 403, path
    assert client.post("/settings/users", data={"csrf_token": token, "email": "x@example.com",
                                                "role": "admin"}).status_code == 403
    assert client.post("/settings/api-keys", data={"csrf_token": token, "name": "x"}).status_code == 403


def test_settings_posts_without_csrf_are_refused(client, admin):
    assert client.post("/settings/users", data={"email": "x@example.com", "role": "admin"}).status_code == 403
    assert client.post("/settings/api-keys", data={"name": "x", "user": str(admin.id)}).status_code == 403
    assert client.post(f"/settings/users/{admin.id}/deactivate").status_code == 403
