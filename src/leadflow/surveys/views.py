"""The survey pages: the list, the editor (questions, where each answer goes), the preview of the lead's page, the
responses with their answers, the CSV export, a lead's signed link."""

from __future__ import annotations

import csv
import io

from fastapi import Request
from fastapi.responses import Response

from leadflow.errors import Conflict, Invalid, NotFound
from leadflow.http import AppSettings, DbSession, retry_races
from leadflow.leads import queries as leads_queries
from leadflow.leads.domain import spreadsheet_safe
from leadflow.people.deps import PageActor
from leadflow.surveys import domain, editor, links, public, queries
from leadflow.surveys import service as survey_service
from leadflow.surveys.models import Survey
from leadflow.web.pages import Posted, page_router, redirect, render

router = page_router(tags=["pages"])
PAGE = 100


def _editor(request: Request, *, draft: dict, survey: Survey | None, errors: dict | None = None,
            status_code: int = 200, link: dict | None = None):
    return render(request, "surveys/edit.html", {
        "survey": survey, "draft": draft, "errors": errors or {}, "kinds": domain.KIND_LABELS,
        "targets": domain.maps_to_choices(), "action": f"/surveys/{survey.id}" if survey else "/surveys/new",
        "count": len(draft["questions"]), "next_step": domain.NEXT_STEP, "link": link or {},
    }, status_code=status_code)


@router.get("/surveys")
def survey_list(request: Request, actor: PageActor, session: DbSession):
    actor.require("surveys:manage")
    rows = queries.listing(session=session)
    return render(request, "surveys/list.html", {
        "surveys": rows, "counts": queries.response_counts([s.id for s in rows], session=session),
        "has_brochure": any(s.key == domain.BROCHURE_KEY for s in rows)})


@router.post("/surveys/template/brochure")
def add_brochure(request: Request, actor: PageActor, session: DbSession, form: Posted):
    actor.require("surveys:manage")
    survey = survey_service.ensure_brochure_template(session=session)
    session.commit()
    return redirect(request, f"/surveys/{survey.id}", message="The brochure follow-up survey is ready.", kind="ok")


@router.get("/surveys/new")
def new_survey(request: Request, actor: PageActor):
    actor.require("surveys:manage")
    return _editor(request, draft=editor.new_draft(), survey=None)


def _save(request: Request, session, survey: Survey | None, form: dict):
    draft = editor.draft_from(form)
    op = str(form.get("op") or "save")
    if op != "save":
        if not editor.apply(draft, op):
            return None, _editor(request, draft=draft, survey=survey, status_code=422,
                                 errors={"form": "That change is not possible."})
        return None, _editor(request, draft=draft, survey=survey)
    values = editor.values_of(draft)
    try:
        if survey is None:
            saved = survey_service.create(session=session, values=values)
        else:
            saved = survey_service.update(session=session, survey=survey, values=values)
    except (Invalid, Conflict) as exc:
        session.rollback()
        errors = editor.input_errors(exc.errors) if isinstance(exc, Invalid) else {"key": str(exc)}
        if survey is not None:
            survey = survey_service.get(survey.id, session=session)
        return None, _editor(request, draft=draft, survey=survey, errors=errors, status_code=422)
    return saved, None


@router.post("/surveys/new")
def create_survey(request: Request, actor: PageActor, session: DbSession, form: Posted):
    actor.require("surveys:manage")
    saved, page = _save(request, session, None, form)
    if page is not None:
        return page
    session.commit()
    return redirect(request, f"/surveys/{saved.id}", message=f"Survey “{saved.name}” created.", kind="ok")


@router.get("/surveys/{survey_id:int}")
def edit_survey(request: Request, survey_id: int, actor: PageActor, session: DbSession):
    actor.require("surveys:manage")
    survey = survey_service.get(survey_id, session=session)
    return _editor(request, draft=editor.draft_of(survey), survey=survey)


@router.post("/surveys/{survey_id:int}")
def update_survey(request: Request, survey_id: int, actor: PageActor, session: DbSession, form: Posted):
    actor.require("surveys:manage")
    survey = survey_service.get(survey_id, session=session)
    version = survey.version
    saved, page = _save(request, session, survey, form)
    if page is not None:
        return page
    session.commit()
    news = f" The questions are version {saved.version} now." if saved.version != version else ""
    return redirect(request, f"/surveys/{saved.id}", message="Survey saved." + news, kind="ok")


@router.get("/surveys/{survey_id:int}/delete")
def confirm_delete(request: Request, survey_id: int, actor: PageActor, session: DbSession):
    """Asks first; says at once what keeps the survey (its responses, the email templates linking it)."""
    actor.require("surveys:manage")
    survey = survey_service.get(survey_id, session=session)
    return render(request, "surveys/delete.html", {
        "survey": survey, "kept": survey_service.kept_because(survey, session=session)})


@router.post("/surveys/{survey_id:int}/delete")
@retry_races
def delete_survey(request: Request, survey_id: int, actor: PageActor, session: DbSession, form: Posted):
    actor.require("surveys:manage")
    survey = survey_service.get(survey_id, session=session)
    name = survey.name
    try:
        survey_service.delete(survey, session=session)
    except Conflict as exc:
        session.rollback()
        return redirect(request, f"/surveys/{survey_id}", message=f"Not deleted: {exc}", kind="error")
    session.commit()
    return redirect(request, "/surveys", message=f"Deleted the survey “{name}”.", kind="ok")


@router.get("/surveys/{survey_id:int}/preview")
def preview(request: Request, survey_id: int, actor: PageActor, session: DbSession):
    """The page a lead sees, with the send button off."""
    actor.require("surveys:manage")
    survey = survey_service.get(survey_id, session=session)
    return public.render_page(request, survey, preview=True)


def _columns(survey: Survey, session) -> list[dict]:
    """Every question any version asked (the current ones first), so older answers keep their column."""
    seen, columns = set(), []
    versions = [survey.questions] + [survey_service.questions_of(survey.id, v, session=session)
                                     for v in range(survey.version - 1, 0, -1)]
    for questions in versions:
        for q in questions:
            if q["key"] not in seen:
                seen.add(q["key"])
                columns.append(q)
    return columns


@router.get("/surveys/{survey_id:int}/responses")
def responses(request: Request, survey_id: int, actor: PageActor, session: DbSession, before: int | None = None):
    actor.require("surveys:manage")
    survey = survey_service.get(survey_id, session=session)
    rows = queries.responses(survey.id, session=session, actor=actor, before=before, limit=PAGE)
    columns = _columns(survey, session)
    for row in rows:
        row["shown"] = [domain.answer_label(q, row["answers"].get(q["key"])) for q in columns]
    return render(request, "surveys/responses.html", {
        "survey": survey, "rows": rows, "columns": columns, "first": before is None,
        "next_before": rows[-1]["id"] if len(rows) == PAGE else None})


@router.get("/surveys/{survey_id:int}/responses.csv")
def responses_csv(request: Request, survey_id: int, actor: PageActor, session: DbSession):
    actor.require("surveys:manage")
    survey = survey_service.get(survey_id, session=session)
    columns = _columns(survey, session)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["response_id", "lead_id", "lead_name", "lead_email", "message_id", "version", "submitted_at",
                     *[q["key"] for q in columns]])
    before = None
    while True:
        rows = queries.responses(survey.id, session=session, actor=actor, before=before, limit=1000)
        for r in rows:
            answers = [", ".join(map(str, v)) if isinstance(v, list) else v
                       for v in (r["answers"].get(q["key"]) for q in columns)]
            writer.writerow([spreadsheet_safe(v) for v in (
                r["id"], r["lead_id"], r["lead_name"], r["lead_email"], r["message_id"], r["survey_version"],
                r["submitted_at"].isoformat(), *answers)])
        if len(rows) < 1000:
            break
        before = rows[-1]["id"]
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="survey-{survey.key}-responses.csv"',
        "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"})


@router.post("/surveys/{survey_id:int}/link")
def lead_link(request: Request, survey_id: int, actor: PageActor, session: DbSession, settings: AppSettings,
              form: Posted):
    """A lead's signed address of the survey, shown on the editor page (to paste into an email sent elsewhere)."""
    actor.require("surveys:manage")
    survey = survey_service.get(survey_id, session=session)
    text = (form.get("lead_id") or "").strip()
    try:
        lead = (leads_queries.visible_lead(actor, int(text), session=session)
                if text.isdecimal() and len(text) < 16 else None)
    except NotFound:
        lead = None
    draft = editor.draft_of(survey)
    if lead is None:  # shown in the card itself, where the person is looking
        return _editor(request, draft=draft, survey=survey, status_code=422,
                       link={"lead_id": text[:15], "error": "No lead with that number (or not one you can see)."})
    url = links.survey_url(settings, survey.id, lead.id, secret_key=request.app.state.secret_key)
    return _editor(request, draft=draft, survey=survey, link={"lead_id": str(lead.id), "url": url})
