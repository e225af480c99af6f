"""A real `leadflow worker` killed mid-delivery: the receiver got the request, the worker died before recording it;
the next run sends the SAME delivery (same X-Leadflow-Delivery id, same body), never a new one. And the
`leadflow webhook` commands."""

from __future__ import annotations

import signal
from datetime import timedelta

from sqlalchemy import select

from leadflow import clock, db, worker
from leadflow.handoff import service as handoff_service
from leadflow.handoff.models import WebhookDelivery
from leadflow.outbox import OutboxMessage
from tests.integration.handoff.conftest import SECRET
from tests.integration.handoff.servers import Receiver
from tests.integration.live import run_cli, wait_for
from tests.integration.operations.test_processes import _start


def test_a_worker_killed_mid_delivery_sends_the_same_delivery_again_never_a_new_one(fresh_database, tmp_path):
    url = fresh_database.url
    db.upgrade(url)
    engine = db.make_engine(url)
    factory = db.make_sessionmaker(engine)
    log = tmp_path / "worker.log"
    try:
        with Receiver(SECRET) as receiver:
            receiver.hold = True
            with factory() as session:
                handoff_service.create_endpoint(session=session, url=receiver.url, events=["*"], secret=SECRET)
                handoff_service.fan_out("lead.updated", [{"lead_id": 12345, "fields": ["city"]}], session=session)
                session.commit()
            first = _start(url, log, "worker", "--once")
            try:
                wait_for(receiver.arrived.is_set, what="the worker sent the webhook", deadline_s=120,
                         alive=lambda: f"it exited first:\n{log.read_text()}" if first.poll() is not None else None)
                first.send_signal(signal.SIGKILL)  # killed while the request is in flight: nothing recorded
                first.wait()
            finally:
                receiver.release.set()
                if first.poll() is None:
                    first.kill()
            with factory() as session:
                [delivery] = session.scalars(select(WebhookDelivery)).all()
                assert delivery.attempts == 0 and delivery.status == "pending"
            later = clock.now() + timedelta(minutes=6)  # the killed worker's lease has run out
            clock.set_clock(lambda: later)
            try:
                worker.drain(factory)
            finally:
                clock.set_clock(None)
        ids = receiver.delivery_ids()
        assert len(ids) == 2 and ids[0] == ids[1] == delivery.delivery_id
        assert receiver.requests[0]["body"] == receiver.requests[1]["body"]
        assert all(r["verified"] for r in receiver.requests)
        with factory() as session:
            [delivery] = session.scalars(select(WebhookDelivery)).all()
            assert delivery.status == "delivered" and delivery.attempts == 1
            message = session.scalars(select(OutboxMessage).where(
                OutboxMessage.key == f"webhook:{delivery.delivery_id}:1")).one()
            assert message.attempts == 2 and message.done_at is not None
            assert session.scalar(select(OutboxMessage).where(
                OutboxMessage.key == f"webhook:{delivery.delivery_id}:2")) is None
    finally:
        engine.dispose()


def test_the_webhook_commands_create_list_show_deliveries_and_replay(fresh_database):
    url = fresh_database.url
    db.upgrade(url)
    with Receiver(SECRET) as receiver:
        receiver.statuses = [500]
        made = run_cli(url, "webhook", "create", "--url", receiver.url, "--events", "lead.updated,lead.assigned",
                       "--secret", SECRET)
        assert made.returncode == 0, made.stderr
        assert "endpoint 1 created" in made.stderr and SECRET not in made.stdout + made.stderr
        bad = run_cli(url, "webhook", "create", "--url", receiver.url, "--events", "lead.exploded", "--secret", SECRET)
        assert bad.returncode == 1 and "events" in bad.stderr and "lead.exploded" in bad.stderr
        generated = run_cli(url, "webhook", "create", "--url", "http://127.0.0.1:9/closed", "--events", "lead.assigned")
        assert generated.returncode == 0 and generated.stdout.strip().startswith("whsec_")
        crm = run_cli(url, "webhook", "create", "--kind", "salesforce", "--url", "https://x.my.salesforce.com",
                      "--token", "sf-" + "q" * 30, "--external-id-field", "Lead_Ref__c")
        assert crm.returncode == 0, crm.stderr
        listed = run_cli(url, "webhook", "list")
        assert listed.returncode == 0 and receiver.url in listed.stdout and "salesforce" in listed.stdout
        assert SECRET not in listed.stdout and "q" * 30 not in listed.stdout and "set (…kkkk)" in listed.stdout
        engine = db.make_engine(url)
        try:
            with db.make_sessionmaker(engine)() as session:
                handoff_service.fan_out("lead.updated", [{"lead_id": 7, "fields": ["city"]}], session=session)
                session.commit()
        finally:
            engine.dispose()
        assert run_cli(url, "worker", "--once").returncode == 0
        failed = run_cli(url, "webhook", "deliveries", "--status", "failed")
        assert failed.returncode == 0 and "lead.updated" in failed.stdout and "500" in failed.stdout
        delivery_id = failed.stdout.split("\t")[0]
        replayed = run_cli(url, "webhook", "replay", delivery_id)
        assert replayed.returncode == 0 and delivery_id in replayed.stderr
        assert run_cli(url, "worker", "--once").returncode == 0
        delivered = run_cli(url, "webhook", "deliveries")
        assert delivery_id in delivered.stdout and "delivered" in delivered.stdout, delivered.stdout
        assert run_cli(url, "webhook", "replay", "no-such-id").returncode == 1
    assert receiver.delivery_ids() == [delivery_id, delivery_id]
