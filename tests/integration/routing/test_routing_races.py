"""Routing under concurrency, committed for real: several workers routing one burst of Sales Ready leads at once,
while managers hand leads over by hand. Each lead gets exactly one routing, the team's turns stay fair across the
workers, nobody gets more than their limit, no job fails (no deadlock, no duplicate key), and a hand-over is never
overwritten."""

from __future__ import annotations

import threading
from collections import Counter

from sqlalchemy import func, select

from leadflow import clock, db, outbox, worker
from leadflow.leads import service as leads_service
from leadflow.leads.models import Lead
from leadflow.outbox import OutboxMessage
from leadflow.people import service as people_service
from leadflow.routing import service as routing_service
from leadflow.routing.models import Assignment

LEADS = 240
WORKERS = 4


def _world(factory) -> tuple[list[int], int, list[int]]:
    with factory() as session:
        people_service.create_team(session=session, name="Finland", kind="sales")
        reps = [people_service.create_user(session=session, email=f"rep{i}@example.com", role="sales_rep",
                                           team="Finland", password="correct horse battery").id for i in range(4)]
        capped = reps[0]
        routing_service.set_capacity(capped, session=session, max_open=15, max_per_day=None)
        finland = {"rules": [{"name": "Finland", "when": 'country == "FI"', "to": "team:Finland"}]}
        routing_service.save_rule_set(finland, session=session, actor="test", activate=True)
        session.commit()
    with factory() as session:
        moment = clock.now()
        rows = [{"first_name": f"L{i}", "country": "FI", "stage": "sql", "custom_fields": {}, "manual_fields": [],
                 "other_emails": [], "other_phones": [], "first_touch": {}, "last_touch": {},
                 "do_not_contact": False, "created_at": moment, "updated_at": moment} for i in range(LEADS)]
        ids = leads_service.insert_with_ids(Lead.__table__, rows, session=session)
        outbox.publish_many(session, [{"topic": "lead.sales_ready", "payload": {"lead_id": i},
                                       "key": f"lead.sales_ready:{i}"} for i in ids])
        session.commit()
    return ids, capped, reps


def _hand_over(factory, lead_ids: list[int], owner: int, done: list) -> None:
    for lead_id in lead_ids:
        with factory() as session:
            lead = session.get(Lead, lead_id)
            if lead.owner_id is None:
                routing_service.assign(lead, session=session, to=str(owner), actor="user:0")
                session.commit()
                done.append(lead_id)


def test_several_workers_route_one_burst_fairly_once_each_within_limits(fresh_database, smtp):
    db.upgrade(fresh_database.url)
    engine = db.make_engine(fresh_database.url)
    factory = db.make_sessionmaker(engine)
    try:
        ids, capped, reps = _world(factory)
        by_hand: list[int] = []
        threads = [threading.Thread(target=worker.drain, args=(factory,)) for _ in range(WORKERS)]
        threads.append(threading.Thread(target=_hand_over, args=(factory, ids[::40], reps[3], by_hand)))
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        worker.drain(factory)

        with factory() as session:
            failed = session.scalars(select(OutboxMessage.last_error).where(OutboxMessage.last_error.is_not(None)))
            assert list(failed) == []
            per_lead = Counter(session.scalars(select(Assignment.lead_id).where(Assignment.method == "rule")))
            assert all(count == 1 for count in per_lead.values())  # routed once at most
            manual = {a.lead_id: a for a in session.scalars(select(Assignment).where(Assignment.method == "manual"))}
            assert set(manual) == set(by_hand)
            assert set(ids) - set(per_lead) - set(manual) == set()  # every lead has its owner
            owners = dict(session.execute(select(Lead.id, Lead.owner_id).where(Lead.id.in_(ids))).all())
            assert all(owners[i] == reps[3] for i in by_hand)  # the hand-over stands
            rule_owner = dict(session.execute(select(Assignment.lead_id, Assignment.user_id).where(
                Assignment.method == "rule")).all())
            for lead_id, handed in manual.items():  # routed first, then handed over: the history says so
                assert handed.previous_user_id == rule_owner.get(lead_id)
            routed = Counter(session.scalars(select(Assignment.user_id).where(Assignment.method == "rule")))
            assert routed[capped] == 15  # its limit, never more
            others = sorted(routed[r] for r in reps[1:])
            assert others[-1] - others[0] <= 1, routed  # strictly in turn across the workers
            assert session.scalar(select(func.count()).select_from(Lead).where(
                Lead.id.in_(ids), Lead.owner_id.is_(None))) == 0
    finally:
        engine.dispose()
