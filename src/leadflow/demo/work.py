"""The demo's six months of sales work on its leads: stages, owners, calls, emails, meetings and notes, a call
list.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session, sessionmaker

from leadflow import db
from leadflow.capture.models import Capture
from leadflow.demo.campaigns import Plan
from leadflow.demo.leads import review_count
from leadflow.demo.progress import Progress, Report, keep_state
from leadflow.leads.models import Activity, Lead
from leadflow.people import roles
from leadflow.people.models import User


DAYS = 182  # activity over the past six months


STAGE_WEIGHTS = (("new", 30), ("mql", 19), ("sql", 11), ("opportunity", 8), ("customer", 6), ("nurture", 15),
                 ("disqualified", 8), ("recycled", 3))
CALL_NOTES = ("Reached, interested in a quote for Q{q}", "No answer, left a voicemail", "Asked to call back next week",
              "Discussed budget and timing; decision in {m} months", "Wrong person; referred to the purchasing manager",
              "Has a competitor's system; contract ends next year")
EMAIL_NOTES = ("Sent the product brochure", "Sent a quote of EUR {amount:,}", "Followed up on the webinar",
               "Sent the case study they asked for", "Replied with installation questions")
MEETING_NOTES = ("Site visit: {n} buildings to assess", "Demo at their office with the technical director",
                 "Quote review meeting; competitor {c} in play", "Kick-off with the project team")
NOTE_NOTES = ("Prefers email over phone", "Budget approved for next quarter", "Key decision maker is the CFO",
              "Met on the trade fair stand, very interested", "Student: not a buyer")
COMPETITORS = ("Siemens", "Schneider", "ABB", "Honeywell", "Danfoss")


def _when(rng: random.Random, start: datetime, end: datetime) -> datetime:
    span = max((end - start).total_seconds(), 3600)
    moment = start + timedelta(seconds=rng.random() * span)
    return moment.replace(hour=rng.randrange(7, 19), minute=rng.randrange(60), second=rng.randrange(60),
                          microsecond=0)
SPREAD_CHUNK = 1000  # leads whose six months are written in one transaction


def spread_work(factory: sessionmaker[Session], rng: random.Random, people: dict[str, list[User]],
            campaigns: list[Plan], moment: datetime, report: Report, progress: Progress, state: dict) -> None:
    """Dates, stages, owners and activities over the past six months, in bulk statements a chunk of leads at a
    time; each chunk's transaction records how far the spread got (a resumed run draws the same dice for the
    leads before it, and writes only the rest), the last one that the demo is finished."""
    by_id = {p.id: p for p in campaigns}
    with db.reading(factory)() as session:  # the demo's own leads: an import running beside it keeps its own
        leads = session.execute(select(Lead.id, Lead.campaign_id, Lead.country).where(
            Lead.merged_into_id.is_(None), Lead.campaign_id.in_(list(by_id))).order_by(Lead.id)).all()
    north = [u for u in people[roles.SALES_REP] if u.team_id == people[roles.SALES_MANAGER][0].team_id]
    central = [u for u in people[roles.SALES_REP] if u not in north]
    managers = people[roles.SALES_MANAGER]
    stages, stage_weights = zip(*STAGE_WEIGHTS, strict=True)
    calling: list[int] = []
    progress("six months of sales work", 0, len(leads))
    for start in range(0, len(leads), SPREAD_CHUNK):
        updates, captured, activities = [], [], []
        for lead_id, campaign_id, country in leads[start:start + SPREAD_CHUNK]:
            plan = by_id.get(campaign_id) or campaigns[0]
            created = _when(rng, plan.starts, plan.ends)
            if created > moment:
                created = moment - timedelta(minutes=rng.randrange(5, 600))
            age = (moment - created).days
            stage = rng.choices(stages, stage_weights)[0]
            if age < 7 and stage not in ("new", "mql"):
                stage = "new"
            reps = north if country in ("NO", "FI", "GB") else central
            owner = None
            if stage in ("sql", "opportunity", "customer", "recycled"):
                owner = rng.choice(reps + managers[:1] if rng.random() < 0.1 else reps).id
            elif stage in ("mql", "new") and rng.random() < 0.35:
                owner = rng.choice(reps).id
            elif stage == "nurture":
                owner = rng.choice(people[roles.MARKETING]).id
            if stage in ("new", "mql", "nurture") and owner is None and rng.random() < 0.3:
                calling.append(lead_id)
            updates.append({"id": lead_id, "created_at": created, "updated_at": created, "stage": stage,
                            "owner_id": owner})
            captured.append({"b_lead": lead_id, "b_at": created})
            activities.extend(_work(rng, lead_id, stage, owner, created, moment, people))
        report.activities += len(activities)
        if updates[-1]["id"] <= state["spread_after"]:
            continue  # written by the run that stopped midway
        with factory() as session:
            _write_spread(session, updates, captured, activities)
            state["spread_after"] = updates[-1]["id"]
            last = start + SPREAD_CHUNK >= len(leads)
            if last:
                _call_lists(session, people, calling, rng, moment)
                report.duplicates_in_review = review_count(session)
                state["spread_done"] = True
            keep_state(session, state)
            session.commit()
        progress("six months of sales work", start + len(updates), len(leads))
    if not leads:
        with factory() as session:
            keep_state(session, {**state, "spread_done": True})
            session.commit()
    report.leads = len(leads)


def _write_spread(session: Session, updates: list[dict], captured: list[dict], activities: list[dict]) -> None:
    session.execute(update(Lead), updates)
    captures = Capture.__table__
    session.execute(update(captures).where(captures.c.lead_id == bindparam("b_lead"))
                    .values(received_at=bindparam("b_at")), captured)
    table = Activity.__table__
    session.execute(update(table).where(table.c.lead_id == bindparam("b_lead"),
                                 table.c.capture_id.is_not(None)).values(occurred_at=bindparam("b_at")), captured)
    for start in range(0, len(activities), 2000):
        session.execute(insert(table), activities[start:start + 2000])


def _call_lists(session: Session, people: dict[str, list[User]], calling: list[int], rng: random.Random,
                moment: datetime) -> None:
    """The telemarketing team's shared list of nurtured leads to qualify by phone, with its BANT script, and the
    last week's calls that found nobody (their retries and call-backs waiting)."""
    from leadflow.people.service import actor_for
    from leadflow.telemarketing import scripts
    from leadflow.telemarketing import service as telemarketing

    callers = people[roles.TELEMARKETER]
    if not callers or not calling:
        return
    script = scripts.create({"name": "BANT qualification call", "intro": DEMO_SCRIPT_INTRO,
                             "questions": DEMO_SCRIPT}, session=session)
    team_id = callers[0].team_id
    listed = telemarketing.create_list(
        {"name": "Nurture: qualify by phone", "owner_id": callers[0].id, "team_id": team_id, "script_id": script.id,
         "hours_from": 8 * 60, "hours_to": 20 * 60, "days": "123456", "default_zone": "Europe/Helsinki",
         "targets": {"calls": 12, "reached": 3, "qualified": 1, "minutes_per_call": 4}},
        session=session, actor=actor_for(callers[0]))
    telemarketing.add_leads(listed, calling[:600], session=session, why="from the demo's nurture leads")
    session.flush()
    _past_calls(session, listed.id, callers, rng, moment)


def _past_calls(session: Session, call_list_id: int, callers: list[User], rng: random.Random,
                moment: datetime) -> None:
    """A week of calls nobody answered, or answered to ask for a call-back: the throughput page and the queue's
    retries and call-backs have something to show."""
    from leadflow.telemarketing import calling
    from leadflow.telemarketing.models import Call, CallEntry

    entries = list(session.scalars(select(CallEntry).where(CallEntry.call_list_id == call_list_id)
                                   .order_by(CallEntry.tier, CallEntry.rank, CallEntry.lead_id).limit(150)))
    for entry in entries:
        caller = rng.choice(callers)
        outcome = rng.choices(("no_answer", "busy", "call_back"), weights=(6, 2, 2))[0]
        ended = moment - timedelta(days=rng.randint(0, 6), hours=rng.randint(0, 6), minutes=rng.randint(0, 59))
        callback_at = moment + timedelta(days=rng.randint(0, 3), hours=rng.randint(1, 8))
        step = calling.decide(outcome, attempts=1, plan=calling.Plan(), moment=ended, callback_at=callback_at)
        seconds = rng.randint(20, 60) if outcome != "call_back" else rng.randint(60, 300)
        session.add(Call(call_list_id=call_list_id, lead_id=entry.lead_id, user_id=caller.id, outcome=outcome,
                         reached=outcome in calling.REACHED, started_at=ended - timedelta(seconds=seconds),
                         ended_at=ended, seconds=seconds,
                         callback_at=callback_at if outcome == "call_back" else None, answers={}, note="",
                         next_step=step.reason, created_at=ended))
        entry.attempts, entry.last_outcome, entry.why = 1, outcome, step.reason
        entry.tier, entry.rank, entry.due_at = step.place.tier, step.place.rank, step.place.due_at
        entry.callback_user_id = caller.id if step.callback_user else None
    session.flush()


DEMO_SCRIPT_INTRO = ("Hello, this is (your name) from Nordpump. You downloaded our pump brochure: do you have two "
                     "minutes for three questions?")
DEMO_SCRIPT = [
    {"key": "need", "label": "How pressing is replacing your pumps?", "kind": "single", "maps_to": "bant.need",
     "options": [{"value": "high", "label": "Urgent"}, {"value": "medium", "label": "This year"},
                 {"value": "low", "label": "Some day"}, {"value": "none", "label": "No need"}]},
    {"key": "timeline", "label": "When would you decide?", "kind": "single", "maps_to": "bant.timeline",
     "options": [{"value": "1m", "label": "Within a month"}, {"value": "3m", "label": "Within 3 months"},
                 {"value": "6m", "label": "Within 6 months"}, {"value": "12m", "label": "Within a year"},
                 {"value": "later", "label": "Later"}]},
    {"key": "authority", "label": "Who decides on the purchase?", "kind": "single", "maps_to": "bant.authority",
     "options": [{"value": "decision_maker", "label": "They do"}, {"value": "influencer", "label": "They advise"},
                 {"value": "user", "label": "They use it"}]},
    {"key": "budget", "label": "Is there a budget? Roughly how much?", "kind": "text", "maps_to": "bant.budget"},
    {"key": "job_title", "label": "Their job title", "kind": "text", "maps_to": "job_title"},
]


def _work(rng: random.Random, lead_id: int, stage: str, owner: int | None, created: datetime, moment: datetime,
          people: dict[str, list[User]]) -> list[dict]:
    """Calls, emails, meetings and notes after the lead came in: more of them the further it got."""
    count = {"new": (0, 1), "mql": (1, 3), "sql": (2, 4), "opportunity": (3, 6), "customer": (4, 8),
             "nurture": (1, 3), "disqualified": (1, 2), "recycled": (2, 4)}[stage]
    n = rng.randint(*count)
    if not n:
        return []
    actor_id = owner or rng.choice(people[roles.TELEMARKETER] + people[roles.MARKETING]).id
    kinds = ["call", "email", "note"] + (["meeting"] if stage in ("sql", "opportunity", "customer") else [])
    out = []
    for _ in range(n):
        kind = rng.choice(kinds)
        when = _when(rng, created + timedelta(hours=2), moment)
        if when > moment:
            when = moment
        text = {"call": CALL_NOTES, "email": EMAIL_NOTES, "meeting": MEETING_NOTES, "note": NOTE_NOTES}[kind]
        summary = rng.choice(text).format(q=rng.randint(1, 4), m=rng.randint(1, 9), n=rng.randint(2, 12),
                                          amount=rng.randrange(20, 400) * 100, c=rng.choice(COMPETITORS))
        out.append({"lead_id": lead_id, "kind": kind, "occurred_at": when, "actor": f"user:{actor_id}",
                    "summary": summary, "data": {"demo": True}})
    return out
