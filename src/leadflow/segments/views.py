"""Segments' pages: the list with member counts, new and edit with a live preview of matching leads (and the
condition's problem with its column), the members a person sees, delete with confirmation."""

from __future__ import annotations

from fastapi import Request

from leadflow.conditions import fields
from leadflow.conditions.syntax import RuleError
from leadflow.errors import Invalid
from leadflow.http import DbSession, retry_races
from leadflow.leads.visibility import sees_all, visible_leads
from leadflow.people.deps import PageActor
from leadflow.segments import definition, queries, service
from leadflow.web.pages import Posted, is_htmx, page_router, redirect, render

router = page_router(tags=["pages"])

PAGE = 50
EXAMPLE = 'country == "FI" and score >= 50'


def _name(lead) -> str:
    return " ".join(p for p in (lead.first_name, lead.last_name) if p) or lead.email or f"Lead #{lead.id}"


def _preview(session, actor, condition: str) -> tuple[RuleError | None, dict | None]:
    if not condition.strip():
        return None, None
    try:
        found = service.preview(visible_leads(actor), condition, session=session)
    except RuleError as error:
        return error, None
    found["sample"] = [{"lead": lead, "name": _name(lead)} for lead in found["sample"]]
    return None, found


def _form_page(request: Request, session, actor, *, segment=None, values: dict | None = None,
               errors: dict | None = None, status_code: int = 200):
    values = values or ({"name": segment.name, "description": segment.description or "",
                         "condition": segment.condition} if segment else {"name": "", "description": "",
                                                                           "condition": ""})
    error, preview = _preview(session, actor, values["condition"])
    return render(request, "segments/edit.html", {
        "segment": segment, "values": values, "errors": errors or {}, "error": error, "preview": preview,
        "expression": values["condition"], "names": fields.described(definition.SCOPE), "example": EXAMPLE,
    }, status_code=status_code)


@router.get("/segments")
def segments_page(request: Request, session: DbSession, actor: PageActor):
    actor.require("segments:read")
    return render(request, "segments/list.html", {
        "rows": queries.listing(actor, session=session), "can_manage": actor.can("segments:manage"),
        "sees_all": sees_all(actor)})


@router.get("/segments/new")
def new_segment(request: Request, session: DbSession, actor: PageActor):
    actor.require("segments:manage")
    return _form_page(request, session, actor)


def _values(form: dict) -> dict:
    return {"name": (form.get("name") or "")[:definition.MAX_NAME + 50],
            "description": (form.get("description") or "")[:definition.MAX_DESCRIPTION + 50],
            "condition": (form.get("condition") or "")[:definition.MAX_CONDITION + 50]}


def _problems(exc: Invalid) -> dict:
    return {e.field: e.reason[:1].upper() + e.reason[1:] + ("" if e.reason.endswith(".") else ".")
            for e in exc.errors}


@router.post("/segments/new")
@retry_races
def create_segment(request: Request, session: DbSession, actor: PageActor, form: Posted):
    actor.require("segments:manage")
    values = _values(form)
    try:
        segment = service.create(values, session=session, actor=actor.label)
        session.commit()
    except Invalid as exc:
        session.rollback()
        return _form_page(request, session, actor, values=values, errors=_problems(exc), status_code=422)
    return redirect(request, f"/segments/{segment.id}", kind="ok",
                    message=f"Saved the segment \u201c{segment.name}\u201d. Its members are being worked out.")


@router.post("/segments/preview")
def preview_segment(request: Request, session: DbSession, actor: PageActor, form: Posted):
    """The live preview (htmx, as the condition is typed): its problem with the column, or who matches now."""
    actor.require("segments:read")
    condition = (form.get("condition") or "")[:definition.MAX_CONDITION + 50]
    error, preview = _preview(session, actor, condition)
    if is_htmx(request):
        return render(request, "segments/_preview.html", {"expression": condition, "error": error,
                                                          "preview": preview}, status_code=422 if error else 200)
    values = _values(form)
    return _form_page(request, session, actor, values=values, status_code=422 if error else 200)


def _segment(session, segment_id: int):
    return queries.get(segment_id, session=session)


@router.get("/segments/{segment_id:int}")
def segment_page(segment_id: int, request: Request, session: DbSession, actor: PageActor):
    actor.require("segments:read")
    segment = _segment(session, segment_id)
    after_text = request.query_params.get("after") or "0"
    after = int(after_text) if after_text.isdecimal() and len(after_text) < 19 else 0
    rows, following = queries.visible_members(actor, segment.id, session=session, after=after, limit=PAGE)
    return render(request, "segments/detail.html", {
        "segment": segment, "members": [{"lead": lead, "name": _name(lead)} for lead in rows], "following": following,
        "after": after, "count": queries.visible_count(actor, segment, session=session),
        "sees_all": sees_all(actor), "can_manage": actor.can("segments:manage")})


@router.get("/segments/{segment_id:int}/edit")
def edit_segment(segment_id: int, request: Request, session: DbSession, actor: PageActor):
    actor.require("segments:manage")
    return _form_page(request, session, actor, segment=_segment(session, segment_id))


@router.post("/segments/{segment_id:int}/edit")
@retry_races
def save_segment(segment_id: int, request: Request, session: DbSession, actor: PageActor, form: Posted):
    actor.require("segments:manage")
    segment = _segment(session, segment_id)
    values = _values(form)
    before = segment.condition
    try:
        segment = service.update(segment_id, values, session=session)
        session.commit()
    except Invalid as exc:
        session.rollback()
        return _form_page(request, session, actor, segment=_segment(session, segment_id), values=values,
                          errors=_problems(exc), status_code=422)
    message = f"Saved the segment \u201c{segment.name}\u201d."
    if segment.condition != before:
        message += " Its members are being worked out again for the new condition."
    return redirect(request, f"/segments/{segment.id}", kind="ok", message=message)


@router.get("/segments/{segment_id:int}/delete")
def confirm_delete(segment_id: int, request: Request, session: DbSession, actor: PageActor):
    actor.require("segments:manage")
    return render(request, "segments/delete.html", {"segment": _segment(session, segment_id)})


@router.post("/segments/{segment_id:int}/delete")
@retry_races
def delete_segment(segment_id: int, request: Request, session: DbSession, actor: PageActor):
    actor.require("segments:manage")
    segment = _segment(session, segment_id)
    name = segment.name
    service.delete(segment.id, session=session)
    session.commit()
    return redirect(request, "/segments", kind="ok", message=f"Deleted the segment \u201c{name}\u201d.")


@router.post("/segments/{segment_id:int}/rebuild")
@retry_races
def rebuild_segment(segment_id: int, request: Request, session: DbSession, actor: PageActor):
    actor.require("segments:manage")
    service.rebuild(_segment(session, segment_id).id, session=session)
    session.commit()
    return redirect(request, f"/segments/{segment_id}", kind="ok",
                    message="Every lead is being checked against the segment again.")
