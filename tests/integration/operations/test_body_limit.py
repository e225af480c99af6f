"""Bodies over the limit are 413 on every route, whether or not they declare their length."""

from __future__ import annotations


def test_a_chunked_body_over_the_limit_is_413_not_500(client, auth, app):
    limit = app.state.settings.max_body_bytes

    def chunks():
        for _ in range(limit // 65536 + 2):
            yield b"x" * 65536

    r = client.post("/api/v1/companies", headers={**auth, "content-type": "application/json"}, content=chunks())
    assert r.status_code == 413
    assert r.json()["errors"][0]["field"] == "body"


def test_a_declared_length_over_the_limit_is_413(client, auth, app):
    body = b"{" + b" " * (app.state.settings.max_body_bytes + 1) + b"}"
    r = client.post("/api/v1/campaigns", headers={**auth, "content-type": "application/json"}, content=body)
    assert r.status_code == 413
