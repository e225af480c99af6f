"""Reads with no decision: the lists a person works with their queue counts, a list's entries, an agent's coming
call-backs, a lead's calls, and the throughput per agent and list (calls, reached, qualified, time per call)
against the list's targets."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import Session

from leadflow import clock
from leadflow.people.models import CallList, User
from leadflow.people.service import Actor
from leadflow.telemarketing import calling
from leadflow.telemarketing.models import Call, CallEntry, CallPlan

MAX_LISTS = 200


@dataclass
class Counts:
    waiting: int = 0
    due: int = 0  # waiting and callable now if in hours (fresh, or a call-back or retry that fell due)
    held: int = 0
    done: int = 0
    callbacks: int = 0  # call-backs waiting (due or not)


def lists_for(actor: Actor, *, session: Session) -> list[tuple[CallList, CallPlan | None, str]]:
    """The lists this person works (every list for those who make them), newest first, with their plan and
    owner's name."""
    query = (select(CallList, CallPlan, User.name, User.email).join(User, User.id == CallList.owner_id)
             .outerjoin(CallPlan, CallPlan.call_list_id == CallList.id))
    if not actor.can("call_lists:manage"):
        mine = CallList.owner_id == actor.user_id
        if actor.team_id is not None:
            mine = or_(mine, CallList.team_id == actor.team_id)
        query = query.where(mine)
    return [(call_list, plan, name or email) for call_list, plan, name, email in session.execute(
        query.order_by(CallList.created_at.desc(), CallList.id.desc()).limit(MAX_LISTS))]


def counts(call_list_ids: list[int], *, session: Session, moment: datetime | None = None) -> dict[int, Counts]:
    moment = moment or clock.now()
    found = {i: Counts() for i in call_list_ids}
    if not call_list_ids:
        return found
    waiting = CallEntry.state == "waiting"
    held = waiting & (CallEntry.claimed_until > moment)
    due = waiting & ((CallEntry.due_at.is_(None)) | (CallEntry.due_at <= moment))
    for row in session.execute(
            select(CallEntry.call_list_id,
                   func.sum(case((waiting, 1), else_=0)), func.sum(case((due, 1), else_=0)),
                   func.sum(case((held, 1), else_=0)), func.sum(case((CallEntry.state == "done", 1), else_=0)),
                   func.sum(case((waiting & (CallEntry.tier == calling.TIER_CALLBACK), 1), else_=0)))
            .where(CallEntry.call_list_id.in_(call_list_ids)).group_by(CallEntry.call_list_id)):
        found[row[0]] = Counts(*(int(v or 0) for v in row[1:]))
    return found


def entries(call_list_id: int, *, session: Session, state: str = "waiting", limit: int = 100, offset: int = 0
            ) -> list[CallEntry]:
    """The list's entries in queue order (waiting) or the latest done first."""
    query = select(CallEntry).where(CallEntry.call_list_id == call_list_id, CallEntry.state == state)
    order = ((CallEntry.tier, CallEntry.rank, CallEntry.lead_id) if state == "waiting"
             else (CallEntry.done_at.desc(), CallEntry.lead_id))
    return list(session.scalars(query.order_by(*order).offset(offset).limit(limit)))


def entry_of(call_list_id: int, lead_id: int, *, session: Session) -> CallEntry | None:
    return session.get(CallEntry, (call_list_id, lead_id))


def callbacks_of(user_id: int, *, session: Session, limit: int = 50) -> list[CallEntry]:
    """The agent's call-backs waiting, soonest first."""
    return list(session.scalars(select(CallEntry).where(
        CallEntry.callback_user_id == user_id, CallEntry.state == "waiting", CallEntry.tier == calling.TIER_CALLBACK)
        .order_by(CallEntry.due_at).limit(limit)))


def calls_of(lead_id: int, *, session: Session, limit: int = 20) -> list[Call]:
    return list(session.scalars(select(Call).where(Call.lead_id == lead_id)
                                .order_by(Call.ended_at.desc(), Call.id.desc()).limit(limit)))


def recent_calls(call_list_id: int, *, session: Session, limit: int = 50) -> list[Call]:
    return list(session.scalars(select(Call).where(Call.call_list_id == call_list_id)
                                .order_by(Call.ended_at.desc(), Call.id.desc()).limit(limit)))


# --- throughput ---------------------------------------------------------------------------------------------------

@dataclass
class Throughput:
    call_list_id: int | None
    list_name: str
    user_id: int | None
    agent: str
    calls: int
    reached: int
    qualified: int
    seconds: int
    days: int  # days on which the agent called from the list
    targets: dict = field(default_factory=dict)

    @property
    def minutes_per_call(self) -> float | None:
        return round(self.seconds / self.calls / 60, 1) if self.calls else None

    @property
    def reach_rate(self) -> float | None:
        return round(100 * self.reached / self.calls, 1) if self.calls else None

    def per_day(self, value: int) -> float:
        return round(value / self.days, 1) if self.days else 0.0

    def against(self) -> dict[str, dict]:
        """Each target with what was done per day (minutes: per call) and whether it was met."""
        done = {"calls": self.per_day(self.calls), "reached": self.per_day(self.reached),
                "qualified": self.per_day(self.qualified), "minutes_per_call": self.minutes_per_call}
        out = {}
        for name, target in (self.targets or {}).items():
            value = done.get(name)
            if target is None or value is None:
                continue
            met = value <= target if name == "minutes_per_call" else value >= target
            out[name] = {"target": target, "done": value, "met": met}
        return out

    def as_dict(self) -> dict:
        return {"call_list_id": self.call_list_id, "list": self.list_name, "user_id": self.user_id,
                "agent": self.agent, "calls": self.calls, "reached": self.reached, "qualified": self.qualified,
                "reach_rate": self.reach_rate, "minutes_per_call": self.minutes_per_call, "days": self.days,
                "calls_per_day": self.per_day(self.calls), "reached_per_day": self.per_day(self.reached),
                "qualified_per_day": self.per_day(self.qualified), "against_targets": self.against()}


def throughput(actor: Actor, *, session: Session, since: datetime, until: datetime,
               call_list_id: int | None = None) -> list[Throughput]:
    """Per list and agent, the calls ended in [since, until). An agent sees their own rows; whoever makes call
    lists sees everyone's."""
    day = func.date(Call.ended_at) if session.get_bind().dialect.name == "sqlite" else func.date_trunc(
        "day", Call.ended_at)
    query = (select(Call.call_list_id, Call.user_id, func.count(), func.sum(case((Call.reached, 1), else_=0)),
                    func.sum(case((Call.outcome == "qualified", 1), else_=0)), func.sum(Call.seconds),
                    func.count(func.distinct(day)))
             .where(Call.ended_at >= since, Call.ended_at < until).group_by(Call.call_list_id, Call.user_id))
    if call_list_id is not None:
        query = query.where(Call.call_list_id == call_list_id)
    if not actor.can("call_lists:manage"):
        query = query.where(Call.user_id == actor.user_id)
    rows = session.execute(query).all()
    list_ids = {r[0] for r in rows if r[0] is not None}
    user_ids = {r[1] for r in rows if r[1] is not None}
    names = dict(session.execute(select(CallList.id, CallList.name).where(CallList.id.in_(list_ids))).all()) \
        if list_ids else {}
    targets = dict(session.execute(select(CallPlan.call_list_id, CallPlan.targets)
                                   .where(CallPlan.call_list_id.in_(list_ids))).all()) if list_ids else {}
    agents = {row.id: row.name or row.email for row in session.execute(
        select(User.id, User.name, User.email).where(User.id.in_(user_ids)))} if user_ids else {}
    found = [Throughput(list_id, names.get(list_id, "(no list)") if list_id else "(no list)", user_id,
                        agents.get(user_id, "(gone)"), int(calls), int(reached or 0), int(qualified or 0),
                        int(seconds or 0), int(days or 0), targets.get(list_id) or {})
             for list_id, user_id, calls, reached, qualified, seconds, days in rows]
    return sorted(found, key=lambda t: (t.list_name, t.agent))
