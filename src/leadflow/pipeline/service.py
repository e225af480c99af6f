"""The pipeline's shell: opportunities (create, edit, move, won and lost with their reason, reopen), quotes and their
status, competitors in play, and the managed lists (stages, close reasons, competitors). Each change writes its
timeline entry on the lead and its event, keyed for idempotency, in the caller's transaction; services flush, never
commit."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from leadflow import outbox
from leadflow.clock import now
from leadflow.db import insert_ignore
from leadflow.errors import FieldError, Invalid, NotFound
from leadflow.events import (
    COMPETITOR_NOTED, OPPORTUNITY_CHANGED, OPPORTUNITY_LOST, OPPORTUNITY_WON, QUOTE_CHANGED,
)
from leadflow.leads import service as leads_service
from leadflow.leads.models import Lead
from leadflow.pipeline import domain
from leadflow.pipeline.models import (
    CloseReason, Competitor, CompetitorMention, Opportunity, OpportunityStage, Quote,
)
from leadflow.people import queries as people_queries
from leadflow.people.service import Actor

# Lead stages from which an opportunity's lead passes through SQL on its way to Opportunity (lifecycle MOVES lets
# only SQL move to Opportunity).
VIA_SQL = ("new", "mql", "nurture", "recycled")
EDITABLE = ("name", "value", "currency", "expected_close", "probability", "owner_id")


def _check(values: dict, errors: list[FieldError], *, creating: bool) -> dict:
    """The fields of an opportunity checked by the pure rules: only those given (all required ones when creating)."""
    clean: dict = {}
    if "name" in values or creating:
        name = (values.get("name") or "").strip()
        if not name:
            errors.append(FieldError("name", "a name is required"))
        elif len(name) > 300:
            errors.append(FieldError("name", "at most 300 characters"))
        clean["name"] = name
    if "value" in values or creating:
        amount, problem = domain.parse_money(values.get("value"))
        if problem:
            errors.append(FieldError("value", problem))
        clean["value"] = amount
    if "currency" in values or creating:
        code, problem = domain.check_currency(values.get("currency") or ("EUR" if creating else None))
        if problem:
            errors.append(FieldError("currency", problem))
        clean["currency"] = code
    if "probability" in values:
        number, problem = domain.check_probability(values.get("probability"))
        if problem:
            errors.append(FieldError("probability", problem))
        clean["probability"] = number
    if "expected_close" in values:
        day = values.get("expected_close")
        if isinstance(day, str):
            try:
                day = date.fromisoformat(day) if day.strip() else None
            except ValueError:
                errors.append(FieldError("expected_close", "a date like 2026-03-31"))
                day = None
        if isinstance(day, date) and not domain.FIRST_YEAR <= day.year <= domain.LAST_YEAR:
            errors.append(FieldError("expected_close", f"a year from {domain.FIRST_YEAR} to {domain.LAST_YEAR}"))
            day = None
        clean["expected_close"] = day
    return clean


def _changed(opportunity: Opportunity, actor: str, *, session: Session, **extra) -> None:
    """`opportunity.changed`, keyed by the opportunity, the moment and what changed."""
    moment = now()
    payload = {"opportunity_id": opportunity.id, "lead_id": opportunity.lead_id,
               "company_id": opportunity.company_id, "stage": opportunity.stage, "status": opportunity.status,
               "value": str(opportunity.value), "currency": opportunity.currency, "actor": actor, **extra}
    outbox.publish(session, OPPORTUNITY_CHANGED, payload,
                   key=f"{OPPORTUNITY_CHANGED}:{opportunity.id}:{extra.get('what')}:{opportunity.stage}:"
                       f"{opportunity.status}:{moment.isoformat()}")


def _timeline(opportunity: Opportunity, *, session: Session, kind: str, summary: str, actor: str, data: dict) -> None:
    if opportunity.lead_id is not None:
        leads_service.add_activity(session=session, lead_id=opportunity.lead_id, kind=kind, summary=summary,
                                   actor=actor, data={"opportunity_id": opportunity.id, **data})


def _stage_rows(*, session: Session, active_only: bool = True) -> list[OpportunityStage]:
    query = select(OpportunityStage).order_by(OpportunityStage.position, OpportunityStage.id)
    if active_only:
        query = query.where(OpportunityStage.active.is_(True))
    return list(session.scalars(query))


def _stages(*, session: Session) -> dict[str, domain.StageInfo]:
    return {s.key: domain.StageInfo(s.key, s.probability, s.outcome, s.active)
            for s in _stage_rows(active_only=False, session=session)}


def _reason_keys(*, session: Session) -> dict[str, tuple[str, ...]]:
    found: dict[str, list[str]] = {}
    for kind, key in session.execute(select(CloseReason.kind, CloseReason.key).where(CloseReason.active.is_(True))
                                     .order_by(CloseReason.position, CloseReason.id)):
        found.setdefault(kind, []).append(key)
    return {kind: tuple(keys) for kind, keys in found.items()}


def _lock_lead(lead_id: int, *, session: Session) -> Lead:
    """The lead, locked for the change with leads' one lock (a lead's opportunities, owner and stage change one
    writer at a time), reloaded: what was read before the lock may have changed since. A merged lead is gone."""
    found = leads_service.lock_for_owner([lead_id], session=session)
    if not found:
        raise NotFound("lead", lead_id)
    return found[0]


def _team_of(user_id: int, *, session: Session) -> int | None:
    return people_queries.team_ids_of([user_id], session=session).get(user_id)


def _to_opportunity_stage(lead: Lead, actor: str, *, session: Session) -> None:
    if lead.stage in VIA_SQL:
        leads_service.change_stage(session=session, lead=lead, to="sql", actor=actor)
    if lead.stage == "sql":
        leads_service.change_stage(session=session, lead=lead, to="opportunity", actor=actor)


# --- opportunities --------------------------------------------------------------------------------------------------

def create(*, session: Session, actor: Actor, values: dict, lead: Lead | None = None, company_id: int | None = None,
           owner_id: int | None = None, team_id: int | None = None) -> Opportunity:
    """An opportunity for a lead (or a company). Its owner: the one given, else the lead's owner, else the creator.
    The lead moves to Opportunity (through SQL when it is earlier)."""
    errors: list[FieldError] = []
    clean = _check(values, errors, creating=True)
    if "probability" in values:
        clean["probability"] = clean.get("probability")
    stages = _stages(session=session)
    stage_key = values.get("stage") or next((s.key for s in _stage_rows(session=session) if s.outcome == "open"),
                                             None)
    stage = stages.get(stage_key or "")
    if stage is None or not stage.active or stage.outcome != "open":
        errors.append(FieldError("stage", "must be one of the open stages: "
                                 + ", ".join(k for k, s in stages.items() if s.active and s.outcome == "open")))
    if lead is None and company_id is None:
        errors.append(FieldError("lead_id", "an opportunity belongs to a lead or a company"))
    if errors:
        raise Invalid(errors)
    if lead is not None:
        lead = _lock_lead(lead.id, session=session)
        company_id = company_id or lead.company_id
    owner = owner_id or (lead.owner_id if lead is not None else None) or actor.user_id
    if team_id is None and owner is not None:
        team_id = _team_of(owner, session=session)
    moment = now()
    opportunity = Opportunity(lead_id=lead.id if lead else None, company_id=company_id, stage=stage.key,
                              status="open", owner_id=owner, team_id=team_id, created_by=actor.label,
                              created_at=moment, updated_at=moment, **{k: v for k, v in clean.items()})
    session.add(opportunity)
    session.flush()
    _timeline(opportunity, kind="opportunity", actor=actor.label,
              summary=f"Opportunity “{opportunity.name}” created: {opportunity.value:.2f} {opportunity.currency}",
              data={"what": "created", "stage": opportunity.stage, "value": str(opportunity.value),
                    "currency": opportunity.currency}, session=session)
    _changed(opportunity, actor.label, what="created", session=session)
    if lead is not None:
        _to_opportunity_stage(lead, actor.label, session=session)
    session.flush()
    return opportunity


def lock(opportunity_id: int, *, session: Session) -> Opportunity:
    found = session.scalar(select(Opportunity).where(Opportunity.id == opportunity_id).with_for_update()
                         .execution_options(populate_existing=True))
    if found is None:
        raise NotFound("opportunity", opportunity_id)
    return found


def update_opportunity(opportunity: Opportunity, *, session: Session, actor: Actor, values: dict,
                       team_id: int | None = None) -> Opportunity:
    """Edit the fields given (the rep's probability: a number, or null for the stage's default); a stage among
    them moves it (`move`)."""
    errors: list[FieldError] = []
    clean = _check({k: v for k, v in values.items() if k in EDITABLE}, errors, creating=False)
    if errors:
        raise Invalid(errors)
    changed = {}
    for name, value in clean.items():
        if getattr(opportunity, name) != value:
            changed[name] = [_plain(getattr(opportunity, name)), _plain(value)]
            setattr(opportunity, name, value)
    if "owner_id" in values and values["owner_id"] != opportunity.owner_id:
        changed["owner_id"] = [opportunity.owner_id, values["owner_id"]]
        opportunity.owner_id = values["owner_id"]
        opportunity.team_id = team_id if team_id is not None else _team_of(values["owner_id"], session=session)
    if (values.get("stage") and values["stage"] == opportunity.stage and opportunity.status == "open"
            and not set(values) - {"stage", "reason", "note"}):  # a move and nothing else, to where it is
        raise Invalid.one("stage", f"the opportunity is already at {opportunity.stage}")
    if values.get("stage") and values["stage"] != opportunity.stage:
        move(opportunity, session=session, actor=actor, to=values["stage"], reason=values.get("reason"),
             note=values.get("note"))
    if changed:
        opportunity.updated_at = now()
        words = ", ".join(changed)
        _timeline(opportunity, kind="opportunity", actor=actor.label,
                  summary=f"Opportunity “{opportunity.name}” edited: {words}",
                  data={"what": "edited", "changes": changed}, session=session)
        _changed(opportunity, actor.label, what="edited", changes=changed, session=session)
    session.flush()
    return opportunity


def _plain(value):
    return value if value is None or isinstance(value, int | str) else str(value)


def move(opportunity: Opportunity, *, session: Session, actor: Actor, to: str, reason: str | None = None,
         note: str | None = None) -> Opportunity:
    """Move to another stage: open stages freely; won and lost need a reason of their kind (and convert the lead to
    a customer at won); a closed one must be reopened first."""
    decided = domain.check_stage_move(status=opportunity.status, from_stage=opportunity.stage, to_stage=to,
                                      stages=_stages(session=session), reason=reason,
                                      reasons=_reason_keys(session=session))
    if not decided.allowed:
        raise Invalid.one(decided.field, decided.problem)
    if decided.status == "won":
        return _close(opportunity, session=session, actor=actor, outcome="won", stage=to, reason=reason, note=note)
    if decided.status == "lost":
        return _close(opportunity, session=session, actor=actor, outcome="lost", stage=to, reason=reason, note=note)
    old = opportunity.stage
    opportunity.stage = to
    opportunity.updated_at = now()
    _timeline(opportunity, kind="opportunity", actor=actor.label,
              summary=f"Opportunity “{opportunity.name}” moved {old} → {to}",
              data={"what": "moved", "from": old, "to": to}, session=session)
    _changed(opportunity, actor.label, what="moved", **{"from": old}, session=session)
    session.flush()
    return opportunity


def _stage_of(outcome: str, *, session: Session) -> str:
    found = next((s.key for s in _stage_rows(session=session) if s.outcome == outcome), None)
    if found is None:
        raise Invalid.one("stage", f"no active {outcome} stage is set up")
    return found


def won(opportunity: Opportunity, *, session: Session, actor: Actor, reason: str | None, note: str | None = None
        ) -> Opportunity:
    return move(opportunity, session=session, actor=actor, to=_stage_of("won", session=session), reason=reason,
                note=note)


def lost(opportunity: Opportunity, *, session: Session, actor: Actor, reason: str | None, note: str | None = None
         ) -> Opportunity:
    return move(opportunity, session=session, actor=actor, to=_stage_of("lost", session=session), reason=reason,
                note=note)


def _close(opportunity: Opportunity, *, session: Session, actor: Actor, outcome: str, stage: str,
           reason: str | None, note: str | None) -> Opportunity:
    moment = now()
    note = (note or "").strip()[:5000] or None
    old = opportunity.stage
    opportunity.stage, opportunity.status = stage, outcome
    opportunity.close_reason, opportunity.close_note, opportunity.closed_at = reason, note, moment
    opportunity.updated_at = moment
    label = session.scalar(select(CloseReason.label).where(CloseReason.kind == outcome,
                                                           CloseReason.key == reason)) or reason
    _timeline(opportunity, kind="opportunity_" + outcome, actor=actor.label,
              summary=f"Opportunity “{opportunity.name}” {outcome} ({label})" + (f": {note}" if note else ""),
              data={"what": outcome, "from": old, "reason": reason, "note": note, "value": str(opportunity.value),
                    "currency": opportunity.currency}, session=session)
    topic = OPPORTUNITY_WON if outcome == "won" else OPPORTUNITY_LOST
    outbox.publish(session, topic, {"opportunity_id": opportunity.id, "lead_id": opportunity.lead_id,
                                    "company_id": opportunity.company_id, "reason": reason, "note": note,
                                    "value": str(opportunity.value), "currency": opportunity.currency,
                                    "owner_id": opportunity.owner_id, "actor": actor.label},
                   key=f"{topic}:{opportunity.id}:{moment.isoformat()}")
    if outcome == "won" and opportunity.lead_id is not None:
        lead = _lock_lead(opportunity.lead_id, session=session)
        if lead.stage != "customer":
            _to_opportunity_stage(lead, actor.label, session=session)
            if lead.stage == "opportunity":
                leads_service.change_stage(session=session, lead=lead, to="customer", actor=actor.label,
                                           note=f"won: {opportunity.name}")
    session.flush()
    return opportunity


def reopen(opportunity: Opportunity, *, session: Session, actor: Actor, to: str | None = None) -> Opportunity:
    """A won or lost opportunity back into an open stage (the first open one unless named). The lead keeps its
    stage: a customer stays a customer."""
    if opportunity.status == "open":
        raise Invalid.one("status", "the opportunity is open already")
    stages = _stages(session=session)
    target = to or _stage_of("open", session=session)
    info = stages.get(target)
    if info is None or info.outcome != "open" or not info.active:
        raise Invalid.one("stage", "must be one of the open stages: "
                          + ", ".join(k for k, s in stages.items() if s.active and s.outcome == "open"))
    was = opportunity.status
    opportunity.status, opportunity.stage = "open", target
    opportunity.close_reason = opportunity.close_note = opportunity.closed_at = None
    opportunity.updated_at = now()
    _timeline(opportunity, kind="opportunity", actor=actor.label,
              summary=f"Opportunity “{opportunity.name}” reopened ({was} → {target})",
              data={"what": "reopened", "from": was, "to": target}, session=session)
    _changed(opportunity, actor.label, what="reopened", session=session)
    session.flush()
    return opportunity


# --- quotes ---------------------------------------------------------------------------------------------------------

def _quote_event(quote: Quote, actor: str, what: str, *, session: Session) -> None:
    outbox.publish(session, QUOTE_CHANGED, {
        "quote_id": quote.id, "lead_id": quote.lead_id, "opportunity_id": quote.opportunity_id, "status": quote.status,
        "amount": str(quote.amount), "currency": quote.currency, "what": what, "actor": actor,
        "sent_on": quote.sent_on.isoformat() if quote.sent_on else None,
        "decided_on": quote.decided_on.isoformat() if quote.decided_on else None},
        key=f"{QUOTE_CHANGED}:{quote.id}:{what}")  # a quote's statuses only go forward: each happens once


def create_quote(*, session: Session, actor: Actor, lead: Lead, values: dict) -> Quote:
    errors: list[FieldError] = []
    amount, problem = domain.parse_money(values.get("amount"))
    if problem:
        errors.append(FieldError("amount", problem))
    currency, problem = domain.check_currency(values.get("currency") or "EUR")
    if problem:
        errors.append(FieldError("currency", problem))
    opportunity_id = values.get("opportunity_id")
    if opportunity_id is not None:
        found = session.get(Opportunity, opportunity_id)
        if found is None or found.lead_id != lead.id:
            errors.append(FieldError("opportunity_id", "not an opportunity of this lead"))
    reference = (values.get("reference") or "").strip()[:100] or None
    if errors:
        raise Invalid(errors)
    moment = now()
    quote = Quote(lead_id=lead.id, opportunity_id=opportunity_id, reference=reference, amount=amount,
                  currency=currency, status="draft", note=(values.get("note") or "").strip()[:5000],
                  created_by=actor.label, created_at=moment, updated_at=moment)
    session.add(quote)
    session.flush()
    leads_service.add_activity(session=session, lead_id=lead.id, kind="quote", actor=actor.label,
                               summary=f"Quote {reference or '#' + str(quote.id)}: {amount:.2f} {currency} (draft)",
                               data={"quote_id": quote.id, "what": "created", "amount": str(amount),
                                     "currency": currency})
    _quote_event(quote, actor.label, "created", session=session)
    if values.get("status") and values["status"] != "draft":
        set_quote_status(quote, session=session, actor=actor, status=values["status"],
                         sent_on=values.get("sent_on"), decided_on=values.get("decided_on"))
    session.flush()
    return quote


def lock_quote(quote_id: int, *, session: Session) -> Quote:
    found = session.scalar(select(Quote).where(Quote.id == quote_id).with_for_update()
                         .execution_options(populate_existing=True))
    if found is None:
        raise NotFound("quote", quote_id)
    return found


def set_quote_status(quote: Quote, *, session: Session, actor: Actor, status: str, sent_on: date | None = None,
                     decided_on: date | None = None) -> Quote:
    """draft → sent → accepted, rejected or expired, each with its date (today unless given)."""
    problem = domain.check_quote_move(quote.status, status)
    if problem:
        raise Invalid.one("status", problem)
    today = now().date()
    sent, decided = domain.quote_dates(status, today=today, sent_on=sent_on or quote.sent_on, decided_on=decided_on)
    if decided and sent and decided < sent:
        raise Invalid.one("decided_on", "cannot be before the day it was sent")
    old = quote.status
    quote.status, quote.sent_on, quote.decided_on, quote.updated_at = status, sent, decided, now()
    leads_service.add_activity(session=session, lead_id=quote.lead_id, kind="quote", actor=actor.label,
                               summary=f"Quote {quote.reference or '#' + str(quote.id)} {old} → {status}: "
                                       f"{quote.amount:.2f} {quote.currency}",
                               data={"quote_id": quote.id, "what": status, "from": old})
    _quote_event(quote, actor.label, status, session=session)
    session.flush()
    return quote


# --- competitors ----------------------------------------------------------------------------------------------------

def competitor_named(name: str, *, session: Session) -> Competitor:
    """The competitor of this name (folded), created when new: INSERT ... ON CONFLICT DO NOTHING, then read, so two
    clients adding the same new name at once make one."""
    clean = " ".join((name or "").split())[:200]
    key = domain.folded_name(clean)
    if not key:
        raise Invalid.one("name", "a competitor's name is required")
    session.execute(insert_ignore(session.get_bind(), Competitor,
                                  {"name": clean, "name_key": key, "active": True, "created_at": now()},
                                  ["name_key"]))
    return session.scalar(select(Competitor).where(Competitor.name_key == key))


def note_competitor(*, session: Session, actor: Actor, lead: Lead, name: str | None = None,
                    competitor_id: int | None = None, opportunity_id: int | None = None,
                    note: str | None = None) -> tuple[CompetitorMention, Competitor]:
    if competitor_id is not None:
        competitor = session.get(Competitor, competitor_id)
        if competitor is None:
            raise Invalid.one("competitor_id", "no such competitor")
    else:
        competitor = competitor_named(name or "", session=session)
    if opportunity_id is not None:
        found = session.get(Opportunity, opportunity_id)
        if found is None or found.lead_id != lead.id:
            raise Invalid.one("opportunity_id", "not an opportunity of this lead")
    mention = CompetitorMention(lead_id=lead.id, competitor_id=competitor.id, opportunity_id=opportunity_id,
                                note=(note or "").strip()[:2000], actor=actor.label, created_at=now())
    session.add(mention)
    session.flush()
    leads_service.add_activity(session=session, lead_id=lead.id, kind="competitor", actor=actor.label,
                               summary=f"Competitor in play: {competitor.name}" + (f" ({mention.note})"
                                                                                   if mention.note else ""),
                               data={"competitor_id": competitor.id, "mention_id": mention.id,
                                     "opportunity_id": opportunity_id})
    outbox.publish(session, COMPETITOR_NOTED, {"mention_id": mention.id, "lead_id": lead.id,
                                               "competitor_id": competitor.id, "competitor": competitor.name,
                                               "opportunity_id": opportunity_id, "actor": actor.label},
                   key=f"{COMPETITOR_NOTED}:{mention.id}")
    return mention, competitor


def set_competitor(competitor_id: int, *, session: Session, name: str | None = None,
                   active: bool | None = None) -> Competitor:
    competitor = session.get(Competitor, competitor_id)
    if competitor is None:
        raise NotFound("competitor", competitor_id)
    if name is not None:
        clean = " ".join(name.split())[:200]
        key = domain.folded_name(clean)
        if not key:
            raise Invalid.one("name", "a competitor's name is required")
        other = session.scalar(select(Competitor.id).where(Competitor.name_key == key, Competitor.id != competitor.id))
        if other is not None:
            raise Invalid.one("name", "another competitor has this name")
        competitor.name, competitor.name_key = clean, key
    if active is not None:
        competitor.active = active
    try:
        with session.begin_nested():  # a name another client took since the check above: a clear answer, no retry
            session.flush()
    except IntegrityError:
        raise Invalid.one("name", "another competitor has this name") from None
    return competitor


# --- the managed lists ----------------------------------------------------------------------------------------------

def add_stage(*, session: Session, label: str, probability: object, key: str | None = None) -> OpportunityStage:
    """A new open stage, placed before won and lost."""
    errors: list[FieldError] = []
    label = (label or "").strip()[:100]
    if not label:
        errors.append(FieldError("label", "a label is required"))
    key = key or domain.key_of(label)
    problem = domain.check_key(key)
    if problem:
        errors.append(FieldError("key", problem))
    number, problem = domain.check_probability(probability)
    if problem or number is None:
        errors.append(FieldError("probability", problem or "a whole number from 0 to 100"))
    if not errors and session.scalar(select(OpportunityStage.id).where(OpportunityStage.key == key)) is not None:
        errors.append(FieldError("key", f"a stage {key} exists already"))
    if errors:
        raise Invalid(errors)
    last_open = session.scalar(select(func.max(OpportunityStage.position)).where(OpportunityStage.outcome == "open"))
    position = (last_open or 0) + 1
    session.execute(update(OpportunityStage).where(OpportunityStage.position >= position)
                    .values(position=OpportunityStage.position + 1))
    stage = OpportunityStage(key=key, label=label, probability=number, position=position, outcome="open",
                             active=True)
    session.add(stage)
    session.flush()
    return stage


def edit_stage(key: str, *, session: Session, label: str | None = None, probability: object = None,
               active: bool | None = None) -> OpportunityStage:
    """Rename, set the default probability, or stop using an open stage (won is always 100 and lost 0; an
    opportunity at a stage no longer used keeps it until moved)."""
    stage = session.scalar(select(OpportunityStage).where(OpportunityStage.key == key).with_for_update()
                         .execution_options(populate_existing=True))
    if stage is None:
        raise NotFound("stage", key)
    if label is not None:
        if not label.strip():
            raise Invalid.one("label", "a label is required")
        stage.label = label.strip()[:100]
    if probability is not None and probability != "":
        number, problem = domain.check_probability(probability)
        if problem:
            raise Invalid.one("probability", problem)
        if stage.outcome != "open" and number != stage.probability:
            raise Invalid.one("probability", f"a {stage.outcome} stage's probability is {stage.probability}")
        stage.probability = number
    if active is not None:
        if stage.outcome != "open" and not active:
            raise Invalid.one("active", "the won and lost stages are always used")
        if not active and sum(1 for s in _stage_rows(session=session) if s.outcome == "open") <= 1:
            raise Invalid.one("active", "keep at least one open stage")
        stage.active = active
    session.flush()
    return stage


def reorder_stages(keys: list[str], *, session: Session) -> None:
    """The open stages in this order (every open stage named once); won and lost stay last."""
    rows = list(session.scalars(select(OpportunityStage).order_by(OpportunityStage.position).with_for_update()
                         .execution_options(populate_existing=True)))
    open_keys = {s.key for s in rows if s.outcome == "open"}
    if set(keys) != open_keys or len(keys) != len(open_keys):
        raise Invalid.one("keys", "name every open stage once: " + ", ".join(sorted(open_keys)))
    by_key = {s.key: s for s in rows}
    for index, key in enumerate(keys, start=1):
        by_key[key].position = index
    for offset, stage in enumerate((s for s in rows if s.outcome != "open"), start=len(keys) + 1):
        stage.position = offset
    session.flush()


def add_reason(*, session: Session, kind: str, label: str, key: str | None = None) -> CloseReason:
    errors: list[FieldError] = []
    if kind not in ("won", "lost", "recycle"):
        errors.append(FieldError("kind", "must be one of won, lost, recycle"))
    label = (label or "").strip()[:200]
    if not label:
        errors.append(FieldError("label", "a label is required"))
    key = key or domain.key_of(label)
    problem = domain.check_key(key)
    if problem:
        errors.append(FieldError("key", problem))
    if errors:
        raise Invalid(errors)
    session.execute(insert_ignore(session.get_bind(), CloseReason,
                                  {"kind": kind, "key": key, "label": label, "active": True,
                                   "position": (session.scalar(select(func.max(CloseReason.position))
                                                               .where(CloseReason.kind == kind)) or 0) + 1},
                                  ["kind", "key"]))
    reason = session.scalar(select(CloseReason).where(CloseReason.kind == kind, CloseReason.key == key))
    if reason.label != label or not reason.active:
        reason.label, reason.active = label, True
    session.flush()
    return reason


def edit_reason(reason_id: int, *, session: Session, label: str | None = None, active: bool | None = None
                ) -> CloseReason:
    reason = session.get(CloseReason, reason_id)
    if reason is None:
        raise NotFound("close reason", reason_id)
    if label is not None:
        if not label.strip():
            raise Invalid.one("label", "a label is required")
        reason.label = label.strip()[:200]
    if active is not None:
        reason.active = active
    session.flush()
    return reason
