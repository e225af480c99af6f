"""Routing's shell: loads the active rule set and the members' state, lets the pure Router decide, and writes each
assignment with its reasons, the lead's new owner or queue, its timeline entry, the owner's alert and
`lead.assigned`, all in the caller's transaction. A chunk of leads is routed in a constant number of statements."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, time
from functools import lru_cache
from types import SimpleNamespace
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from leadflow import outbox
from leadflow.clock import now
from leadflow.db import insert_ignore
from leadflow.errors import FieldError, Invalid, NotFound
from leadflow.events import LEAD_ASSIGNED
from leadflow.leads import queries as leads_queries
from leadflow.leads import service as leads_service
from leadflow.leads.lifecycle import WORKED
from leadflow.leads.models import Lead
from leadflow.people import notifications
from leadflow.people import queries as people_queries
from leadflow.qualification import service as qualification_service
from leadflow.routing import rules
from leadflow.routing.decide import Decision, Member, Router
from leadflow.routing.models import Assignment, RoutingCursor, RoutingMember, RoutingRuleSet
from leadflow.tracking import queries as tracking_queries

# What started a routing: the Sales Ready rule, a person moving the lead to SQL, a capture (on_capture rules only),
# a manager asking again (a queued lead), or a person choosing the owner.
# Who may own a routed lead (a team's members of other roles are skipped with that reason).
SELLERS = ("sales_rep", "sales_manager")
TRIGGERS = ("sales_ready", "stage_sql", "capture", "reroute", "manual")


# --- rule sets --------------------------------------------------------------------------------------------------------

def active_rule_set(*, session: Session) -> RoutingRuleSet | None:
    return session.scalar(select(RoutingRuleSet).where(RoutingRuleSet.status == "active"))


@lru_cache(maxsize=32)
def _loaded(rule_set_id: int, definition_key: str) -> rules.RuleSet:
    """A saved version never changes: compiled once per process."""
    return rules.load(json.loads(definition_key))


def current(*, session: Session) -> tuple[RoutingRuleSet | None, rules.RuleSet]:
    """The active version and its rules; with none active, every lead goes to the fallback queue."""
    row = active_rule_set(session=session)
    if row is None:
        return None, rules.empty()
    return row, _loaded(row.id, json.dumps(row.definition, sort_keys=True))


def versions(*, session: Session, limit: int = 100) -> list[RoutingRuleSet]:
    return list(session.scalars(select(RoutingRuleSet).order_by(RoutingRuleSet.version.desc()).limit(limit)))


def get_version(version: int, *, session: Session) -> RoutingRuleSet:
    row = session.scalar(select(RoutingRuleSet).where(RoutingRuleSet.version == version))
    if row is None:
        raise NotFound(f"routing rule set version {version}")
    return row


def check(document: object, *, session: Session) -> rules.RuleSet:
    """The document as rules, or Invalid naming each problem's place ("rules[1].to"): the format (rules.load) and
    whether the people and teams it names exist."""
    if not isinstance(document, dict):
        raise Invalid.one("rules", "a rule set is a mapping with a list under 'rules'")
    try:
        rule_set = rules.load(document)
    except rules.RuleSetError as error:
        found = [FieldError(path, reason) for path, reason in error.problems]
        shown = {e.field for e in found}
        # Every problem at once: the people and teams named by rules whose target could be read, too.
        raw = document.get("rules") if isinstance(document.get("rules"), list) else []
        targets = []
        for index, item in enumerate(raw[:rules.MAX_RULES]):
            try:
                targets.append((index, rules.Target.parse(item.get("to")) if isinstance(item, dict) else None))
            except ValueError:
                continue
        found += [e for e in _reference_problems([(i, t) for i, t in targets if t is not None], session=session)
                  if e.field not in shown]
        raise Invalid(found) from None
    problems = _reference_problems(list(enumerate(r.to for r in rule_set.rules)), session=session)
    if problems:
        raise Invalid(problems)
    return rule_set


def _reference_problems(targets: list[tuple[int, rules.Target]], *, session: Session) -> list[FieldError]:
    """Whether the people and teams the rules name exist, are there, and are in sales."""
    problems = []
    users = people_queries.users_by_email([t.name for _, t in targets if t.kind == "user"], session=session)
    teams = people_queries.teams_by_name([t.name for _, t in targets if t.kind == "team"], session=session)
    for index, target in targets:
        rule = SimpleNamespace(to=target)
        where = f"rules[{index}].to"
        if rule.to.kind == "user":
            user = users.get(rule.to.name.lower())
            if user is None:
                problems.append(FieldError(where, f"no user with the email {rule.to.name}"))
            elif not user.is_active:
                problems.append(FieldError(where, f"{rule.to.name} has left (deactivated): choose someone else"))
            elif user.role not in SELLERS:
                problems.append(FieldError(where, f"{rule.to.name} is not in sales ({user.role.replace('_', ' ')}): "
                                                  "leads go to sales reps and sales managers"))
        elif rule.to.kind == "team":
            found = teams.get(rule.to.name.casefold())
            if found is None:
                problems.append(FieldError(where, f"no team named {rule.to.name!r}"))
            elif found[0].kind != "sales":
                problems.append(FieldError(where, f"the team {rule.to.name!r} is a {found[0].kind} team, not sales"))
            elif not any(u.is_active for u in found[1]):
                problems.append(FieldError(where, f"the team {rule.to.name!r} has no active members"))
    return problems


def save_rule_set(document: object, *, session: Session, actor: str, notes: str | None = None,
                  activate: bool = False) -> RoutingRuleSet:
    """A new version (a draft unless `activate`), stored as written back by the format (rules.dump)."""
    rule_set = check(document, session=session)
    latest = session.scalar(select(func.max(RoutingRuleSet.version))) or 0
    row = RoutingRuleSet(version=latest + 1, status="draft", definition=rules.dump(rule_set), notes=notes,
                         created_by=actor, created_at=now())
    session.add(row)
    session.flush()
    if activate:
        activate_version(row.version, session=session, actor=actor)
    return row


def activate_version(version: int, *, session: Session, actor: str) -> RoutingRuleSet:
    if session.get_bind().dialect.name == "postgresql":  # two activations at once: one after the other
        session.execute(select(RoutingRuleSet.id).order_by(RoutingRuleSet.id).with_for_update())
    row = get_version(version, session=session)
    check(row.definition, session=session)  # people may have left since it was saved
    session.execute(update(RoutingRuleSet).where(RoutingRuleSet.status == "active", RoutingRuleSet.id != row.id)
                    .values(status="retired"))
    row.status = "active"
    row.activated_at = now()
    session.flush()
    return row


# --- members' capacities ----------------------------------------------------------------------------------------------

def capacities(*, session: Session) -> dict[int, RoutingMember]:
    return {m.user_id: m for m in session.scalars(select(RoutingMember))}


def set_capacity(user_id: int, *, session: Session, max_open: int | None, max_per_day: int | None,
                 weight: int = 1) -> RoutingMember:
    errors = [FieldError(name, "a whole number of at least 0") for name, value in
              (("max_open", max_open), ("max_per_day", max_per_day)) if value is not None and value < 0]
    if weight < 0 or weight > 100:
        errors.append(FieldError("weight", "a whole number from 0 (no leads from team rules) to 100"))
    if errors:
        raise Invalid(errors)
    if not people_queries.user_names([user_id], session=session):
        raise NotFound(f"user {user_id}")
    member = session.get(RoutingMember, user_id)
    if member is None:
        member = RoutingMember(user_id=user_id)
        session.add(member)
    member.max_open, member.max_per_day, member.weight, member.updated_at = max_open, max_per_day, weight, now()
    session.flush()
    return member


# --- routing ----------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Routed:
    lead_id: int
    decision: Decision
    assignment_id: int | None  # None: nothing changed (already in that queue, or no on-capture rule placed it)


def route(lead_ids: list[int], *, session: Session, trigger: str, actor: str = "system",
          on_capture: bool = False, exclude: dict[int, int] | None = None) -> list[Routed]:
    """Route the leads that have no owner (an owner, set by hand or by an earlier routing, is never overwritten):
    rules in order, each lead to its owner or a queue, with why. `exclude` (lead id -> user id): someone a lead is
    not to go to (follow-up's reassignment of an overdue lead passes its owner)."""
    version_row, rule_set = current(session=session)
    if on_capture and not any(rule.on_capture for rule in rule_set.rules):
        return []
    leads = leads_service.lock_for_owner(sorted(set(lead_ids)), session=session)
    todo = [lead for lead in leads if lead.owner_id is None and (on_capture or lead.stage in WORKED)]
    if not todo:
        return []
    moment = now()
    router = _router(rule_set, session=session, moment=moment)
    seen = _contexts(todo, rule_set, session=session)
    exclude = exclude or {}
    decided = [(lead, router.route(seen[lead.id], on_capture=on_capture,
                                   exclude=frozenset({exclude[lead.id]} if lead.id in exclude else ())))
               for lead in todo]
    placed = [(lead, d) for lead, d in decided
              if (d.owner is not None or d.queue is not None) and not (d.owner is None and d.queue == lead.queue)]
    ids = _write(placed, session=session, trigger=trigger, actor=actor, moment=moment,
                 version=version_row.version if version_row else None)
    _save_cursors(router, session=session, moment=moment)
    by_lead = dict(zip((lead.id for lead, _ in placed), ids, strict=True))
    return [Routed(lead.id, d, by_lead.get(lead.id)) for lead, d in decided]


def _write(placed: list[tuple[Lead, Decision]], *, session: Session, trigger: str, actor: str, moment: datetime,
           version: int | None) -> list[int]:
    if not placed:
        return []
    rows = [{"lead_id": lead.id, "user_id": d.owner.user_id if d.owner else None, "queue": d.queue,
             "previous_user_id": lead.owner_id, "method": "rule" if d.rule else "fallback", "trigger": trigger,
             "rule": d.rule, "rule_set_version": version, "reasons": d.as_dict(), "actor": actor,
             "assigned_at": moment} for lead, d in placed]
    ids = leads_service.insert_with_ids(Assignment.__table__, rows, session=session)
    previous_queue = {lead.id: lead.queue for lead, _ in placed}
    previous_owner = {lead.id: lead.owner_id for lead, _ in placed}  # before set_owners changes the loaded leads
    leads_service.set_owners([{"id": lead.id, "owner_id": d.owner.user_id if d.owner else None,
                               "queue": None if d.owner else d.queue} for lead, d in placed], session=session)
    leads_service.insert_activities([{"lead_id": lead.id, "kind": "assigned", "actor": actor,
                                      "summary": _summary(d), "data": {"assignment_id": assignment_id,
                                                                       **d.as_dict()}}
                                     for (lead, d), assignment_id in zip(placed, ids, strict=True)],
                                    session=session)
    owned = [(lead, d, assignment_id) for (lead, d), assignment_id in zip(placed, ids, strict=True) if d.owner]
    notifications.notify_many(_alerts([(lead, d.owner.user_id, assignment_id, _why(d)) for lead, d, assignment_id
                                       in owned], session=session), session=session)
    outbox.publish_many(session, [
        {"topic": LEAD_ASSIGNED, "key": f"{LEAD_ASSIGNED}:{assignment_id}",
         "payload": {"lead_id": lead.id, "assignment_id": assignment_id,
                     "owner_id": d.owner.user_id if d.owner else None,
                     "owner_email": d.owner.email if d.owner else None,
                     "queue": None if d.owner else d.queue, "previous_owner_id": previous_owner[lead.id],
                     "previous_queue": previous_queue[lead.id], "rule": d.rule, "by": actor, "trigger": trigger}}
        for (lead, d), assignment_id in zip(placed, ids, strict=True)])
    return ids


def _summary(decision: Decision) -> str:
    where = f"Assigned to {decision.owner.name or decision.owner.email}" if decision.owner else \
        f"Put in the queue \u201c{decision.queue}\u201d"
    why = f" by the rule \u201c{decision.rule}\u201d" if decision.rule else " (no rule or nobody could take it)"
    skipped = f"; skipped: {', '.join(f'{s.email} ({s.reason})' for s in decision.skipped[:5])}" \
        if decision.skipped else ""
    return (where + why + skipped)[:500]


def _why(decision: Decision) -> str:
    return f"the routing rule \u201c{decision.rule}\u201d" if decision.rule else "routing"


def _router(rule_set: rules.RuleSet, *, session: Session, moment: datetime, lock: bool = True) -> Router:
    return router_for(rule_set, session=session, moment=moment, lock=lock)[0]


def router_for(rule_set: rules.RuleSet, *, session: Session, moment: datetime,
               lock: bool = True) -> tuple[Router, dict[int, Member]]:
    """The Router with every member the rules name (and those members by user id): availability, capacity, open
    leads and today's count, and the teams' round-robin cursors (locked unless only looking: two workers never hand
    out the same turn or the last free place)."""
    users = people_queries.users_by_email([r.to.name for r in rule_set.rules if r.to.kind == "user"],
                                          session=session)
    teams = people_queries.teams_by_name([r.to.name for r in rule_set.rules if r.to.kind == "team"],
                                         session=session)
    people = {u.id: u for u in users.values()}
    for _, members in teams.values():
        people.update((u.id, u) for u in members)
    ids = sorted(people)
    team_ids = {name: team.id for name, (team, _) in teams.items()}
    # Locks first, in one order (capacities by user id, then cursors by team id), then the counts: two workers never
    # both give the last free place or the same turn.
    caps = _locked_capacities(ids, session=session, lock=lock)
    cursors = _locked_cursors(sorted(team_ids.values()), session=session, lock=lock)
    available = people_queries.availability(ids, session=session)
    open_counts = leads_queries.open_lead_counts(ids, session=session)
    today = _assigned_today(ids, {i: available[i].timezone if i in available else "UTC" for i in ids},
                            session=session, moment=moment)
    made: dict[int, Member] = {}
    for user_id, user in people.items():
        free = available.get(user_id)
        cap = caps.get(user_id)
        made[user_id] = Member(
            user_id=user_id, email=user.email, name=user.name or "", active=bool(user.is_active),
            timezone=free.timezone if free else "UTC", working_hours=free.working_hours if free else None,
            absences=tuple(free.absences) if free else (), max_open=cap.max_open if cap else None,
            max_per_day=cap.max_per_day if cap else None, weight=cap.weight if cap else 1,
            open_leads=open_counts.get(user_id, 0), assigned_today=today.get(user_id, 0))
    router = Router(rule_set, users={u.email: made[u.id] for u in users.values()},
                    teams={name: [made[u.id] for u in members] for name, (_, members) in teams.items()},
                    team_ids=team_ids, cursors=cursors, moment=moment)
    return router, made


def _assigned_today(user_ids: list[int], zones: dict[int, str], *, session: Session,
                    moment: datetime) -> dict[int, int]:
    """New leads each person got since midnight in their own time zone: one count per time zone."""
    by_zone: dict[str, list[int]] = {}
    for user_id in user_ids:
        by_zone.setdefault(zones[user_id], []).append(user_id)
    found: dict[int, int] = {}
    for zone, members in by_zone.items():
        local = moment.astimezone(ZoneInfo(zone))
        midnight = datetime.combine(local.date(), time(0), tzinfo=local.tzinfo)
        rows = session.execute(select(Assignment.user_id, func.count()).where(
            Assignment.user_id.in_(members), Assignment.assigned_at >= midnight).group_by(Assignment.user_id))
        found.update({user_id: count for user_id, count in rows})
    return found


def _locked_capacities(user_ids: list[int], *, session: Session, lock: bool) -> dict[int, RoutingMember]:
    if not user_ids:
        return {}
    query = select(RoutingMember).where(RoutingMember.user_id.in_(user_ids)).order_by(RoutingMember.user_id)
    if lock and session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    return {m.user_id: m for m in session.scalars(query)}


def _locked_cursors(team_ids: list[int], *, session: Session, lock: bool) -> dict[int, int]:
    if not team_ids:
        return {}
    query = select(RoutingCursor).where(RoutingCursor.team_id.in_(team_ids)).order_by(RoutingCursor.team_id)
    if lock and session.get_bind().dialect.name == "postgresql":
        # A team's first turn has no row yet to lock: made first (a concurrent maker's row is kept), then locked.
        for team_id in team_ids:
            session.execute(insert_ignore(session.get_bind(), RoutingCursor,
                                          {"team_id": team_id, "position": 0, "updated_at": now()}, ["team_id"]))
        query = query.with_for_update()
    return {c.team_id: c.position for c in session.scalars(query)}


def _save_cursors(router: Router, *, session: Session, moment: datetime) -> None:
    """Each team's position after this chunk: an update, or the first row (a concurrent first insert of the same
    team loses nothing: the unique key makes it an update)."""
    if not router.cursors:
        return
    existing = set(session.scalars(select(RoutingCursor.team_id).where(
        RoutingCursor.team_id.in_(list(router.cursors)))))
    for team_id, position in router.cursors.items():
        if team_id in existing:
            session.execute(update(RoutingCursor).where(RoutingCursor.team_id == team_id)
                            .values(position=position, updated_at=moment))
        elif not session.execute(insert_ignore(session.get_bind(), RoutingCursor, {
                "team_id": team_id, "position": position, "updated_at": moment}, ["team_id"])).rowcount:
            session.execute(update(RoutingCursor).where(RoutingCursor.team_id == team_id)
                            .values(position=position, updated_at=moment))


# What routing adds to what the Sales Ready rule sees of a lead (docs/routing.md, "Fields").
_ROUTING_FIELDS = ("postal_code", "campaign", "campaign_id", "source", "medium", "queue", "sales_ready")


def lead_contexts(leads: list[Lead], names: set[str], *, session: Session) -> dict[int, dict]:
    """Each lead's context in the routing scope of the condition language (follow-up policies read it too)."""
    return _contexts(leads, SimpleNamespace(names=lambda: tuple(names)), session=session)


def _contexts(leads: list[Lead], rule_set: rules.RuleSet, *, session: Session) -> dict[int, dict]:
    names = set(rule_set.names())
    seen = qualification_service.contexts(leads, SimpleNamespace(names=names), session=session)
    campaign_ids = {lead.last_campaign_id or lead.campaign_id for lead in leads} - {None}
    campaigns = leads_queries.campaigns_by_id(campaign_ids, session=session) if "campaign" in names else {}
    for lead in leads:
        context = seen[lead.id]
        touch = lead.last_touch or lead.first_touch or {}
        campaign_id = lead.last_campaign_id or lead.campaign_id
        campaign = campaigns.get(campaign_id)
        context.update({"postal_code": lead.postal_code, "campaign_id": campaign_id,
                        "campaign": campaign.name if campaign else None,
                        "source": touch.get("utm_source") or touch.get("source"),
                        "medium": touch.get("utm_medium") or touch.get("medium"), "queue": lead.queue,
                        "sales_ready": lead.sales_ready_at is not None})
    return seen


# --- alerts -----------------------------------------------------------------------------------------------------------

def _alerts(items: list[tuple[Lead, int, int, str]], *, session: Session) -> list[notifications.Notice]:
    """The new owner's alert for each (lead, owner, assignment, why): the lead's summary, why it scores what it
    does, what it did lately and what it answered, and a link."""
    if not items:
        return []
    ids = [lead.id for lead, *_ in items]
    recent = tracking_queries.recent_by_lead(ids, session=session, per_lead=5)
    answers = qualification_service.bant_values(ids, session=session)
    notices = []
    for lead, owner_id, assignment_id, why in items:
        name = " ".join(p for p in (lead.first_name, lead.last_name) if p) or lead.email or f"Lead #{lead.id}"
        title = f"New lead for you: {name}" + (f" ({lead.company})" if lead.company else "")
        lines = [f"{name}" + (f", {lead.job_title}" if lead.job_title else "") +
                 (f" at {lead.company}" if lead.company else ""),
                 ", ".join(p for p in (lead.city, lead.country) if p),
                 " \u00b7 ".join(p for p in (lead.email, lead.phone or lead.mobile) if p),
                 f"Score {lead.score if lead.score is not None else '-'}"
                 + (f" ({lead.band})" if lead.band else "") + (f", grade {lead.grade}" if lead.grade else ""),
                 f"Assigned to you by {why}."]
        explained = [part.get("text") or part.get("label") or "" for part in (lead.score_explanation or [])[:5]]
        if any(explained):
            lines += ["", "Why this score:"] + [f"- {text}" for text in explained if text]
        done = recent.get(lead.id, [])
        if done:
            lines += ["", "What they did lately:"] + [f"- {when:%Y-%m-%d %H:%M} UTC {what}" for when, what in done]
        said = {k: v for k, v in answers.get(lead.id, {}).items() if v}
        if said:
            lines += ["", "What they answered:"] + [f"- {k.capitalize()}: {v}" for k, v in said.items()]
        notices.append(notifications.Notice(
            user_id=owner_id, kind="lead_assigned", title=title[:300], body="\n".join(lines)[:4000],
            link=f"/leads/{lead.id}", key=f"assignment:{assignment_id}", lead_id=lead.id))
    return notices


# --- by hand ----------------------------------------------------------------------------------------------------------

def assign(lead: Lead, *, session: Session, to: str, actor: str, note: str | None = None) -> Assignment:
    """A person hands the lead to someone (`user:EMAIL` or a user id) or puts it in a queue (`queue:NAME`); the
    history keeps every earlier owner. A lead given by hand is never routed over."""
    kind, _, name = to.partition(":")
    name = name.strip()
    if not leads_service.lock_for_owner([lead.id], session=session):  # as it is now, not as the page showed it
        raise NotFound(f"lead {lead.id}")
    moment = now()
    previous = lead.owner_id
    if kind == "user" or to.isdecimal():
        user = (people_queries.users_by_email([name], session=session).get(name.lower()) if kind == "user"
                else next(iter(leads_queries.users_by_id({int(to)}, session=session).values()), None))
        if user is None or not user.is_active:
            raise Invalid.one("to", "no active user with that email" if kind == "user" else "no such active user")
        if user.id == lead.owner_id:
            raise Invalid.one("to", f"{user.email} already owns this lead")
        leads_service.edit(session=session, lead=lead, values={"owner_id": user.id}, actor=actor,
                           recorded="routing")
        row = _record(lead, user_id=user.id, queue=None, previous=previous, actor=actor, note=note, moment=moment,
                      session=session)
        summary = f"Handed over to {user.name or user.email}" + (f": {note}" if note else "")
        leads_service.add_activity(session=session, lead_id=lead.id, kind="assigned", actor=actor,
                                   summary=summary[:500], data={"assignment_id": row.id, "note": note})
        notifications.notify_many(_alerts([(lead, user.id, row.id, "a colleague")], session=session),
                                  session=session)
        return row
    if kind == "queue" and name:
        if len(name) > 200:
            raise Invalid.one("to", "a queue name of at most 200 characters")
        leads_service.set_owners([{"id": lead.id, "owner_id": None, "queue": name}], session=session)
        summary = f"Put in the queue \u201c{name}\u201d by hand" + (f": {note}" if note else "")
        leads_service.add_activity(session=session, lead_id=lead.id, kind="assigned", actor=actor,
                                   summary=summary[:500], data={"queue": name, "note": note})
        return _record(lead, user_id=None, queue=name, previous=previous, actor=actor, note=note, moment=moment,
                       session=session)
    raise Invalid.one("to", "write user:EMAIL or queue:NAME")


def _record(lead: Lead, *, user_id: int | None, queue: str | None, previous: int | None, actor: str,
            note: str | None, moment: datetime, session: Session, trigger: str = "manual") -> Assignment:
    row = Assignment(lead_id=lead.id, user_id=user_id, queue=queue, previous_user_id=previous, method="manual",
                     trigger=trigger, rule=None, rule_set_version=None, reasons={"note": note} if note else {},
                     actor=actor, assigned_at=moment)
    session.add(row)
    session.flush()
    emails = leads_queries.owner_emails({user_id} - {None}, session=session)
    outbox.publish(session, LEAD_ASSIGNED, {
        "lead_id": lead.id, "assignment_id": row.id, "owner_id": user_id, "owner_email": emails.get(user_id),
        "queue": queue, "previous_owner_id": previous, "previous_queue": None, "rule": None, "by": actor,
        "trigger": trigger}, key=f"{LEAD_ASSIGNED}:{row.id}")
    return row


def owner_edited(payloads: list[dict], *, session: Session) -> int:
    """A person changed the owner on the lead's page, in the inbox or through PATCH: the history and the new owner's
    alert, unless the change was recorded as it was made (`assign`)."""
    changed = [p for p in payloads if p.get("owner") and p.get("recorded") != "routing"]
    if not changed:
        return 0
    leads = {lead.id: lead for lead in leads_service.lock_for_owner([p["lead_id"] for p in changed],
                                                                   session=session)}
    alerts = []
    made = 0
    moment = now()
    for payload in changed:
        lead = leads.get(payload["lead_id"])
        owner = payload["owner"]
        if lead is None or lead.owner_id != owner["to"]:
            continue  # merged away, or changed again since: that later change records itself
        row = _record(lead, user_id=owner["to"], queue=None, previous=owner["from"],
                      actor=payload.get("actor") or "system", note=None, moment=lead.assigned_at or moment,
                      session=session)
        made += 1
        if owner["to"] is not None and payload.get("actor") != f"user:{owner['to']}":
            alerts.append((lead, owner["to"], row.id, "a colleague"))
    notifications.notify_many(_alerts(alerts, session=session), session=session)
    return made


# --- reads ------------------------------------------------------------------------------------------------------------

def history(lead_id: int, *, session: Session, limit: int = 100) -> list[Assignment]:
    return list(session.scalars(select(Assignment).where(Assignment.lead_id == lead_id)
                                .order_by(Assignment.assigned_at.desc(), Assignment.id.desc()).limit(limit)))


def preview(document: object | None, *, session: Session, sample: int = 5, limit: int = 20000) -> dict:
    """Where the open leads nobody owns would go under these rules (the active ones when none are given), as of now:
    per target, how many and a few of them. Nothing is written: cursors and counts move only in memory."""
    if document is None:
        row, rule_set = current(session=session)
    else:
        row, rule_set = None, check(document, session=session)
    leads = leads_queries.unowned_open_leads(session=session, limit=limit)
    router = _router(rule_set, session=session, moment=now(), lock=False)
    seen = _contexts(leads, rule_set, session=session) if leads else {}
    targets: dict[str, dict] = {}
    for lead in leads:
        decision = router.route(seen[lead.id])
        key = f"user:{decision.owner.email}" if decision.owner else f"queue:{decision.queue}"
        entry = targets.setdefault(key, {"target": key, "name": (decision.owner.name or decision.owner.email)
                                         if decision.owner else decision.queue, "count": 0, "rules": {},
                                         "sample": []})
        entry["count"] += 1
        rule = decision.rule or "(fallback)"
        entry["rules"][rule] = entry["rules"].get(rule, 0) + 1
        if len(entry["sample"]) < sample:
            entry["sample"].append({"id": lead.id, "name": " ".join(
                p for p in (lead.first_name, lead.last_name) if p) or lead.email or f"Lead #{lead.id}",
                "company": lead.company, "city": lead.city, "country": lead.country})
    ordered = sorted(targets.values(), key=lambda t: (-t["count"], t["target"]))
    return {"version": row.version if row else None, "leads": len(leads), "capped": len(leads) >= limit,
            "targets": ordered}


def queued_lead_ids(queue: str | None, *, session: Session) -> list[int]:
    return leads_queries.queued_lead_ids(queue, session=session)


def queue_counts(*, session: Session) -> list[tuple[str, int]]:
    return leads_queries.queue_counts(session=session)
