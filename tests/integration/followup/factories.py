"""A salesperson's day for tests: a rep with a lead of their own (captured through the API, owned by hand)."""

from __future__ import annotations

from sqlalchemy import select

from leadflow.outbox import OutboxMessage
from tests.integration.people.factories import lead, person


def rep_with_lead(client, auth, factory, **fields):
    rep = person(factory, "sales_rep")
    return rep, lead(client, auth, owner=rep, first_name=fields.pop("first_name", "Outi"), **fields)


def published(factory, topic: str) -> list[dict]:
    with factory() as session:
        return [m.payload for m in session.scalars(select(OutboxMessage).where(OutboxMessage.topic == topic)
                                                   .order_by(OutboxMessage.id))]
