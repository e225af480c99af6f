"""POST /api/v1/events answers per item: one bad item (an id too large for the database, broken text, properties
nested too deep) gets its own error and the good ones are stored, on SQLite and PostgreSQL."""

from __future__ import annotations

from tests.integration.tracking.test_tracking import BROWSER, VISITOR


def test_an_id_too_large_for_the_database_is_one_rejected_item_not_a_refused_batch(client, auth):
    lead = client.post("/api/v1/leads", headers=auth, json={"email": "ev@example.com"}).json()
    deep: dict = {"x": 1}
    for _ in range(20):
        deep = {"a": deep}
    raw = ('{"events": ['
           '{"type": "page_view", "lead_id": 9223372036854775808},'
           '{"type": "page_view", "lead_id": %(id)d, "external_id": "ev-\\u0000-1"},'
           '{"type": "download", "lead_id": %(id)d, "properties": {"file": "\\ud800.pdf"}},'
           '{"type": "download", "lead_id": %(id)d, "properties": %(deep)s},'
           '{"type": "page_view", "lead_id": -1},'
           '{"type": "webinar_attended", "email": "ev@example.com", "properties": {"title": "Q\\u0007A"}}]}'
           % {"id": lead["id"], "deep": __import__("json").dumps(deep)})
    r = client.post("/api/v1/events", headers={**auth, "content-type": "application/json"}, content=raw.encode())
    assert r.status_code == 200, r.text
    body = r.json()
    assert [i["outcome"] for i in body["items"]] == ["rejected", "accepted", "rejected", "rejected", "rejected",
                                                     "accepted"]
    assert body["accepted"] == 2 and body["rejected"] == 4
    errors = [i["errors"][0]["field"] if i["errors"] else None for i in body["items"]]
    assert errors == ["lead_id", None, "properties.file", errors[3], "lead_id", None]
    assert errors[3].startswith("properties.a") and "nested" in body["items"][3]["errors"][0]["reason"]
    stored = client.get(f"/api/v1/leads/{lead['id']}/events", headers=auth).json()["items"]
    assert sorted(e["type"] for e in stored) == ["page_view", "webinar_attended"]
    assert {e["external_id"] for e in stored} == {"ev--1", None}
    assert next(e for e in stored if e["type"] == "webinar_attended")["properties"] == {"title": "QA"}


def test_a_beacon_with_broken_text_is_refused_naming_the_field(client):
    r = client.post("/t/collect", headers={**BROWSER, "content-type": "application/json",
                                           "Origin": "http://testserver"},   # leadflow's own pages may send
                    content=b'{"visitor": "' + VISITOR.encode() + b'", "events": [{"type": "page_view", '
                            b'"url": "https://example.com/\\ud800"}, {"type": "page_view", "title": "ok\\u0000"}]}')
    assert r.status_code == 422, r.text
    assert r.json()["errors"][0]["field"] == "events.0.url" and "surrogate" in r.json()["errors"][0]["reason"]
    assert r.headers["x-leadflow-accepted"] == "1"
