"""The call lists pages: the lists a person works with their queue counts and coming call-backs, a new list's form
(managers), a list's page (its plan, queue, leads done, latest calls, throughput; pause, add leads, delete), and
the stage's own stylesheet and script."""

from __future__ import annotations

from datetime import timedelta
from functools import lru_cache
from importlib import resources

from fastapi import Request
from fastapi.responses import Response

from leadflow import clock
from leadflow.campaigns import queries as campaigns_queries
from leadflow.errors import Invalid, NotFound
from leadflow.http import DbSession, retry_races
from leadflow.leads import queries as leads_queries
from leadflow.people import queries as people_queries
from leadflow.people import service as people_service
from leadflow.people.deps import PageActor
from leadflow.people.models import CallList
from leadflow.segments import queries as segments_queries
from leadflow.telemarketing import calling, plan_form, queries, scripts
from leadflow.telemarketing import service as lists
from leadflow.web.pages import PostedLists, page_router, redirect, render

router = page_router(tags=["pages"])
ASSETS = {"telemarketing.css": "text/css; charset=utf-8", "calling.js": "text/javascript; charset=utf-8"}
MAX_IDS = 10_000


@lru_cache
def _asset(name: str) -> bytes:
    return resources.files("leadflow.telemarketing").joinpath(f"static/{name}").read_bytes()


@router.get("/call-lists/assets/{name}")
def asset(name: str):
    if name not in ASSETS:
        raise NotFound("file", name)
    return Response(_asset(name), media_type=ASSETS[name],
                    headers={"Cache-Control": "public, max-age=300", "X-Content-Type-Options": "nosniff"})


def _choices(session, actor) -> dict:
    return {"owners": [(u.id, u.name or u.email) for u in people_queries.users_holding("calls:make", session=session)],
            "teams": [(t.id, t.name) for t in people_service.list_teams(session=session)],
            "segments": segments_queries.choices(session=session),
            "scripts": [(s.id, f"{s.name} (v{s.version})" + ("" if s.active else ", off"))
                        for s in scripts.listing(session=session)],
            "campaigns": campaigns_queries.choices(session=session),
            "sources": [(k, v) for k, v in lists.SOURCE_LABELS.items() if k != "journey"],
            "day_names": plan_form.DAY_NAMES, "zones": calling.all_zones()}


def _lists_page(request: Request, actor, *, session, draft: dict | None = None, errors: dict | None = None,
                status_code: int = 200):
    found = queries.lists_for(actor, session=session)
    counts = queries.counts([c.id for c, _, _ in found], session=session)
    callbacks = queries.callbacks_of(actor.user_id, session=session, limit=20) if actor.user_id else []
    names = {c.id: c.name for c, _, _ in found}
    leads = leads_queries.leads_by_id({c.lead_id for c in callbacks}, session=session) if callbacks else {}
    manager = actor.can("call_lists:manage")
    context = {"lists": found, "counts": counts, "callbacks": callbacks, "list_names": names, "callback_leads": leads,
               "manager": manager, "caller": actor.can("calls:make"), "labels": lists.SOURCE_LABELS,
               "draft": draft or plan_form.new_draft(actor.user_id), "errors": errors or {},
               "action": "/call-lists", "hhmm": calling.hhmm}
    if manager:
        context.update(_choices(session, actor))
    return render(request, "telemarketing/lists.html", context, status_code=status_code)


@router.get("/call-lists")
def call_lists_page(request: Request, actor: PageActor, session: DbSession):
    actor.require("call_lists:read")
    return _lists_page(request, actor, session=session)


def _saved(values: dict, form_errors: dict[str, str], save) -> dict[str, str]:
    """Run `save` with what the form could read; every error, the form's and the service's, by field."""
    kept = {k: v for k, v in values.items() if k not in form_errors}
    kept["targets"] = {k: v for k, v in values["targets"].items() if f"targets.{k}" not in form_errors}
    errors = {field: reason[:1].upper() + reason[1:] for field, reason in form_errors.items()}
    try:
        save(kept)
    except Invalid as invalid:
        for error in invalid.errors:
            errors.setdefault(error.field, error.reason[:1].upper() + error.reason[1:])
    return errors


@router.post("/call-lists")
@retry_races
def create_list(request: Request, actor: PageActor, session: DbSession, form: PostedLists):
    actor.require("call_lists:manage")
    draft = plan_form.draft_from(form)
    values, form_errors = plan_form.values_of(draft)
    made: list[CallList] = []

    def save(kept: dict) -> None:
        kept["targets"] = {k: v for k, v in kept["targets"].items() if v is not None}
        made.append(lists.create_list({k: v for k, v in kept.items() if v is not None or k == "team_id"},
                                      session=session, actor=actor))

    errors = _saved(values, form_errors, save)
    if errors:
        session.rollback()
        return _lists_page(request, actor, session=session, draft=draft, errors=errors, status_code=422)
    session.commit()
    return redirect(request, f"/call-lists/{made[0].id}", message=f"Call list “{made[0].name}” made.", kind="ok")


def _list_page(request: Request, actor, call_list: CallList, *, session, draft: dict | None = None,
               errors: dict | None = None, added: dict | None = None, status_code: int = 200):
    plan = lists.plan_of(call_list, session=session)
    manager = actor.can("call_lists:manage")
    waiting = queries.entries(call_list.id, session=session, state="waiting", limit=100)
    done = queries.entries(call_list.id, session=session, state="done", limit=50)
    recent = queries.recent_calls(call_list.id, session=session, limit=30)
    if not manager:
        recent = [c for c in recent if c.user_id == actor.user_id]
    lead_ids = {e.lead_id for e in waiting + done} | {c.lead_id for c in recent}
    leads = leads_queries.leads_by_id(lead_ids, session=session) if lead_ids else {}
    people = people_queries.user_names({e.claimed_by for e in waiting if e.claimed_by}
                                       | {e.callback_user_id for e in waiting if e.callback_user_id}
                                       | {c.user_id for c in recent if c.user_id} | {call_list.owner_id},
                                       session=session)
    moment = clock.now()
    until = moment
    rows = queries.throughput(actor, session=session, since=until - timedelta(days=7), until=until,
                              call_list_id=call_list.id)
    context = {"call_list": call_list, "plan": plan, "manager": manager, "caller": actor.can("calls:make"),
               "waiting": waiting, "done": done, "recent": recent, "leads": leads, "people": people,
               "counts": queries.counts([call_list.id], session=session)[call_list.id], "moment": moment,
               "outcome_labels": calling.LABELS, "labels": lists.SOURCE_LABELS, "rows": rows, "hhmm": calling.hhmm,
               "draft": draft or plan_form.draft_of(call_list, plan), "errors": errors or {}, "added": added,
               "action": f"/call-lists/{call_list.id}", "skip_reasons": lists.SKIP_REASONS,
               "team": people_queries.team_names([call_list.team_id], session=session).get(call_list.team_id)
               if call_list.team_id else None}
    if manager:
        context.update(_choices(session, actor))
    return render(request, "telemarketing/list.html", context, status_code=status_code)


@router.get("/call-lists/{call_list_id:int}")
def list_page(request: Request, call_list_id: int, actor: PageActor, session: DbSession):
    actor.require("call_lists:read")
    return _list_page(request, actor, lists.list_for(call_list_id, actor, session=session), session=session)


@router.post("/call-lists/{call_list_id:int}")
@retry_races
def update_list(request: Request, call_list_id: int, actor: PageActor, session: DbSession, form: PostedLists):
    actor.require("call_lists:manage")
    call_list = lists.get_list(call_list_id, session=session)
    draft = plan_form.draft_from(form)
    values, form_errors = plan_form.values_of(draft)
    if values.get("owner_id") is None:
        values.pop("owner_id")
    errors = _saved(values, form_errors, lambda kept: lists.update_list(call_list, kept, session=session))
    if errors:
        session.rollback()
        call_list = lists.get_list(call_list_id, session=session)
        return _list_page(request, actor, call_list, session=session, draft=draft, errors=errors, status_code=422)
    session.commit()
    return redirect(request, f"/call-lists/{call_list.id}", message="The plan is saved.", kind="ok")


@router.post("/call-lists/{call_list_id:int}/status")
def set_status(request: Request, call_list_id: int, actor: PageActor, session: DbSession, form: PostedLists):
    actor.require("call_lists:manage")
    call_list = lists.get_list(call_list_id, session=session)
    status = (form.get("status") or [""])[-1]
    lists.update_list(call_list, {"status": status}, session=session)
    session.commit()
    return redirect(request, f"/call-lists/{call_list.id}",
                    message="Paused: nobody is called from it." if status == "paused" else "Calling resumed.",
                    kind="ok")


@router.post("/call-lists/{call_list_id:int}/leads")
def add_leads(request: Request, call_list_id: int, actor: PageActor, session: DbSession, form: PostedLists):
    """Leads put on the list by their numbers (commas, spaces or lines between them)."""
    actor.require("call_lists:manage")
    call_list = lists.get_list(call_list_id, session=session)
    text = (form.get("lead_ids") or [""])[-1]
    words = text.replace(",", " ").split()
    wrong = [w for w in words if not w.isdecimal() or len(w) > 18]
    if not words or wrong or len(words) > MAX_IDS:
        reason = ("give the leads' numbers" if not words else f"not lead numbers: {', '.join(wrong[:5])}" if wrong
                  else f"at most {MAX_IDS} at a time")
        return _list_page(request, actor, call_list, session=session, errors={"lead_ids": reason[:1].upper()
                                                                                + reason[1:]}, status_code=422)
    result = lists.add_leads(call_list, [int(w) for w in words], session=session, why=f"added by {actor.label}")
    session.commit()
    skipped = ", ".join(f"{count} {lists.SKIP_REASONS.get(reason, reason)}" for reason, count in result.skipped.items())
    message = (f"Added {result.added}" + (f", back in the queue {result.reopened}" if result.reopened else "")
               + (f"; not added: {skipped}" if skipped else "") + ".")
    return redirect(request, f"/call-lists/{call_list.id}", message=message, kind="ok" if result.added else "info")


@router.get("/call-lists/{call_list_id:int}/delete")
def confirm_delete(request: Request, call_list_id: int, actor: PageActor, session: DbSession):
    actor.require("call_lists:manage")
    call_list = lists.get_list(call_list_id, session=session)
    return render(request, "telemarketing/delete.html", {
        "call_list": call_list, "counts": queries.counts([call_list.id], session=session)[call_list.id]})


@router.post("/call-lists/{call_list_id:int}/delete")
@retry_races
def delete_list(request: Request, call_list_id: int, actor: PageActor, session: DbSession, form: PostedLists):
    actor.require("call_lists:manage")
    call_list = lists.get_list(call_list_id, session=session)
    name = call_list.name
    lists.delete_list(call_list, session=session)
    session.commit()
    return redirect(request, "/call-lists", message=f"Deleted the call list “{name}”; its calls stay in the leads' "
                                                    "history.", kind="ok")
