"""The lead page's pipeline panel: the lead's opportunities (add, edit, move, won or lost with a reason, reopen),
its quotes (add, mark sent, accepted, rejected or expired) and the competitors in play (add)."""

from __future__ import annotations

from fastapi import Request

from leadflow.errors import Invalid, NotFound
from leadflow.http import DbSession, retry_races
from leadflow.leads import queries as leads_queries
from leadflow.leads.models import Lead
from leadflow.people.deps import PageActor
from leadflow.pipeline import queries, service
from leadflow.web.pages import Posted, is_htmx, lead_changed, page_router, render

router = page_router(tags=["pages"])


def _trimmed(form: dict[str, str]) -> dict[str, str]:
    return {key: value.strip() for key, value in form.items()}


def _panel(request: Request, session, actor, lead: Lead, *, status: str | None = None, error: str | None = None,
           changed: bool = False, status_code: int = 200, values: dict | None = None):
    context = {
        "lead": lead, "status": status, "error": error, "values": values or {},
        "cards": queries.cards(queries.lead_opportunities(lead.id, session=session), session=session),
        "quotes": queries.lead_quotes(lead.id, session=session),
        "mentions": queries.lead_competitors(lead.id, session=session),
        "competitors": queries.competitors(session=session, active_only=True),
        "stages": queries.stages(session=session),
        "reasons": {kind: queries.close_reasons(kind, session=session) for kind in ("won", "lost")},
        "can_write": actor.can("pipeline:write"),
    }
    context["reason_labels"] = {(kind, r.key): r.label for kind, rows in context["reasons"].items() for r in rows}
    if is_htmx(request):
        return render(request, "pipeline/_panel.html", context, status_code=status_code,
                      headers=lead_changed("pipeline") if changed else None)
    return render(request, "pipeline/lead_pipeline.html", context, status_code=status_code)


def _problem(exc: Invalid) -> str:
    return "; ".join(f"{e.field.replace('_', ' ')}: {e.reason}" for e in exc.errors)


@router.get("/leads/{lead_id:int}/pipeline")
def lead_pipeline(lead_id: int, request: Request, session: DbSession, actor: PageActor):
    actor.require("pipeline:read")
    lead = leads_queries.visible_lead(actor, lead_id, session=session)
    return _panel(request, session, actor, lead)


@router.post("/leads/{lead_id:int}/pipeline/opportunities")
@retry_races
def add_opportunity(lead_id: int, request: Request, form: Posted, session: DbSession, actor: PageActor):
    actor.require("pipeline:write")
    lead = leads_queries.visible_lead(actor, lead_id, session=session)
    form = _trimmed(form)
    values = {k: form.get(k, "") for k in ("name", "value", "currency", "expected_close", "stage", "probability")}
    values = {k: v for k, v in values.items() if v != "" or k in ("name", "value")}
    try:
        row = service.create(session=session, actor=actor, values=values, lead=lead)
    except Invalid as exc:
        session.rollback()
        return _panel(request, session, actor, lead, error=_problem(exc), status_code=422, values=form)
    session.commit()
    return _panel(request, session, actor, lead, changed=True, status=f"Opportunity “{row.name}” added.")


def _own_opportunity(actor, lead: Lead, opportunity_id: int, session):
    found = queries.visible_opportunity(actor, opportunity_id, session=session)
    if found.lead_id != lead.id:
        raise NotFound("opportunity", opportunity_id)
    return service.lock(opportunity_id, session=session)


@router.post("/leads/{lead_id:int}/pipeline/opportunities/{opportunity_id:int}")
@retry_races
def change_opportunity(lead_id: int, opportunity_id: int, request: Request, form: Posted, session: DbSession,
                             actor: PageActor):
    """Edit, move, mark won or lost, or reopen: `action` says which."""
    actor.require("pipeline:write")
    lead = leads_queries.visible_lead(actor, lead_id, session=session)
    row = _own_opportunity(actor, lead, opportunity_id, session)
    form = _trimmed(form)
    action = form.get("action", "edit")
    try:
        if action == "won":
            service.won(row, session=session, actor=actor, reason=form.get("reason") or None,
                        note=form.get("note") or None)
            status = f"“{row.name}” won: the lead is a customer."
        elif action == "lost":
            service.lost(row, session=session, actor=actor, reason=form.get("reason") or None,
                         note=form.get("note") or None)
            status = f"“{row.name}” lost."
        elif action == "reopen":
            service.reopen(row, session=session, actor=actor)
            status = f"“{row.name}” reopened."
        else:
            values = {k: form[k] for k in ("name", "value", "currency", "expected_close", "stage") if k in form}
            if "probability" in form:
                values["probability"] = form["probability"] or None
            service.update_opportunity(row, session=session, actor=actor, values=values)
            status = f"“{row.name}” saved."
    except Invalid as exc:
        session.rollback()
        return _panel(request, session, actor, lead, error=_problem(exc), status_code=422)
    session.commit()
    return _panel(request, session, actor, lead, changed=True, status=status)


@router.post("/leads/{lead_id:int}/pipeline/quotes")
@retry_races
def add_quote(lead_id: int, request: Request, form: Posted, session: DbSession, actor: PageActor):
    actor.require("pipeline:write")
    lead = leads_queries.visible_lead(actor, lead_id, session=session)
    form = _trimmed(form)
    values = {"amount": form.get("amount", ""), "currency": form.get("currency") or "EUR",
              "reference": form.get("reference") or None,
              "opportunity_id": int(form["opportunity_id"]) if form.get("opportunity_id", "").isdecimal() else None}
    try:
        quote = service.create_quote(session=session, actor=actor, lead=lead, values=values)
    except Invalid as exc:
        session.rollback()
        return _panel(request, session, actor, lead, error=_problem(exc), status_code=422, values=form)
    session.commit()
    return _panel(request, session, actor, lead, changed=True, status=f"Quote {quote.reference or ''} added.")


@router.post("/leads/{lead_id:int}/pipeline/quotes/{quote_id:int}")
@retry_races
def quote_status(lead_id: int, quote_id: int, request: Request, form: Posted, session: DbSession, actor: PageActor):
    actor.require("pipeline:write")
    lead = leads_queries.visible_lead(actor, lead_id, session=session)
    if queries.visible_quote(actor, quote_id, session=session).lead_id != lead.id:
        raise NotFound("quote", quote_id)
    quote = service.lock_quote(quote_id, session=session)
    form = _trimmed(form)
    try:
        service.set_quote_status(quote, session=session, actor=actor, status=form.get("status", ""))
    except Invalid as exc:
        session.rollback()
        return _panel(request, session, actor, lead, error=_problem(exc), status_code=422)
    session.commit()
    return _panel(request, session, actor, lead, changed=True, status=f"Quote marked {quote.status}.")


@router.post("/leads/{lead_id:int}/pipeline/competitors")
@retry_races
def add_competitor(lead_id: int, request: Request, form: Posted, session: DbSession, actor: PageActor):
    actor.require("pipeline:write")
    lead = leads_queries.visible_lead(actor, lead_id, session=session)
    form = _trimmed(form)
    try:
        _, competitor = service.note_competitor(session=session, actor=actor, lead=lead, name=form.get("name", ""),
                                                note=form.get("note") or None)
    except Invalid as exc:
        session.rollback()
        return _panel(request, session, actor, lead, error=_problem(exc), status_code=422)
    session.commit()
    return _panel(request, session, actor, lead, changed=True, status=f"{competitor.name} noted as in play.")
