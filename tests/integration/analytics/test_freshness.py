"""The facts kept current by the worker: the tick refreshes the stale leads and books the next one; two passes at
once (two workers) share the stale leads without losing or doubling one, while the leads keep changing; a lead marked
again during a pass is refreshed again. On a database of its own, with real commits, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from datetime import timedelta

from sqlalchemy import func, select, update

from leadflow import clock, db, events, outbox, worker
from leadflow.analytics import facts
from leadflow.analytics.models import LeadFact, StaleLead
from leadflow.leads.models import Lead
from leadflow.outbox import OutboxMessage


def _leads(factory, n: int) -> list[int]:
    with factory() as session:
        rows = [Lead(email=f"fresh{i}@example.com", stage="mql" if i % 2 else "new", created_at=clock.now(),
                     updated_at=clock.now()) for i in range(n)]
        session.add_all(rows)
        session.flush()
        ids = [row.id for row in rows]
        facts.mark(ids, session=session)
        session.commit()
    return ids


def test_two_passes_at_once_refresh_every_stale_lead_once_while_more_are_marked(fresh_database):
    db.upgrade(fresh_database.url)
    engine = db.make_engine(fresh_database.url)
    factory = db.make_sessionmaker(engine)
    try:
        ids = _leads(factory, 1200)
        start, failures, done = threading.Barrier(3), [], []

        def run_pass() -> None:
            try:
                start.wait()
                done.append(facts.run_pass(factory, limit=100))
            except Exception as exc:  # noqa: BLE001 - reported below
                failures.append(exc)

        def keep_changing() -> None:  # a capture's handler marking leads while the passes run
            try:
                start.wait()
                for chunk in range(0, 300, 50):
                    with factory() as session:
                        db.begin_write(session)
                        session.execute(update(Lead).where(Lead.id.in_(ids[chunk:chunk + 50])).values(stage="sql"))
                        facts.mark(ids[chunk:chunk + 50], session=session)
                        session.commit()
            except Exception as exc:  # noqa: BLE001 - reported below
                failures.append(exc)

        threads = [threading.Thread(target=run_pass), threading.Thread(target=run_pass),
                   threading.Thread(target=keep_changing)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(300)
        assert failures == []
        assert sum(done) >= 1200  # every lead once, the ones marked again once more (or already seen changed)
        facts.run_pass(factory)  # what the next tick does with those marked after the passes took their chunks
        with factory() as session:
            assert session.scalar(select(func.count()).select_from(StaleLead)) == 0
            assert session.scalar(select(func.count()).select_from(LeadFact)) == 1200
            changed = session.scalars(select(LeadFact.sql_at).where(LeadFact.lead_id.in_(ids[:300]))).all()
            assert all(at is not None for at in changed)  # the later change is in every changed lead's facts
            assert session.scalar(select(func.count()).select_from(LeadFact)
                                  .where(LeadFact.mql_at.is_not(None))) >= 600
    finally:
        engine.dispose()


def test_the_tick_refreshes_the_stale_leads_and_books_the_next_once(fresh_database):
    db.upgrade(fresh_database.url)
    engine = db.make_engine(fresh_database.url)
    factory = db.make_sessionmaker(engine)
    try:
        ids = _leads(factory, 30)
        with factory() as session:
            facts.schedule_tick(session=session, moment=clock.now() - timedelta(seconds=60))
            facts.schedule_tick(session=session, moment=clock.now() - timedelta(seconds=60))  # the same slot: once
            session.commit()
        worker.drain(factory)
        with factory() as session:
            assert session.scalar(select(func.count()).select_from(LeadFact).where(LeadFact.lead_id.in_(ids))) == 30
            ticks = session.scalars(select(OutboxMessage.available_at).where(
                OutboxMessage.topic == events.ANALYTICS_TICK)).all()
            assert len(ticks) == 2  # the one run, and the next booked after it
            assert max(clock.as_utc(t) for t in ticks) > clock.now()
            outbox.publish(session, events.ANALYTICS_REBUILD, {"after": 0})
            session.commit()
        worker.drain(factory)
        with factory() as session:
            assert session.scalar(select(func.count()).select_from(LeadFact)) == 30
    finally:
        engine.dispose()
