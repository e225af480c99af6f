"""Several workers checking the same leads at once, committed for real on a database of the test's own: no row is
added twice or lost, each change is told once, the counts stay right, and no job fails (no deadlock, no duplicate
key), while builds of the segments run beside the live checks."""

from __future__ import annotations

import threading
from collections import Counter

from sqlalchemy import func, select, update

from leadflow import clock, db, outbox, worker
from leadflow.events import LEAD_UPDATED, SEGMENT_ENTERED, SEGMENT_LEFT
from leadflow.leads import service as leads_service
from leadflow.leads.models import Lead
from leadflow.outbox import OutboxMessage
from leadflow.segments import members
from leadflow.segments import service as segments_service
from leadflow.segments.models import Segment, SegmentMember

LEADS = 300
THREADS = 6


def _world(factory) -> tuple[list[int], int, int]:
    with factory() as session:
        moment = clock.now()
        rows = [{"first_name": f"L{i}", "country": "FI" if i % 2 else "SE", "stage": "new", "custom_fields": {},
                 "manual_fields": [], "other_emails": [], "other_phones": [], "first_touch": {}, "last_touch": {},
                 "do_not_contact": False, "created_at": moment, "updated_at": moment} for i in range(LEADS)]
        ids = leads_service.insert_with_ids(Lead.__table__, rows, session=session)
        finns = segments_service.create({"name": "Finns", "condition": 'country == "FI"'}, session=session,
                                        actor="test").id
        nordics = segments_service.create({"name": "Nordics", "condition": 'country in ("FI", "SE")'},
                                          session=session, actor="test").id
        session.commit()
    return ids, finns, nordics


def _at_once(factory, ids: list[int]) -> None:
    """THREADS sessions check the same leads at the same moment, each committing its own transaction."""
    start = threading.Barrier(THREADS)
    problems: list[BaseException] = []

    def check() -> None:
        try:
            start.wait()
            with factory() as session:
                members.evaluate(ids, session=session)
                session.commit()
        except BaseException as exc:  # noqa: BLE001 - reported below
            problems.append(exc)

    threads = [threading.Thread(target=check) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert problems == []


def _state(factory) -> tuple[dict[int, set[int]], dict[int, int], Counter, Counter]:
    with factory() as session:
        stored: dict[int, set[int]] = {}
        for segment_id, lead_id in session.execute(select(SegmentMember.segment_id, SegmentMember.lead_id)):
            stored.setdefault(segment_id, set()).add(lead_id)
        counts = dict(session.execute(select(Segment.id, Segment.member_count)).all())
        told = {topic: Counter((p["segment_id"], p["lead_id"]) for p in session.scalars(
            select(OutboxMessage.payload).where(OutboxMessage.topic == topic))) for topic in (SEGMENT_ENTERED,
                                                                                            SEGMENT_LEFT)}
    return stored, counts, told[SEGMENT_ENTERED], told[SEGMENT_LEFT]


def test_checks_of_the_same_leads_at_once_add_and_remove_each_row_once(fresh_database):
    db.upgrade(fresh_database.url)
    engine = db.make_engine(fresh_database.url)
    factory = db.make_sessionmaker(engine)
    try:
        ids, finns, nordics = _world(factory)
        _at_once(factory, ids)
        stored, counts, entered, left = _state(factory)
        expected_finns = set(ids[1::2])
        assert stored == {finns: expected_finns, nordics: set(ids)}
        assert counts == {finns: len(expected_finns), nordics: LEADS}
        assert set(entered.values()) == {1} and len(entered) == len(expected_finns) + LEADS and not left

        with factory() as session:  # the Finns move to Norway (no event: the checks are run by hand below)
            session.execute(update(Lead).where(Lead.id.in_(expected_finns)).values(country="NO"))
            session.commit()
        _at_once(factory, ids)
        stored, counts, entered, left = _state(factory)
        assert stored == {nordics: set(ids) - expected_finns}
        assert counts == {finns: 0, nordics: LEADS - len(expected_finns)}
        assert set(left.values()) == {1} and set(left) == {(s, i) for s in (finns, nordics) for i in expected_finns}
        assert set(entered.values()) == {1}
    finally:
        engine.dispose()


def test_several_workers_draining_repeated_changes_and_builds_keep_every_row_once(fresh_database):
    db.upgrade(fresh_database.url)
    engine = db.make_engine(fresh_database.url)
    factory = db.make_sessionmaker(engine)
    try:
        ids, finns, nordics = _world(factory)
        with factory() as session:  # each lead named three times, beside the two segments' builds
            outbox.publish_many(session, [{"topic": LEAD_UPDATED, "payload": {"lead_id": i, "fields": ["country"]}}
                                          for _ in range(3) for i in ids])
            session.commit()
        threads = [threading.Thread(target=worker.drain, args=(factory,)) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        worker.drain(factory)
        with factory() as session:
            failed = list(session.scalars(select(OutboxMessage.last_error).where(
                OutboxMessage.last_error.is_not(None))))
            built = session.scalar(select(func.count()).select_from(Segment).where(Segment.built_at.is_not(None)))
        assert failed == [] and built == 2
        stored, counts, entered, left = _state(factory)
        assert stored == {finns: set(ids[1::2]), nordics: set(ids)}
        assert counts == {finns: LEADS // 2, nordics: LEADS}
        assert set(entered.values()) == {1} and not left
    finally:
        engine.dispose()
