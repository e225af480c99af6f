"""The full rescore of `leadflow rescore`: two processes by lead id range, chunked, resumable, and exactly the state
live scoring reaches from the same history."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, text, update

from leadflow import clock, db
from leadflow.leads.models import Lead
from leadflow.scoring import rescore_service
from leadflow.scoring import service as scoring_service
from leadflow.scoring.models import LeadScore, RuleSet, ScoringRun
from leadflow.tracking.models import Event

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
URLS = ["https://acme.example/", "https://acme.example/pricing", "https://acme.example/demo",
        "https://acme.example/careers", "https://acme.example/products/crm", "https://acme.example/analytics"]
TITLES = ["CEO", "Marketing Manager", "Intern", "Head of Sales", None]


@pytest.fixture
def frozen():
    clock.set_clock(lambda: NOW)
    yield
    clock.set_clock(None)


@pytest.fixture
def own_db(fresh_database):
    db.upgrade(fresh_database.url)
    engine = db.make_engine(fresh_database.url)
    yield fresh_database.url, engine, db.make_sessionmaker(engine)
    engine.dispose()


def _history(rng: random.Random, lead_id: int) -> list[tuple]:
    """Up to 40 events over five months: some at the very same moment, some of types no rule knows."""
    moments = [NOW - timedelta(days=rng.randrange(150), seconds=rng.randrange(86400), microseconds=rng.randrange(10**6))
               for _ in range(rng.randrange(0, 40))]
    if moments:
        moments.append(moments[0])  # two events at one instant: the order is the event id
    events = []
    for at in sorted(moments):
        kind = rng.choice(["page_view"] * 6 + ["download", "email_open", "email_click", "form_submit",
                                               "webinar_attended", "call_outcome", "newsletter_unsubscribed",
                                               "chat_started"])
        props = {"url": rng.choice(URLS)} if kind in ("page_view", "download") else {}
        if kind == "download":
            props["name"] = rng.choice(["Case study", "Guide"])
        if kind == "call_outcome":
            props = {"outcome": rng.choice(["interested", "not_interested"])}
        events.append((lead_id, kind, at, props))
    return events


def _live_scores(factory, count: int) -> list[int]:
    """`count` leads whose events are stored and scored live one at a time, in the order they happened."""
    rng = random.Random(11)
    with factory() as session:
        leads = [Lead(email=f"p{i}@acme.example", job_title=rng.choice(TITLES),
                      country=rng.choice(["DE", "BR"]), custom_fields={"employees": rng.choice([10, 300, 5000])})
                 for i in range(count)]
        session.add_all(leads)
        session.commit()
        ids = [lead.id for lead in leads]
    timeline = sorted((e for lead_id in ids for e in _history(rng, lead_id)), key=lambda e: e[2])
    for lead_id, kind, at, props in timeline:
        with factory() as session:
            event = Event(lead_id=lead_id, type=kind, occurred_at=at, received_at=at, source="api", properties=props)
            session.add(event)
            session.flush()
            scoring_service.score_events([event], session=session)
            session.commit()
    with factory() as session:  # leads without events get their fit score too
        scoring_service.rescore_fit(ids, session=session)
        session.commit()
    return ids


def _snapshot(engine) -> dict:
    with engine.connect() as conn:
        scores = {row[0]: tuple(row[1:]) for row in conn.execute(select(
            LeadScore.lead_id, LeadScore.behaviour, LeadScore.as_of, LeadScore.fit, LeadScore.grade, LeadScore.score,
            LeadScore.band, LeadScore.interests, LeadScore.contributions, LeadScore.counters))}
        leads = {row[0]: tuple(row[1:]) for row in conn.execute(select(
            Lead.id, Lead.score, Lead.grade, Lead.band, Lead.score_explanation, Lead.interests))}
    return {"scores": scores, "leads": leads}


def _forget_scores(engine) -> None:
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM lead_scores"))
        conn.execute(update(Lead).values(score=None, grade=None, band=None, score_explanation=[], interests={}))


def _new_run(factory, **fields) -> int:
    with factory() as session:
        rule_set_id, _ = scoring_service.active_rule_set(session=session)
        total = session.scalar(select(func.count()).select_from(Lead))
        values = {"kind": "rescore", "rule_set_id": rule_set_id, "status": "queued", "created_by": "test",
                  "total": total, "done": 0, "last_lead_id": 0, "result": {}, **fields}
        run = ScoringRun(**values)
        session.add(run)
        session.commit()
        return run.id


def test_parallel_rescore_gives_exactly_the_state_live_scoring_reached(own_db, frozen, monkeypatch):
    url, engine, factory = own_db
    ids = _live_scores(factory, 24)
    live = _snapshot(engine)
    assert sum(1 for s in live["scores"].values() if len(s[7]) >= 10) >= 5  # leads whose explanation was trimmed
    _forget_scores(engine)
    monkeypatch.setattr(rescore_service, "PARALLEL_FROM", 1)
    run = rescore_service.rescore(factory, url, _new_run(factory), processes=2, size=5)
    assert run.status == "done" and run.done == len(ids)
    assert len(run.result["parts"]) == 2 and run.last_lead_id == max(ids)
    assert _snapshot(engine) == live


def test_the_workers_chunked_run_gives_the_same_state_as_live_scoring(own_db, frozen):
    _, engine, factory = own_db
    _live_scores(factory, 12)
    live = _snapshot(engine)
    _forget_scores(engine)
    run_id = _new_run(factory)
    while True:  # the worker's background path
        with factory() as session:
            more = scoring_service.run_step(session.get(ScoringRun, run_id), session=session, size=4)
            session.commit()
        if not more:
            break
    assert _snapshot(engine) == live


def test_an_interrupted_parallel_rescore_resumes_each_part_where_it_stopped(own_db, frozen):
    url, engine, factory = own_db
    with factory() as session:
        session.add_all([Lead(email=f"r{i}@acme.example", job_title="CEO") for i in range(10)])
        session.commit()
        ids = list(session.scalars(select(Lead.id).order_by(Lead.id)))
    # part one finished, part two had done its first two leads when the run stopped
    parts = [{"after": 0, "high": ids[4], "finished": True}, {"after": ids[6], "high": None, "finished": False}]
    run = rescore_service.rescore(factory, url, _new_run(factory, result={"parts": parts}, status="running"),
                                  processes=2)
    with engine.connect() as conn:
        scored = set(conn.execute(select(LeadScore.lead_id)).scalars())
    assert scored == set(ids[7:])
    assert run.status == "done" and run.last_lead_id == ids[-1] and run.done == len(ids)


def test_a_rescore_of_a_retired_rule_set_stops_as_superseded(own_db, frozen):
    url, _, factory = own_db
    run_id = _new_run(factory)
    with factory() as session:
        session.execute(update(RuleSet).values(status="retired"))
        session.commit()
    run = rescore_service.rescore(factory, url, run_id, processes=2)
    assert run.status == "superseded" and "another rule set" in run.error
