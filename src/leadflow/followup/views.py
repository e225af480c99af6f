"""Follow-up pages: the policies under /settings/follow-up (list, add, edit, reorder, delete; problems shown by their
field). Holders of followup:policies only."""

from __future__ import annotations

from fastapi import Request

from leadflow.errors import Conflict, Invalid
from leadflow.followup import policies, service, sla
from leadflow.http import DbSession, retry_races
from leadflow.people.deps import PageActor
from leadflow.web.pages import Posted, page_router, redirect, render

router = page_router(tags=["pages"])
PERMISSION = "followup:policies"
BASE = "/settings/follow-up"
TASK_LABELS = {"call": "Call", "email": "Email", "meeting": "Meeting", "visit": "Visit", "send_quote": "Send a quote",
               "other": "Other"}


def _values(form: dict[str, str]) -> dict:
    text = {k: v.strip() for k, v in form.items()}
    return {"name": text.get("name", "")[:300], "when": text.get("when", "")[:2100],
            "hours": text.get("hours", "")[:12], "clock": text.get("clock", "")[:20],
            "remind_before_minutes": text.get("remind_before_minutes", "")[:12] if text.get("remind") == "1" else "",
            "escalate": text.get("escalate") == "1",
            "reassign_after_hours": text.get("reassign_after_hours", "")[:12] if text.get("reassign") == "1" else "",
            "task_kind": text.get("task_kind", "")[:20], "active": text.get("active") == "1"}


def _errors(exc: Invalid) -> dict[str, str]:
    return {e.field: e.reason[:1].upper() + e.reason[1:] for e in exc.errors}


def _common() -> dict:
    return {"clocks": sla.CLOCK_LABELS, "task_kinds": TASK_LABELS, "default": policies.DEFAULT, "base": BASE}


def _blank() -> dict:
    return {"name": "", "when": "", "hours": 24, "clock": sla.WORKING_DAYS, "remind_before_minutes": 120,
            "remind": True, "escalate": True, "reassign_after_hours": "", "reassign": False, "task_kind": "",
            "active": True}


def _of(row) -> dict:
    return {"name": row.name, "when": row.when, "hours": row.hours, "clock": row.clock,
            "remind_before_minutes": row.remind_before_minutes or "", "remind": row.remind_before_minutes is not None,
            "escalate": row.escalate, "reassign_after_hours": row.reassign_after_hours or "",
            "reassign": row.reassign_after_hours is not None, "task_kind": row.task_kind or "", "active": row.active}


def _shown(values: dict) -> dict:
    """A submitted form as the form shows it again."""
    return {**values, "remind": values["remind_before_minutes"] != "", "reassign": values["reassign_after_hours"] != ""}


def _list_page(request: Request, session, *, values: dict | None = None, errors: dict | None = None,
               status_code: int = 200):
    return render(request, "followup/policies.html", {
        **_common(), "rows": service.policy_rows(session=session), "values": values or _blank(),
        "errors": errors or {}}, status_code=status_code)


@router.get(BASE)
def policies_page(request: Request, session: DbSession, actor: PageActor):
    actor.require(PERMISSION)
    return _list_page(request, session)


@router.post(BASE)
@retry_races
def create_policy(request: Request, session: DbSession, actor: PageActor, form: Posted):
    actor.require(PERMISSION)
    values = _values(form)
    try:
        row = service.create_policy(values, session=session, actor=actor.label)
    except Invalid as exc:
        session.rollback()
        return _list_page(request, session, values=_shown(values), errors=_errors(exc), status_code=422)
    except Conflict as exc:
        session.rollback()
        return _list_page(request, session, values=_shown(values), errors={"name": str(exc)}, status_code=409)
    session.commit()
    return redirect(request, BASE, message=f"Added \u201c{row.name}\u201d.", kind="ok")


def _edit_page(request: Request, session, row, *, values: dict | None = None, errors: dict | None = None,
               status_code: int = 200):
    return render(request, "followup/policy.html", {**_common(), "row": row, "values": values or _of(row),
                                                    "errors": errors or {}}, status_code=status_code)


@router.get(BASE + "/{policy_id:int}")
def policy_page(policy_id: int, request: Request, session: DbSession, actor: PageActor):
    actor.require(PERMISSION)
    return _edit_page(request, session, service.get_policy(policy_id, session=session))


@router.post(BASE + "/{policy_id:int}")
@retry_races
def update_policy(policy_id: int, request: Request, session: DbSession, actor: PageActor, form: Posted):
    actor.require(PERMISSION)
    values = _values(form)
    try:
        row = service.update_policy(policy_id, values, session=session, actor=actor.label)
    except Invalid as exc:
        session.rollback()
        return _edit_page(request, session, service.get_policy(policy_id, session=session), values=_shown(values),
                          errors=_errors(exc), status_code=422)
    except Conflict as exc:
        session.rollback()
        return _edit_page(request, session, service.get_policy(policy_id, session=session), values=_shown(values),
                          errors={"name": str(exc)}, status_code=409)
    session.commit()
    return redirect(request, BASE, message=f"Saved \u201c{row.name}\u201d.", kind="ok")


@router.post(BASE + "/{policy_id:int}/move")
@retry_races
def move_policy(policy_id: int, request: Request, session: DbSession, actor: PageActor, form: Posted):
    actor.require(PERMISSION)
    position = str(form.get("position") or "")
    if not position.isdecimal():
        return redirect(request, BASE, message="Choose where to move the policy.", kind="error")
    row = service.move_policy(policy_id, int(position[:6]), session=session, actor=actor.label)
    session.commit()
    return redirect(request, BASE, message=f"Moved \u201c{row.name}\u201d.", kind="ok")


@router.post(BASE + "/{policy_id:int}/delete")
@retry_races
def delete_policy(policy_id: int, request: Request, session: DbSession, actor: PageActor):
    actor.require(PERMISSION)
    name = service.get_policy(policy_id, session=session).name
    service.delete_policy(policy_id, session=session)
    session.commit()
    return redirect(request, BASE, message=f"Deleted \u201c{name}\u201d.", kind="ok")
