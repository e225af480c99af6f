"""A survey's public page, `/s/{token}`: answered with no login through the lead's signed link (GET the form, POST
the answers as a form or as JSON). A forged or altered token is a 404; every post is stored as it came first."""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from urllib.parse import parse_qsl

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from leadflow.errors import FieldError
from leadflow.http import DbSession, PublicClient, RawBody, retry_races
from leadflow.surveys import domain, links
from leadflow.surveys import service as survey_service
from leadflow.web.pages import environment

router = APIRouter(include_in_schema=False)

PAGE_HEADERS = {
    "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": ("default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
                                "base-uri 'none'; frame-ancestors 'none'"),
}
FORM_TYPE, JSON_TYPE = "application/x-www-form-urlencoded", "application/json"
MAX_RAW_TEXT = 64_000


@lru_cache
def _stylesheet() -> bytes:
    return resources.files("leadflow.surveys").joinpath("static/survey.css").read_bytes()


@router.get("/s/assets/survey.css")
def stylesheet():
    return Response(_stylesheet(), media_type="text/css; charset=utf-8",
                    headers={"Cache-Control": "public, max-age=300", "X-Content-Type-Options": "nosniff"})


def question_views(questions: list[dict], values: dict[str, list[str]] | None = None,
                   errors: list[FieldError] | None = None) -> list[dict]:
    """What the page shows of each question: its input's name and ids, the values to show again, its error."""
    values = values or {}
    by_key = {e.field: e.reason for e in errors or []}
    views = []
    for question in questions:
        key = question["key"]
        views.append({**question, "id": f"q-{key}", "values": values.get(key, []),
                      "value": (values.get(key) or [""])[0], "error": by_key.get(key)})
    return views


def render_page(request: Request, survey, *, values=None, errors=None, action: str = "#", preview: bool = False,
                status_code: int = 200) -> HTMLResponse:
    templates = environment(getattr(request.app.state, "template_packages", ()))
    html = templates.get_template("surveys/public/page.html").render(
        survey=survey, questions=question_views(survey.questions, values, errors), action=action, preview=preview,
        error_count=len(errors or []))
    return HTMLResponse(html, status_code=status_code, headers=PAGE_HEADERS)


def _gone(request: Request, json_wanted: bool) -> Response:
    if json_wanted:
        return JSONResponse({"error": "not_found", "errors": [{"field": "token", "reason": "no survey at this "
                                                                                          "address"}]},
                            status_code=404, headers={"Cache-Control": "no-store"})
    templates = environment(getattr(request.app.state, "template_packages", ()))
    return HTMLResponse(templates.get_template("surveys/public/gone.html").render(), status_code=404,
                        headers=PAGE_HEADERS)


def _wants_json(request: Request) -> bool:
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    return media == JSON_TYPE or JSON_TYPE in request.headers.get("accept", "")


@router.get("/s/{token}")
def survey_page(request: Request, token: str, session: DbSession, client: PublicClient):
    claims = links.read_token(request.app.state.secret_key, token)
    opened = survey_service.open_link(claims, session=session) if claims else None
    if opened is None:
        return _gone(request, False)
    survey, _ = opened
    return render_page(request, survey, action=f"/s/{token}")


def _read_body(request: Request, raw: bytes) -> tuple[dict[str, list[str]], list[FieldError]]:
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media == JSON_TYPE:
        try:
            body = json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
            return {}, [FieldError("body", f"malformed JSON: {exc}")]
        if not isinstance(body, dict):
            return {}, [FieldError("body", "send {\"answers\": {question key: answer}}")]
        return domain.given_from_json(body.get("answers", {}))
    if media != FORM_TYPE:
        return {}, [FieldError("content-type", f"send {FORM_TYPE} or {JSON_TYPE}")]
    try:
        pairs = parse_qsl(raw.decode("utf-8"), keep_blank_values=True, max_num_fields=1000)
    except (UnicodeDecodeError, ValueError) as exc:
        return {}, [FieldError("body", f"not a form this page reads: {exc}")]
    given: dict[str, list[str]] = {}
    for name, value in pairs:
        given.setdefault(name[:100], []).append(value)
    return given, []


@router.post("/s/{token}")
@retry_races
def submit_survey(request: Request, token: str, session: DbSession, client: PublicClient, body: RawBody):
    raw_bytes, cut = body
    json_wanted = _wants_json(request)
    raw = {"content_type": request.headers.get("content-type", "")[:200], "cut": cut,
           "body": raw_bytes[:MAX_RAW_TEXT].decode("utf-8", "replace")}
    claims = links.read_token(request.app.state.secret_key, token)
    if claims is None:
        survey_service.store_raw(session=session, claims=None, raw={**raw, "token": token[:300]}, client=client,
                                 outcome="forged")
        session.commit()
        return _gone(request, json_wanted)
    if cut:
        survey_service.store_raw(session=session, claims=claims, raw=raw, client=client, outcome="too_large")
        session.commit()
        return JSONResponse({"error": "too_large", "errors": [{"field": "body", "reason": "too large"}]},
                            status_code=413)
    given, problems = _read_body(request, raw_bytes)
    malformed = [p for p in problems if p.field in ("body", "content-type", "answers")]
    if malformed:
        survey_service.store_raw(session=session, claims=claims, raw=raw, client=client, outcome="malformed")
        session.commit()
        status = 415 if malformed[0].field == "content-type" else 400
        return JSONResponse({"error": "malformed", "errors": [{"field": e.field, "reason": e.reason}
                                                               for e in malformed]}, status_code=status)
    outcome = survey_service.submit(session=session, claims=claims, given=given, raw={**raw, "fields": given},
                                    client=client, read_errors=problems)
    session.commit()
    if outcome.status == "unknown":
        return _gone(request, json_wanted)
    survey = outcome.survey
    if outcome.status == "refused":
        if json_wanted:
            labels = {q["key"]: q["label"] for q in survey.questions}
            return JSONResponse({"error": "invalid", "errors": [
                {"field": f"answers.{e.field}", "reason": e.reason,
                 **({"question": labels[e.field]} if e.field in labels else {})} for e in outcome.errors]},
                status_code=422)
        return render_page(request, survey, values=given, errors=outcome.errors, action=f"/s/{token}",
                           status_code=422)
    if json_wanted:
        return JSONResponse({"ok": True, "response_id": outcome.response.id, "message": survey.thanks,
                             "answers": outcome.response.answers})
    templates = environment(getattr(request.app.state, "template_packages", ()))
    html = templates.get_template("surveys/public/thanks.html").render(survey=survey, action=f"/s/{token}")
    return HTMLResponse(html, headers=PAGE_HEADERS)
