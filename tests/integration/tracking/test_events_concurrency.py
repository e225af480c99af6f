"""Real concurrency against a live server: simultaneous event batches on the same few leads are all scored."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from sqlalchemy import select, text

from leadflow import db
from leadflow.leads.models import Lead
from leadflow.scoring import service as scoring_service
from leadflow.scoring.models import LeadScore
from tests.integration.live import LiveServer, run_async

TYPES = ["page_view", "email_open", "email_click", "download", "webinar_registered", "webinar_attended",
         "newsletter_subscribed", "form_submit"]


async def _post_all(server: LiveServer, bodies: list[dict]) -> list[httpx.Response]:
    limits = httpx.Limits(max_connections=len(bodies))
    async with httpx.AsyncClient(base_url=server.base, headers=server.auth, timeout=120, limits=limits) as client:
        return await asyncio.gather(*(client.post("/api/v1/events", json=body) for body in bodies))


def _scores(factory, lead_ids: list[int]) -> dict[int, tuple]:
    with factory() as session:
        rows = session.execute(select(Lead.id, Lead.score, Lead.grade, Lead.band, LeadScore.score,
                                      LeadScore.behaviour)
                               .join(LeadScore, LeadScore.lead_id == Lead.id).where(Lead.id.in_(lead_ids)))
        return {row[0]: (row[1], row[2], row[3], row[4], row[5]) for row in rows}


def test_twenty_simultaneous_event_batches_on_the_same_leads_score_like_a_full_rescore(fresh_database):
    with LiveServer(fresh_database.url) as server:
        created = [httpx.post(server.base + "/api/v1/leads", headers=server.auth, timeout=30,
                              json={"email": f"busy{i}@example.com", "job_title": "Head of Operations"})
                   for i in range(5)]
        assert all(r.status_code == 201 for r in created), [r.text for r in created]
        lead_ids = sorted(r.json()["id"] for r in created)
        engine = db.make_engine(fresh_database.url)
        factory = db.make_sessionmaker(engine)
        try:
            # Three of the five leads have no score row yet (as after an import): the batches race to insert it.
            with factory() as session:
                session.execute(text("DELETE FROM lead_scores WHERE lead_id IN (:a, :b, :c)"),
                                {"a": lead_ids[0], "b": lead_ids[2], "c": lead_ids[4]})
                session.commit()
            bodies = [{"events": [{"type": TYPES[(batch + i) % len(TYPES)], "lead_id": lead_ids[(batch * 3 + i) % 5],
                                   "properties": {"url": f"https://www.example.com/p{i % 4}"}}
                                  for i in range(25)]} for batch in range(20)]

            responses = run_async(_post_all(server, bodies))

            assert [r.status_code for r in responses] == [200] * 20, [r.text[:300] for r in responses
                                                                      if r.status_code != 200]
            assert sum(r.json()["accepted"] for r in responses) == 500
            live = _scores(factory, lead_ids)
            assert set(live) == set(lead_ids)
            assert all(score > 0 for score, *_ in live.values())
            with factory() as session:
                assert session.scalar(text("SELECT count(*) FROM events")) == 500
                assert scoring_service.rescore_leads(lead_ids, session=session) == set()
                session.commit()
            rescored = _scores(factory, lead_ids)
            assert {i: r[:4] for i, r in rescored.items()} == {i: r[:4] for i, r in live.items()}
            assert {i: r[4] for i, r in rescored.items()} == pytest.approx({i: r[4] for i, r in live.items()},
                                                                           abs=0.01)
        finally:
            engine.dispose()
        server.stop()
        log = server.log()
    assert "Traceback" not in log and "retried" not in log, log[-3000:]
