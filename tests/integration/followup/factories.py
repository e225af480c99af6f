"""Follow-up and pipeline rows for tests: leads, hand-overs, quotes and opportunities, plain add-and-flush over the
models (the stages' own write paths are tested on their own); and a sales rep with a lead of their own."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import select

from leadflow.followup.models import Followup
from leadflow.leads.models import Lead
from leadflow.people.models import Team, User
from leadflow.outbox import OutboxMessage
from leadflow.pipeline.models import Opportunity, Quote
from tests.integration.people.factories import lead as captured_lead
from tests.integration.people.factories import person

_numbers = itertools.count(1)


def lead(session, *, owner_id: int | None = None) -> int:
    row = Lead(email=f"scorecard{next(_numbers)}@example.com", owner_id=owner_id)
    session.add(row)
    session.flush()
    return row.id


def team_of(session, user_id: int) -> int | None:
    return session.get(User, user_id).team_id


def team_id(session, name: str) -> int:
    return session.query(Team).filter_by(name=name).one().id


def handover(session, lead_id: int, owner_id: int, *, handed_at: datetime, hours: float = 24,
             contact_after: float | None = None, status: str | None = None, closed_at: datetime | None = None,
             source: str | None = None, campaign_id: int | None = None, team: int | None = -1) -> Followup:
    """A hand-over due `hours` after it, followed up `contact_after` hours after it (None: not yet)."""
    first = handed_at + timedelta(hours=contact_after) if contact_after is not None else None
    row = Followup(lead_id=lead_id, owner_id=owner_id, team_id=team_of(session, owner_id) if team == -1 else team,
                   source=source, campaign_id=campaign_id, handed_at=handed_at,
                   due_at=handed_at + timedelta(hours=hours), first_contact_at=first,
                   status=status or ("followed_up" if first else "open"), closed_at=closed_at or first)
    session.add(row)
    session.flush()
    return row


def quote(session, lead_id: int, *, status: str = "sent", amount: str = "1000", currency: str = "EUR") -> Quote:
    row = Quote(lead_id=lead_id, amount=Decimal(amount), currency=currency, status=status)
    session.add(row)
    session.flush()
    return row


def won(session, lead_id: int, *, value: str, closed_at: datetime, currency: str = "EUR",
        owner_id: int | None = None) -> Opportunity:
    row = Opportunity(lead_id=lead_id, name="Deal", value=Decimal(value), currency=currency, stage="won",
                      status="won", closed_at=closed_at, owner_id=owner_id)
    session.add(row)
    session.flush()
    return row


def lost(session, lead_id: int, *, value: str, closed_at: datetime) -> Opportunity:
    row = Opportunity(lead_id=lead_id, name="Deal", value=Decimal(value), stage="lost", status="lost",
                      closed_at=closed_at)
    session.add(row)
    session.flush()
    return row


def rep_with_lead(client, auth, factory, **fields):
    """A sales rep and a lead of their own (captured through the API, owned by hand): a salesperson's day."""
    rep = person(factory, "sales_rep")
    return rep, captured_lead(client, auth, owner=rep, first_name=fields.pop("first_name", "Outi"), **fields)


def published(factory, topic: str) -> list[dict]:
    with factory() as session:
        return [m.payload for m in session.scalars(select(OutboxMessage).where(OutboxMessage.topic == topic)
                                                   .order_by(OutboxMessage.id))]
