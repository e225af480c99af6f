"""The rule set's life: the shipped defaults, drafts saved and edited, a version activated (and every lead queued
for a rescore), the versions listed, JSON and YAML text in and out, the rescore runs."""

from __future__ import annotations

import json
from datetime import timedelta
from importlib import resources
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from leadflow import clock, outbox
from leadflow.errors import Invalid, NotFound
from leadflow.events import SCORING_REFRESH, SCORING_RESCORE
from leadflow.leads.models import Lead
from leadflow.scoring import bulk, rules
from leadflow.scoring.models import RuleSet, ScoringRun


def default_definition() -> dict:
    return json.loads(resources.files("leadflow.scoring").joinpath("defaults.json").read_text("utf-8"))


def compile_definition(definition: dict) -> rules.RuleSet:
    return rules.parse(definition)


def active_rule_set(*, session: Session) -> tuple[int, rules.RuleSet]:
    """The active rule set's id and compiled rules (compiled once per version per process); the shipped defaults
    become version 1 on first use."""
    row = session.execute(
        select(RuleSet.id, RuleSet.version, RuleSet.activated_at).where(RuleSet.status == "active")
        .order_by(RuleSet.version.desc()).limit(1)).first()
    if row is None:
        return _install_defaults(session=session)
    key = (str(session.get_bind().engine.url), row.id, row.version, row.activated_at)
    return row.id, bulk.compiled_once(key, lambda: session.scalar(
        select(RuleSet.definition).where(RuleSet.id == row.id)))


def _install_defaults(*, session: Session) -> tuple[int, rules.RuleSet]:
    definition = default_definition()
    compiled = rules.parse(definition)
    version = (session.scalar(select(func.max(RuleSet.version))) or 0) + 1
    try:
        with session.begin_nested():
            row = RuleSet(version=version, name=definition.get("name", "leadflow default"), status="active",
                          definition=definition, created_by="system", activated_at=clock.now(),
                          notes="The rule set leadflow ships with.")
            session.add(row)
            session.flush()
    except IntegrityError:  # another transaction installed it first
        return active_rule_set(session=session)
    schedule_refresh(session=session)
    return row.id, compiled


def schedule_refresh(*, session: Session) -> None:
    """The next nightly decay refresh (03:00 UTC), once per night whoever asks (outbox key by date)."""
    moment = clock.now()
    due = moment.replace(hour=3, minute=0, second=0, microsecond=0)
    if due <= moment:
        due += timedelta(days=1)
    key = f"{SCORING_REFRESH}:{due.date().isoformat()}"
    if session.scalar(select(outbox.OutboxMessage.id).where(outbox.OutboxMessage.key == key)) is None:
        outbox.publish(session, SCORING_REFRESH, {}, key=key, available_at=due)


def get_rule_set(rule_set_id: int, *, session: Session) -> RuleSet:
    row = session.get(RuleSet, rule_set_id)
    if row is None:
        raise NotFound("rule set", rule_set_id)
    return row


def list_rule_sets(*, session: Session) -> list[RuleSet]:
    active_rule_set(session=session)
    return list(session.scalars(select(RuleSet).order_by(RuleSet.version.desc())))


def create_draft(definition: Any, *, session: Session, actor: str, notes: str | None = None) -> RuleSet:
    """A new draft version (validated: Invalid carries every problem with its path)."""
    compiled = rules.parse(definition)
    active_rule_set(session=session)
    version = (session.scalar(select(func.max(RuleSet.version))) or 0) + 1
    row = RuleSet(version=version, name=compiled.name, status="draft", definition=definition, notes=notes,
                  created_by=actor)
    session.add(row)
    session.flush()
    return row


def update_draft(rule_set_id: int, definition: Any, *, session: Session, notes: str | None = None) -> RuleSet:
    row = get_rule_set(rule_set_id, session=session)
    if row.status != "draft":
        raise Invalid.one("status", "only a draft can be edited; save it as a new draft instead")
    compiled = rules.parse(definition)
    row.definition, row.name = definition, compiled.name
    if notes is not None:
        row.notes = notes
    session.flush()
    return row


def activate(rule_set_id: int, *, session: Session, actor: str) -> ScoringRun:
    """Make a version the active one (the previous one is retired) and queue the rescore of every lead."""
    row = get_rule_set(rule_set_id, session=session)
    rules.parse(row.definition)
    if row.status == "active":
        raise Invalid.one("status", "this rule set is already active")
    moment = clock.now()
    session.execute(update(RuleSet).where(RuleSet.status == "active", RuleSet.id != row.id)
                    .values(status="retired"))
    row.status, row.activated_at = "active", moment
    run = ScoringRun(kind="rescore", rule_set_id=row.id, status="queued", created_by=actor,
                     total=session.scalar(select(func.count()).select_from(Lead).where(Lead.merged_into_id.is_(None)))
                     or 0, done=0, last_lead_id=0, result={})
    session.add(run)
    session.flush()
    outbox.publish(session, SCORING_RESCORE, {"run_id": run.id}, key=f"{SCORING_RESCORE}:{run.id}")
    return run


def parse_text(body: str, fmt: str | None = None) -> Any:
    """A definition from JSON or YAML text (yaml.safe_load only); Invalid with the line where it fails."""
    import yaml

    body = body or ""
    if fmt == "json" or (fmt is None and body.lstrip().startswith("{")):
        try:
            return json.loads(body)
        except json.JSONDecodeError as exc:
            raise Invalid.one(f"line {exc.lineno}", f"not valid JSON: {exc.msg} (column {exc.colno})") from None
        except RecursionError:
            raise Invalid.one("definition", "is nested too deeply") from None
    try:
        return yaml.safe_load(body)
    except RecursionError:
        raise Invalid.one("definition", "is nested too deeply") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else "definition"
        reason = getattr(exc, "problem", None) or str(exc)
        raise Invalid.one(where, f"not valid YAML: {reason}") from None


def export_text(definition: dict, fmt: str = "json") -> str:
    if fmt == "yaml":
        import yaml

        return yaml.safe_dump(definition, sort_keys=False, allow_unicode=True, width=120)
    return json.dumps(definition, indent=2, ensure_ascii=False) + "\n"


def get_run(run_id: int, *, session: Session) -> ScoringRun:
    run = session.get(ScoringRun, run_id)
    if run is None:
        raise NotFound("scoring run", run_id)
    return run


def latest_run(*, session: Session) -> ScoringRun | None:
    return session.scalar(select(ScoringRun).order_by(ScoringRun.id.desc()).limit(1))
