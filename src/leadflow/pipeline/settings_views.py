"""The pipeline's settings page: the opportunity stages (add, rename, default probability, order, stop using), the
won, lost and recycle reasons, and the competitors. Only for `pipeline:settings`."""

from __future__ import annotations

from fastapi import Request

from leadflow.errors import Invalid, NotFound
from leadflow.http import DbSession, retry_races
from leadflow.people.deps import PageActor
from leadflow.pipeline import queries, service
from leadflow.web.pages import Posted, page_router, redirect, render

router = page_router(tags=["pages"])
PAGE = "/settings/pipeline"


def _trimmed(form: dict[str, str]) -> dict[str, str]:
    return {key: value.strip() for key, value in form.items()}


def _settings(request: Request, session, *, error: str | None = None, status_code: int = 200):
    return render(request, "pipeline/settings.html", {
        "stages": queries.stages(session=session, active_only=False),
        "reasons": {kind: queries.close_reasons(kind, session=session, active_only=False)
                    for kind in ("won", "lost", "recycle")},
        "competitors": queries.competitors(session=session), "error": error}, status_code=status_code)


def _failed(request: Request, session, exc: Invalid, anchor: str):
    """Nothing saved: the page again, answering 422, with the reason (a name another took meanwhile among them)."""
    session.rollback()
    return _settings(request, session, status_code=422,
                     error="Not saved: " + "; ".join(f"{e.field}: {e.reason}" for e in exc.errors) + ".")


@router.get(PAGE)
def settings_page(request: Request, session: DbSession, actor: PageActor):
    actor.require("pipeline:settings")
    return _settings(request, session)


@router.post(PAGE + "/stages")
@retry_races
def add_stage(request: Request, form: Posted, session: DbSession, actor: PageActor):
    actor.require("pipeline:settings")
    form = _trimmed(form)
    try:
        stage = service.add_stage(session=session, label=form.get("label", ""), probability=form.get("probability"))
    except Invalid as exc:
        return _failed(request, session, exc, "stages")
    session.commit()
    return redirect(request, f"{PAGE}#stages", kind="ok", message=f"Stage {stage.label} added.")


@router.post(PAGE + "/stages/{key}")
@retry_races
def edit_stage(key: str, request: Request, form: Posted, session: DbSession, actor: PageActor):
    actor.require("pipeline:settings")
    form = _trimmed(form)
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
        return _failed(request, session, exc, "stages")
    session.commit()
    return redirect(request, f"{PAGE}#stages", kind="ok", message="Stages saved.")


@router.post(PAGE + "/reasons")
@retry_races
def add_reason(request: Request, form: Posted, session: DbSession, actor: PageActor):
    actor.require("pipeline:settings")
    form = _trimmed(form)
    try:
        reason = service.add_reason(session=session, kind=form.get("kind", ""), label=form.get("label", ""))
    except Invalid as exc:
        return _failed(request, session, exc, "reasons")
    session.commit()
    return redirect(request, f"{PAGE}#reasons", kind="ok", message=f"Reason “{reason.label}” added.")


@router.post(PAGE + "/reasons/{reason_id:int}")
@retry_races
def edit_reason(reason_id: int, request: Request, form: Posted, session: DbSession, actor: PageActor):
    actor.require("pipeline:settings")
    form = _trimmed(form)
    try:
        service.edit_reason(reason_id, session=session, label=form.get("label"),
                            active=None if "active" not in form else form["active"] == "yes")
    except Invalid as exc:
        return _failed(request, session, exc, "reasons")
    session.commit()
    return redirect(request, f"{PAGE}#reasons", kind="ok", message="Reason saved.")


@router.post(PAGE + "/competitors")
@retry_races
def add_competitor(request: Request, form: Posted, session: DbSession, actor: PageActor):
    actor.require("pipeline:settings")
    form = _trimmed(form)
    try:
        competitor = service.competitor_named(form.get("name", ""), session=session)
    except Invalid as exc:
        return _failed(request, session, exc, "competitors")
    session.commit()
    return redirect(request, f"{PAGE}#competitors", kind="ok", message=f"Competitor {competitor.name} is listed.")


@router.post(PAGE + "/competitors/{competitor_id:int}")
@retry_races
def edit_competitor(competitor_id: int, request: Request, form: Posted, session: DbSession, actor: PageActor):
    actor.require("pipeline:settings")
    form = _trimmed(form)
    try:
        service.set_competitor(competitor_id, session=session, name=form.get("name") or None,
                               active=None if "active" not in form else form["active"] == "yes")
    except Invalid as exc:
        return _failed(request, session, exc, "competitors")
    session.commit()
    return redirect(request, f"{PAGE}#competitors", kind="ok", message="Competitor saved.")
