"""Scoring pages: the rule sets (active, drafts, history; edit a draft as YAML or JSON; activate with a background
rescore and its progress) and the lead page's score panel."""

from __future__ import annotations

from typing import Annotated

from fastapi import Form, Request

from leadflow.errors import Invalid
from leadflow.http import DbSession, WritingSession
from leadflow.leads import queries as leads_queries
from leadflow.people import queries as people_queries
from leadflow.people.deps import PageActor
from leadflow.scoring import rules
from leadflow.scoring import service as scoring_service
from leadflow.web.pages import page_router, redirect, render

router = page_router(tags=["pages"])


def _is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def _summary(definition: dict) -> rules.RuleSet | None:
    try:
        return rules.parse(definition)
    except Invalid:
        return None


@router.get("/scoring")
def rule_sets_page(request: Request, session: WritingSession, actor: PageActor):
    actor.require("scoring:rules")
    rows = scoring_service.list_rule_sets(session=session)
    session.commit()
    active = next((r for r in rows if r.status == "active"), None)
    return render(request, "scoring/rule_sets.html", {
        "active": active, "compiled": _summary(active.definition) if active else None,
        "drafts": [r for r in rows if r.status == "draft"], "retired": [r for r in rows if r.status == "retired"],
        "run": scoring_service.latest_run(session=session),
        "actors": people_queries.actor_names({r.created_by for r in rows}, session=session)})


def _editor(request: Request, row, text: str, fmt: str, errors: list, notes: str | None, status_code: int = 200):
    return render(request, "scoring/edit.html", {
        "row": row, "text": text, "format": fmt, "errors": errors, "notes": notes or "",
        "compiled": _summary(row.definition) if row is not None and not errors else None}, status_code=status_code)


@router.get("/scoring/new")
def new_draft(request: Request, session: WritingSession, actor: PageActor, source: int | None = None,
              format: str = "yaml"):
    """A new draft, starting from a version (the active one by default)."""
    actor.require("scoring:rules")
    fmt = "json" if format == "json" else "yaml"
    if source is not None:
        definition = scoring_service.get_rule_set(source, session=session).definition
    else:
        rule_set_id, _ = scoring_service.active_rule_set(session=session)
        definition = scoring_service.get_rule_set(rule_set_id, session=session).definition
    session.commit()
    return _editor(request, None, scoring_service.export_text(definition, fmt), fmt, [], None)


def _save(request, session, actor, row, text, fmt, notes):
    fmt = "json" if fmt == "json" else "yaml"
    try:
        definition = scoring_service.parse_text(text, fmt)
        if row is None:
            row = scoring_service.create_draft(definition, session=session, actor=actor.label, notes=notes or None)
        else:
            scoring_service.update_draft(row.id, definition, session=session, notes=notes)
    except Invalid as exc:
        session.rollback()
        return _editor(request, row, text, fmt, exc.errors, notes, status_code=422)
    session.commit()
    return redirect(request, f"/scoring/rule-sets/{row.id}", message=f"Draft version {row.version} saved.")


@router.post("/scoring/new")
def create_draft(request: Request, session: DbSession, actor: PageActor, text: Annotated[str, Form()] = "",
                 format: Annotated[str, Form()] = "yaml", notes: Annotated[str, Form()] = ""):
    actor.require("scoring:rules")
    return _save(request, session, actor, None, text, format, notes)


@router.get("/scoring/rule-sets/{rule_set_id:int}")
def rule_set_page(rule_set_id: int, request: Request, session: DbSession, actor: PageActor, format: str = "yaml"):
    actor.require("scoring:rules")
    row = scoring_service.get_rule_set(rule_set_id, session=session)
    fmt = "json" if format == "json" else "yaml"
    return _editor(request, row, scoring_service.export_text(row.definition, fmt), fmt, [], row.notes)


@router.post("/scoring/rule-sets/{rule_set_id:int}")
def save_draft(rule_set_id: int, request: Request, session: DbSession, actor: PageActor,
               text: Annotated[str, Form()] = "", format: Annotated[str, Form()] = "yaml",
               notes: Annotated[str, Form()] = ""):
    actor.require("scoring:rules")
    row = scoring_service.get_rule_set(rule_set_id, session=session)
    if row.status != "draft":
        return _save(request, session, actor, None, text, format, notes)  # editing a live version makes a draft
    return _save(request, session, actor, row, text, format, notes)


@router.post("/scoring/rule-sets/{rule_set_id:int}/activate")
def activate(rule_set_id: int, request: Request, session: DbSession, actor: PageActor):
    actor.require("scoring:rules")
    try:
        run = scoring_service.activate(rule_set_id, session=session, actor=actor.label)
    except Invalid as exc:
        session.rollback()
        return redirect(request, "/scoring", message=str(exc), kind="error")
    session.commit()
    return redirect(request, "/scoring", message=f"Version activated. Rescoring {run.total} leads in the "
                                                 "background: progress below.")


@router.get("/scoring/runs/{run_id:int}")
def run_progress(run_id: int, request: Request, session: DbSession, actor: PageActor):
    """The progress of a rescore (polled by htmx every two seconds while it runs)."""
    actor.require("scoring:rules")
    return render(request, "scoring/_run.html", {"run": scoring_service.get_run(run_id, session=session)})


@router.get("/leads/{lead_id:int}/score")
def lead_score(lead_id: int, request: Request, session: WritingSession, actor: PageActor):
    """The lead page's score panel (an htmx fragment), or a page of its own without JavaScript."""
    actor.require("leads:read")
    lead = leads_queries.visible_lead(actor, lead_id, session=session)
    explained = scoring_service.explanation(lead.id, session=session)
    session.commit()
    template = "scoring/_lead_score.html" if _is_htmx(request) else "scoring/lead_score.html"
    return render(request, template, {"lead": lead, "x": explained})
