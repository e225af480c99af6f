"""Helpers for the web pages: read the CSRF token of a form, sign in like a browser."""

from __future__ import annotations

import re

from tests.integration.people.factories import PASSWORD

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def form_token(client, path: str) -> str:
    r = client.get(path)
    assert r.status_code == 200, r.text
    return TOKEN.search(r.text).group(1)


def sign_in(client, email: str, password: str = PASSWORD, *, next: str = "/"):
    token = form_token(client, "/login")
    return client.post("/login", data={"email": email, "password": password, "csrf_token": token, "next": next},
                       follow_redirects=False)
