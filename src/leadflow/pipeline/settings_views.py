"""The pipeline's settings page: the opportunity stages (add, rename, default probability, order, stop using), the
won, lost and recycle reasons, and the competitors. Only for `pipeline:settings`."""

from __future__ import annotations

from fastapi import Request

from leadflow.errors import Invalid, NotFound
from leadflow.http import DbSession
from leadflow.people.deps import PageActor
from leadflow.pipeline import queries, service
from leadflow.web.pages import page_router, redirect, render

router = page_router(tags=["pages"])
PAGE = "/settings/pipeline"


async def _form(request: Request) -> dict[str, str]:
    form = await request.form()
    return {key: value.strip() for key, value in form.items() if isinstance(value, str)}


def _failed(request: Request, exc: Invalid, anchor: str):
    return redirect(request, f"{PAGE}#{anchor}", kind="error",
                    message="Not saved: " + "; ".join(f"{e.field}: {e.reason}" for e in exc.errors) + ".")


@router.get(PAGE)
def settings_page(request: Request, session: DbSession, actor: PageActor):
    actor.require("pipeline:settings")
    return render(request, "pipeline/settings.html", {
        "stages": queries.stages(session=session, active_only=False),
        "reasons": {kind: queries.close_reasons(kind, session=session, active_only=False)
                    for kind in ("won", "lost", "recycle")},
        "competitors": queries.competitors(session=session)})


@router.post(PAGE + "/stages")
async def add_stage(request: Request, session: DbSession, actor: PageActor):
    actor.require("pipeline:settings")
    form = await _form(request)
    try:
        stage = service.add_stage(session=session, label=form.get("label", ""), probability=form.get("probability"))
    except Invalid as exc:
        return _failed(request, exc, "stages")
    session.commit()
    return redirect(request, f"{PAGE}#stages", kind="ok", message=f"Stage {stage.label} added.")


@router.post(PAGE + "/stages/{key}")
async def edit_stage(key: str, request: Request, session: DbSession, actor: PageActor):
    actor.require("pipeline:settings")
    form = await _form(request)
    try:
        if form.get("move") in ("up", "down"):
            keys = [s.key for s in queries.stages(session=session, active_only=False) if s.outcome == "open"]
            if key not in keys:
                raise NotFound("stage", key)
            at = keys.index(key)
            other = at - 1 if form["move"] == "up" else at + 1
            if 0 <= other < len(keys):
                keys[at], keys[other] = keys[other], keys[at]
                service.reorder_stages(keys, session=session)
        else:
            active = None if "active" not in form else form["active"] == "yes"
            service.edit_stage(key, session=session, label=form.get("label"), probability=form.get("probability"),
                               active=active)
    except Invalid as exc:
        return _failed(request, exc, "stages")
    session.commit()
    return redirect(request, f"{PAGE}#stages", kind="ok", message="Stages saved.")


@router.post(PAGE + "/reasons")
async def add_reason(request: Request, session: DbSession, actor: PageActor):
    actor.require("pipeline:settings")
    form = await _form(request)
    try:
        reason = service.add_reason(session=session, kind=form.get("kind", ""), label=form.get("label", ""))
    except Invalid as exc:
        return _failed(request, exc, "reasons")
    session.commit()
    return redirect(request, f"{PAGE}#reasons", kind="ok", message=f"Reason “{reason.label}” added.")


@router.post(PAGE + "/reasons/{reason_id:int}")
async def edit_reason(reason_id: int, request: Request, session: DbSession, actor: PageActor):
    actor.require("pipeline:settings")
    form = await _form(request)
    try:
        service.edit_reason(reason_id, session=session, label=form.get("label"),
                            active=None if "active" not in form else form["active"] == "yes")
    except Invalid as exc:
        return _failed(request, exc, "reasons")
    session.commit()
    return redirect(request, f"{PAGE}#reasons", kind="ok", message="Reason saved.")


@router.post(PAGE + "/competitors")
async def add_competitor(request: Request, session: DbSession, actor: PageActor):
    actor.require("pipeline:settings")
    form = await _form(request)
    try:
        competitor = service.competitor_named(form.get("name", ""), session=session)
    except Invalid as exc:
        return _failed(request, exc, "competitors")
    session.commit()
    return redirect(request, f"{PAGE}#competitors", kind="ok", message=f"Competitor {competitor.name} is listed.")


@router.post(PAGE + "/competitors/{competitor_id:int}")
async def edit_competitor(competitor_id: int, request: Request, session: DbSession, actor: PageActor):
    actor.require("pipeline:settings")
    form = await _form(request)
    try:
        service.set_competitor(competitor_id, session=session, name=form.get("name") or None,
                               active=None if "active" not in form else form["active"] == "yes")
    except Invalid as exc:
        return _failed(request, exc, "competitors")
    session.commit()
    return redirect(request, f"{PAGE}#competitors", kind="ok", message="Competitor saved.")
