"""Webhooks end to end: an event reaches a real receiving server signed with the endpoint's secret; a failure is
retried later under the same delivery id; after 24 hours it is dead, listed as a dead letter, and a replay delivers
it with the same id; the fan-out of one event happens once."""

from __future__ import annotations

import json
import logging

from sqlalchemy import select

from leadflow import worker
from leadflow.handoff import jobs as handoff_jobs
from leadflow.handoff import signing
from leadflow.handoff.models import WebhookDelivery
from leadflow.outbox import OutboxMessage
from tests.integration.handoff.conftest import (
    SECRET,
    deliveries,
    endpoint,
    sales_ready_lead,
)
from tests.integration.handoff.servers import Receiver

SALES_READY = "lead.sales_ready"


def test_a_sales_ready_lead_reaches_the_receiver_signed_with_the_endpoints_secret(client, auth, factory, moment):
    with Receiver(SECRET) as receiver:
        made = endpoint(client, auth, url=receiver.url + "/hooks", events=[SALES_READY], secret=SECRET)
        lead_id = sales_ready_lead(client, auth, factory, email="ann@pumps.example", first_name="Ann",
                                   last_name="Lee", company="Pumps Ltd", city="Leeds", country="GB")
    assert made["secret"].startswith("set") and SECRET not in json.dumps(made) and made["generated_secret"] is None
    assert len(receiver.requests) == 1
    got = receiver.requests[0]
    assert got["verified"] and got["path"] == "/hooks"
    headers = got["headers"]
    assert headers["x-leadflow-signature"] == signing.signature(SECRET, got["body"])
    assert headers["x-leadflow-event"] == SALES_READY and headers["user-agent"] == "leadflow-webhooks"
    assert headers["content-type"] == "application/json"
    body = got["json"]
    assert body["id"] == headers["x-leadflow-delivery"] and body["event"] == SALES_READY and body["occurred_at"]
    lead = body["data"]["lead"]
    assert lead["id"] == lead_id and lead["email"] == "ann@pumps.example" and lead["name"] == "Ann Lee"
    assert lead["stage"] == "sql" and lead["grade"] == "B" and lead["url"].endswith(f"/leads/{lead_id}")
    assert body["data"]["lead_id"] == lead_id and body["data"]["explanation"]
    [logged] = deliveries(client, auth)
    assert logged["delivery_id"] == body["id"] and logged["status"] == "delivered" and logged["attempts"] == 1
    assert logged["last_status_code"] == 200 and logged["lead_id"] == lead_id
    one = client.get(f"/api/v1/webhooks/deliveries/{body['id']}", headers=auth).json()
    assert one["body"].encode() == got["body"]  # the exact bytes signed


def test_a_failure_is_retried_later_with_the_same_delivery_id(client, auth, factory, moment, session):
    with Receiver(SECRET) as receiver:
        receiver.statuses = [500]
        endpoint(client, auth, url=receiver.url, events=["*"], secret=SECRET)
        lead_id = sales_ready_lead(client, auth, factory)
        ready = [r for r in receiver.requests if r["headers"]["x-leadflow-event"] == SALES_READY]
        assert len(ready) >= 1
        [failed] = deliveries(client, auth, status="failed")
        assert failed["attempts"] == 1 and failed["last_status_code"] == 500 and "HTTP 500" in failed["last_error"]
        retry = session.scalars(select(OutboxMessage).where(
            OutboxMessage.key == f"webhook:{failed['delivery_id']}:2")).one()
        assert retry.available_at > moment.now and retry.done_at is None  # 30 s (and a little) later
        worker.drain(factory)
        assert len(receiver.delivery_ids()) == len(set(receiver.delivery_ids()))  # not yet due: nothing sent again
        moment.advance(seconds=40)
        worker.drain(factory)
    ids = receiver.delivery_ids()
    assert ids.count(failed["delivery_id"]) == 2  # the same delivery, not a new one
    again = [r for r in receiver.requests if r["headers"]["x-leadflow-delivery"] == failed["delivery_id"]]
    assert again[0]["body"] == again[1]["body"] and all(r["verified"] for r in again)
    done = client.get(f"/api/v1/webhooks/deliveries/{failed['delivery_id']}", headers=auth).json()
    assert done["status"] == "delivered" and done["attempts"] == 2 and done["lead_id"] == lead_id
    assert {d["event"] for d in deliveries(client, auth)} >= {SALES_READY, "lead.captured"}


def test_after_24_hours_of_failures_it_is_dead_listed_and_a_replay_delivers_it_with_the_same_id(
        client, auth, factory, moment, admin_page):
    with Receiver(SECRET) as receiver:
        receiver.statuses = [503] * 1000
        endpoint(client, auth, url=receiver.url, events=[SALES_READY], secret=SECRET)
        sales_ready_lead(client, auth, factory)
        [first] = deliveries(client, auth)
        began = moment.now
        for _ in range(60):
            moment.advance(minutes=61)
            worker.drain(factory)
            if deliveries(client, auth)[0]["status"] == "dead":
                break
        [dead] = deliveries(client, auth, status="dead")
        assert dead["delivery_id"] == first["delivery_id"] and 24 <= (moment.now - began).total_seconds() / 3600 < 27
        assert dead["attempts"] == len(receiver.requests) and dead["attempts"] > 10
        assert set(receiver.delivery_ids()) == {dead["delivery_id"]}
        page = admin_page.get("/settings/webhooks/dead")
        assert page.status_code == 200 and dead["delivery_id"] in page.text and "Replay" in page.text

        receiver.statuses = []
        r = client.post(f"/api/v1/webhooks/deliveries/{dead['delivery_id']}/replay", headers=auth)
        assert r.status_code == 200 and r.json()["status"] == "pending", r.text
        worker.drain(factory)
    assert receiver.delivery_ids()[-1] == dead["delivery_id"] and set(receiver.delivery_ids()) == {dead["delivery_id"]}
    replayed = client.get(f"/api/v1/webhooks/deliveries/{dead['delivery_id']}", headers=auth).json()
    assert replayed["status"] == "delivered" and replayed["replays"] == 1
    assert replayed["attempts"] == dead["attempts"] + 1  # attempts count on
    assert receiver.requests[-1]["body"] == receiver.requests[0]["body"]
    assert client.post(f"/api/v1/webhooks/deliveries/{dead['delivery_id']}/replay", headers=auth).status_code == 200
    assert client.post(f"/api/v1/webhooks/deliveries/{dead['delivery_id']}/replay",
                       headers=auth).status_code == 409  # already queued
    assert client.post("/api/v1/webhooks/deliveries/nope/replay", headers=auth).status_code == 404


def test_the_fan_out_of_one_event_run_twice_makes_one_delivery(client, auth, factory, moment):
    endpoint(client, auth, url="http://127.0.0.1:9/never", events=["lead.updated"], secret=SECRET)
    lead_id = client.post("/api/v1/leads", headers=auth, json={"email": "dee@pumps.example"}).json()["id"]
    handle = handoff_jobs.handlers()["lead.updated"]
    payload = {"lead_id": lead_id, "fields": ["job_title"]}
    with factory() as session:
        handle(session, [payload])
        handle(session, [dict(payload)])
        session.commit()
        made = session.scalars(select(WebhookDelivery)).all()
        assert len(made) == 1
        keys = session.scalars(select(OutboxMessage.key).where(OutboxMessage.topic == "webhook.deliver")).all()
        assert keys == [f"webhook:{made[0].delivery_id}:1"]


def test_a_network_error_is_a_failure_recorded_with_its_reason(client, auth, factory, moment, caplog):
    endpoint(client, auth, url="http://127.0.0.1:9/closed", events=[SALES_READY], secret=SECRET)
    with caplog.at_level(logging.DEBUG):
        sales_ready_lead(client, auth, factory)
    [failed] = deliveries(client, auth)
    assert failed["status"] == "failed" and failed["last_status_code"] is None and "Connect" in failed["last_error"]
    assert SECRET not in caplog.text


def test_a_paused_endpoint_sends_nothing_and_its_queued_deliveries_go_out_once_it_is_active_again(
        client, auth, factory, moment):
    with Receiver(SECRET) as receiver:
        made = endpoint(client, auth, url=receiver.url, events=["lead.updated"], secret=SECRET)
        lead_id = client.post("/api/v1/leads", headers=auth, json={"email": "eve@pumps.example"}).json()["id"]
        worker.drain(factory)
        assert client.patch(f"/api/v1/leads/{lead_id}", headers=auth, json={"city": "York"}).status_code == 200
        worker.run_once(factory)  # the event's fan-out: its delivery is queued
        assert client.patch(f"/api/v1/webhooks/{made['id']}", headers=auth, json={"active": False}).status_code == 200
        worker.drain(factory)
        assert receiver.requests == []
        [waiting] = deliveries(client, auth)
        assert waiting["status"] == "failed" and "paused" in waiting["last_error"]
        assert client.patch(f"/api/v1/leads/{lead_id}", headers=auth, json={"city": "Hull"}).status_code == 200
        worker.drain(factory)
        assert len(deliveries(client, auth)) == 1  # no new delivery while paused
        assert client.patch(f"/api/v1/webhooks/{made['id']}", headers=auth, json={"active": True}).status_code == 200
        moment.advance(minutes=5)
        worker.drain(factory)
    assert receiver.delivery_ids() == [waiting["delivery_id"]]
    assert receiver.requests[0]["json"]["data"]["fields"] == ["city"]
