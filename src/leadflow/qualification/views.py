"""Qualification pages: the lead page's panel (BANT, stage moves, history, Sales Ready) and the Sales Ready rule's
settings page (edit, check, preview, save, versions)."""

from __future__ import annotations

from fastapi import Request

from leadflow.errors import Invalid
from leadflow.http import DbSession
from leadflow.leads import queries as leads_queries
from leadflow.leads.lifecycle import DISQUALIFY_REASONS, STAGE_LABELS, allowed_moves
from leadflow.leads.models import Lead
from leadflow.people import queries as people_queries
from leadflow.people.deps import PageActor
from leadflow.qualification import bant, salesready
from leadflow.qualification import service as qualification_service
from leadflow.web.pages import lead_changed, page_router, redirect, render

router = page_router(tags=["pages"])

MAX_NOTE = 2000
BANT_LABELS = {"budget": "Budget", "authority": "Authority", "need": "Need", "timeline": "Timeline"}
BANT_HINTS = {
    "budget": "An amount or range (25k, 10k-50k, < 10k), or yes / no; anything more is kept as you write it.",
    "authority": "Decision maker, influencer, user or none.",
    "need": "High, medium, low, none, or the need in their words.",
    "timeline": "Within 1, 3, 6 or 12 months, later, or none; \u201cQ1 2027\u201d or \u201c3 months\u201d work too.",
}


def _is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


async def _form(request: Request) -> dict[str, str]:
    form = await request.form()
    return {key: value for key, value in form.items() if isinstance(value, str)}


def _name(lead: Lead) -> str:
    return " ".join(p for p in (lead.first_name, lead.last_name) if p) or lead.email or f"Lead #{lead.id}"


def panel_context(session, lead: Lead, *, status: str | None = None, errors: dict | None = None,
                  values: dict | None = None, open_form: str | None = None) -> dict:
    current = qualification_service.bant_current(lead.id, session=session)
    known = bant.known_count({c: (a.value if a else None) for c, a in current.items()})
    rule = qualification_service.current_rule(session=session)
    outcome = None if lead.sales_ready_at or lead.stage == "disqualified" else qualification_service.explain(
        lead, session=session)
    history = qualification_service.stage_history(lead.id, session=session, limit=50)
    actors = people_queries.actor_names({c.actor for c in history} | {a.actor for a in current.values() if a},
                                        session=session)
    return {
        "lead": lead, "name": _name(lead), "bant": current, "known": known, "criteria": bant.CRITERIA,
        "bant_labels": BANT_LABELS, "bant_hints": BANT_HINTS, "choices": bant.CHOICES, "value_label": bant.label,
        "source_labels": bant.SOURCE_LABELS, "moves": allowed_moves(lead.stage), "stage_labels": STAGE_LABELS,
        "reasons": DISQUALIFY_REASONS, "history": history, "actors": actors,
        "rule": rule, "outcome": outcome, "status": status, "errors": errors or {}, "values": values or {},
        "open_form": open_form,
    }


def _panel(request: Request, session, lead: Lead, *, status_code: int = 200, changed: bool = False, **context):
    values = panel_context(session, lead, **context)
    if _is_htmx(request):
        return render(request, "qualification/_panel.html", values, status_code=status_code,
                      headers=lead_changed("qualification") if changed else None)
    return render(request, "qualification/lead_qualification.html", values, status_code=status_code)


@router.get("/leads/{lead_id:int}/qualification")
def lead_qualification(lead_id: int, request: Request, session: DbSession, actor: PageActor):
    """The lead page's qualification panel (an htmx fragment), or a page of its own without JavaScript."""
    actor.require("leads:read")
    lead = leads_queries.visible_lead(actor, lead_id, session=session)
    return _panel(request, session, lead)


@router.post("/leads/{lead_id:int}/qualification/bant")
async def save_bant(lead_id: int, request: Request, session: DbSession, actor: PageActor):
    actor.require("leads:write")
    lead = leads_queries.visible_lead(actor, lead_id, session=session)
    form = await _form(request)
    answers = {c: (form.get(c) or "").strip()[:bant.MAX_TEXT] or None for c in bant.CRITERIA if c in form}
    try:
        updated = qualification_service.bant_values([lead.id], session=session).get(lead.id, {})
        qualification_service.set_bant(lead.id, answers, bant.source_for_role(actor.role), actor.label, session=session)
    except Invalid as exc:
        session.rollback()
        errors = {e.field: e.reason[:1].upper() + e.reason[1:] for e in exc.errors}
        return _panel(request, session, lead, status_code=422, errors=errors, values=answers, open_form="bant")
    after = qualification_service.bant_values([lead.id], session=session).get(lead.id, {})
    session.commit()
    changed = [BANT_LABELS[c].lower() for c in bant.CRITERIA if after.get(c) != updated.get(c)]
    message = ("Saved " + ", ".join(changed) + "." if changed else "Nothing changed.")
    if lead.sales_ready_at and changed:
        message += " The lead is Sales Ready." if lead.stage != "sql" else " The lead is Sales Ready: moved to SQL."
    if not _is_htmx(request):
        return redirect(request, f"/leads/{lead.id}#qualification", message=message, kind="ok")
    session.refresh(lead)
    return _panel(request, session, lead, status=message, changed=bool(changed))


@router.post("/leads/{lead_id:int}/qualification/stage")
async def move_stage(lead_id: int, request: Request, session: DbSession, actor: PageActor):
    actor.require("leads:write")
    lead = leads_queries.visible_lead(actor, lead_id, session=session)
    form = await _form(request)
    to = (form.get("to") or "").strip()[:20]
    reason = (form.get("reason") or "").strip()[:40] or None
    note = (form.get("note") or "").strip()[:MAX_NOTE] or None
    before = lead.stage
    try:
        qualification_service.move_stage(lead, to, reason, note, actor.label, session=session)
    except Invalid as exc:
        session.rollback()
        errors = {("to" if e.field == "stage" else e.field): e.reason[:1].upper() + e.reason[1:]
                  for e in exc.errors}
        return _panel(request, session, lead, status_code=422, errors=errors,
                      values={"to": to, "reason": reason, "note": note},
                      open_form="disqualify" if to == "disqualified" else None)
    session.commit()
    message = f"Moved from {STAGE_LABELS.get(before, before)} to {STAGE_LABELS[to]}."
    if not _is_htmx(request):
        return redirect(request, f"/leads/{lead.id}#qualification", message=message, kind="ok")
    return _panel(request, session, lead, status=message, changed=True)


# --- the Sales Ready rule -----------------------------------------------------------------------------------------

def _rule_page(request: Request, session, *, expression: str | None = None, note: str = "",
               error: salesready.RuleError | None = None, preview: dict | None = None, status_code: int = 200):
    rule = qualification_service.current_rule(session=session)
    text = rule.expression if expression is None else expression
    versions = qualification_service.rule_versions(session=session)
    return render(request, "qualification/sales_ready.html", {
        "rule": rule, "expression": text, "note": note, "error": error, "preview": preview,
        "versions": versions, "actors": people_queries.actor_names({v.created_by for v in versions}, session=session),
        "names": salesready.NAMES,
        "default": salesready.DEFAULT_RULE,
    }, status_code=status_code)


def _preview(session, actor, expression: str) -> dict:
    query = leads_queries.visible_leads(actor).where(Lead.merged_into_id.is_(None))
    found = qualification_service.preview(query, expression, session=session)
    found["sample"] = [{"lead": lead, "name": _name(lead)} for lead in found["sample"]]
    return found


@router.get("/settings/sales-ready")
def sales_ready_page(request: Request, session: DbSession, actor: PageActor):
    actor.require("leads:read")
    return _rule_page(request, session)


@router.post("/settings/sales-ready/preview")
async def sales_ready_preview(request: Request, session: DbSession, actor: PageActor):
    """Check the expression and count the leads it matches now; nothing is saved."""
    actor.require("leads:read")
    form = await _form(request)
    expression = (form.get("expression") or "").strip()[:salesready.MAX_LENGTH]
    note = (form.get("note") or "").strip()[:1000]
    error = salesready.problems(expression)
    preview = None if error else _preview(session, actor, expression)
    if _is_htmx(request):
        return render(request, "qualification/_rule_check.html",
                      {"expression": expression, "error": error, "preview": preview},
                      status_code=422 if error else 200)
    return _rule_page(request, session, expression=expression, note=note, error=error, preview=preview,
                      status_code=422 if error else 200)


@router.post("/settings/sales-ready")
async def sales_ready_save(request: Request, session: DbSession, actor: PageActor):
    actor.require("qualification:rule")
    form = await _form(request)
    expression = (form.get("expression") or "").strip()[:salesready.MAX_LENGTH]
    note = (form.get("note") or "").strip()[:1000]
    error = salesready.problems(expression)
    if error:
        return _rule_page(request, session, expression=expression, note=note, error=error, status_code=422)
    current = qualification_service.current_rule(session=session)
    if current.expression == expression and current.version:
        return redirect(request, "/settings/sales-ready", message="The rule is unchanged: nothing saved.",
                        kind="info")
    rule = qualification_service.save_rule(session=session, expression=expression, note=note, actor=actor.label)
    session.commit()
    return redirect(request, "/settings/sales-ready",
                    message=f"Saved version {rule.version} of the Sales Ready rule. Every open lead is being "
                            "checked against it in the background.", kind="ok")
