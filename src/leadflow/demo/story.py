"""The demo's story after capture (`leadflow demo`): six months of behaviour, the stage history with its reasons,
BANT answers, then the real scoring and the Sales Ready rule, so every panel, band and list has something to show.

Each lead gets an intent that follows its stage (customers and opportunities were keen, students browse the careers
pages) and a moment of peak interest: its visits, downloads, emails, webinars and calls cluster there, so with the
30-day half-life a few open leads are hot, more are warm, most are cold, and won and lost leads differ enough for
predictive scoring to learn from (the worker trains it).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.orm import Session

from leadflow.leads.lifecycle import STAGE_LABELS
from leadflow.leads.models import Activity, Lead, StageChange
from leadflow.people import roles
from leadflow.people.models import CallList, CallListLead, User
from leadflow.qualification import bant
from leadflow.qualification import service as qualification_service
from leadflow.qualification.models import BantAnswer
from leadflow.scoring import service as scoring_service
from leadflow.tracking.models import Event

Progress = Callable[[str, int, int], None]

SITE = "https://www.nordheat.example"
PAGES = ("/", "/solutions/heat-pumps", "/solutions/building-automation", "/solutions/energy-analytics",
         "/solutions/installer-crm", "/references", "/about", "/blog/heat-pump-subsidies-2026")
PRICING = {"NL": "/nl/prijzen", "NO": "/no/priser", "FI": "/fi/hinnasto", "DE": "/de/preise", "GB": "/pricing",
           "US": "/pricing"}
DOWNLOADS = (("brochure.pdf", "Product brochure"), ("price-list-2026.pdf", "Price list 2026"),
             ("case-study-aurora.pdf", "Case study: Aurora Energy"), ("heat-pump-guide.pdf", "Heat pump guide"))
# How keen a lead was, by where it stands now (low, high), and how often an open lead of that stage is keen right
# now (its interest peaks in the last fortnight; the others' peaked one to five months ago and has decayed).
INTENT = {"new": (0.0, 0.45), "mql": (0.3, 0.8), "sql": (0.45, 0.95), "opportunity": (0.45, 1.0),
          "customer": (0.3, 0.95), "nurture": (0.05, 0.45), "disqualified": (0.0, 0.6), "recycled": (0.2, 0.6)}
RECENT = {"new": 0.05, "mql": 0.15, "sql": 0.3, "opportunity": 0.35, "recycled": 0.08, "nurture": 0.02}
PATHS = {  # the moves that led to each stage (every one allowed by the stage machine)
    "new": (), "mql": ("mql",), "sql": ("mql", "sql"), "opportunity": ("mql", "sql", "opportunity"),
    "customer": ("mql", "sql", "opportunity", "customer"), "nurture": ("nurture",),
    "recycled": ("mql", "sql", "recycled"),
}
LOST_REASONS = (("no_budget", 5), ("competitor", 4), ("no_need", 4), ("wrong_person", 2), ("unreachable", 3))
BUDGETS = ("10k-50k", "50k-100k", "100k-500k", "<10k", "yes", "500k+")


@dataclass
class Told:
    events: int = 0
    stage_changes: int = 0
    bant_leads: int = 0
    sales_ready: int = 0
    bands: dict[str, int] | None = None


def tell(session: Session, rng: random.Random, moment: datetime, progress: Progress, *,
         campaign_ids: list[int] | None = None) -> Told:
    """The story of every lead not merged away (the demo's own: those of its campaigns), written in bulk, then
    scored and checked for Sales Ready."""
    told = Told()
    query = (select(Lead.id, Lead.stage, Lead.created_at, Lead.owner_id, Lead.job_title, Lead.country, Lead.channel,
                    Lead.campaign_id).where(Lead.merged_into_id.is_(None)).order_by(Lead.id))
    if campaign_ids is not None:
        query = query.where(Lead.campaign_id.in_(campaign_ids))
    leads = session.execute(query).all()
    people = _people(session)
    called = set(session.scalars(select(CallListLead.lead_id).join(CallList)))
    events, changes, activities, answers, leads_updates = [], [], [], [], []
    progress("behaviour, stages and BANT", 0, len(leads))
    for n, lead in enumerate(leads):
        created = _aware(lead.created_at)
        low, high = INTENT.get(lead.stage, (0.0, 0.3))
        intent = rng.uniform(low, high)
        recent = rng.random() < RECENT.get(lead.stage, 0.0)
        if recent:
            intent = max(intent, rng.uniform(0.6, 1.0))
        path, reason, times = _path(rng, lead, created, moment)
        last_change = times[-1] if times else created
        # Closed leads were keen before their outcome; open ones lately (a keen one this fortnight).
        closed = lead.stage in ("customer", "disqualified", "nurture")
        end = last_change if closed else moment
        peak = max(created, end - timedelta(days=rng.uniform(0, 14) if recent else rng.uniform(25, 150)))
        student = "student" in (lead.job_title or "").lower()
        mine = _behaviour(rng, lead, intent, created, peak, end, moment, student, lead.id in called)
        events += mine
        actor = _actor(rng, people, lead.owner_id)
        for (before, after), at in zip(zip(("new", *path), path, strict=False), times, strict=True):
            why = reason if after == "disqualified" else None
            changes.append({"lead_id": lead.id, "from_stage": before, "to_stage": after, "reason": why,
                            "note": None, "actor": actor, "changed_at": at})
            summary = f"Stage {STAGE_LABELS[before]} \u2192 {STAGE_LABELS[after]}" + (f" ({why})" if why else "")
            activities.append({"lead_id": lead.id, "kind": "stage_changed", "summary": summary, "actor": actor,
                               "occurred_at": at, "data": {"from": before, "to": after, "reason": why, "note": None}})
        given = _bant(rng, lead.stage, intent, recent)
        if given:
            at = min(moment, max(created, peak) + timedelta(hours=rng.randrange(1, 72)))
            source = "telemarketer" if lead.id in called else ("sales" if lead.owner_id else "lead")
            who = actor if source != "lead" else "lead"
            answers += [{"lead_id": lead.id, "criterion": c, "value": v, "source": source, "actor": who,
                         "set_at": at} for c, v in given.items()]
            activities.append({"lead_id": lead.id, "kind": "bant_changed", "actor": who, "occurred_at": at,
                               "summary": "BANT: " + ", ".join(f"{c} {bant.label(c, v)}" for c, v in given.items()),
                               "data": {"source": source, "changes": [{"criterion": c, "old": None, "new": v}
                                                                      for c, v in given.items()]}})
            told.bant_leads += 1
        leads_updates.append({"b_id": lead.id, "b_reason": reason,
                              "b_updated": max([created, last_change, *(e["occurred_at"] for e in mine)])})
        if n % 500 == 0:
            progress("behaviour, stages and BANT", n, len(leads))
    _write(session, Event, events)
    _write(session, StageChange, changes)
    _write(session, Activity, activities)
    _write(session, BantAnswer, answers)
    table = Lead.__table__
    session.execute(update(table).where(table.c.id == bindparam("b_id"))
                    .values(disqualify_reason=bindparam("b_reason"), updated_at=bindparam("b_updated")),
                    leads_updates)
    session.flush()
    told.events, told.stage_changes = len(events), len(changes)
    ids = [lead.id for lead in leads]
    progress("scoring every lead from its history", 0, len(ids))
    scoring_service.rescore_leads(ids, session=session)
    progress("the Sales Ready rule", 0, len(ids))
    told.sales_ready = len(qualification_service.evaluate(ids, session=session))
    told.bands = dict(session.execute(select(Lead.band, func.count()).where(
        Lead.merged_into_id.is_(None), Lead.stage.not_in(("customer", "disqualified")), Lead.band.is_not(None))
        .group_by(Lead.band)).all())
    session.flush()
    return told


def _aware(value: datetime) -> datetime:
    from datetime import UTC

    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _people(session: Session) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {role: [] for role in roles.ROLES}
    for user_id, role in session.execute(select(User.id, User.role).order_by(User.id)):
        found.setdefault(role, []).append(f"user:{user_id}")
    return found


def _actor(rng: random.Random, people: dict[str, list[str]], owner_id: int | None) -> str:
    if owner_id:
        return f"user:{owner_id}"
    pool = people.get(roles.MARKETING) or people.get(roles.ADMIN) or ["system"]
    return rng.choice(pool)


def _path(rng: random.Random, lead, created: datetime, moment: datetime):
    """The moves that led the lead to its stage, with their times, and the reason of a disqualified one."""
    stage, reason = lead.stage, None
    if stage == "disqualified":
        title = (lead.job_title or "").lower()
        if "student" in title:
            path, reason = ("disqualified",), "student"
        elif rng.random() < 0.3:  # an opportunity lost
            path, reason = ("mql", "sql", "opportunity", "disqualified"), "lost"
        else:
            reason = rng.choices(*zip(*LOST_REASONS, strict=True))[0]
            path = ("mql", "disqualified") if rng.random() < 0.4 else ("disqualified",)
    else:
        path = PATHS.get(stage, ())
    span = max((moment - created).total_seconds(), 3600.0)
    cuts = sorted(rng.uniform(0.05, 0.95) for _ in path)
    times = [min(moment, created + timedelta(seconds=span * cut)) for cut in cuts]
    return path, reason, times


def _event(lead_id: int, kind: str, at: datetime, source: str, **properties) -> dict:
    return {"lead_id": lead_id, "visitor_id": None, "type": kind, "occurred_at": at, "received_at": at,
            "source": source, "properties": properties, "external_id": None}


def _around(rng: random.Random, peak: datetime, low: datetime, high: datetime, days: float) -> datetime:
    at = peak + timedelta(days=rng.gauss(0, days))
    return min(max(at, low), high).replace(microsecond=0)


def _behaviour(rng: random.Random, lead, intent: float, created: datetime, peak: datetime, end: datetime,
               moment: datetime, student: bool, called: bool) -> list[dict]:
    """Visits (with pricing and demo pages for keen leads), downloads, forms, emails, webinars and calls."""
    out = []
    home = SITE + PRICING.get(lead.country or "", "/pricing")
    for _ in range(round(intent * rng.uniform(1, 5))):
        at = _around(rng, peak, created, end, 7)
        for page in rng.sample(PAGES, k=rng.randint(1, 3)):
            out.append(_event(lead.id, "page_view", at, "script", url=SITE + page))
            at += timedelta(seconds=rng.randint(20, 240))
        if rng.random() < intent * 0.6:
            out.append(_event(lead.id, "page_view", at, "script", url=home))
        if rng.random() < intent * intent * 0.35:
            out.append(_event(lead.id, "page_view", at + timedelta(seconds=90), "script", url=SITE + "/demo"))
        if rng.random() < intent * 0.25:
            name, title = rng.choice(DOWNLOADS)
            out.append(_event(lead.id, "download", at + timedelta(seconds=150), "script",
                              url=f"{SITE}/files/{name}", name=title))
        if rng.random() < intent * 0.08:
            out.append(_event(lead.id, "form_submit", at + timedelta(seconds=200), "form", form="contact-sales"))
    if student:
        at = _around(rng, peak, created, end, 20)
        out.append(_event(lead.id, "page_view", at, "script", url=SITE + "/careers"))
    if lead.channel in ("email", "form") or rng.random() < 0.35:  # the monthly newsletter
        sent = created + timedelta(days=rng.uniform(2, 20))
        while sent < min(end, moment):
            if rng.random() < 0.25 + 0.6 * intent:
                out.append(_event(lead.id, "email_open", sent + timedelta(hours=rng.uniform(1, 48)), "email",
                                  message_id=f"news-{sent:%Y-%m}"))
                if rng.random() < intent * 0.5:
                    out.append(_event(lead.id, "email_click", sent + timedelta(hours=rng.uniform(2, 60)), "email",
                                      message_id=f"news-{sent:%Y-%m}", url=SITE + "/solutions/heat-pumps"))
            sent += timedelta(days=30)
    if lead.channel == "webinar":
        out.append(_event(lead.id, "webinar_registered", created, "api", webinar="Heat pumps for installers"))
        if rng.random() < 0.4 + 0.5 * intent:
            out.append(_event(lead.id, "webinar_attended", min(moment, created + timedelta(days=6)), "api",
                              webinar="Heat pumps for installers"))
    if called or lead.channel == "telemarketing":
        outcome = ("interested" if intent > 0.55 else "callback" if intent > 0.35 else
                   rng.choice(("not_interested", "no_answer", "wrong_person")))
        out.append(_event(lead.id, "call_outcome", _around(rng, peak, created, end, 5), "telemarketing",
                          outcome=outcome))
    return [e for e in out if e["occurred_at"] <= moment]


def _bant(rng: random.Random, stage: str, intent: float, recent: bool) -> dict[str, str]:
    """The answers sales or the telemarketers got from keen leads (more of them the further the lead is, and from
    most of those keen right now: the Sales Ready rule then moves some of them to SQL)."""
    chance = {"sql": 0.9, "opportunity": 0.95, "customer": 0.9, "recycled": 0.5, "mql": 0.45,
              "new": 0.15 if intent > 0.5 else 0.0, "nurture": 0.2, "disqualified": 0.3}.get(stage, 0.0)
    if recent and stage in ("new", "mql"):
        chance = 0.7
    if rng.random() >= chance:
        return {}
    keen = intent > 0.6
    answers = {
        "budget": rng.choice(BUDGETS[:3] if keen else BUDGETS),
        "authority": rng.choices(("decision_maker", "influencer", "user"), (5, 3, 1) if keen else (2, 3, 3))[0],
        "need": rng.choices(("high", "medium", "low"), (5, 2, 1) if keen else (1, 2, 2))[0],
        "timeline": rng.choices(("1m", "3m", "6m", "12m", "later"), (3, 4, 2, 1, 0) if keen else (0, 1, 2, 3, 2))[0],
    }
    known = rng.randint(3 if keen else 1, 4)
    return dict(rng.sample(sorted(answers.items()), k=known))


def _write(session: Session, model, rows: list[dict], chunk: int = 5000) -> None:
    for start in range(0, len(rows), chunk):
        session.execute(insert(model.__table__), rows[start:start + chunk])
