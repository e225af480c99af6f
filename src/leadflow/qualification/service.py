"""Qualification: BANT answers with who gave them, stage moves, and the Sales Ready rule applied to leads (a lead
that becomes Sales Ready moves to SQL and publishes `lead.sales_ready` once)."""

from __future__ import annotations

import uuid
from functools import lru_cache

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from leadflow.clock import now
from leadflow.errors import FieldError, Invalid
from leadflow.events import LEAD_SALES_READY, SALES_READY_CHECK
from leadflow.leads import service as leads_service
from leadflow.leads.domain import company_facts
from leadflow.leads.export import ExportColumns
from leadflow.leads.lifecycle import PAST_SQL, check_move
from leadflow.leads.models import Company, Lead, StageChange
from leadflow.outbox import OutboxMessage, publish, publish_once
from leadflow.qualification import bant, salesready
from leadflow.qualification.models import BantAnswer, SalesReadyRule
from leadflow.scoring.predict import service as predict_service
from leadflow.scoring import service as scoring_service
from leadflow.scoring.models import LeadScore
from leadflow.settings import get_settings

CHUNK = 500
CHECK_CHUNK = 1000  # open leads per step of a check run (one transaction each)
LEAD_CONTEXT_FIELDS = ("email", "first_name", "last_name", "job_title", "company", "country", "city", "region",
                       "language", "channel", "phone", "mobile", "do_not_contact", "owner_id")
# Stages a matching lead moves to SQL from; leads past SQL only get their sales_ready_at; disqualified leads are not
# evaluated (recycle them first).
TO_SQL_FROM = ("new", "mql", "nurture", "recycled")


# --- BANT ---------------------------------------------------------------------------------------------------------

def bant_values(lead_ids: list[int], *, session: Session) -> dict[int, dict[str, str | None]]:
    """The current answer per criterion (the newest row) for each lead; criteria never answered are absent."""
    found: dict[int, dict[str, str | None]] = {}
    ids = sorted(set(lead_ids))
    for start in range(0, len(ids), CHUNK):
        rows = session.execute(
            select(BantAnswer.lead_id, BantAnswer.criterion, BantAnswer.value)
            .where(BantAnswer.lead_id.in_(ids[start:start + CHUNK]))
            .order_by(BantAnswer.lead_id, BantAnswer.set_at, BantAnswer.id))
        for lead_id, criterion, value in rows:
            found.setdefault(lead_id, {})[criterion] = value
    return found


def bant_current(lead_id: int, *, session: Session) -> dict[str, BantAnswer | None]:
    """Each criterion's newest answer row (value, source, actor, set_at), None when never answered."""
    current: dict[str, BantAnswer | None] = dict.fromkeys(bant.CRITERIA)
    for answer in session.scalars(select(BantAnswer).where(BantAnswer.lead_id == lead_id)
                                  .order_by(BantAnswer.set_at, BantAnswer.id)):
        current[answer.criterion] = answer
    return current


def bant_history(lead_id: int, *, session: Session, limit: int = 200) -> list[BantAnswer]:
    return list(session.scalars(select(BantAnswer).where(BantAnswer.lead_id == lead_id)
                                .order_by(BantAnswer.set_at.desc(), BantAnswer.id.desc()).limit(limit)))


def set_bant(lead_id: int, answers: dict, source: str, actor: str, *, session: Session, withdraw: bool = True,
             lenient: bool = False) -> dict[str, str | None]:
    """Record the answers that change something (history kept), rescore fit and apply the Sales Ready rule.

    `withdraw=False` (answers from forms and imports): an empty or unknown answer never erases a known one.
    `lenient=True` (intake): an answer that cannot be read is left out (it stays in the custom fields), never
    refused.
    """
    if source not in bant.SOURCES:
        raise Invalid.one("source", f"must be one of {', '.join(bant.SOURCES)}")
    unknown = [c for c in answers if c not in bant.CRITERIA]
    if unknown:
        raise Invalid([FieldError(c, f"not a BANT criterion; one of {', '.join(bant.CRITERIA)}") for c in unknown])
    values, errors = bant.normalize_all(answers, today=now().date())
    if errors and not lenient:
        raise Invalid([FieldError(c, reason) for c, reason in errors.items()])
    current = bant_values([lead_id], session=session).get(lead_id, {})
    changed = {c: v for c, v in values.items()
               if current.get(c) != v and (withdraw or v is not None)}
    if not changed:
        return current
    updated = _record_changes(lead_id, current, changed, source, actor, now(), session=session)
    session.flush()
    scoring_service.rescore_fit([lead_id],
                                session=session, bant={lead_id: {c: v for c, v in updated.items() if v is not None}})
    evaluate({lead_id}, session=session, actor=actor)
    return updated


def export_columns() -> ExportColumns:
    """The current BANT answers as columns of the lead export (bant_budget, bant_authority, bant_need,
    bant_timeline), in their stored form ("10k-50k", "decision_maker", "3m")."""

    def read(session: Session, lead_ids: list[int]) -> dict[int, tuple]:
        return {lead_id: tuple(answers.get(c) or "" for c in bant.CRITERIA)
                for lead_id, answers in bant_values(lead_ids, session=session).items()}

    return ExportColumns(tuple(f"bant_{c}" for c in bant.CRITERIA), read)


def record_captured(lead_id: int, custom_fields: dict, *, session: Session, capture_id: int | None) -> None:
    """BANT answers that came in on a form, survey or API capture (as custom fields), recorded as the lead's own."""
    answers = bant.answers_in(custom_fields)
    if answers:
        set_bant(lead_id, answers, "lead", f"capture:{capture_id}" if capture_id else "lead",
                 session=session, withdraw=False, lenient=True)


def record_captured_many(items: list[tuple[int, dict, int | None]], *, session: Session) -> list[int]:
    """`record_captured` for an import chunk's (lead_id, custom_fields, capture_id): the same answers, history and
    activities, written with one statement per table; the leads' current answers read in one, fit rescored and the
    Sales Ready rule applied once for the chunk, not once per row. A lead twice in the chunk takes its rows' answers
    in order. Returns the ids whose answers changed."""
    today, moment = now().date(), now()
    given = []
    for lead_id, custom_fields, capture_id in items:
        answers = bant.answers_in(custom_fields)
        if answers:
            values, _ = bant.normalize_all(answers, today=today)  # lenient: an unreadable answer is left out
            given.append((lead_id, values, f"capture:{capture_id}" if capture_id else "lead"))
    if not given:
        return []
    known = bant_values(sorted({lead_id for lead_id, _, _ in given}), session=session)
    updated: dict[int, dict[str, str | None]] = {}
    answer_rows, activities = [], []
    for lead_id, values, actor in given:
        current = updated.get(lead_id, known.get(lead_id, {}))
        changed = {c: v for c, v in values.items() if v is not None and current.get(c) != v}
        if not changed:
            continue
        answer_rows.extend({"lead_id": lead_id, "criterion": c, "value": v, "source": "lead", "actor": actor[:200],
                            "set_at": moment} for c, v in changed.items())
        activities.append({"lead_id": lead_id, "kind": "bant_changed", "actor": actor,
                           **_change_summary(current, changed, "lead")})
        updated[lead_id] = {**current, **changed}
    if not updated:
        return []
    session.execute(insert(BantAnswer.__table__), answer_rows)
    leads_service.insert_activities(activities, session=session)
    scoring_service.rescore_fit(list(updated), session=session,
                                bant={i: {c: v for c, v in answers.items() if v is not None}
                                      for i, answers in updated.items()})
    evaluate(set(updated), session=session, actor="import")
    return list(updated)


def _change_summary(current: dict, changed: dict, source: str) -> dict:
    """The `bant_changed` activity's summary and data."""
    return {"summary": "BANT: " + ", ".join(f"{c} {bant.label(c, v)}" for c, v in changed.items()),
            "data": {"source": source, "changes": [{"criterion": c, "old": current.get(c), "new": v}
                                                   for c, v in changed.items()]}}


def _record_changes(lead_id: int, current: dict, changed: dict, source: str, actor: str, moment, *,
                    session: Session) -> dict[str, str | None]:
    """The changed answers as history rows and one `bant_changed` activity; the answers as they are now."""
    for criterion, value in changed.items():
        session.add(BantAnswer(lead_id=lead_id, criterion=criterion, value=value, source=source, actor=actor[:200],
                               set_at=moment))
    leads_service.add_activity(session=session, lead_id=lead_id, kind="bant_changed", actor=actor,
                               **_change_summary(current, changed, source))
    return {**current, **changed}


def fields_changed(lead_ids: list[int] | set[int], *, session: Session, actor: str = "system") -> list[int]:
    """Leads' declared fields changed (an edit): rescore their fit and grade, then apply the Sales Ready rule.
    Returns the ids that became Sales Ready."""
    scoring_service.rescore_fit(lead_ids, session=session)
    return evaluate(set(lead_ids), session=session, actor=actor)


# --- stages -------------------------------------------------------------------------------------------------------

def move_stage(lead: Lead, to: str, reason: str | None = None, note: str | None = None,
               actor: str = "system", *, session: Session) -> StageChange:
    """A person's move through the stage machine; disqualifying needs a reason (and 'other' a note)."""
    return leads_service.change_stage(session=session, lead=lead, to=to, reason=reason or None,
                                      note=(note or "").strip() or None, actor=actor)


def stage_history(lead_id: int, *, session: Session, limit: int = 200) -> list[StageChange]:
    return list(session.scalars(select(StageChange).where(StageChange.lead_id == lead_id)
                                .order_by(StageChange.changed_at.desc(), StageChange.id.desc()).limit(limit)))


# --- the Sales Ready rule -----------------------------------------------------------------------------------------

@lru_cache(maxsize=32)
def _parsed(expression: str) -> salesready.Rule:
    return salesready.parse(expression)


def current_rule(*, session: Session) -> SalesReadyRule:
    """The rule in force: the newest version, or the shipped default (version 0, not stored) before any save."""
    rule = session.scalar(select(SalesReadyRule).order_by(SalesReadyRule.version.desc()).limit(1))
    if rule is None:
        return SalesReadyRule(version=0, expression=salesready.DEFAULT_RULE, note="The default shipped rule",
                              created_by="system", created_at=None)
    return rule


def rule_versions(*, session: Session, limit: int = 50) -> list[SalesReadyRule]:
    return list(session.scalars(select(SalesReadyRule).order_by(SalesReadyRule.version.desc()).limit(limit)))


def check_expression(expression: str) -> salesready.Rule:
    """The parsed rule, or Invalid on 'expression' with the position of the problem."""
    try:
        return salesready.parse(expression)
    except salesready.RuleError as error:
        raise Invalid.one("expression", f"{error.message} (at column {error.position + 1})") from None


def save_rule(*, session: Session, expression: str, note: str | None, actor: str) -> SalesReadyRule:
    """A new version of the rule (validated); the worker then applies it to every open lead (`queue_check`)."""
    expression = (expression or "").strip()
    check_expression(expression)
    last = session.scalar(select(func.max(SalesReadyRule.version))) or 0
    rule = SalesReadyRule(version=last + 1, expression=expression, note=(note or "").strip()[:1000] or None,
                          created_by=actor[:200], created_at=now())
    session.add(rule)
    session.flush()
    queue_check(session=session, reason=f"Sales Ready rule v{rule.version} saved")
    return rule


def queue_check(*, session: Session, reason: str) -> None:
    """Apply the rule in force to every open lead, in the worker, a chunk per transaction: a lead that matches now
    does not wait for an unrelated event. The run's cursor is its next message (`check_step`)."""
    run = uuid.uuid4().hex[:16]
    publish(session, SALES_READY_CHECK, {"run": run, "after": 0, "reason": reason[:200]},
            key=f"{SALES_READY_CHECK}:{run}:0")


def check_step(*, session: Session, run: str, after: int, reason: str) -> list[int]:
    """One step of a check run: the rule applied to the next open leads after the id `after` (not yet Sales Ready,
    not merged away, not disqualified), and the next step queued in the same transaction (once, by its key, so a
    retried step queues nothing twice). Returns the ids that became Sales Ready."""
    ids = list(session.scalars(
        select(Lead.id).where(Lead.id > after, Lead.sales_ready_at.is_(None), Lead.merged_into_id.is_(None),
                              Lead.stage != "disqualified").order_by(Lead.id).limit(CHECK_CHUNK)))
    if not ids:
        return []
    ready = evaluate(ids, session=session)
    publish_once(session, SALES_READY_CHECK, {"run": run, "after": ids[-1], "reason": reason},
                 key=f"{SALES_READY_CHECK}:{run}:{ids[-1]}")
    return ready


def contexts(leads: list, rule: salesready.Rule, *, session: Session) -> dict[int, dict]:
    """What the rule sees of each lead (Lead objects or rows of the same names): only what its names need is read
    (BANT, fit, company)."""
    ids = [lead.id for lead in leads]
    names = set(rule.names)
    answers = bant_values(ids, session=session) if any(n.startswith("bant.") for n in names) else {}
    fits = dict(session.execute(select(LeadScore.lead_id, LeadScore.fit).where(LeadScore.lead_id.in_(ids)))) \
        if "fit" in names and ids else {}
    # A model below the quality bar predicts no better than a guess: the rule sees its probability as unknown.
    guessing = "predicted_probability" in names and not predict_service.active_quality(
        session=session, min_auc=get_settings().predict_min_auc).usable
    companies = {}
    if any(n.startswith("company.") or n in _FROM_COMPANY for n in names):
        company_ids = {lead.company_id for lead in leads if lead.company_id}
        companies = {c.id: c for c in session.scalars(select(Company).where(Company.id.in_(company_ids)))}
    found = {}
    for lead in leads:
        found[lead.id] = context_of(lead, answers.get(lead.id, {}), fit=fits.get(lead.id),
                                    company=companies.get(lead.company_id))
        if guessing:
            found[lead.id]["predicted_probability"] = None
    return found


def context_of(lead: Lead, answers: dict, *, fit: int | None = None, company: Company | None = None) -> dict:
    context = {"score": lead.score, "grade": lead.grade, "band": lead.band, "stage": lead.stage, "fit": fit,
               "predicted_probability": lead.predicted_probability, "bant.known": bant.known_count(answers)}
    for criterion in bant.CRITERIA:
        context[f"bant.{criterion}"] = answers.get(criterion)
    for name in LEAD_CONTEXT_FIELDS:
        context[name] = getattr(lead, name)
    for key, value in (lead.custom_fields or {}).items():
        context[f"custom.{key}"] = value
    for key, value in (lead.interests or {}).items():
        context[f"interests.{key}"] = value
    # The fields every condition reads alike (docs/conditions.md): the lead's own value first, else its company's.
    record = {"industry": company.industry, "employees": company.employees, "revenue": company.revenue} \
        if company is not None else None
    for name, fact in company_facts(lead.custom_fields, record).items():
        context[name] = fact[0] if fact else None
    email = lead.email
    context["email_domain"] = email.rsplit("@", 1)[1] if email and "@" in email else None
    if company is not None:
        context["company"] = lead.company or company.name
        context["country"] = lead.country or company.country
        context.update({"company.employees": company.employees, "company.revenue": company.revenue,
                        "company.industry": company.industry, "company.name": company.name,
                        "company.country": company.country})
    return context


# Names whose value may come from the lead's company record.
_FROM_COMPANY = frozenset({"company", "country", "industry", "employees", "revenue"})


def explain(lead: Lead, *, session: Session) -> salesready.Outcome:
    rule = _parsed(current_rule(session=session).expression)
    return salesready.evaluate(rule, contexts([lead], rule, session=session)[lead.id])


def evaluate(lead_ids: set[int] | list[int], *, session: Session, actor: str = "system") -> list[int]:
    """Apply the Sales Ready rule to these leads; return the ids that became Sales Ready now.

    A lead becomes Sales Ready once: it gets sales_ready_at (set by a conditional UPDATE, so two transactions
    cannot both win), moves to SQL when the stage machine allows from its stage, and `lead.sales_ready` goes to
    the outbox with the key `lead.sales_ready:{id}` (a recycled lead that becomes ready again gets `:{n}`). Later
    events change nothing; a lead that drops below the rule keeps its stage.
    """
    ids = sorted(set(lead_ids))
    if not ids:
        return []
    in_force = current_rule(session=session)
    rule = _parsed(in_force.expression)
    ready: list[int] = []
    for start in range(0, len(ids), CHUNK):
        # Only what the rule reads, as plain rows in one query (leads already Sales Ready are left out here);
        # the full Lead is loaded only for a lead that matches.
        rows = session.execute(
            select(*_CONTEXT_COLUMNS).where(Lead.id.in_(ids[start:start + CHUNK]), Lead.sales_ready_at.is_(None),
                                            Lead.merged_into_id.is_(None), Lead.stage != "disqualified")
            .order_by(Lead.id)).all()
        if not rows:
            continue
        seen = contexts(rows, rule, session=session)
        for row in rows:
            outcome = salesready.evaluate(rule, seen[row.id])
            if outcome.matched and _make_ready(session.get(Lead, row.id), outcome, in_force.version, actor,
                                               session=session):
                ready.append(row.id)
    return ready


# What context_of reads of a lead, by the same names (a row of these works like the Lead itself).
_CONTEXT_COLUMNS = tuple(getattr(Lead, name) for name in (
    "id", "company_id", "score", "grade", "band", "stage", "predicted_probability", "custom_fields", "interests",
    *LEAD_CONTEXT_FIELDS))


def _make_ready(lead: Lead, outcome: salesready.Outcome, version: int, actor: str, *, session: Session) -> bool:
    moment = now()
    won = session.execute(update(Lead).where(Lead.id == lead.id, Lead.sales_ready_at.is_(None))
                          .values(sales_ready_at=moment).execution_options(synchronize_session=False)).rowcount
    if not won:
        session.refresh(lead)
        return False
    lead.sales_ready_at = moment
    session.flush()
    explanation = outcome.as_dict()["parts"]
    if lead.stage in TO_SQL_FROM and check_move(lead.stage, "sql").allowed:
        leads_service.change_stage(session=session, lead=lead, to="sql", reason="sales_ready", actor=actor,
                                   note=f"Sales Ready rule v{version}")
    elif lead.stage not in PAST_SQL:
        return False
    leads_service.add_activity(
        session=session, lead_id=lead.id, kind="sales_ready", actor=actor,
        summary=f"Sales Ready (rule v{version}): " + "; ".join(p["text"] for p in explanation if p["result"]),
        data={"rule_version": version, "parts": explanation})
    base = f"{LEAD_SALES_READY}:{lead.id}"
    earlier = session.scalar(select(func.count()).select_from(OutboxMessage)
                             .where((OutboxMessage.key == base) | OutboxMessage.key.like(base + ":%")))
    publish(session, LEAD_SALES_READY,
            {"lead_id": lead.id, "rule_version": version, "score": lead.score, "grade": lead.grade,
             "band": lead.band, "stage": lead.stage, "sales_ready_at": moment.isoformat(),
             "explanation": explanation},
            key=base if not earlier else f"{base}:{earlier + 1}")
    session.flush()
    return True


def preview(leads_query, expression: str, *, session: Session, sample: int = 10, limit: int = 20000) -> dict:
    """How many leads (of those the query yields: the caller's visible ones) the rule matches now, with a sample;
    nothing is saved or moved. At most `limit` leads are looked at (the answer says when it stopped there)."""
    rule = check_expression(expression)
    matched, looked, examples = 0, 0, []
    last_id = 0
    while looked < limit:
        leads = list(session.scalars(leads_query.where(Lead.id > last_id).order_by(Lead.id)
                                     .limit(min(CHUNK, limit - looked))))
        if not leads:
            break
        last_id = leads[-1].id
        looked += len(leads)
        seen = contexts(leads, rule, session=session)
        for lead in leads:
            if salesready.evaluate(rule, seen[lead.id]).matched:
                matched += 1
                if len(examples) < sample:
                    examples.append(lead)
    return {"matched": matched, "looked_at": looked, "complete": looked < limit, "sample": examples}
