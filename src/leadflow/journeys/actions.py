"""What a chunk of due steps reads (its leads' contexts and survey answers, its runs' messages and events: a few
queries for the whole chunk) and does, an action at a time for all its rows: emails queued in one executemany,
call lists, fields, points, stages, hand-overs to sales. Each row's outcome keeps what was done or why not."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from leadflow import clock, events, outbox
from leadflow.errors import DomainError
from leadflow.journeys import flow
from leadflow.journeys.definition import Branch, Definition, SendEmail, Step, WaitUntil
from leadflow.journeys.models import JourneyEvent
from leadflow.journeys.service import ids_in
from leadflow.leads import service as leads_service
from leadflow.leads.lifecycle import DISQUALIFY_REASONS, PAST_SQL, check_move
from leadflow.leads.models import Lead
from leadflow.outbox import OutboxMessage, publish

POINTS_FIELD = "journey_points"  # the lead's custom field that sums the points journeys gave
TO_SQL_FROM = ("new", "mql", "nurture", "recycled")  # as the Sales Ready rule moves a lead to SQL


@dataclass
class Work:
    row_id: int
    run_id: int
    lead_id: int
    journey_id: int
    step_id: str
    visit: int
    step: Step
    decision: flow.Decision
    outcome: str | None = None


@dataclass
class ChunkFacts:
    contexts: dict[int, dict] = field(default_factory=dict)  # lead id -> its journey-scope context
    messages: dict[int, dict[str, flow.Message]] = field(default_factory=dict)  # run -> step -> message
    heard: dict[int, list[flow.Seen]] = field(default_factory=dict)  # run -> events heard

    def of(self, row, run) -> flow.Facts:
        return flow.Facts(context=self.contexts.get(run.lead_id, {}), messages=self.messages.get(run.id, {}),
                          events=self.heard.get(run.id, ()), arrived_at=clock.as_utc(row.created_at),
                          entered_at=clock.as_utc(run.entered_at))


def _names(definition: Definition, step: Step) -> set[str]:
    names = {name for goal in definition.goals for name in goal.condition.names}
    if isinstance(step, Branch):
        names |= {name for way in step.ways if way.when.condition for name in way.when.condition.names}
    return names


def load_facts(live: list[tuple], *, session: Session) -> ChunkFacts:
    """What the chunk's decisions read, each kind only when a step of the chunk reads it."""
    facts = ChunkFacts()
    names: set[str] = set()
    readers, message_runs, event_runs = set(), set(), set()
    for row, run, definition in live:
        step = definition.step(row.step_id)
        wanted = _names(definition, step)
        if wanted:
            names |= wanted
            readers.add(run.lead_id)
        if isinstance(step, Branch):
            if any(way.when.step for way in step.ways):
                message_runs.add(run.id)
            if any(way.when.happened and not way.when.step for way in step.ways):
                event_runs.add(run.id)
        if isinstance(step, WaitUntil) and step.events:
            event_runs.add(run.id)
    if readers:
        facts.contexts = contexts(sorted(readers), names, session=session)
    if message_runs:
        facts.messages = messages(sorted(message_runs), session=session)
    if event_runs:
        facts.heard = heard(sorted(event_runs), session=session)
    return facts


def contexts(lead_ids: list[int], names: set[str], *, session: Session) -> dict[int, dict]:
    """Each lead's context in the journey scope: the segment scope's, `survey.<key>` included (segments' reader)."""
    from leadflow.segments import contexts as segment_contexts

    leads = list(session.scalars(select(Lead).where(Lead.id.in_(lead_ids))))
    return segment_contexts.lead_contexts(leads, names, session=session)


def messages(run_ids: list[int], *, session: Session) -> dict[int, dict[str, flow.Message]]:
    from leadflow.email import queries as email_queries

    by_run = email_queries.messages_of_runs(run_ids, session=session)
    outcomes = email_queries.outcomes([m for steps in by_run.values() for m in steps.values()], session=session)
    return {run_id: {step: flow.Message.of(outcomes.get(message_id)) for step, message_id in steps.items()
                     if message_id in outcomes} for run_id, steps in by_run.items()}


def heard(run_ids: list[int], *, session: Session) -> dict[int, list[flow.Seen]]:
    found: dict[int, list[flow.Seen]] = defaultdict(list)
    for row in session.execute(select(JourneyEvent.run_id, JourneyEvent.kind, JourneyEvent.at, JourneyEvent.form_id,
                                      JourneyEvent.outcome, JourneyEvent.message_id)
                               .where(JourneyEvent.run_id.in_(run_ids)).order_by(JourneyEvent.id)):
        found[row.run_id].append(flow.Seen(row.kind, clock.as_utc(row.at), row.form_id, row.outcome,
                                           row.message_id))
    return found


# --- the actions ------------------------------------------------------------------------------------------------

def perform(action: str, works: list[Work], *, session: Session, moment: datetime) -> None:
    {"send_email": send_email, "add_to_call_list": add_to_call_list, "set_field": set_field,
     "add_points": add_points, "change_stage": change_stage, "hand_to_sales": hand_to_sales}[action](
        works, session=session, moment=moment)


def message_key(work: Work) -> str:
    return f"journey:{work.run_id}:{work.step_id}:{work.visit}"


def send_email(works: list[Work], *, session: Session, moment: datetime) -> None:
    """One executemany for the chunk's messages, each once by its key (a retried chunk queues nothing twice). A
    step naming an A/B test gives each lead the test's variant for it (email's assignment: the same every time), or
    the hold-out's row, skipped from the start: the run goes on, and a branch on that step sees it not opened."""
    from leadflow.email import service as email_service

    plain, by_experiment = [], defaultdict(list)
    for work in works:
        step = work.step
        assert isinstance(step, SendEmail)
        if step.template_id is None:
            by_experiment[step.experiment_id].append(work)
        else:
            plain.append(work)
    rows = [{"key": message_key(work), "lead_id": work.lead_id, "template_id": work.step.template_id,
             "journey_run_id": work.run_id, "journey_step": work.step_id} for work in plain]
    try:
        email_service.queue_messages(rows, session=session)
        outcome = "queued"
    except DomainError as error:  # the template was deleted since the journey was published
        outcome = f"not sent: {error}"[:300]
    for work in plain:
        work.outcome = outcome
    for experiment_id, group in by_experiment.items():
        rows = [{"key": message_key(work), "lead_id": work.lead_id, "journey_run_id": work.run_id,
                 "journey_step": work.step_id} for work in group]
        try:
            done = email_service.queue_experiment(experiment_id, rows, session=session)
        except DomainError as error:  # a variant's template was deleted since
            for work in group:
                work.outcome = f"not sent: {error}"[:300]
            continue
        for work in group:
            if done is None:
                work.outcome = f"not sent: no experiment {experiment_id}"
            elif done.held(message_key(work)):
                work.outcome = f"held out (A/B test {done.name})"[:300]
            else:
                work.outcome = f"queued: variant {done.variants[message_key(work)]} (A/B test {done.name})"[:300]


def _leads(works: Iterable[Work], *, session: Session) -> dict[int, Lead]:
    ids = sorted({work.lead_id for work in works})
    if not ids:
        return {}
    return {lead.id: lead for lead in session.scalars(select(Lead).where(ids_in(Lead.id, ids)).order_by(Lead.id))}


def _actor(work: Work) -> str:
    return f"journey {work.journey_id}"


def add_to_call_list(works: list[Work], *, session: Session, moment: datetime) -> None:
    """Telemarketing puts the leads on the list in their place (one that cannot be called is not added: why)."""
    from leadflow.people.models import CallList
    from leadflow.telemarketing import service as telemarketing_service

    by_list: dict[int, list[Work]] = defaultdict(list)
    for work in works:
        by_list[work.step.call_list_id].append(work)
    for call_list_id, group in by_list.items():
        call_list = session.get(CallList, call_list_id)
        if call_list is None:
            for work in group:
                work.outcome = f"not added: no call list {call_list_id}"
            continue
        added = telemarketing_service.add_leads(call_list, [w.lead_id for w in group], session=session,
                                                why=f"by the journey {group[0].journey_id}")
        for work in group:
            why_not = added.not_added.get(work.lead_id)
            if why_not:
                work.outcome = f"not added to {call_list.name}: {why_not}"[:300]
                continue
            work.outcome = f"added to {call_list.name}"[:300]
            leads_service.add_activity(session=session, lead_id=work.lead_id, kind="journey", actor=_actor(work),
                                       summary=f"Added to the call list {call_list.name}",
                                       data={"journey_id": work.journey_id, "step": work.step_id})


def _custom_fields(works: Iterable[Work], *, session: Session) -> dict[int, dict]:
    return leads_service.custom_fields_held(sorted({work.lead_id for work in works}), session=session)


def _write_custom(changed: dict[int, dict], activities: list[dict], *, session: Session, moment: datetime) -> None:
    """The leads' custom fields in one statement, their timeline entries in one insert, `lead.updated` for each
    (segments and goals hear it)."""
    if not changed:
        return
    leads_service.write_custom_fields(changed, session=session, moment=moment)
    leads_service.insert_activities(activities, session=session)
    outbox.publish_many(session, [{"topic": events.LEAD_UPDATED, "payload": {
        "lead_id": lead_id, "fields": ["custom_fields"], "actor": "journey"}} for lead_id in changed])


def set_field(works: list[Work], *, session: Session, moment: datetime) -> None:
    """Custom fields in bulk; the lead's own fields through the leads' edit (checked and normalised as a
    person's edit is)."""
    custom = [work for work in works if work.step.field.startswith("custom.")]
    found = _custom_fields(custom, session=session)
    changed: dict[int, dict] = {}
    activities = []
    for work in custom:
        name, value = work.step.field.removeprefix("custom."), work.step.value
        fields = changed.get(work.lead_id, found.get(work.lead_id))
        if fields is None:
            work.outcome = "not set: the lead is gone"
            continue
        work.outcome = f"set {work.step.field}"
        if fields.get(name) == value:
            continue
        changed[work.lead_id] = {**{k: v for k, v in fields.items() if k != name},
                                 **({name: value} if value is not None else {})}
        activities.append({"lead_id": work.lead_id, "kind": "field_changed", "actor": _actor(work),
                           "summary": f"Changed {work.step.field} (journey)",
                           "data": {"changes": [{"field": work.step.field, "old": fields.get(name), "new": value}],
                                    "journey_id": work.journey_id, "step": work.step_id}})
    _write_custom(changed, activities, session=session, moment=moment)
    own = [work for work in works if not work.step.field.startswith("custom.")]
    leads = _leads(own, session=session)
    for work in own:
        lead = leads.get(work.lead_id)
        if lead is None:
            work.outcome = "not set: the lead is gone"
            continue
        value = work.step.value
        try:
            leads_service.edit(session=session, lead=lead, values={work.step.field: None if value is None
                                                                   else str(value)}, actor=_actor(work))
            work.outcome = f"set {work.step.field}"
        except DomainError as error:
            work.outcome = f"not set: {error}"[:300]


def add_points(works: list[Work], *, session: Session, moment: datetime) -> None:
    """A manual adjustment kept with its reason: the points on the lead's timeline and summed in its custom field
    `journey_points` (conditions read it as custom.journey_points)."""
    found = _custom_fields(works, session=session)
    changed: dict[int, dict] = {}
    activities = []
    for work in works:
        fields = changed.get(work.lead_id, found.get(work.lead_id))
        if fields is None:
            work.outcome = "no points: the lead is gone"
            continue
        points, reason = work.step.points, work.step.reason
        total = int(fields.get(POINTS_FIELD) or 0) + points
        changed[work.lead_id] = {**fields, POINTS_FIELD: total}
        activities.append({"lead_id": work.lead_id, "kind": "points_added", "actor": _actor(work),
                           "summary": f"{points:+d} points: {reason}",
                           "data": {"points": points, "reason": reason, "journey_id": work.journey_id,
                                    "step": work.step_id, "total": total}})
        work.outcome = f"{points:+d} points ({reason})"[:300]
    _write_custom(changed, activities, session=session, moment=moment)


def change_stage(works: list[Work], *, session: Session, moment: datetime) -> None:
    from leadflow.qualification import service as qualification_service

    leads = _leads(works, session=session)
    for work in works:
        lead, to = leads.get(work.lead_id), work.step.stage
        if lead is None:
            work.outcome = "not moved: the lead is gone"
            continue
        if lead.stage == to:
            work.outcome = f"already {to}"
            continue
        reason, note = (None, work.step.reason or None)
        if to == "disqualified":
            reason = work.step.reason if work.step.reason in DISQUALIFY_REASONS else "other"
            note = work.step.reason or "by a journey"
        move = check_move(lead.stage, to, reason=reason, note=note)
        if not move.allowed:
            work.outcome = f"not moved from {lead.stage}: {move.problem}"[:300]
            continue
        qualification_service.move_stage(lead, to, reason, note, _actor(work), session=session)
        work.outcome = f"moved to {to}"


def hand_to_sales(works: list[Work], *, session: Session, moment: datetime) -> None:
    """Sales Ready now, as the Sales Ready rule makes a lead (sales_ready_at by a conditional update, SQL when the
    stage machine allows, the timeline, `lead.sales_ready` once): routing hears it and routes the lead."""
    leads = _leads(works, session=session)
    for work in works:
        lead = leads.get(work.lead_id)
        if lead is None:
            work.outcome = "not handed over: the lead is gone"
            continue
        won = session.execute(update(Lead).where(Lead.id == lead.id, Lead.sales_ready_at.is_(None))
                              .values(sales_ready_at=moment).execution_options(synchronize_session=False)).rowcount
        if not won:
            work.outcome = "already Sales Ready"
            continue
        lead.sales_ready_at = moment
        reason = work.step.reason or "handed to sales by a journey"
        if lead.stage in TO_SQL_FROM and check_move(lead.stage, "sql").allowed:
            leads_service.change_stage(session=session, lead=lead, to="sql", reason="sales_ready",
                                       actor=_actor(work), note=reason)
        elif lead.stage not in PAST_SQL:
            work.outcome = f"Sales Ready, left {lead.stage}"
        leads_service.add_activity(session=session, lead_id=lead.id, kind="sales_ready", actor=_actor(work),
                                   summary=f"Sales Ready: {reason}",
                                   data={"journey_id": work.journey_id, "step": work.step_id, "reason": reason})
        base = f"{events.LEAD_SALES_READY}:{lead.id}"
        earlier = session.scalar(select(func.count()).select_from(OutboxMessage)
                                 .where((OutboxMessage.key == base) | OutboxMessage.key.like(base + ":%")))
        publish(session, events.LEAD_SALES_READY,
                {"lead_id": lead.id, "rule_version": None, "score": lead.score, "grade": lead.grade,
                 "band": lead.band, "stage": lead.stage, "sales_ready_at": moment.isoformat(),
                 "explanation": [{"text": reason, "result": True, "seen": {}}]},
                key=base if not earlier else f"{base}:{earlier + 1}")
        work.outcome = work.outcome or "handed to sales"
    session.flush()
