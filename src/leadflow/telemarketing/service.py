"""Call lists: made and changed (their plan: source, script, calling hours, retries, targets), leads put on them
(checked: callable, with a phone, not withdrawn; placed in the queue by band and score, in their time zone) and
filled from a segment, a condition or an import a chunk at a time by the worker."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from leadflow import events, outbox
from leadflow.campaigns.models import Campaign
from leadflow.capture import queries as capture_queries
from leadflow.clock import now
from leadflow.db import ReadSession, begin_write, insert_ignore_many
from leadflow.errors import FieldError, Invalid, NotFound
from leadflow.leads import queries as leads_queries
from leadflow.leads.models import Lead
from leadflow.people import service as people_service
from leadflow.people.models import CallList, Team, User
from leadflow.people.service import Actor
from leadflow.segments import definition as segment_definition
from leadflow.segments import queries as segments_queries
from leadflow.segments import service as segments_service
from leadflow.segments.models import Segment
from leadflow.telemarketing import calling
from leadflow.telemarketing.models import CallEntry, CallPlan, CallScript

SOURCES = ("manual", "segment", "condition", "journey", "import")
SOURCE_LABELS = {"manual": "By hand", "segment": "A segment", "condition": "A condition",
                 "journey": "A journey step", "import": "An import"}
BUILT_FROM = ("segment", "condition", "import")  # filled by the worker from their source
CHUNK = 2000
MAX_NAMED = 1000
MAX_TARGET = 100_000
TARGETS = ("calls", "reached", "qualified", "minutes_per_call")  # per agent and day; minutes: the most per call
PLAN_NUMBERS = {"claim_minutes": (1, 240), "retry_minutes": (5, 7 * 24 * 60), "max_attempts": (1, 50),
                "hours_from": (0, 24 * 60 - 1), "hours_to": (1, 24 * 60)}
SKIP_REASONS = {"gone": "not found or merged", "do_not_contact": "do not contact", "no_phone": "no phone number",
                "withdrawn": "phone consent withdrawn", "disqualified": "disqualified"}


# --- lists ------------------------------------------------------------------------------------------------------

def get_list(call_list_id: int, *, session: Session) -> CallList:
    found = session.get(CallList, call_list_id)
    if found is None:
        raise NotFound("call list", call_list_id)
    return found


def plan_of(call_list: CallList, *, session: Session, lock: bool = False) -> CallPlan:
    """The list's plan; a list made without one (by the journeys' template, say) gets the defaults: stored when the
    session writes, shown as they would be when it only reads (a GET). `lock`: held until the transaction ends (two
    writers adding leads at once keep both their zones and counts)."""
    plan = session.get(CallPlan, call_list.id, with_for_update=lock or None, populate_existing=lock)
    if plan is None:
        plan = CallPlan(call_list_id=call_list.id, source="manual", live=False, hours_from=9 * 60, hours_to=18 * 60,
                        days="12345", default_zone="UTC", zones=[], claim_minutes=15, retry_minutes=120,
                        max_attempts=5, targets={}, status="active", build_run=0, added_count=0, skipped={},
                        updated_at=now())
        if not isinstance(session, ReadSession):
            session.add(plan)
            session.flush()
    return plan


def may_call(actor: Actor, call_list: CallList) -> bool:
    """Whether this person works the list: its owner, an agent of its team, or someone who makes call lists."""
    return (actor.kind == "system" or actor.can("call_lists:manage") or call_list.owner_id == actor.user_id
            or (call_list.team_id is not None and call_list.team_id == actor.team_id))


def list_for(call_list_id: int, actor: Actor, *, session: Session) -> CallList:
    """The list, when this person works it (404 otherwise: a list of others is not theirs to learn of)."""
    call_list = get_list(call_list_id, session=session)
    if not may_call(actor, call_list):
        raise NotFound("call list", call_list_id)
    return call_list


def _check(values: dict, *, session: Session, plan: CallPlan | None) -> list[FieldError]:
    errors: list[FieldError] = []
    if "name" in values and not (values["name"] or "").strip():
        errors.append(FieldError("name", "give the list a name"))
    if "name" in values and len((values["name"] or "").strip()) > 200:
        errors.append(FieldError("name", "at most 200 characters"))
    if values.get("owner_id") is not None:
        owner = session.get(User, values["owner_id"])
        if owner is None or not owner.is_active:
            errors.append(FieldError("owner_id", f"no active user {values['owner_id']}"))
    if values.get("team_id") is not None and session.get(Team, values["team_id"]) is None:
        errors.append(FieldError("team_id", f"no team {values['team_id']}"))
    source = values.get("source", plan.source if plan else "manual")
    if source not in SOURCES:
        errors.append(FieldError("source", f"must be one of {', '.join(SOURCES)}"))
    segment_id = values.get("segment_id", plan.segment_id if plan else None)
    condition = values.get("condition", plan.condition if plan else None)
    import_id = values.get("import_id", plan.import_id if plan else None)
    if source == "segment" and segment_id is None:
        errors.append(FieldError("segment_id", "a list fed by a segment names the segment"))
    if values.get("segment_id") is not None and session.get(Segment, values["segment_id"]) is None:
        errors.append(FieldError("segment_id", f"no segment {values['segment_id']}"))
    if source == "condition":
        problem = segment_definition.problem(condition or "")
        if problem is not None:
            errors.append(FieldError("condition", segment_definition.reason(problem)))
    if source == "import" and import_id is None:
        errors.append(FieldError("import_id", "a list fed by an import names the import"))
    if values.get("import_id") is not None and capture_queries.import_label(values["import_id"],
                                                                            session=session) is None:
        errors.append(FieldError("import_id", f"no import {values['import_id']}"))
    if values.get("campaign_id") is not None and session.get(Campaign, values["campaign_id"]) is None:
        errors.append(FieldError("campaign_id", f"no campaign {values['campaign_id']}"))
    if values.get("script_id") is not None and session.get(CallScript, values["script_id"]) is None:
        errors.append(FieldError("script_id", f"no call script {values['script_id']}"))
    for name, (low, high) in PLAN_NUMBERS.items():
        if name in values and values[name] is not None and not low <= values[name] <= high:
            errors.append(FieldError(name, f"between {low} and {high}"))
    hours_from = values.get("hours_from", plan.hours_from if plan else 9 * 60)
    hours_to = values.get("hours_to", plan.hours_to if plan else 18 * 60)
    days = values.get("days", plan.days if plan else "12345")
    zone = values.get("default_zone", plan.default_zone if plan else "UTC")
    if not errors:
        errors += [FieldError(f, r) for f, r in calling.hours_problems(hours_from, hours_to, days or "", zone or "")]
    for name, value in (values.get("targets") or {}).items():
        if name not in TARGETS:
            errors.append(FieldError(f"targets.{name}", f"targets are {', '.join(TARGETS)}"))
        elif value is not None and not (isinstance(value, int | float) and 0 <= value <= MAX_TARGET):
            errors.append(FieldError(f"targets.{name}", f"a number between 0 and {MAX_TARGET}"))
    return errors


PLAN_FIELDS = ("source", "segment_id", "condition", "import_id", "live", "script_id", "campaign_id", "hours_from",
               "hours_to", "days", "default_zone", "claim_minutes", "retry_minutes", "max_attempts", "targets",
               "status")


def create_list(values: dict, *, session: Session, actor: Actor) -> CallList:
    """A new list and its plan; one fed from a segment, condition or import starts filling at once (the worker)."""
    errors = _check({"name": values.get("name", ""), **values}, session=session, plan=None)
    if values.get("status", "active") not in ("active", "paused"):
        errors.append(FieldError("status", "active or paused"))
    if errors:
        raise Invalid(errors)
    owner = session.get(User, values.get("owner_id") or actor.user_id) if (values.get("owner_id")
                                                                             or actor.user_id) else None
    if owner is None:
        raise Invalid.one("owner_id", "name the person who owns the list")
    call_list = people_service.create_call_list(session=session, name=values["name"].strip(), owner=owner,
                                                team_id=values.get("team_id"))
    plan = CallPlan(call_list_id=call_list.id, zones=[], skipped={}, added_count=0, build_run=0, updated_at=now(),
                    **{"source": "manual", "live": False, "targets": {},
                       **{k: v for k, v in values.items() if k in PLAN_FIELDS and v is not None}})
    if plan.default_zone is None:
        plan.default_zone = "UTC"
    session.add(plan)
    session.flush()
    if plan.source in BUILT_FROM:
        queue_build(plan, session=session)
    return call_list


def update_list(call_list: CallList, values: dict, *, session: Session) -> CallList:
    plan = plan_of(call_list, session=session)
    errors = _check(values, session=session, plan=plan)
    if "status" in values and values["status"] not in ("active", "paused"):
        errors.append(FieldError("status", "active or paused"))
    if errors:
        raise Invalid(errors)
    if "name" in values:
        call_list.name = values["name"].strip()
    if "owner_id" in values and values["owner_id"] is not None:
        call_list.owner_id = values["owner_id"]
    if "team_id" in values:
        call_list.team_id = values["team_id"]
    feeds = ("source", "segment_id", "condition", "import_id")
    refill = any(name in values and values[name] != getattr(plan, name) for name in feeds)
    for name in PLAN_FIELDS:
        if name in values and (values[name] is not None or name in ("segment_id", "condition", "import_id",
                                                                     "script_id", "campaign_id")):
            setattr(plan, name, {**plan.targets, **values[name]} if name == "targets" else values[name])
    plan.targets = {k: v for k, v in (plan.targets or {}).items() if v is not None}
    plan.updated_at = now()
    session.flush()
    if (refill or values.get("live")) and plan.source in BUILT_FROM:
        queue_build(plan, session=session)
    return call_list


def delete_list(call_list: CallList, *, session: Session) -> None:
    """The list and its queue go; the calls made from it stay in the leads' history (without the list)."""
    session.execute(delete(CallEntry).where(CallEntry.call_list_id == call_list.id))
    session.delete(call_list)
    session.flush()


# --- putting leads on a list -------------------------------------------------------------------------------------

@dataclass
class Added:
    added: int = 0
    reopened: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    not_added: dict[int, str] = field(default_factory=dict)  # lead id -> why (the first MAX_NAMED)
    walked_to: int | None = None  # a build step: where the walk over the source stands (None: at its end)

    def as_dict(self) -> dict:
        return {"added": self.added, "reopened": self.reopened, "skipped": dict(self.skipped)}


_ADD_COLUMNS = (Lead.id, Lead.phone, Lead.mobile, Lead.country, Lead.band, Lead.score, Lead.do_not_contact,
                Lead.merged_into_id, Lead.stage)


def add_leads(call_list: CallList, lead_ids: list[int], *, session: Session, why: str,
              reopen: bool = True) -> Added:
    """Put these leads on the list, each in its place (band and score) and time zone. A lead that cannot be called
    (merged away, do not contact, no phone, phone consent withdrawn, disqualified) is counted by reason, not added;
    one on the list already stays where it is, unless it is done with the list and `reopen`: then it waits again
    from the start."""
    begin_write(session)
    plan = plan_of(call_list, session=session, lock=True)
    result = Added()
    ids = list(dict.fromkeys(int(i) for i in lead_ids))
    zones = set(plan.zones or [])
    moment = now()
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start:start + CHUNK]
        rows = {row.id: row for row in session.execute(select(*_ADD_COLUMNS).where(Lead.id.in_(chunk)))}
        withdrawn = leads_queries.withdrawn(list(rows), calling.PHONE_PURPOSE, session=session)
        callable_rows = []
        for lead_id in chunk:
            row = rows.get(lead_id)
            reason = ("gone" if row is None or row.merged_into_id is not None
                      else "do_not_contact" if row.do_not_contact
                      else "no_phone" if not (row.phone or row.mobile)
                      else "withdrawn" if lead_id in withdrawn
                      else "disqualified" if row.stage == "disqualified" else None)
            if reason:
                result.skipped[reason] = result.skipped.get(reason, 0) + 1
                if len(result.not_added) < MAX_NAMED:
                    result.not_added[lead_id] = SKIP_REASONS[reason]
            else:
                callable_rows.append(row)
        if not callable_rows:
            continue
        entries = []
        for row in callable_rows:
            place = calling.fresh_place(row.band, row.score)
            zone = calling.zone_of(row.phone or row.mobile, row.country, default=plan.default_zone)
            zones.add(zone)
            entries.append({"call_list_id": call_list.id, "lead_id": row.id, "state": "waiting", "tier": place.tier,
                            "rank": place.rank, "zone": zone, "attempts": 0, "why": why[:300], "added_at": moment})
        added = insert_ignore_many(session, CallEntry.__table__, entries, ["call_list_id", "lead_id"])
        result.added += added
        if reopen and added < len(entries):
            by_id = {e["lead_id"]: e for e in entries}
            done = list(session.scalars(select(CallEntry.lead_id).where(
                CallEntry.call_list_id == call_list.id, CallEntry.lead_id.in_(list(by_id)),
                CallEntry.state == "done")))
            for lead_id in done:
                entry = by_id[lead_id]
                session.execute(update(CallEntry).where(CallEntry.call_list_id == call_list.id,
                                                        CallEntry.lead_id == lead_id, CallEntry.state == "done")
                                .values(state="waiting", tier=entry["tier"], rank=entry["rank"], due_at=None,
                                        callback_user_id=None, claimed_by=None, claimed_until=None, attempts=0,
                                        why=why[:300], done_at=None))
            result.reopened += len(done)
        people_service.add_to_call_list(session=session, call_list=call_list, lead_ids=[r.id for r in callable_rows])
    plan.zones = sorted(zones)
    plan.added_count = (plan.added_count or 0) + result.added
    if result.skipped:
        counted = dict(plan.skipped or {})
        for reason, count in result.skipped.items():
            counted[reason] = counted.get(reason, 0) + count
        plan.skipped = counted
    plan.updated_at = moment
    session.flush()
    return result


def remove_lead(call_list: CallList, lead_id: int, *, session: Session) -> bool:
    """Take a waiting lead off the list (done: `removed`); a lead already done stays as it ended."""
    won = session.execute(update(CallEntry).where(CallEntry.call_list_id == call_list.id,
                                                  CallEntry.lead_id == lead_id, CallEntry.state == "waiting")
                          .values(state="done", why="taken off the list", done_at=now(), claimed_by=None,
                                  claimed_until=None).execution_options(synchronize_session=False)).rowcount
    return bool(won)


# --- filling a list from its source, a chunk at a time -----------------------------------------------------------

def queue_build(plan: CallPlan, *, session: Session, publish: bool = True) -> None:
    """Start a new pass over the list's source from the first lead (its run keys the steps apart); `publish`:
    the worker walks it (else the caller does, step by step)."""
    plan.build_run = (plan.build_run or 0) + 1
    plan.built_at = None
    session.flush()
    if not publish:
        return
    payload = {"call_list_id": plan.call_list_id, "run": plan.build_run, "after": 0}
    outbox.publish_once(session, events.CALL_LIST_BUILD, payload, key=build_key(payload))


def build_key(payload: dict) -> str:
    return f"{events.CALL_LIST_BUILD}:{payload['call_list_id']}:{payload['run']}:{payload['after']}"


def source_ids(plan: CallPlan, *, session: Session, after: int, limit: int) -> tuple[list[int], int | None]:
    """The source's next leads after `after` (those that match, for a condition) and where the walk stands (None:
    at its end)."""
    if plan.source == "segment" and plan.segment_id is not None:
        ids = segments_queries.member_ids(plan.segment_id, session=session, after=after, limit=limit)
        return ids, (ids[-1] if len(ids) == limit else None)
    if plan.source == "import" and plan.import_id is not None:
        ids = capture_queries.import_lead_ids(plan.import_id, session=session, after=after, limit=limit)
        return ids, (ids[-1] if len(ids) == limit else None)
    if plan.source == "condition" and plan.condition:
        walked = leads_queries.lead_ids_after(after, session=session, limit=limit)
        matched = segments_service.matching(plan.condition, walked, session=session)
        return matched, (walked[-1] if len(walked) == limit else None)
    return [], None


def build_step(payload: dict, *, session: Session, chunk: int | None = None, queue_next: bool = True) -> Added | None:
    """One chunk of a pass: the source's next leads put on the list, the next step queued (unless `queue_next` is
    false: the caller walks on) or the pass marked done.
    None when the pass is stale (the list is gone or its source changed since)."""
    begin_write(session)
    call_list = session.get(CallList, int(payload["call_list_id"]))
    plan = session.get(CallPlan, int(payload["call_list_id"])) if call_list else None
    if plan is None or plan.build_run != int(payload["run"]):
        return None
    ids, walked_to = source_ids(plan, session=session, after=int(payload.get("after") or 0), limit=chunk or CHUNK)
    result = add_leads(call_list, ids, session=session, why=f"from its {plan.source}", reopen=False)
    result.walked_to = walked_to
    if walked_to is None:
        plan.built_at = now()
    elif queue_next:
        following = {**payload, "after": walked_to}
        outbox.publish_once(session, events.CALL_LIST_BUILD, following, key=build_key(following))
    return result


def survivor_joins(survivor_id: int, merged_id: int, *, session: Session) -> None:
    """After a merge: the survivor waits on the lists the merged lead waited on (the merged one is never claimed)."""
    lists = list(session.scalars(select(CallEntry.call_list_id).where(CallEntry.lead_id == merged_id,
                                                                       CallEntry.state == "waiting")))
    for call_list_id in lists:
        call_list = session.get(CallList, call_list_id)
        if call_list is not None:
            add_leads(call_list, [survivor_id], session=session, why="merged with a lead on the list", reopen=False)
    if lists:
        session.execute(update(CallEntry).where(CallEntry.lead_id == merged_id, CallEntry.state == "waiting")
                        .values(state="done", why="merged into another lead", done_at=now(), claimed_by=None,
                                claimed_until=None).execution_options(synchronize_session=False))



def segment_entered(pairs: list[tuple[object, object]], *, session: Session) -> None:
    """(segment, lead) pairs that came about: each lead joins the live lists fed by its segment."""
    by_segment: dict[int, list[int]] = {}
    for segment_id, lead_id in pairs:
        if isinstance(segment_id, int) and isinstance(lead_id, int):
            by_segment.setdefault(segment_id, []).append(lead_id)
    if not by_segment:
        return
    plans = list(session.scalars(select(CallPlan).where(CallPlan.source == "segment", CallPlan.live.is_(True),
                                                        CallPlan.segment_id.in_(list(by_segment)))))
    for plan in plans:
        call_list = session.get(CallList, plan.call_list_id)
        if call_list is not None:
            add_leads(call_list, by_segment[plan.segment_id], session=session, why="came into its segment",
                      reopen=False)


# --- placing fresh leads again by their band and score now ---------------------------------------------------

def queue_rerank(call_list: CallList, *, session: Session) -> None:
    """Place every fresh lead waiting on the list again by its band and score now (the worker, a chunk at a time);
    call-backs and retries keep their times."""
    payload = {"call_list_id": call_list.id, "rerank": True, "run": now().isoformat(), "after": 0}
    outbox.publish_once(session, events.CALL_LIST_BUILD, payload, key=build_key(payload))


def rerank_step(payload: dict, *, session: Session, chunk: int = CHUNK, queue_next: bool = True) -> int | None:
    """One chunk of a rerank: returns how many entries moved, None at the end of the list."""
    begin_write(session)
    call_list_id, after = int(payload["call_list_id"]), int(payload.get("after") or 0)
    ids = list(session.scalars(select(CallEntry.lead_id).where(
        CallEntry.call_list_id == call_list_id, CallEntry.lead_id > after).order_by(CallEntry.lead_id).limit(chunk)))
    if not ids:
        return None
    rows = session.execute(select(CallEntry.lead_id, CallEntry.tier, CallEntry.rank, Lead.band, Lead.score)
                           .join(Lead, Lead.id == CallEntry.lead_id)
                           .where(CallEntry.call_list_id == call_list_id, CallEntry.lead_id.in_(ids),
                                  CallEntry.state == "waiting", CallEntry.tier > calling.TIER_RETRY)).all()
    moved = [(row.lead_id, place) for row in rows
             if (place := calling.fresh_place(row.band, row.score)) and (place.tier, place.rank) != (row.tier, row.rank)]
    for lead_id, place in moved:
        session.execute(update(CallEntry).where(CallEntry.call_list_id == call_list_id, CallEntry.lead_id == lead_id,
                                                CallEntry.state == "waiting", CallEntry.tier > calling.TIER_RETRY)
                        .values(tier=place.tier, rank=place.rank).execution_options(synchronize_session=False))
    if queue_next and len(ids) == chunk:
        following = {**payload, "after": ids[-1]}
        outbox.publish_once(session, events.CALL_LIST_BUILD, following, key=build_key(following))
    return len(moved)
