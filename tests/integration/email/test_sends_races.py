"""Two workers on one send at once, on a database of the test's own (committed for real): every lead of the
audience is queued exactly once, the counters add up, the chunks' jobs are published once each."""

from __future__ import annotations

import threading

from sqlalchemy import func, select

from leadflow import db, events, worker
from leadflow.email import sends
from leadflow.email.models import EmailMessage, EmailSend
from leadflow.outbox import OutboxMessage
from tests.integration.email.sends_helpers import campaign_with_leads, templates

WORKERS = 4


def _together(functions) -> list[BaseException]:
    start, failures = threading.Barrier(len(functions)), []

    def run(function) -> None:
        try:
            start.wait(timeout=60)
            function()
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            failures.append(exc)

    threads = [threading.Thread(target=run, args=(f,)) for f in functions]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    return failures


def _retrying(factory, action) -> None:
    for attempt in range(10):
        try:
            with db.unit_of_work(factory) as session:
                action(session)
            return
        except Exception as exc:
            if attempt == 9 or not db.is_transient(exc):
                raise


def test_workers_racing_on_one_send_queue_each_lead_once(fresh_database, monkeypatch):
    monkeypatch.setattr(sends, "CHUNK", 25)
    db.upgrade(fresh_database.url)
    engine = db.make_engine(fresh_database.url)
    factory = db.make_sessionmaker(engine)
    try:
        a, b = templates(factory, "Race A", "Race B")
        campaign_id, lead_ids = campaign_with_leads(factory, 260, code="race")
        with db.unit_of_work(factory) as session:
            test = sends.create_experiment(session=session, name="Race", variants=[
                {"key": "A", "template_id": a}, {"key": "B", "template_id": b}], holdout_pct=10)
            send_id = sends.create_send(session=session, name="Race", campaign_id=campaign_id,
                                        experiment_id=test.id).id
        # The same chunk handled by every worker at once (a redelivered message), then the workers drain the rest.
        failures = _together([lambda: _retrying(factory, lambda s: sends.queue_chunk(send_id, 0, session=s))
                              for _ in range(WORKERS)])
        assert not failures, failures
        failures = _together([lambda: worker.drain(factory) for _ in range(WORKERS)])
        assert not failures, failures
        worker.drain(factory)

        with factory() as session:
            queued = list(session.scalars(select(EmailMessage.lead_id).where(EmailMessage.send_id == send_id)))
            send = session.get(EmailSend, send_id)
            chunk_jobs = session.scalar(select(func.count()).select_from(OutboxMessage).where(
                OutboxMessage.topic == events.EMAIL_CAMPAIGN_SEND))
            held = session.scalar(select(func.count()).select_from(EmailMessage).where(
                EmailMessage.send_id == send_id, EmailMessage.reason == "hold-out"))
        assert sorted(queued) == sorted(lead_ids)  # each lead exactly once
        assert send.status == "done" and send.audience == 260 and send.queued + send.skipped == 260
        assert send.skipped == held and 10 <= held <= 45
        assert chunk_jobs == 1 + 260 // 25  # the first, then one per full chunk, each published once
    finally:
        engine.dispose()


def test_starting_one_draft_from_several_clients_at_once_starts_it_once(fresh_database):
    from leadflow.errors import Invalid

    db.upgrade(fresh_database.url)
    engine = db.make_engine(fresh_database.url)
    factory = db.make_sessionmaker(engine)
    try:
        (template,) = templates(factory, "Draft race")
        campaign_id, lead_ids = campaign_with_leads(factory, 30, code="draftrace")
        with db.unit_of_work(factory) as session:
            draft_id = sends.create_send(session=session, name="Draft", campaign_id=campaign_id,
                                         template_id=template, draft=True).id
        refused = []

        def start() -> None:
            try:
                _retrying(factory, lambda s: sends.start_send(draft_id, session=s))
            except Invalid as exc:
                refused.append(exc.errors[0].reason)

        failures = _together([start for _ in range(WORKERS)])
        assert not failures, failures
        assert refused == ["the send is sending: only a draft can be started"] * (WORKERS - 1)
        # Canceling while workers queue: whatever was queued before the cancel is skipped, nothing is left waiting.
        def cancel() -> None:
            try:
                _retrying(factory, lambda s: sends.cancel_send(draft_id, session=s))
            except Invalid as exc:
                refused.append(exc.errors[0].reason)

        failures = _together([lambda: worker.drain(factory), cancel])
        assert not failures, failures
        worker.drain(factory)
        with factory() as session:
            statuses = list(session.scalars(select(EmailMessage.status).where(EmailMessage.send_id == draft_id)))
            jobs = session.scalar(select(func.count()).select_from(OutboxMessage).where(
                OutboxMessage.topic == events.EMAIL_CAMPAIGN_SEND))
            send = session.get(EmailSend, draft_id)
        assert jobs == 1 and send.status in ("canceled", "done")
        if send.status == "canceled":
            assert set(statuses) <= {"skipped"}
        else:  # the workers finished the send before the cancel: the cancel was refused
            assert len(statuses) == len(lead_ids) and refused[-1] == "the send is done already"
    finally:
        engine.dispose()
