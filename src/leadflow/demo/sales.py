"""The demo's sales follow-up: a hand-over with its due time for each lead a salesperson owns, the first contacts
that followed them up (most in time, some late, a few not yet), the tasks still open, opportunities with quotes,
competitors, wins and losses, and the forecasts recorded before each of the last six months (so their accuracy shows).
Written in bulk, as the demo's six months of work are."""

from __future__ import annotations

import random
import zlib
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from leadflow.demo.work import COMPETITORS
from leadflow.followup import sla
from leadflow.followup.models import Contact, Followup, Task
from leadflow.leads.lifecycle import WORKED
from leadflow.leads.models import Lead
from leadflow.people import roles
from leadflow.people.models import User
from leadflow.pipeline import accuracy, snapshots
from leadflow.pipeline import domain as pipeline_domain
from leadflow.pipeline.models import CloseReason, Competitor, CompetitorMention, Opportunity, OpportunityStage, Quote

HANDED = ("new", "mql", "sql", "opportunity", "customer", "recycled")
PRODUCTS = ("Building automation", "Energy monitoring", "HVAC retrofit", "Service contract", "Sensors and gateways")


def sell(session: Session, rng: random.Random, moment: datetime) -> dict[str, int]:
    """Hand-overs, contacts, tasks, opportunities, quotes and competitors for the leads salespeople own."""
    sellers = {u.id: u for u in session.scalars(select(User).where(
        User.role.in_((roles.SALES_REP, roles.SALES_MANAGER))))}
    leads = session.execute(select(Lead.id, Lead.owner_id, Lead.stage, Lead.created_at, Lead.campaign_id,
                                   Lead.first_touch, Lead.first_name, Lead.last_name, Lead.company)
                            .where(Lead.owner_id.in_(list(sellers)), Lead.stage.in_(HANDED),
                                   Lead.merged_into_id.is_(None)).order_by(Lead.id)).all()
    if not leads or session.scalar(select(Followup.id).limit(1)) is not None:
        return {}
    stages = [s for s in session.scalars(select(OpportunityStage).order_by(OpportunityStage.position))]
    open_stages = [s.key for s in stages if s.outcome == "open"]
    reasons = {kind: [r.key for r in session.scalars(select(CloseReason).where(CloseReason.kind == kind))]
               for kind in ("won", "lost")}
    competitors = _competitors(session)
    followups, contacts, tasks, opportunities, quotes, mentions = [], [], [], [], [], []
    for lead in leads:
        owner = sellers[lead.owner_id]
        name = " ".join(p for p in (lead.first_name, lead.last_name) if p) or f"lead #{lead.id}"
        created = _aware(lead.created_at)
        recent = rng.random() < 0.08 or (moment - created) < timedelta(days=2)
        handed = (moment - timedelta(hours=rng.uniform(1, 40)) if recent
                  else min(created + timedelta(hours=rng.uniform(1, 120)), moment - timedelta(days=2)))
        due = sla.due_at(handed, 24).at
        touch = lead.first_touch or {}
        row = {"lead_id": lead.id, "owner_id": owner.id, "team_id": owner.team_id,
               "source": str(touch.get("utm_source") or touch.get("source") or "")[:200] or None,
               "campaign_id": lead.campaign_id, "policy": {"name": "Default", "hours": 24, "clock": sla.WORKING_DAYS},
               "handed_at": handed, "due_at": due, "status": "open", "remind_at": due - timedelta(hours=2),
               "first_contact_at": None, "closed_at": None, "reminded_at": None, "escalated_at": None,
               "next_at": None, "next_step": None, "close_reason": None}
        contacted = None
        dice = rng.random()
        if not recent and dice < 0.84:
            contacted = handed + timedelta(hours=rng.uniform(0.5, 22))
        elif not recent and dice < 0.95:
            contacted = due + timedelta(hours=rng.uniform(1, 72))  # followed up, late
        elif recent and dice < 0.4:
            contacted = min(handed + timedelta(hours=rng.uniform(0.2, 6)), moment - timedelta(minutes=5))
        if contacted is not None:
            contacted = min(contacted, moment - timedelta(minutes=1))
            contacts.append({"lead_id": lead.id, "user_id": owner.id, "kind": "call", "outcome": "reached",
                             "note": "First call after the hand-over", "occurred_at": contacted,
                             "actor": f"user:{owner.id}", "created_at": contacted, "data": {"demo": True}})
            row.update(status="followed_up", first_contact_at=contacted, closed_at=contacted,
                       reminded_at=row["remind_at"] if row["remind_at"] < contacted else None)
        elif lead.stage not in WORKED:  # a customer now, or recycled: its follow-up closed with the stage change
            row.update(status="closed", close_reason="stage", closed_at=min(handed + timedelta(days=3), moment))
        else:
            step, at = ("remind", row["remind_at"]) if row["remind_at"] > moment else ("escalate", due)
            if due <= moment and not recent:
                row.update(reminded_at=row["remind_at"], escalated_at=due)  # missed long ago: already escalated
            else:
                row.update(next_at=at, next_step=step)
            tasks.append({"lead_id": lead.id, "owner_id": owner.id, "kind": "call", "title": f"Call {name}",
                          "due_at": due, "status": "open", "origin": "policy", "created_by": "system",
                          "created_at": handed})
        followups.append(row)
        if lead.stage in ("opportunity", "customer"):
            _sell(rng, lead, owner, handed, moment, open_stages, reasons, opportunities, quotes)
            if rng.random() < 0.3:
                mentions.append({"lead_id": lead.id, "competitor_id": rng.choice(competitors),
                                 "note": "Also asked them for a quote", "actor": f"user:{owner.id}",
                                 "created_at": handed + timedelta(days=rng.uniform(1, 10))})
            if lead.stage == "opportunity" and rng.random() < 0.4:
                tasks.append({"lead_id": lead.id, "owner_id": owner.id, "kind": "send_quote",
                              "title": f"Send the quote to {name}", "status": "open", "origin": "outcome",
                              "due_at": moment + timedelta(days=rng.randint(0, 5), hours=rng.randint(1, 8)),
                              "created_by": f"user:{owner.id}", "created_at": moment - timedelta(days=1)})
    for table, rows in ((Followup, followups), (Contact, contacts), (Task, tasks), (CompetitorMention, mentions)):
        for start in range(0, len(rows), 2000):
            session.execute(insert(table.__table__), rows[start:start + 2000])
    made = {}
    for index, row in enumerate(opportunities):
        made[index] = session.scalar(insert(Opportunity.__table__).values(**row).returning(Opportunity.id))
    for quote in quotes:
        quote["opportunity_id"] = made[quote.pop("opportunity")]
    if quotes:
        session.execute(insert(Quote.__table__), quotes)
    snapshots.record(past_forecasts(opportunities, moment), session=session)
    session.flush()
    return {"followups": len(followups), "contacts": len(contacts), "tasks": len(tasks),
            "opportunities": len(opportunities), "quotes": len(quotes)}


def _sell(rng: random.Random, lead, owner: User, handed: datetime, moment: datetime, open_stages: list[str],
          reasons: dict[str, list[str]], opportunities: list[dict], quotes: list[dict]) -> None:
    currency = "SEK" if rng.random() < 0.1 else "EUR"
    value = Decimal(rng.randrange(40, 600) * 100 * (10 if currency == "SEK" else 1))
    opened = handed + timedelta(days=rng.uniform(1, 14))
    product = rng.choice(PRODUCTS)
    row = {"lead_id": lead.id, "name": f"{product} for {lead.company or 'their site'}"[:300], "value": value,
           "currency": currency, "owner_id": owner.id, "team_id": owner.team_id,
           "created_by": f"user:{owner.id}", "created_at": min(opened, moment), "updated_at": min(opened, moment)}
    if lead.stage == "customer":
        closed = min(opened + timedelta(days=rng.uniform(10, 80)), moment - timedelta(hours=1))
        row.update(stage="won", status="won", close_reason=rng.choice(reasons["won"]), closed_at=closed,
                   expected_close=closed.date())
        status, decided = "accepted", closed.date()
    elif rng.random() < 0.2:
        closed = min(opened + timedelta(days=rng.uniform(10, 60)), moment - timedelta(hours=1))
        row.update(stage="lost", status="lost", close_reason=rng.choice(reasons["lost"]), closed_at=closed,
                   expected_close=closed.date())
        status, decided = "rejected", closed.date()
    else:
        row.update(stage=rng.choice(open_stages), status="open",
                   expected_close=(moment + timedelta(days=rng.randint(5, 150))).date(),
                   probability=rng.choice((None, None, 30, 60, 80)))
        status, decided = rng.choice(("draft", "sent", "sent")), None
    opportunities.append(row)
    if lead.stage == "customer" or rng.random() < 0.7:
        sent = (row["created_at"] + timedelta(days=rng.uniform(1, 7))).date()
        quotes.append({"lead_id": lead.id, "opportunity": len(opportunities) - 1, "amount": value,
                       "currency": currency, "status": status, "sent_on": None if status == "draft" else sent,
                       "decided_on": decided, "reference": f"Q-{lead.id:05d}", "note": "",
                       "created_by": f"user:{owner.id}", "created_at": row["created_at"],
                       "updated_at": row["created_at"]})


def past_forecasts(opportunities: list[dict], moment: datetime, months: int = 6) -> list[dict]:
    """What the forecast would have said on the first day of each of the last `months` full months, for that month:
    the opportunities decided in it that were already open then, each weighted by a probability its rep might have
    given (won ones mostly high, lost ones low; from its lead id, so the demo is the same every time). Deals opened
    within the month were not in it: the demo's forecasts come out a little low, as real ones often do."""
    rows: dict[tuple, dict] = {}
    chosen = accuracy.past_months(moment.date(), months)
    for row in opportunities:
        if row["status"] == "open" or row.get("closed_at") is None:
            continue
        month = accuracy.month_key(row["closed_at"].date())
        first = datetime.combine(accuracy.month_start(month), datetime.min.time(), UTC)
        if month not in chosen or _aware(row["created_at"]) >= first:
            continue
        dice = zlib.crc32(f"forecast:{row['lead_id']}".encode()) % 100
        probability = (50, 60, 75, 80, 90)[dice % 5] if row["status"] == "won" else (10, 20, 25, 40, 50)[dice % 5]
        key = (accuracy.month_start(month), month, row["owner_id"], row["currency"])
        cell = rows.setdefault(key, {"taken_on": key[0], "close_month": month, "owner_id": row["owner_id"],
                                     "currency": row["currency"], "weighted": Decimal("0.00"),
                                     "open_value": Decimal("0.00"), "open_count": 0, "won_value": Decimal("0.00"),
                                     "taken_at": first + timedelta(minutes=5)})
        cell["open_count"] += 1
        cell["open_value"] += row["value"]
        cell["weighted"] += (row["value"] * probability / 100).quantize(Decimal("0.01"))
    return [rows[k] for k in sorted(rows, key=lambda k: (k[0], k[2] or 0, k[3]))]


def _competitors(session: Session) -> list[int]:
    found = {c.name_key: c.id for c in session.scalars(select(Competitor))}
    for name in COMPETITORS:
        key = pipeline_domain.folded_name(name)
        if key not in found:
            found[key] = session.scalar(insert(Competitor.__table__).values(name=name, name_key=key, active=True)
                                        .returning(Competitor.id))
    return list(found.values())


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)
