"""What journeys hear: entry triggers (a form, an event with a condition, a segment entered) enrol leads; events a
run waits for (a survey answered, its email delivered, bounced, opened or clicked, a form sent, a call's outcome)
are kept for the run and make its waiting row due now; a lead's change makes its runs' rows due now in journeys with
goals, so the next pass checks them (a wait not over goes back to waiting)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import insert, update
from sqlalchemy.orm import Session

from leadflow import clock, events
from leadflow.journeys import actions, flow, queries, service
from leadflow.journeys.models import JourneyEvent, JourneyStep

EMAIL_TOPICS = (events.EMAIL_DELIVERED, events.EMAIL_BOUNCED, events.EMAIL_OPENED, events.EMAIL_CLICKED)


def _journeys(*, session: Session):
    """(journey id, its live definition) of the live journeys."""
    live = queries.live_journeys(session=session)
    parsed = service.definitions([version_id for _, version_id, _ in live], session=session)
    return [(journey_id, parsed[version_id]) for journey_id, version_id, _status in live]


def enter(topic: str, payloads: list[dict], *, session: Session) -> int:
    """Enrol the payloads' leads in each live journey whose entry trigger the topic fires. Returns runs started."""
    journeys = [(jid, d) for jid, d in _journeys(session=session)
                if any(e.kind in ("form", "event", "segment") for e in d.entry)]
    if not journeys:
        return 0
    lead_ids = sorted({int(p["lead_id"]) for p in payloads if p.get("lead_id") is not None})
    names = {n for _, d in journeys for e in d.entry if e.condition is not None for n in e.condition.names}
    contexts = actions.contexts(lead_ids, names, session=session) if names and lead_ids else {}
    started = 0
    for journey_id, definition in journeys:
        wanted: dict[str, list[int]] = {}
        for payload in payloads:
            if payload.get("lead_id") is None:
                continue
            lead_id = int(payload["lead_id"])
            entry = flow.entry_for(definition, topic, payload, contexts.get(lead_id, {}))
            if entry is not None:
                wanted.setdefault(flow.entry_words(entry), []).append(lead_id)
        for source, ids in wanted.items():
            started += len(service.enrol(journey_id, ids, session=session, source=source)["entered"])
    return started


def hear(topic: str, payloads: list[dict], *, session: Session) -> int:
    """Keep an event for the active runs of its lead (an email's only for the run that sent it) and make their
    waiting rows due now. Returns how many runs heard it."""
    lead_ids = sorted({int(p["lead_id"]) for p in payloads if p.get("lead_id") is not None})
    if not lead_ids:
        return 0
    runs = queries.active_runs(lead_ids, session=session)
    if not runs:
        return 0
    by_lead: dict[int, list[int]] = {}
    for run_id, _journey_id, _version_id, lead_id in runs:
        by_lead.setdefault(lead_id, []).append(run_id)
    sent_by: dict[int, int] = {}
    if topic in EMAIL_TOPICS:
        from leadflow.email import queries as email_queries

        for run_id, steps in email_queries.messages_of_runs([r[0] for r in runs], session=session).items():
            sent_by.update({int(message_id): run_id for message_id in steps.values()})
    moment = clock.now()
    rows = []
    for payload in payloads:
        if payload.get("lead_id") is None:
            continue
        message_id = int(payload["message_id"]) if payload.get("message_id") not in (None, "") else None
        if topic in EMAIL_TOPICS:
            targets = [sent_by[message_id]] if message_id in sent_by else []
        else:
            targets = by_lead.get(int(payload["lead_id"]), [])
        for run_id in targets:
            rows.append({"run_id": run_id, "kind": topic, "at": moment, "form_id": payload.get("form_id"),
                         "outcome": (str(payload["outcome"])[:100] if payload.get("outcome") else None),
                         "message_id": message_id})
    if topic in (events.LEAD_CAPTURED, events.LEAD_RECAPTURED):
        rows = [dict(row, kind=events.LEAD_CAPTURED) for row in rows if row["form_id"] is not None]
    if not rows:
        return 0
    session.execute(insert(JourneyEvent), rows)
    woken = sorted({row["run_id"] for row in rows})
    wake(woken, session=session, moment=moment, waiting_only=True)
    return len(woken)


def wake(run_ids: Iterable[int], *, session: Session, moment: datetime | None = None, waiting_only: bool = False
         ) -> None:
    """Make the runs' pending rows due now (those waiting for an event, or all: goals are checked at each step)."""
    ids = sorted(set(run_ids))
    if not ids:
        return
    moment = moment or clock.now()
    for start in range(0, len(ids), 1000):
        query = (update(JourneyStep).where(JourneyStep.run_id.in_(ids[start:start + 1000]),
                                           JourneyStep.done_at.is_(None), JourneyStep.due_at > moment)
                 .values(due_at=moment).execution_options(synchronize_session=False))
        if waiting_only:
            query = query.where(JourneyStep.waits_for.is_not(None))
        session.execute(query)


def lead_changed(payloads: list[dict], *, session: Session) -> None:
    """A lead's data changed: its runs in journeys with goals are checked at once (their rows due now)."""
    lead_ids = sorted({int(p["lead_id"]) for p in payloads if p.get("lead_id") is not None})
    if not lead_ids:
        return
    runs = queries.active_runs(lead_ids, session=session)
    if not runs:
        return
    parsed = service.definitions({version_id for _, _, version_id, _ in runs}, session=session)
    with_goals = [run_id for run_id, _journey_id, version_id, _lead_id in runs if parsed[version_id].goals]
    wake(with_goals, session=session)
