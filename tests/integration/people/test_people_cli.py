"""The first admin on first start, `leadflow user`, `leadflow team` and API keys that belong to a user."""

from __future__ import annotations

import re

from leadflow import db
from leadflow.people import roles
from tests.conftest import make_settings
from tests.integration.live import LiveServer, run_cli
from tests.integration.people.pages import sign_in


def serve_once(url: str, **extra: str) -> str:
    """Start `leadflow serve`, wait until it answers, stop it; return what it printed on the terminal."""
    with LiveServer(url, **extra) as server:
        server.stop()
        return server.log()


def browser(url: str):
    from fastapi.testclient import TestClient

    from leadflow.app import create_app

    return TestClient(create_app(make_settings(url)))


def test_the_first_start_creates_the_admin_and_prints_its_password_once(fresh_database):
    url = fresh_database.url
    db.upgrade(url)
    first = serve_once(url, LEADFLOW_ADMIN_EMAIL="boss@example.com")
    passwords = re.findall(r"password: (\S+)", first)
    assert len(passwords) == 1 and "boss@example.com" in first
    second = serve_once(url, LEADFLOW_ADMIN_EMAIL="boss@example.com")
    assert passwords[0] not in second and "password:" not in second
    with browser(url) as client:
        assert sign_in(client, "boss@example.com", passwords[0]).status_code == 303
        assert client.get("/").url.path == "/settings"  # the admin starts in the settings


def test_user_create_prints_a_generated_password_or_takes_one_from_stdin(fresh_database):
    url = fresh_database.url
    db.upgrade(url)
    assert run_cli(url, "team", "create", "--name", "Nordics", "--kind", "sales").returncode == 0
    generated = run_cli(url, "user", "create", "--email", "Rep@Example.com", "--role", "sales_rep",
                        "--name", "Rita Rep", "--team", "Nordics")
    assert generated.returncode == 0, generated.stderr
    password = generated.stdout.strip()
    assert generated.stdout == password + "\n" and len(password) >= 16
    given = run_cli(url, "user", "create", "--email", "tm@example.com", "--role", "telemarketer",
                    "--password-stdin", input="my own long passphrase\n")
    assert given.returncode == 0 and given.stdout == ""
    assert run_cli(url, "user", "create", "--email", "x@example.com", "--role", "king").returncode == 1
    short = run_cli(url, "user", "create", "--email", "y@example.com", "--role", "marketing", "--password-stdin",
                    input="short\n")
    assert short.returncode == 1 and "at least 10 characters" in short.stderr
    listed = run_cli(url, "user", "list").stdout
    assert "rep@example.com\tRita Rep\tsales_rep\tNordics\tactive" in listed
    with browser(url) as client:
        assert sign_in(client, "rep@example.com", password).status_code == 303
        client.cookies.clear()
        assert sign_in(client, "tm@example.com", "my own long passphrase").status_code == 303
    assert run_cli(url, "user", "deactivate", "rep@example.com").returncode == 0
    with browser(url) as client:
        assert sign_in(client, "rep@example.com", password).status_code == 401


def test_api_keys_belong_to_a_user_or_the_first_admin_and_scopes_are_checked(fresh_database, tmp_path):
    url = fresh_database.url
    db.upgrade(url)
    legacy = run_cli(url, "apikey", "create", "--name", "before any user").stdout.strip()
    admin = run_cli(url, "user", "create", "--email", "admin@example.com", "--role", "admin")
    run_cli(url, "user", "create", "--email", "rep@example.com", "--role", "sales_rep")
    rep_key = run_cli(url, "apikey", "create", "--name", "rep sync", "--user", "rep@example.com",
                      "--scope", "leads:read")
    assert rep_key.returncode == 0 and rep_key.stdout.startswith("lf_") and rep_key.stdout.count("\n") == 1
    default = run_cli(url, "apikey", "create", "--name", "ops")
    assert admin.returncode == 0 and default.returncode == 0
    bad = run_cli(url, "apikey", "create", "--name", "x", "--scope", "everything")
    assert bad.returncode == 1 and "unknown scope" in bad.stderr
    nobody = run_cli(url, "apikey", "create", "--name", "x", "--user", "ghost@example.com")
    assert nobody.returncode == 1
    listed = run_cli(url, "apikey", "list").stdout
    assert "rep sync" in listed and "rep@example.com\tleads:read" in listed
    assert "ops\t" in listed and "admin@example.com\tall" in listed
    assert "before any user" in listed and "(admin)\tall" in listed
    with browser(url) as client:
        created = client.post("/api/v1/leads", headers={"Authorization": f"Bearer {legacy}"},
                              json={"email": "legacy@example.com"})
        assert created.status_code == 201
        rep = {"Authorization": f"Bearer {rep_key.stdout.strip()}"}
        assert client.get("/api/v1/leads", headers=rep).json()["items"] == []
        assert client.post("/api/v1/leads", headers=rep, json={"email": "r@example.com"}).status_code == 403
        ops = {"Authorization": f"Bearer {default.stdout.strip()}"}
        assert client.get("/api/v1/leads", headers=ops).json()["items"][0]["email"] == "legacy@example.com"
    everything, theirs = tmp_path / "all.csv", tmp_path / "rep.csv"
    assert run_cli(url, "export", "leads", str(everything)).returncode == 0
    assert run_cli(url, "export", "leads", str(theirs), "--user", "rep@example.com").returncode == 0
    assert len(everything.read_text().splitlines()) == 2 and len(theirs.read_text().splitlines()) == 1


def test_user_password_sets_a_new_password_unlocks_the_account_and_ends_its_sessions(fresh_database):
    url = fresh_database.url
    db.upgrade(url)
    old = run_cli(url, "user", "create", "--email", "ann@example.com", "--role", "sales_rep").stdout.strip()
    with browser(url) as before:
        assert sign_in(before, "ann@example.com", old).status_code == 303
        with browser(url) as guesser:
            for _ in range(roles.MAX_FAILURES):
                sign_in(guesser, "ann@example.com", "a wrong guess 123")
            assert sign_in(guesser, "ann@example.com", old).status_code == 429  # locked out

        reset = run_cli(url, "user", "password", "ann@example.com")
        assert reset.returncode == 0, reset.stderr
        new = reset.stdout.strip()
        assert reset.stdout == new + "\n" and len(new) >= 16 and new != old
        assert "unlocked" in reset.stderr and new not in reset.stderr
        assert before.get("/", follow_redirects=False).status_code == 303  # the old session ended
    with browser(url) as client:
        assert sign_in(client, "ann@example.com", old).status_code == 401
        assert sign_in(client, "ann@example.com", new).status_code == 303

    typed = run_cli(url, "user", "password", "ann@example.com", "--password-stdin", input="a typed passphrase\n")
    assert typed.returncode == 0 and typed.stdout == ""
    with browser(url) as client:
        assert sign_in(client, "ann@example.com", "a typed passphrase").status_code == 303
    short = run_cli(url, "user", "password", "ann@example.com", "--password-stdin", input="short\n")
    assert short.returncode == 1 and "at least 10 characters" in short.stderr
    unknown = run_cli(url, "user", "password", "ghost@example.com")
    assert unknown.returncode == 1 and "error" in unknown.stderr and unknown.stdout == ""
