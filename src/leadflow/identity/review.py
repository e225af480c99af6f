"""Review-queue reads for the pages: open pairs by score (keyset-paged), a lead's open pairs, merges to undo."""

from __future__ import annotations

import base64
from dataclasses import dataclass

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from leadflow.errors import Invalid
from leadflow.identity import queries
from leadflow.identity.models import LeadMerge, PossibleDuplicate
from leadflow.leads.models import Lead
from leadflow.leads.visibility import visible_leads
from leadflow.people.service import Actor

# The fields shown side by side, in the order a person reads a contact card.
SIDE_BY_SIDE = ("first_name", "last_name", "email", "phone", "mobile", "job_title", "company", "street",
                "postal_code", "city", "region", "country", "language")


@dataclass
class Row:
    field: str
    left: object
    right: object

    @property
    def state(self) -> str:
        if self.left in (None, "") or self.right in (None, ""):
            return "one" if (self.left or self.right) else "none"
        return "same" if self.left == self.right else "differs"


@dataclass
class Pair:
    pair: PossibleDuplicate
    lead: Lead
    other: Lead
    rows: list[Row]


def encode_cursor(probability: float, pair_id: int) -> str:
    return base64.urlsafe_b64encode(f"p:{probability!r}:{pair_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[float, int]:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        kind, probability, pair_id = text.split(":")
        if kind != "p":
            raise ValueError
        return float(probability), int(pair_id)
    except ValueError:
        raise Invalid.one("cursor", "not a cursor this page gave out") from None


def _open_pairs(actor: Actor):
    mine = visible_leads(actor).with_only_columns(Lead.id)
    return select(PossibleDuplicate).where(PossibleDuplicate.status == "open", PossibleDuplicate.lead_id.in_(mine),
                                           PossibleDuplicate.other_id.in_(mine))


def queue_page(session: Session, actor: Actor, *, cursor: str | None, limit: int) -> tuple[list[Pair], str | None]:
    """Open pairs whose two leads the actor sees (both still surviving), highest score first."""
    query = _open_pairs(actor)
    if cursor:
        probability, pair_id = decode_cursor(cursor)
        query = query.where(or_(PossibleDuplicate.probability < probability,
                                and_(PossibleDuplicate.probability == probability,
                                     PossibleDuplicate.id < pair_id)))
    rows = list(session.scalars(query.order_by(PossibleDuplicate.probability.desc(), PossibleDuplicate.id.desc())
                                .limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = encode_cursor(rows[-1].probability, rows[-1].id) if more and rows else None
    return side_by_side(session, rows), next_cursor


def lead_pairs(session: Session, actor: Actor, lead_id: int, *, limit: int = 20) -> list[Pair]:
    """The open pairs of one lead, the other lead visible to the actor too."""
    query = _open_pairs(actor).where(or_(PossibleDuplicate.lead_id == lead_id, PossibleDuplicate.other_id == lead_id))
    rows = list(session.scalars(query.order_by(PossibleDuplicate.probability.desc(), PossibleDuplicate.id.desc())
                                .limit(limit)))
    return side_by_side(session, rows)


def side_by_side(session: Session, pairs: list[PossibleDuplicate]) -> list[Pair]:
    leads = queries.leads_of(pairs, session=session)
    found = []
    for pair in pairs:
        lead, other = leads[pair.lead_id], leads[pair.other_id]
        rows = [Row(name, getattr(lead, name), getattr(other, name)) for name in SIDE_BY_SIDE]
        found.append(Pair(pair=pair, lead=lead, other=other, rows=[r for r in rows if r.state != "none"]))
    return found


def merged_into(session: Session, lead_id: int, *, limit: int = 10) -> list[tuple[LeadMerge, Lead]]:
    """Merges into this lead that can still be undone (the merged lead is still folded into it)."""
    rows = session.execute(
        select(LeadMerge, Lead).join(Lead, Lead.id == LeadMerge.merged_id)
        .where(LeadMerge.survivor_id == lead_id, LeadMerge.undone_at.is_(None), Lead.merged_into_id == lead_id)
        .order_by(LeadMerge.id.desc()).limit(limit)).all()
    return [(merge, lead) for merge, lead in rows]
