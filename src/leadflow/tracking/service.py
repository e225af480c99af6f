"""Event intake: store batches in one statement, find their leads in one query, score them at once; join
anonymous visitors to leads. (Email opens and clicks: email_service.py.)"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from leadflow.clock import now
from leadflow.db import is_transient
from leadflow.leads import queries as leads_queries
from leadflow.leads.domain import normalize_email
from leadflow.leads.models import Lead
from leadflow.leads.visibility import sees_all
from leadflow.people.service import Actor
from leadflow.qualification import service as qualification_service
from leadflow.scoring import service as scoring_service
from leadflow.tracking import bulk, domain, sources
from leadflow.tracking.models import Event, Visitor

log = logging.getLogger(__name__)
SEEN_EVERY = timedelta(minutes=1)  # a visitor's last_seen_at is written at most this often
CHUNK = 500
ORIGINS_TTL = 60.0



@dataclass
class ItemResult:
    index: int
    outcome: str  # accepted, duplicate, rejected
    event_id: int | None = None
    lead_id: int | None = None
    errors: list[dict] = field(default_factory=list)



def retrying(work, attempts: int = 3, *, session: Session):
    """Run `work` and commit. Scoring takes its locks in one order, so this is the last resort: a transaction the
    database gave up on (serialization failure, deadlock, the same new external id in two batches at once) is
    rolled back and run again from the start, seeing what the other one committed. Logged as a warning."""
    for attempt in range(attempts):
        try:
            result = work()
            session.commit()
            return result
        except DBAPIError as error:
            session.rollback()
            if attempt == attempts - 1 or not is_transient(error):
                raise
            log.warning("event intake retried after %s", type(error.orig).__name__)
    return None


# --- storing and scoring ---------------------------------------------------------------------------------------

@dataclass(slots=True)
class StoredEvent:
    """An event as stored by one batch insert: the columns scoring and the answer read, no ORM object."""

    id: int
    lead_id: int | None
    visitor_id: str | None
    type: str
    occurred_at: datetime
    received_at: datetime
    source: str
    properties: dict
    external_id: str | None
    unscored: str | None = None


def store(rows: list[dict], *, session: Session) -> list[StoredEvent]:
    """The whole batch in one statement; the events come back as plain values with their ids.

    PostgreSQL: INSERT ... RETURNING in parameter order. SQLite cannot tie RETURNING rows to the parameters (SQL
    Alchemy would fall back to one INSERT per row), so the ids are given here, after the highest one: the
    transaction holds SQLite's write lock, and a clash would fail on the primary key rather than go unnoticed.
    """
    if not rows:
        return []
    events = Event.__table__
    if session.get_bind().dialect.name == "postgresql":
        ids = session.execute(insert(events).returning(events.c.id, sort_by_parameter_order=True),
                              rows).scalars().all()
    else:
        first = (session.scalar(select(func.max(events.c.id))) or 0) + 1
        ids = range(first, first + len(rows))
        session.execute(insert(events), [{"id": event_id, **row} for event_id, row in zip(ids, rows)])
    return [StoredEvent(id=event_id, **row) for event_id, row in zip(ids, rows)]


def score(events: list, *, session: Session) -> set[int]:
    """Live scoring of events that belong to leads (an event with an `unscored` reason counts for nothing), then the
    Sales Ready rule for the leads whose score moved."""
    known = [event for event in events if event.lead_id is not None and event.unscored is None]
    if not known:
        return set()
    changed = scoring_service.score_events(known, session=session)
    if changed:
        qualification_service.evaluate(set(changed), session=session)
    return set(changed)


def _row(event: domain.CheckedEvent, *, lead_id: int | None, source: str, received_at: datetime) -> dict:
    return {"lead_id": lead_id, "visitor_id": event.visitor_id, "type": event.type, "occurred_at": event.occurred_at,
            "received_at": received_at, "source": source, "properties": event.properties,
            "external_id": event.external_id}


def _insert_ignore_many(model, rows: list[dict], keys: list[str], *, session: Session) -> None:
    if not rows:
        return
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    else:
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    session.execute(dialect_insert(model.__table__).on_conflict_do_nothing(index_elements=keys), rows)


def _chunks(values: list, size: int = CHUNK):
    for start in range(0, len(values), size):
        yield values[start:start + size]


# --- the script's beacons ----------------------------------------------------------------------------------------

def visitor_lead(visitor_id: str, moment: datetime, *, session: Session) -> int | None:
    """The visitor's lead (None while anonymous); creates the visitor on first sight and notes when it was seen."""
    row = session.execute(select(Visitor.lead_id, Visitor.last_seen_at).where(Visitor.id == visitor_id)).first()
    if row is None:
        _insert_ignore_many(Visitor, [{"id": visitor_id, "lead_id": None, "first_seen_at": moment,
                                                "last_seen_at": moment}], ["id"], session=session)
        return None
    if row.last_seen_at is None or moment - row.last_seen_at > SEEN_EVERY:
        session.execute(update(Visitor.__table__).where(Visitor.__table__.c.id == visitor_id)
                        .values(last_seen_at=moment))
    return row.lead_id


def collect(visitor_id: str, events: list[domain.CheckedEvent], *, session: Session) -> list[StoredEvent]:
    """Store a beacon's events; a visitor already joined to a lead has them scored at once."""
    moment = now()
    lead_id = visitor_lead(visitor_id, moment, session=session)
    stored = store([_row(e, lead_id=lead_id, source="script", received_at=moment) for e in events], session=session)
    score(stored, session=session)
    return stored


def allowed_origins(extra: str = "", *, session: Session) -> frozenset[str]:
    """Origins that may send beacons: every active form's allowed origins and LEADFLOW_TRACKING_ORIGINS."""
    def read() -> frozenset[str]:
        origins = {o.strip().rstrip("/") for o in extra.split(",") if o.strip()}
        for listed in sources.current().form_origins(session=session):
            origins.update(o for o in (listed or []) if isinstance(o, str))
        return frozenset(origins)

    return bulk.origins_for(extra, read, ttl=ORIGINS_TTL)


def forget_origins() -> None:
    bulk.forget_origins()


# --- server-side events ------------------------------------------------------------------------------------------

def surviving_leads(lead_ids: set[int], *, session: Session) -> dict[int, int]:
    """Each named lead id -> the lead it is now (a merged-away lead lives on in the one it merged into)."""
    found: dict[int, int] = {}
    pending = {lead_id: lead_id for lead_id in lead_ids}
    for _ in range(5):
        if not pending:
            break
        rows = []
        for part in _chunks(list(set(pending.values()))):
            rows += session.execute(select(Lead.id, Lead.merged_into_id).where(Lead.id.in_(part))).all()
        into = {row.id: row.merged_into_id for row in rows}
        following = {}
        for named, current in pending.items():
            if current not in into:
                continue
            if into[current] is None:
                found[named] = current
            else:
                following[named] = into[current]
        pending = following
    return found


def _visible(actor: Actor, lead_ids: set[int], *, session: Session) -> set[int]:
    if not lead_ids or sees_all(actor):
        return set(lead_ids)
    seen: set[int] = set()
    for part in _chunks(list(lead_ids)):
        seen.update(session.scalars(leads_queries.visible_ids(actor).where(Lead.id.in_(part))))
    return seen


def ingest(actor: Actor, items: list, *, session: Session, source: str = "api") -> list[ItemResult]:
    """POST /api/v1/events: each item checked and answered on its own; the good ones stored in one statement.

    An event for an email that is no lead's is rejected (nothing to attach it to); one for an unknown visitor is
    kept as anonymous and joins its lead when the visitor identifies.
    """
    moment = now()
    results: list[ItemResult] = []
    good: list[tuple[int, domain.CheckedEvent]] = []
    for index, item in enumerate(items):
        checked, problems = domain.check_api_event(item, moment)
        if checked is None:
            results.append(ItemResult(index, "rejected", errors=[{"field": p.field, "reason": p.reason}
                                                                  for p in problems]))
            continue
        if checked.email:
            try:
                checked.email = normalize_email(checked.email)
            except ValueError as exc:
                results.append(ItemResult(index, "rejected", errors=[{"field": "email", "reason": str(exc)}]))
                continue
        good.append((index, checked))
        results.append(ItemResult(index, "accepted"))

    survivors = surviving_leads({e.lead_id for _, e in good if e.lead_id}, session=session)
    emails = sorted({e.email for _, e in good if e.email})
    by_email: dict[str, int] = {}
    for part in _chunks(emails):
        for row in session.execute(select(Lead.email, Lead.id).where(Lead.email.in_(part),
                                                                     Lead.merged_into_id.is_(None))
                                   .order_by(Lead.id.desc())):
            by_email[row.email] = row.id  # the oldest lead with this address wins
    visitors = sorted({e.visitor_id for _, e in good if e.visitor_id})
    by_visitor: dict[str, int | None] = {}
    for part in _chunks(visitors):
        by_visitor.update(session.execute(select(Visitor.id, Visitor.lead_id).where(Visitor.id.in_(part))).all())
    new_visitors = [{"id": v, "lead_id": None, "first_seen_at": moment, "last_seen_at": moment}
                    for v in visitors if v not in by_visitor]
    _insert_ignore_many(Visitor, new_visitors, ["id"], session=session)

    def lead_of(event: domain.CheckedEvent) -> tuple[int | None, str | None]:
        if event.lead_id:
            return survivors.get(event.lead_id), "lead_id"
        if event.email:
            return by_email.get(event.email), "email"
        return by_visitor.get(event.visitor_id), None

    visible = _visible(actor, {lead for _, e in good if (lead := lead_of(e)[0]) is not None}, session=session)
    external = sorted({e.external_id for _, e in good if e.external_id})
    taken: dict[str, int] = {}
    for part in _chunks(external):
        taken.update(session.execute(select(Event.external_id, Event.id).where(Event.external_id.in_(part))).all())

    rows, placed, repeats = [], [], []
    for index, event in good:
        result = results[index]
        lead_id, named_by = lead_of(event)
        if named_by and lead_id is None or lead_id is not None and lead_id not in visible:
            field_name = named_by or "visitor_id"
            result.outcome, result.errors = "rejected", [{"field": field_name, "reason": "not found: no lead you "
                                                          "can see has this " + field_name.replace("_", " ")}]
            continue
        if event.external_id and event.external_id in taken:
            result.outcome, result.lead_id = "duplicate", lead_id
            repeats.append((result, event.external_id))
            continue
        if event.external_id:
            taken[event.external_id] = 0  # a second item with the same id in this batch is a duplicate too
        result.lead_id = lead_id
        rows.append(_row(event, lead_id=lead_id, source=source, received_at=moment))
        placed.append(result)
    stored = store(rows, session=session)
    for result, event in zip(placed, stored):
        result.event_id = event.id
        if event.external_id:
            taken[event.external_id] = event.id
    for result, external_id in repeats:
        result.event_id = taken.get(external_id) or None
    score(stored, session=session)
    return results


# --- identification ----------------------------------------------------------------------------------------------

def identify(visitor_id: str, lead_id: int, *, session: Session, how: str) -> int:
    """Join a visitor (the lf_vid cookie) to a lead: its anonymous events become the lead's and are scored.

    Events already joined to another lead stay with it; later events go to this lead. Returns the events moved.
    """
    if domain.visitor_problem(visitor_id) is not None:
        return 0
    moment = now()
    visitors = Visitor.__table__
    values = {"lead_id": lead_id, "identified_at": moment, "identified_by": how[:40], "last_seen_at": moment}
    if session.execute(select(visitors.c.id).where(visitors.c.id == visitor_id)).first() is None:
        _insert_ignore_many(Visitor, [{"id": visitor_id, "first_seen_at": moment, **values}], ["id"], session=session)
    else:
        session.execute(update(visitors).where(visitors.c.id == visitor_id).values(**values))
    events = Event.__table__
    ids = list(session.scalars(select(events.c.id).where(events.c.visitor_id == visitor_id,
                                                          events.c.lead_id.is_(None))))
    if not ids:
        return 0
    for part in _chunks(ids):
        session.execute(update(events).where(events.c.id.in_(part)).values(lead_id=lead_id))
    moved: list[Event] = []
    for part in _chunks(ids):
        moved += session.scalars(select(Event).where(Event.id.in_(part))
                                 .order_by(Event.occurred_at, Event.id)
                                 .execution_options(populate_existing=True)).all()
    score(moved, session=session)
    return len(moved)


# --- forms --------------------------------------------------------------------------------------------------------

def record_form_submit(*, session: Session, lead_id: int, capture_id: int, form: str,
                       url: str | None = None) -> StoredEvent | None:
    """A hosted form sent in (its capture made or changed the lead): the lead's `form_submit` event, scored at once
    like any other ("Submitted a form" fires without /t/lf.js). Keyed by the capture, so it is recorded once."""
    external_id = f"form-capture:{capture_id}"
    if session.scalar(select(Event.id).where(Event.external_id == external_id)) is not None:
        return None
    moment = now()
    properties = {"form": form[:200], **({"url": url[:2000]} if url else {})}
    stored = store([{"lead_id": lead_id, "visitor_id": None, "type": "form_submit", "occurred_at": moment,
                               "received_at": moment, "source": "form", "properties": properties,
                               "external_id": external_id}], session=session)
    score(stored, session=session)
    return stored[0]


# --- surveys ------------------------------------------------------------------------------------------------------

def record_survey_answer(*, session: Session, lead_id: int, response_id: int,
                         properties: dict) -> StoredEvent | None:
    """A lead answered a survey (surveys' response): the lead's `survey_answer` event, scored at once. Keyed by the
    response, so answering the same survey again from the same email is recorded (and scored) once."""
    external_id = f"survey-response:{response_id}"
    if session.scalar(select(Event.id).where(Event.external_id == external_id)) is not None:
        return None
    moment = now()
    stored = store([{"lead_id": lead_id, "visitor_id": None, "type": "survey_answer", "occurred_at": moment,
                     "received_at": moment, "source": "survey", "properties": properties,
                     "external_id": external_id}], session=session)
    score(stored, session=session)
    return stored[0]
