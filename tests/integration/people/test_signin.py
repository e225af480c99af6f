"""Signing in and out of the web app: session cookie, CSRF on every form, lockout, the start page."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.routing import APIRoute

from leadflow import clock
from leadflow.web import csrf
from tests.integration.people.factories import PASSWORD, person
from tests.integration.people.pages import TOKEN, form_token, sign_in


@pytest.fixture
def moment():
    """A clock the test moves by hand."""
    state = {"now": clock.now()}
    clock.set_clock(lambda: state["now"])
    yield state
    clock.set_clock(None)


def test_signing_in_sets_a_safe_session_cookie_and_the_start_page_names_the_user(client, factory):
    rep = person(factory, "sales_rep")
    r = sign_in(client, rep.email.upper())
    assert r.status_code == 303 and r.headers["location"] == "/"
    cookie = next(c for c in r.headers.get_list("set-cookie") if c.startswith("leadflow_session="))
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" not in cookie
    start = client.get("/", follow_redirects=False)
    assert start.status_code == 303 and start.headers["location"] == "/my-day"  # my day
    home = client.get("/")
    assert home.status_code == 200 and rep.email in home.text and 'action="/logout"' in home.text


def test_the_session_cookie_is_secure_over_https(app, factory):
    from fastapi.testclient import TestClient

    rep = person(factory, "sales_rep")
    with TestClient(app, base_url="https://testserver") as browser:
        r = sign_in(browser, rep.email)
        cookie = next(c for c in r.headers.get_list("set-cookie") if c.startswith("leadflow_session="))
        assert "Secure" in cookie and "HttpOnly" in cookie


def test_pages_need_a_signed_in_user_and_return_to_the_asked_page(client, factory):
    r = client.get("/", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login"
    rep = person(factory, "sales_rep")
    assert sign_in(client, rep.email, next="/?tab=mine").headers["location"] == "/?tab=mine"


def test_sign_in_never_redirects_to_another_site(client, factory):
    rep = person(factory, "sales_rep")
    for target in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        client.cookies.clear()
        assert sign_in(client, rep.email, next=target).headers["location"] == "/"


def test_a_wrong_password_and_an_unknown_email_get_the_same_answer(client, factory):
    rep = person(factory, "sales_rep")
    wrong = sign_in(client, rep.email, "not the password")
    unknown = sign_in(client, "nobody@example.com", "not the password")
    assert wrong.status_code == unknown.status_code == 401
    assert "Wrong email or password." in wrong.text and "Wrong email or password." in unknown.text
    assert client.get("/", follow_redirects=False).status_code == 303


def test_five_failures_lock_the_account_for_fifteen_minutes_and_say_so(client, factory, moment):
    rep = person(factory, "sales_rep")
    for _ in range(4):
        assert sign_in(client, rep.email, "wrong password!").status_code == 401
    fifth = sign_in(client, rep.email, "wrong password!")
    assert fifth.status_code == 429 and "locked for 15 minutes" in fifth.text
    right = sign_in(client, rep.email)  # even the right password waits
    assert right.status_code == 429 and "locked for 15 minutes" in right.text
    moment["now"] += timedelta(minutes=14)
    assert sign_in(client, rep.email).status_code == 429
    moment["now"] += timedelta(minutes=2)
    assert sign_in(client, rep.email).status_code == 303


def test_an_unknown_email_locks_just_like_an_account_so_nobody_can_tell_them_apart(client, factory, moment):
    rep = person(factory, "sales_rep")
    answers = {}
    for email in (rep.email, "ghost@example.com"):
        answers[email] = [(r.status_code, TOKEN.sub("", r.text).replace(email, "EMAIL"))
                          for r in (sign_in(client, email, "wrong password!") for _ in range(6))]
    assert answers[rep.email] == answers["ghost@example.com"]
    assert [status for status, _ in answers[rep.email]] == [401, 401, 401, 401, 429, 429]


def test_signing_out_ends_the_session_for_good(client, factory):
    rep = person(factory, "sales_rep")
    sign_in(client, rep.email)
    session_cookie = client.cookies.get(csrf.SESSION_COOKIE)
    token = form_token(client, "/")
    r = client.post("/logout", data={"csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login"
    assert client.get("/login").text.count("You have signed out.") == 1
    client.cookies.set(csrf.SESSION_COOKIE, session_cookie)  # the old cookie, replayed
    assert client.get("/", follow_redirects=False).status_code == 303


def test_a_form_post_without_or_with_a_wrong_csrf_token_is_refused(client, factory):
    rep = person(factory, "sales_rep")
    form_token(client, "/login")
    missing = client.post("/login", data={"email": rep.email, "password": PASSWORD}, follow_redirects=False)
    assert missing.status_code == 403 and "reload the page" in missing.text
    wrong = client.post("/login", data={"email": rep.email, "password": PASSWORD, "csrf_token": "0" * 64},
                        follow_redirects=False)
    assert wrong.status_code == 403
    assert sign_in(client, rep.email).status_code == 303
    assert client.post("/logout", data={}, follow_redirects=False).status_code == 403
    other_browser_token = "f" * 64
    assert client.post("/logout", headers={"X-CSRF-Token": other_browser_token},
                       follow_redirects=False).status_code == 403
    assert client.get("/").status_code == 200  # still signed in
    header = client.post("/logout", headers={"X-CSRF-Token": form_token(client, "/")}, follow_redirects=False)
    assert header.status_code == 303  # htmx sends the token as a header


def test_a_token_from_one_session_does_not_work_in_another(app, factory):
    from fastapi.testclient import TestClient

    rep = person(factory, "sales_rep")
    with TestClient(app) as one, TestClient(app) as two:
        sign_in(one, rep.email)
        sign_in(two, rep.email)
        stolen = form_token(one, "/")
        assert two.post("/logout", data={"csrf_token": stolen}, follow_redirects=False).status_code == 403


def _routes(routes):
    for route in routes:
        included = getattr(route, "original_router", None)  # FastAPI keeps included routers as they are
        yield from _routes(included.routes) if included is not None else [route]


def test_every_unsafe_page_route_checks_the_csrf_token(app):
    unsafe = [r for r in _routes(app.routes) if isinstance(r, APIRoute)
              # public doors, each answered by what a signed token in its address names (no session to ride on):
              # forms, tracking, surveys (/s/) and unsubscribing (/u/: RFC 8058's one-click POST has no cookie)
              and not r.path.startswith(("/api/", "/f/", "/compat/", "/bench/", "/t/", "/s/", "/u/"))
              and set(r.methods) & {"POST", "PUT", "PATCH", "DELETE"}]
    assert {r.path for r in unsafe} >= {"/login", "/logout", "/password/forgot", "/password/reset/{token}"}
    for route in unsafe:
        calls = {d.call for d in route.dependant.dependencies}
        assert csrf.protect in calls, route.path


def test_the_api_with_a_bearer_key_needs_no_csrf_token(client, auth):
    assert client.post("/api/v1/leads", headers=auth, json={"email": "nocsrf@example.com"}).status_code == 201


def test_pages_use_only_assets_leadflow_serves_itself(client):
    page = client.get("/login")
    assert "http://" not in page.text and "https://" not in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]
    htmx = client.get("/static/vendor/htmx.min.js")
    assert htmx.status_code == 200, "htmx is missing: run `make install` (npm ci copies it into web/static/vendor)"
    assert b"htmx" in htmx.content[:2000]
    css = client.get("/static/leadflow.css")
    assert css.status_code == 200 and "text/css" in css.headers["content-type"]
