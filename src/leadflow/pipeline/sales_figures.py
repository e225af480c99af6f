"""What the pipeline knows about a lead's sales, as selectables other stages join (the follow-up scorecard): whether a
quote was made, and the won opportunities with their value, currency and close time. Reads, no decisions."""

from __future__ import annotations

from sqlalchemy import ColumnElement, Select, exists, func, select

from leadflow.pipeline.models import Opportunity, Quote

MADE = ("sent", "accepted", "rejected", "expired")  # a quote made: anything past a draft


def quote_made(lead_id: ColumnElement) -> ColumnElement[bool]:
    """True where the lead has a quote made (any status but draft); correlated on `lead_id`."""
    return exists().where(Quote.lead_id == lead_id, Quote.status.in_(MADE))


def won() -> Select:
    """The won opportunities of leads: lead_id, value, currency, closed_at (one row per opportunity)."""
    return (select(Opportunity.lead_id.label("lead_id"), Opportunity.value.label("value"),
                   Opportunity.currency.label("currency"), Opportunity.closed_at.label("closed_at"))
            .where(Opportunity.status == "won", Opportunity.lead_id.is_not(None)))


def won_with_id() -> Select:
    """The won opportunities of leads with their id (to count each once when a lead is joined more than once)."""
    return (select(Opportunity.id.label("id"), Opportunity.lead_id.label("lead_id"), Opportunity.value.label("value"),
                   Opportunity.currency.label("currency"), Opportunity.closed_at.label("closed_at"))
            .where(Opportunity.status == "won", Opportunity.lead_id.is_not(None)))


def first_won_at(lead_id: ColumnElement) -> ColumnElement:
    """The lead's first won opportunity's close time (None: none won); a scalar correlated on `lead_id`."""
    return (select(func.min(Opportunity.closed_at))
            .where(Opportunity.lead_id == lead_id, Opportunity.status == "won").scalar_subquery())


def lead_sales(lead_ids: list[int], *, session) -> tuple[dict, dict, dict]:
    """For these leads: the first opportunity's creation, the first quote made, and every won opportunity
    ({lead_id: [(value, currency, closed_at), ...]}), for analytics' facts."""
    if not lead_ids:
        return {}, {}, {}
    first_opportunity = dict(session.execute(
        select(Opportunity.lead_id, func.min(Opportunity.created_at))
        .where(Opportunity.lead_id.in_(lead_ids)).group_by(Opportunity.lead_id)).all())
    first_quote = dict(session.execute(
        select(Quote.lead_id, func.min(func.coalesce(Quote.sent_on, Quote.created_at)))
        .where(Quote.lead_id.in_(lead_ids), Quote.status.in_(MADE)).group_by(Quote.lead_id)).all())
    won_rows: dict[int, list] = {}
    for lead_id, value, currency, closed_at in session.execute(
            select(Opportunity.lead_id, Opportunity.value, Opportunity.currency, Opportunity.closed_at)
            .where(Opportunity.lead_id.in_(lead_ids), Opportunity.status == "won")
            .order_by(Opportunity.closed_at, Opportunity.id)):
        won_rows.setdefault(lead_id, []).append((value, currency, closed_at))
    return first_opportunity, first_quote, won_rows
