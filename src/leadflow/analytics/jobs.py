"""Analytics' worker handlers and schedules: whatever changes a lead's figures marks it stale, in the transaction
that handles the change's message; the periodic pass (`analytics.tick`, every facts.TICK_SECONDS, self-booking)
refreshes the stale leads; `analytics.rebuild` walks every lead a chunk at a time (after new exchange rates)."""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy.orm import Session

from leadflow import clock, db, events
from leadflow.analytics import facts
from leadflow.stage import batch

log = logging.getLogger(__name__)

# The topics whose payload names the lead(s) whose figures they change.
LEAD_TOPICS = (events.LEAD_CAPTURED, events.LEAD_RECAPTURED, events.LEAD_UPDATED, events.LEAD_STAGE_CHANGED,
               events.LEAD_ASSIGNED, events.LEAD_RECYCLED, events.OPPORTUNITY_CHANGED, events.OPPORTUNITY_WON,
               events.OPPORTUNITY_LOST, events.QUOTE_CHANGED)
PAIR_TOPICS = (events.LEADS_MERGED, events.LEADS_UNMERGED)


@batch
def lead_changed(session: Session, payloads: list[dict]) -> None:
    facts.mark([p.get("lead_id") for p in payloads], session=session)


@batch
def pair_changed(session: Session, payloads: list[dict]) -> None:
    facts.mark([i for p in payloads for i in (p.get("survivor_id"), p.get("merged_id"))], session=session)


@batch
def campaign_changed(session: Session, payloads: list[dict]) -> None:
    for campaign_id in sorted({int(p["campaign_id"]) for p in payloads if p.get("campaign_id") is not None}):
        facts.mark_campaign(campaign_id, session=session)


def tick(session: Session, payload: dict) -> None:
    """analytics.tick: the next pass is booked first (in a transaction of its own, so a failing pass never ends the
    chain), then the stale leads are refreshed a chunk per transaction."""
    factory = db.sessions_like(session)
    with factory() as own:
        facts.schedule_tick(session=own)
        own.commit()
    done = facts.run_pass(factory)
    if done:
        log.info("analytics pass: %s leads refreshed", done)


def rebuild(session: Session, payload: dict) -> None:
    facts.rebuild_step(session=session, after=int(payload.get("after") or 0))


def ensure_scheduled(session: Session) -> None:
    """The worker calls this as it starts: a pass now (this time slot's, unless it ran already), else the next."""
    moment = clock.now()
    if not facts.schedule_tick(session=session, moment=moment - timedelta(seconds=facts.TICK_SECONDS)):
        facts.schedule_tick(session=session, moment=moment)


HANDLERS: dict = {**{topic: lead_changed for topic in LEAD_TOPICS}, **{topic: pair_changed for topic in PAIR_TOPICS},
                  events.CAMPAIGN_CHANGED: campaign_changed, events.ANALYTICS_TICK: tick,
                  events.ANALYTICS_REBUILD: rebuild}
SCHEDULES: list = [ensure_scheduled]
