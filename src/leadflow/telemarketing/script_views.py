"""Call script pages: the scripts with their versions, and the editor (name, intro, campaign, on or off, questions)
built on the surveys' question editor, so a script's questions are the surveys' questions."""

from __future__ import annotations

from types import SimpleNamespace

from fastapi import Request

from leadflow.campaigns import queries as campaigns_queries
from leadflow.errors import Conflict, Invalid
from leadflow.http import DbSession, retry_races
from leadflow.people.deps import PageActor
from leadflow.surveys import domain as survey_domain
from leadflow.surveys import editor
from leadflow.telemarketing import scripts
from leadflow.telemarketing.models import CallScript
from leadflow.web.pages import Posted, page_router, redirect, render

router = page_router(tags=["pages"])


def _draft_of(script: CallScript) -> dict:
    draft = editor.draft_of(SimpleNamespace(key="", name=script.name, title="", intro=script.intro, thanks="",
                                            active=script.active, questions=script.questions))
    draft["campaign_id"] = str(script.campaign_id or "")
    return draft


def _new_draft() -> dict:
    draft = editor.new_draft()
    draft["campaign_id"] = ""
    return draft


def _draft_from(form: dict[str, str]) -> dict:
    draft = editor.draft_from(form)
    draft["intro"] = form.get("intro", "")  # what the agent reads: its lines kept
    draft["campaign_id"] = form.get("campaign_id", "").strip()
    return draft


def _editor(request: Request, *, session, draft: dict, script: CallScript | None, errors: dict | None = None,
            status_code: int = 200):
    return render(request, "telemarketing/script.html", {
        "script": script, "draft": draft, "errors": errors or {}, "kinds": survey_domain.KIND_LABELS,
        "targets": survey_domain.maps_to_choices(), "count": len(draft["questions"]),
        "campaigns": campaigns_queries.choices(session=session),
        "action": f"/call-lists/scripts/{script.id}" if script else "/call-lists/scripts/new"}, status_code=status_code)


@router.get("/call-lists/scripts")
def script_list(request: Request, actor: PageActor, session: DbSession):
    actor.require("call_lists:manage")
    campaigns = {cid: name for cid, name, _ in campaigns_queries.choices(session=session)}
    return render(request, "telemarketing/scripts.html", {"scripts": scripts.listing(session=session),
                                                          "campaigns": campaigns})


@router.get("/call-lists/scripts/new")
def new_script(request: Request, actor: PageActor, session: DbSession):
    actor.require("call_lists:manage")
    return _editor(request, session=session, draft=_new_draft(), script=None)


def _save(request: Request, session, script: CallScript | None, form: dict):
    draft = _draft_from(form)
    op = str(form.get("op") or "save")
    if op != "save":
        if not editor.apply(draft, op):
            return None, _editor(request, session=session, draft=draft, script=script, status_code=422,
                                 errors={"form": "That change is not possible."})
        return None, _editor(request, session=session, draft=draft, script=script)
    survey_values = editor.values_of(draft)
    campaign = draft["campaign_id"]
    if campaign and not campaign.isdecimal():
        return None, _editor(request, session=session, draft=draft, script=script, status_code=422,
                             errors={"campaign_id": "Choose one of the list"})
    values = {"name": survey_values["name"], "intro": draft["intro"], "active": survey_values["active"],
              "questions": survey_values["questions"], "campaign_id": int(campaign) if campaign else None}
    try:
        saved = scripts.create(values, session=session) if script is None else scripts.update(script, values,
                                                                                             session=session)
    except Invalid as invalid:
        session.rollback()
        script = scripts.get(script.id, session=session) if script is not None else None
        return None, _editor(request, session=session, draft=draft, script=script,
                             errors=editor.input_errors(invalid.errors), status_code=422)
    return saved, None


@router.post("/call-lists/scripts/new")
@retry_races
def create_script(request: Request, actor: PageActor, session: DbSession, form: Posted):
    actor.require("call_lists:manage")
    saved, page = _save(request, session, None, form)
    if page is not None:
        return page
    session.commit()
    return redirect(request, f"/call-lists/scripts/{saved.id}", message=f"Script “{saved.name}” made.", kind="ok")


@router.get("/call-lists/scripts/{script_id:int}")
def edit_script(request: Request, script_id: int, actor: PageActor, session: DbSession):
    actor.require("call_lists:manage")
    script = scripts.get(script_id, session=session)
    return _editor(request, session=session, draft=_draft_of(script), script=script)


@router.post("/call-lists/scripts/{script_id:int}")
@retry_races
def update_script(request: Request, script_id: int, actor: PageActor, session: DbSession, form: Posted):
    actor.require("call_lists:manage")
    script = scripts.get(script_id, session=session)
    version = script.version
    saved, page = _save(request, session, script, form)
    if page is not None:
        return page
    session.commit()
    news = f" Its questions are version {saved.version} now; earlier calls keep theirs." \
        if saved.version != version else ""
    return redirect(request, f"/call-lists/scripts/{saved.id}", message="Script saved." + news, kind="ok")


@router.post("/call-lists/scripts/{script_id:int}/delete")
def delete_script(request: Request, script_id: int, actor: PageActor, session: DbSession, form: Posted):
    actor.require("call_lists:manage")
    script = scripts.get(script_id, session=session)
    name = script.name
    try:
        scripts.delete(script, session=session)
    except Conflict as conflict:
        session.rollback()
        return redirect(request, f"/call-lists/scripts/{script_id}", message=f"Not deleted: {conflict}", kind="error")
    session.commit()
    return redirect(request, "/call-lists/scripts", message=f"Deleted the script “{name}”.", kind="ok")
