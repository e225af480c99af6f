"""Follow-up's decisions: a follow-up opened for each hand-over with its due time, closed by the owner's first
contact, by a new owner or by the lead leaving sales; the worker's pass over due timers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from leadflow import clock, events, outbox
from leadflow.clock import as_utc
from leadflow.conditions.syntax import RuleError
from leadflow.db import begin_write, lock_keys
from leadflow.errors import Conflict, FieldError, Invalid, NotFound
from leadflow.followup import policies, sla, tasks
from leadflow.followup.models import Followup, FollowupPolicy, Task
from leadflow.leads import queries as leads_queries
from leadflow.leads import service as leads_service
from leadflow.leads.lifecycle import WORKED
from leadflow.people import notifications, public_holidays
from leadflow.people import queries as people_queries
from leadflow.routing import service as routing_service


@dataclass(frozen=True)
class Logged:
    """A contact attempt logged: by whom, for which lead, when it happened and when it was logged (what closes the
    owner's open follow-up)."""

    lead_id: int
    user_id: int | None
    contact_id: int
    occurred_at: datetime
    logged_at: datetime | None = None  # None: as it happened


def counted_at(occurred_at: datetime, logged_at: datetime | None, due_at: datetime) -> datetime:
    """When a contact counts for the follow-up: when it happened, unless it was logged after the due time while
    saying it happened before it; then when it was logged (a call logged late never makes a missed follow-up look
    in time)."""
    if logged_at is not None and occurred_at <= due_at < logged_at:
        return logged_at
    return occurred_at


def lock_open(lead_ids: list[int], *, session: Session) -> list[Followup]:
    """Take the leads' open follow-ups first, before anything touches the leads (the one lock order: follow-ups,
    then leads), as logging a contact does before it writes."""
    return _lock_open(lead_ids, session=session)


def contacts_logged(items: list[Logged], *, session: Session) -> list[int]:
    """The owner's first contact follows a lead up: each open follow-up of these leads owned by the person who
    logged the contact is closed as followed up (in time or late, by `counted_at`). Returns the follow-ups closed."""
    by_lead = {}
    for item in sorted(items, key=lambda i: i.occurred_at):
        by_lead.setdefault(item.lead_id, []).append(item)
    if not by_lead:
        return []
    closed = []
    for row in _lock_open(list(by_lead), session=session):
        handed, due = as_utc(row.handed_at), as_utc(row.due_at)
        first = next((i for i in by_lead[row.lead_id] if i.user_id is not None and i.user_id == row.owner_id
                      and i.occurred_at >= handed), None)
        if first is None:
            continue
        at = counted_at(first.occurred_at, first.logged_at, due)
        row.status = "followed_up"
        row.first_contact_at = at
        row.contact_id = first.contact_id
        row.closed_at = at
        row.next_at = None
        row.next_step = None
        closed.append(row)
    if closed:  # the hand-over's "Call X" task is done with the follow-up it was for
        tasks.cancel_policy_tasks([r.lead_id for r in closed], owner_ids={r.lead_id: r.owner_id for r in closed},
                                  session=session, actor="system", why="followed up")
    session.flush()
    return [r.id for r in closed]


# --- policies ---------------------------------------------------------------------------------------------------------

def policy_rows(*, session: Session) -> list[FollowupPolicy]:
    return list(session.scalars(select(FollowupPolicy).order_by(FollowupPolicy.position, FollowupPolicy.id)))


def get_policy(policy_id: int, *, session: Session) -> FollowupPolicy:
    row = session.get(FollowupPolicy, policy_id)
    if row is None:
        raise NotFound("follow-up policy", policy_id)
    return row


def compiled(rows: list[FollowupPolicy]) -> list[policies.Policy]:
    """The stored policies as checked Policy objects, in order (a row whose condition no longer parses, after the
    language changed, is passed over rather than stopping every hand-over)."""
    found = []
    for row in rows:
        try:
            found.append(policies.Policy(name=row.name, when=row.when or "", hours=row.hours, clock=row.clock,
                                         remind_before_minutes=row.remind_before_minutes, escalate=row.escalate,
                                         reassign_after_hours=row.reassign_after_hours, task_kind=row.task_kind,
                                         active=row.active, id=row.id))
        except RuleError:
            continue
    return found


def _checked(document: object) -> policies.Policy:
    policy, problems = policies.check(document)
    if policy is None:
        raise Invalid([FieldError(name, reason) for name, reason in problems])
    return policy


def _write_policy(row: FollowupPolicy, policy: policies.Policy, *, actor: str) -> None:
    for key in policies.KEYS:
        setattr(row, key, getattr(policy, key))
    row.updated_by, row.updated_at = actor, clock.now()


def _lock_policies(*, session: Session) -> None:
    """One writer of the policy list at a time (its names are unique and its positions a sequence): PostgreSQL's
    advisory lock, SQLite's write lock."""
    lock_keys(["followup_policies"], session=session)


def _unique_name(name: str, *, session: Session, except_id: int | None = None) -> None:
    for row in policy_rows(session=session):
        if row.id != except_id and row.name.casefold() == name.casefold():
            raise Conflict(f"a follow-up policy is already called '{name}'")


def create_policy(document: object, *, session: Session, actor: str) -> FollowupPolicy:
    """A new policy, tried after the existing ones unless the document gives its `position` (0: first)."""
    policy = _checked(document)
    _lock_policies(session=session)
    rows = policy_rows(session=session)
    if len(rows) >= policies.MAX_POLICIES:
        raise Invalid.one("policy", f"at most {policies.MAX_POLICIES} policies")
    _unique_name(policy.name, session=session)
    row = FollowupPolicy()
    _write_policy(row, policy, actor=actor)
    session.add(row)
    session.flush()
    position = document.get("position") if isinstance(document, dict) else None
    _renumber([*rows, row], row, position)
    session.flush()
    return row


def update_policy(policy_id: int, document: object, *, session: Session, actor: str) -> FollowupPolicy:
    policy = _checked(document)
    _lock_policies(session=session)
    row = get_policy(policy_id, session=session)
    _unique_name(policy.name, session=session, except_id=row.id)
    _write_policy(row, policy, actor=actor)
    position = document.get("position") if isinstance(document, dict) else None
    if position is not None:
        _renumber(policy_rows(session=session), row, position)
    session.flush()
    return row


def move_policy(policy_id: int, position: object, *, session: Session, actor: str) -> FollowupPolicy:
    _lock_policies(session=session)
    row = get_policy(policy_id, session=session)
    _renumber(policy_rows(session=session), row, position)
    row.updated_by, row.updated_at = actor, clock.now()
    session.flush()
    return row


def _renumber(rows: list[FollowupPolicy], moved: FollowupPolicy, position: object) -> None:
    """Positions 0.. in order, with `moved` at `position` (None: where it is)."""
    if position is not None and (isinstance(position, bool) or not isinstance(position, int) or position < 0):
        raise Invalid.one("position", "must be a whole number, 0 or more (0: tried first)")
    order = [r for r in rows if r is not moved]
    index = position if position is not None else next((i for i, r in enumerate(rows) if r is moved), len(order))
    order.insert(min(index, len(order)), moved)
    for number, row in enumerate(order):
        row.position = number


def delete_policy(policy_id: int, *, session: Session) -> None:
    _lock_policies(session=session)
    row = get_policy(policy_id, session=session)
    session.delete(row)
    session.flush()
    for number, other in enumerate(policy_rows(session=session)):
        other.position = number
    session.flush()


def export_policies(*, session: Session) -> list[dict]:
    return [policies.dump(policy) for policy in compiled(policy_rows(session=session))]


def import_policies(documents: object, *, session: Session, actor: str) -> list[FollowupPolicy]:
    """Replace every policy with these, in this order (all checked first: nothing changes when one is wrong)."""
    if not isinstance(documents, list):
        raise Invalid.one("policies", "must be a list of policies")
    if len(documents) > policies.MAX_POLICIES:
        raise Invalid.one("policies", f"at most {policies.MAX_POLICIES} policies")
    checked, problems, seen = [], [], set()
    for index, document in enumerate(documents):
        policy, found = policies.check(document)
        problems += [FieldError(f"policies[{index}].{name}", reason) for name, reason in found]
        if policy is not None:
            if policy.name.casefold() in seen:
                problems.append(FieldError(f"policies[{index}].name", f"'{policy.name}' is used twice"))
            seen.add(policy.name.casefold())
            checked.append(policy)
    if problems:
        raise Invalid(problems)
    _lock_policies(session=session)
    for row in policy_rows(session=session):
        session.delete(row)
    session.flush()
    rows = []
    for number, policy in enumerate(checked):
        row = FollowupPolicy(position=number)
        _write_policy(row, policy, actor=actor)
        session.add(row)
        rows.append(row)
    session.flush()
    return rows


# --- opening and closing ----------------------------------------------------------------------------------------------

def _lock_open(lead_ids: list[int], *, session: Session) -> list[Followup]:
    """The leads' open follow-ups, locked (follow-ups before leads, the order of the worker's pass too)."""
    if not lead_ids:
        return []
    query = select(Followup).where(Followup.lead_id.in_(sorted(set(lead_ids))), Followup.status == "open")
    if session.get_bind().dialect.name == "postgresql":
        query = query.order_by(Followup.id).with_for_update()
    else:
        begin_write(session)
    return list(session.scalars(query))


def _close(row: Followup, *, status: str, reason: str, moment: datetime) -> None:
    row.status, row.close_reason, row.closed_at = status, reason, moment
    row.next_at, row.next_step = None, None


def lead_name(lead) -> str:
    name = " ".join(part for part in (lead.first_name, lead.last_name) if part)
    return name or lead.email or f"lead {lead.id}"


def _local(moment: datetime, zone: str) -> str:
    return f"{moment.astimezone(clock.zone(zone)):%a %d %b %H:%M} ({zone})"


def handed_over(payloads: list[dict], *, session: Session) -> list[int]:
    """`lead.assigned`: the lead's open follow-up of an earlier hand-over is closed (reassigned), and a lead handed to
    a person in a worked stage gets a follow-up with its due time from the first policy that applies. A message
    delivered twice, or an older hand-over arriving after a newer one, opens nothing. Returns the follow-ups opened."""
    latest: dict[int, dict] = {}
    for payload in payloads:
        if payload.get("lead_id") is None or payload.get("assignment_id") is None:
            continue
        known = latest.get(payload["lead_id"])
        if known is None or payload["assignment_id"] > known["assignment_id"]:
            latest[payload["lead_id"]] = payload
    if not latest:
        return []
    moment = clock.now()
    open_rows = _lock_open(list(latest), session=session)
    leads = {lead.id: lead for lead in leads_service.lock_for_owner(sorted(latest), session=session)}
    newest = dict(session.execute(
        select(Followup.lead_id, func.max(Followup.assignment_id)).where(Followup.lead_id.in_(sorted(latest)))
        .group_by(Followup.lead_id)).all())
    closed = []
    for row in open_rows:
        payload = latest[row.lead_id]
        if (row.assignment_id or 0) < payload["assignment_id"]:
            _close(row, status="reassigned", reason="reassigned", moment=moment)
            closed.append(row)
    if closed:  # the earlier owner's hand-over task goes with their follow-up
        tasks.cancel_policy_tasks([r.lead_id for r in closed], owner_ids={r.lead_id: r.owner_id for r in closed},
                                  session=session, actor="system", why="handed to someone else")
    to_open = []
    for lead_id, payload in latest.items():
        lead = leads.get(lead_id)
        owner_id = payload.get("owner_id")
        if (lead is None or owner_id is None or lead.owner_id != owner_id or lead.stage not in WORKED
                or (newest.get(lead_id) or 0) >= payload["assignment_id"]):
            continue
        to_open.append((lead, payload))
    opened = _open(to_open, session=session, moment=moment)
    session.flush()
    return opened


def _policy_contexts(leads: list, rows: list[policies.Policy], people: dict, *, session: Session) -> dict[int, dict]:
    wanted = policies.names(rows)
    found = routing_service.lead_contexts(leads, wanted - {"team"}, session=session) if wanted - {"team"} else {
        lead.id: {} for lead in leads}
    for lead in leads:
        owner = people.get(lead.owner_id)
        found.setdefault(lead.id, {})["team"] = owner.team_name if owner else None
    return found


def _source(lead) -> str | None:
    touch = lead.last_touch or lead.first_touch or {}
    value = touch.get("utm_source") or touch.get("source")
    return str(value)[:200] if value else None


def plan(lead, owner: people_queries.WorkingTime | None, policy: policies.Policy, handed_at: datetime) -> dict:
    """The follow-up's due time and timers for a lead handed over at `handed_at` under `policy`, in the owner's time
    zone, working days or hours and public holidays."""
    owner = owner or people_queries.WorkingTime()
    calendar = public_holidays.calendar(owner.holiday_country, owner.holiday_region)
    counted = dict(clock=policy.clock, timezone=owner.timezone, working_hours=owner.working_hours, holidays=calendar)
    due = sla.due_at(handed_at, policy.hours, **counted)
    reassign_at = (sla.due_at(due.at, policy.reassign_after_hours, **counted).at
                   if policy.reassign_after_hours else None)
    timers = sla.timers(handed_at, due.at, remind_before_minutes=policy.remind_before_minutes,
                        reassign_at=reassign_at)
    next_at, next_step = timers.first()
    return {"due_at": due.at, "remind_at": timers.remind_at, "reassign_at": reassign_at, "next_at": next_at,
            "next_step": next_step,
            "policy": {**policy.snapshot(), "counted_on": due.clock, "timezone": owner.timezone,
                       "holidays": "-".join(p for p in (owner.holiday_country, owner.holiday_region) if p) or None,
                       "reasons": list(due.reasons)[:40]}}


def _open(items: list[tuple], *, session: Session, moment: datetime) -> list[int]:
    if not items:
        return []
    rows = compiled(policy_rows(session=session))
    people = people_queries.working_time({lead.owner_id for lead, _ in items}, session=session)
    contexts = _policy_contexts([lead for lead, _ in items], rows, people, session=session)
    made, tasks, activities, task_events = [], [], [], []
    for lead, payload in items:
        owner = people.get(lead.owner_id)
        policy = policies.choose(rows, contexts.get(lead.id, {}))
        handed_at = as_utc(lead.assigned_at) or moment
        planned = plan(lead, owner, policy, handed_at)
        row = Followup(lead_id=lead.id, owner_id=lead.owner_id, team_id=owner.team_id if owner else None,
                       assignment_id=payload["assignment_id"], source=_source(lead),
                       campaign_id=lead.last_campaign_id or lead.campaign_id, policy_id=policy.id,
                       handed_at=handed_at, status="open", **planned)
        session.add(row)
        made.append((row, lead, policy, owner))
    session.flush()
    for row, lead, policy, owner in made:
        zone = owner.timezone if owner else "UTC"
        activities.append({"lead_id": lead.id, "kind": "followup",
                           "summary": f"Follow-up due {_local(row.due_at, zone)} (policy \u201c{policy.name}\u201d)",
                           "data": {"followup_id": row.id, "due_at": row.due_at.isoformat(),
                                    "policy": policy.name}})
        if policy.task_kind:
            verb = {"call": "Call", "email": "Email", "meeting": "Meet", "visit": "Visit",
                    "send_quote": "Send a quote to"}.get(policy.task_kind, "Follow up")
            task = Task(lead_id=lead.id, owner_id=lead.owner_id, kind=policy.task_kind,
                        title=f"{verb} {lead_name(lead)} (follow-up)"[:300], due_at=row.due_at, status="open",
                        origin="policy", created_by="system", created_at=moment)
            session.add(task)
            tasks.append(task)
    session.flush()
    for task in tasks:
        task_events.append({"topic": events.TASK_CREATED, "key": f"{events.TASK_CREATED}:{task.id}",
                            "payload": {"lead_id": task.lead_id, "task_id": task.id, "owner_id": task.owner_id,
                                        "kind": task.kind, "due_at": task.due_at.isoformat(), "origin": "policy"}})
    outbox.publish_many(session, task_events)
    leads_service.insert_activities(activities, session=session)
    return [row.id for row, *_ in made]


def leads_left(lead_ids: list[int], *, session: Session, reason: str) -> int:
    """Leads that left the worked stages (or were merged away): their open follow-ups close, timers and all."""
    moment = clock.now()
    rows = _lock_open(lead_ids, session=session)
    for row in rows:
        _close(row, status="closed", reason=reason, moment=moment)
    if rows:
        tasks.cancel_policy_tasks([r.lead_id for r in rows], owner_ids={r.lead_id: r.owner_id for r in rows},
                                  session=session, actor="system", why="the lead left sales")
    session.flush()
    return len(rows)


def stage_changed(payloads: list[dict], *, session: Session) -> int:
    left = [p["lead_id"] for p in payloads if p.get("lead_id") is not None and p.get("to") not in WORKED]
    return leads_left(left, session=session, reason="stage") if left else 0


# --- the worker's pass over due timers --------------------------------------------------------------------------------

TICK_SECONDS = 30  # how often the pass runs: a reminder or an escalation is at most this late
CHUNK = 500


@dataclass
class Pass:
    """What a pass (or one chunk of it) did; `more`: the chunk claimed something, so look again."""

    reminded: int = 0
    escalated: int = 0
    reassigned: int = 0
    skipped: int = 0
    more: bool = False

    def add(self, other: Pass) -> None:
        self.reminded += other.reminded
        self.escalated += other.escalated
        self.reassigned += other.reassigned
        self.skipped += other.skipped


def claim_due(*, session: Session, moment: datetime, limit: int = CHUNK) -> list[Followup]:
    """Due timers, soonest first, claimed: SKIP LOCKED on PostgreSQL (another worker takes the next ones), the write
    lock on SQLite."""
    query = (select(Followup).where(Followup.next_at.is_not(None), Followup.next_at <= moment)
             .order_by(Followup.next_at, Followup.id).limit(limit))
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    else:
        begin_write(session)
    return list(session.scalars(query))


def _timers(row: Followup) -> sla.Timers:
    return sla.Timers(as_utc(row.remind_at), as_utc(row.due_at), as_utc(row.reassign_at))


def step_due(*, session: Session, moment: datetime, limit: int = CHUNK) -> Pass:
    """One chunk of the pass: each claimed follow-up's step (remind, escalate, reassign) is done and its next timer
    set in this transaction, so a step happens once however often the pass runs or dies half-way."""
    rows = claim_due(session=session, moment=moment, limit=limit)
    done = Pass(more=bool(rows))
    if not rows:
        return done
    names = leads_queries.names_by_id({row.lead_id for row in rows}, session=session)
    people = people_queries.working_time({row.owner_id for row in rows} - {None}, session=session)
    owner_names = people_queries.user_names({row.owner_id for row in rows} - {None}, session=session)
    notices, overdue, activities, reassign = [], [], [], []
    for row in rows:
        step = row.next_step
        owner = people.get(row.owner_id)
        zone = owner.timezone if owner else "UTC"
        due = as_utc(row.due_at)
        name = names.get(row.lead_id, f"lead {row.lead_id}")
        link = f"/leads/{row.lead_id}"
        if step == "remind":
            if moment < due and row.owner_id is not None:
                notices.append(notifications.Notice(
                    user_id=row.owner_id, kind="followup_reminder", title=f"Follow up {name} by {_local(due, zone)}",
                    body=f"{name} was handed to you {_local(as_utc(row.handed_at), zone)}; log a call, email, "
                         f"meeting or visit by {_local(due, zone)}.",
                    link=link, key=f"followup:{row.id}:remind", lead_id=row.lead_id))
                row.reminded_at = moment
                done.reminded += 1
            else:
                done.skipped += 1  # the pass came after the due time: the overdue alert says it all
        elif step == "escalate":
            row.escalated_at = moment
            done.escalated += 1
            late = f"{name}: follow-up overdue since {_local(due, zone)}"
            if row.owner_id is not None:
                notices.append(notifications.Notice(
                    user_id=row.owner_id, kind="followup_overdue", title=f"Overdue: follow up {name}",
                    body=f"{late}. Log a contact as soon as you can.", link=link, key=f"followup:{row.id}:escalate",
                    lead_id=row.lead_id))
            manager = owner.manager_id if owner else None
            if (row.policy or {}).get("escalate", True) and manager is not None and manager != row.owner_id:
                notices.append(notifications.Notice(
                    user_id=manager, kind="followup_escalated", title=f"Overdue follow-up: {name}",
                    body=f"{late} (owner: {owner_names.get(row.owner_id, 'nobody')}).", link=link,
                    key=f"followup:{row.id}:escalate:{manager}", lead_id=row.lead_id))
            overdue.append({"topic": events.FOLLOWUP_OVERDUE, "key": f"{events.FOLLOWUP_OVERDUE}:{row.id}",
                            "payload": {"lead_id": row.lead_id, "followup_id": row.id, "owner_id": row.owner_id,
                                        "due_at": due.isoformat()}})
            activities.append({"lead_id": row.lead_id, "kind": "followup",
                               "summary": f"Follow-up overdue (due {_local(due, zone)})",
                               "data": {"followup_id": row.id, "escalated_to": manager}})
        elif step == "reassign":
            reassign.append(row)
        if step == "reassign":
            continue
        row.next_at, row.next_step = _timers(row).after(step)
    if reassign:
        done.reassigned += _reassign(reassign, session=session, moment=moment)
    notifications.notify_many(notices, session=session)
    outbox.publish_many(session, overdue, skip_existing=True)
    leads_service.insert_activities(activities, session=session)
    session.flush()
    return done


def _reassign(rows: list[Followup], *, session: Session, moment: datetime) -> int:
    """Overdue past the grace period: the lead goes back to routing, which never gives it to the same owner (someone
    else, else the routing fallback queue). A lead whose owner changed meanwhile is left alone."""
    leads = {lead.id: lead for lead in leads_service.lock_for_owner(sorted({r.lead_id for r in rows}),
                                                                     session=session)}
    taken: dict[int, int] = {}
    for row in rows:
        lead = leads.get(row.lead_id)
        row.next_at, row.next_step = None, None
        if lead is None or lead.owner_id != row.owner_id or lead.stage not in WORKED:
            continue
        taken[lead.id] = row.owner_id
        row.reassigned_at = moment
        _close(row, status="reassigned", reason="overdue", moment=moment)
    if not taken:
        return 0
    tasks.cancel_policy_tasks(sorted(taken), owner_ids=taken, session=session, actor="system",
                              why="not followed up in time")
    leads_service.set_owners([{"id": lead_id, "owner_id": None, "queue": None} for lead_id in taken],
                             session=session)
    leads_service.insert_activities([{"lead_id": lead_id, "kind": "followup",
                                      "summary": "Not followed up in time: taken back for routing",
                                      "data": {"previous_owner_id": owner_id}} for lead_id, owner_id in taken.items()],
                                    session=session)
    routing_service.route(sorted(taken), session=session, trigger="followup_overdue", exclude=taken)
    return len(taken)


def run_pass(factory, *, moment: datetime | None = None, limit: int = CHUNK) -> Pass:
    """Every due timer, a chunk per transaction (a worker killed half-way leaves the rest due for the next pass),
    until none is due: a follow-up whose next step is due as well (the worker was down past the due time and the
    grace period) takes it in the same pass."""
    moment = moment or clock.now()
    total = Pass()
    while True:
        with factory() as own:
            done = step_due(session=own, moment=moment, limit=limit)
            own.commit()
        total.add(done)
        if not done.more:
            return total


def schedule_tick(*, session: Session, moment: datetime | None = None, seconds: int = TICK_SECONDS) -> bool:
    """Book the pass at the next multiple of `seconds` (once per slot whoever books it: the outbox key)."""
    moment = moment or clock.now()
    slot = (int(moment.timestamp()) // seconds + 1) * seconds
    at = datetime.fromtimestamp(slot, UTC)
    return outbox.publish_once(session, events.FOLLOWUP_TICK, {"at": at.isoformat()},
                               key=f"{events.FOLLOWUP_TICK}:{slot}", available_at=at)
