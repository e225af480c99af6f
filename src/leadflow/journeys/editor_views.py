"""The journey editor's pages: add a step (after a step, on a branch's way, or first), edit a step with the form
its type needs, remove it, add or remove a branch's way, the entry triggers, re-entry and goals, and the JSON view.
Each change is applied to the draft as it is now and validated; a problem is shown by its field (422). The JSON
view saves against the revision it showed: a draft changed meanwhile is a 409, nothing overwritten. journeys:manage."""

from __future__ import annotations

from fastapi import Request

from leadflow.errors import Conflict, Invalid
from leadflow.http import DbSession, retry_races
from leadflow.journeys import choices, drafts, drawing, editing, queries
from leadflow.journeys.views import MANAGE, problems_by_field
from leadflow.people.deps import PageActor
from leadflow.web.pages import PostedLists, page_router, redirect, render

router = page_router(tags=["pages"])
TYPE_HINTS = {
    "send_email": "an email template (or an A/B test) to the lead", "wait": "a duration (7 days, 12 hours)",
    "wait_until": "an event (a survey answered, an email opened...) or a date, at most so long",
    "branch": "ways chosen by what happened or a condition", "add_to_call_list": "for telemarketers to call",
    "set_field": "a profile or custom field", "add_points": "to the lead's score", "change_stage": "nurture, "
    "disqualified...", "hand_to_sales": "Sales Ready: routing gives it to a salesperson", "exit": "the run ends"}


def _single(form: dict[str, list[str]]) -> dict[str, object]:
    """The form's values: lists only for the names that may repeat (events, entry_kinds)."""
    return {k: (v if k in ("events", "entry_kinds") else (v[-1] if v else "")) for k, v in form.items()}


def _step_page(request: Request, session, journey_id: int, *, step: dict | None, kind: str | None,
               after: str | None, way: str | None, problems: dict | None = None, status_code: int = 200,
               is_new: bool = False):
    journey = queries.get(journey_id, session=session)
    definition, _ = drafts.working(journey_id, session=session)
    problems = problems or {}
    step_id = step.get("id") if step else None
    mine: dict[str, str] = {}
    ways: dict[str, dict[str, str]] = {}  # a way's first problem: its reason, and whether its condition has it
    others: dict[str, str] = {}
    for key, reason in problems.items():
        parts = key.split(".")
        if step_id and parts[:2] == ["steps", step_id] and len(parts) == 3:
            mine[parts[2]] = reason
        elif step_id and parts[:3] == ["steps", step_id, "branches"] and len(parts) > 3:
            ways.setdefault(parts[3], {"reason": reason, "at": "condition" if parts[4:6] == ["when", "condition"]
                                       else "way"})
        else:
            others[key] = reason
    steps = [s for s in definition.get("steps") or () if s.get("id") != step_id]
    return render(request, "journeys/step.html", {
        "journey": journey, "base": f"/journeys/{journey_id}", "step": step or {}, "kind": kind,
        "after": after, "way": way, "is_new": is_new, "types": drawing.TYPES, "hints": TYPE_HINTS,
        "pickers": choices.pickers(session=session), "events": drawing.EVENTS, "happened": drawing.HAPPENED,
        "errors": mine, "way_errors": ways, "problems": others,
        "targets": [(s["id"], s.get("name") or drawing.TYPES.get(s.get("type"), s.get("type"))) for s in steps],
        "sends": [s["id"] for s in definition.get("steps") or () if s.get("type") == "send_email"]},
        status_code=status_code)


@router.get("/journeys/{journey_id}/steps/new")
def new_step(request: Request, session: DbSession, actor: PageActor, journey_id: int, after: str | None = None,
             way: str | None = None, type: str | None = None):
    actor.require(MANAGE)
    kind = type if type in editing.DEFAULTS else None
    step = {"id": "", "type": kind, **editing.DEFAULTS[kind]} if kind else None
    return _step_page(request, session, journey_id, step=step, kind=kind, after=after, way=way, is_new=True)


@router.post("/journeys/{journey_id}/steps")
@retry_races
def add_step(request: Request, session: DbSession, actor: PageActor, journey_id: int, form: PostedLists):
    actor.require(MANAGE)
    values = _single(form)
    kind, after, way = str(values.get("type") or ""), str(values.get("after") or "") or None, str(
        values.get("way") or "") or None
    made: dict = {}

    def change(definition: dict) -> dict:
        out, made["id"] = editing.add_step(definition, kind, after=after, way=way)
        return editing.update_step(out, made["id"], values)

    try:
        drafts.edit(journey_id, change, session=session)
    except Invalid as exc:
        session.rollback()
        step = {"id": made.get("id", ""), "type": kind, **editing.DEFAULTS.get(kind, {}),
                **{k: v for k, v in values.items() if k not in ("csrf_token", "after", "way", "type")}}
        return _step_page(request, session, journey_id, step=step, kind=kind, after=after, way=way,
                          problems=problems_by_field(exc), status_code=422, is_new=True)
    session.commit()
    return redirect(request, f"/journeys/{journey_id}#step-{made['id']}", message="Added the step to the draft.",
                    kind="ok")


def _find(definition: dict, step_id: str) -> dict | None:
    return next((s for s in definition.get("steps") or () if s.get("id") == step_id), None)


@router.get("/journeys/{journey_id}/steps/{step_id}")
def edit_step(request: Request, session: DbSession, actor: PageActor, journey_id: int, step_id: str):
    actor.require(MANAGE)
    definition, _ = drafts.working(journey_id, session=session)
    step = _find(definition, step_id)
    if step is None:
        return redirect(request, f"/journeys/{journey_id}", message=f"There is no step {step_id} in the draft.",
                        kind="error")
    return _step_page(request, session, journey_id, step=step, kind=step.get("type"), after=None, way=None)


@router.post("/journeys/{journey_id}/steps/{step_id}")
@retry_races
def save_step(request: Request, session: DbSession, actor: PageActor, journey_id: int, step_id: str,
              form: PostedLists):
    actor.require(MANAGE)
    values = _single(form)
    try:
        drafts.edit(journey_id, lambda d: editing.update_step(d, step_id, values), session=session)
    except Invalid as exc:
        session.rollback()
        definition, _ = drafts.working(journey_id, session=session)
        try:  # the form shown again as it was sent (a branch's conditions as typed), not as it was saved
            definition = editing.update_step(definition, step_id, values)
        except Invalid:
            pass
        step = {**(_find(definition, step_id) or {"id": step_id}), **{k: v for k, v in values.items()
                                                                      if k != "csrf_token"}}
        return _step_page(request, session, journey_id, step=step, kind=step.get("type"), after=None, way=None,
                          problems=problems_by_field(exc), status_code=422)
    session.commit()
    return redirect(request, f"/journeys/{journey_id}#step-{step_id}", message="Saved the step in the draft.",
                    kind="ok")


def _change(request: Request, session, journey_id: int, change, message: str, anchor: str = ""):
    try:
        drafts.edit(journey_id, change, session=session)
    except Invalid as exc:
        session.rollback()
        text = "; ".join(f"{k}: {v}" for k, v in problems_by_field(exc).items())
        return redirect(request, f"/journeys/{journey_id}", message=f"Not changed: {text}"[:600], kind="error")
    session.commit()
    return redirect(request, f"/journeys/{journey_id}{anchor}", message=message, kind="ok")


@router.post("/journeys/{journey_id}/steps/{step_id}/remove")
@retry_races
def remove_step(request: Request, session: DbSession, actor: PageActor, journey_id: int, step_id: str):
    actor.require(MANAGE)
    return _change(request, session, journey_id, lambda d: editing.remove_step(d, step_id),
                   f"Removed the step {step_id} from the draft.")


@router.post("/journeys/{journey_id}/steps/{step_id}/ways")
@retry_races
def add_way(request: Request, session: DbSession, actor: PageActor, journey_id: int, step_id: str):
    actor.require(MANAGE)
    try:
        drafts.edit(journey_id, lambda d: editing.add_way(d, step_id), session=session)
    except Invalid:
        session.rollback()
        return redirect(request, f"/journeys/{journey_id}/steps/{step_id}", message="Could not add a way.",
                        kind="error")
    session.commit()
    return redirect(request, f"/journeys/{journey_id}/steps/{step_id}", message="Added a way: set its test.",
                    kind="ok")


@router.post("/journeys/{journey_id}/steps/{step_id}/ways/{index}/remove")
@retry_races
def remove_way(request: Request, session: DbSession, actor: PageActor, journey_id: int, step_id: str, index: int):
    actor.require(MANAGE)
    return _change(request, session, journey_id, lambda d: editing.remove_way(d, step_id, index),
                   "Removed the way.", f"#step-{step_id}")


def _settings_page(request: Request, session, journey_id: int, *, definition: dict | None = None,
                   values: dict | None = None, problems: dict | None = None, status_code: int = 200):
    journey = queries.get(journey_id, session=session)
    if definition is None:
        definition, _ = drafts.working(journey_id, session=session)
    return render(request, "journeys/settings.html", {
        "journey": journey, "base": f"/journeys/{journey_id}", "definition": definition,
        "pickers": choices.pickers(session=session), "values": values or {},
        "goals": (values or {}).get("goals", editing.goals_text(definition)), "problems": problems or {}},
        status_code=status_code)


@router.get("/journeys/{journey_id}/settings")
def settings_page(request: Request, session: DbSession, actor: PageActor, journey_id: int):
    actor.require(MANAGE)
    return _settings_page(request, session, journey_id)


@router.post("/journeys/{journey_id}/settings")
@retry_races
def save_settings(request: Request, session: DbSession, actor: PageActor, journey_id: int, form: PostedLists):
    actor.require(MANAGE)
    values = _single(form)
    name = str(values.get("name") or "")
    try:
        drafts.edit(journey_id, lambda d: editing.update_settings(d, values), session=session, name=name,
                    description=str(values.get("description") or ""))
    except Invalid as exc:
        session.rollback()
        try:
            shown = editing.update_settings(drafts.working(journey_id, session=session)[0], values)
        except Invalid:
            shown = None
        return _settings_page(request, session, journey_id, definition=shown, values=values,
                              problems=problems_by_field(exc), status_code=422)
    session.commit()
    return redirect(request, f"/journeys/{journey_id}", message="Saved the entry, re-entry and goals in the draft.",
                    kind="ok")


@router.get("/journeys/{journey_id}/json")
def json_page(request: Request, session: DbSession, actor: PageActor, journey_id: int):
    actor.require(MANAGE)
    import json

    definition, _ = drafts.working(journey_id, session=session)
    return render(request, "journeys/json.html", {
        "journey": queries.get(journey_id, session=session), "base": f"/journeys/{journey_id}",
        "text": json.dumps(definition, indent=2), "revision": drafts.revision(definition), "problems": {}})


@router.post("/journeys/{journey_id}/json")
@retry_races
def save_json(request: Request, session: DbSession, actor: PageActor, journey_id: int, form: PostedLists):
    actor.require(MANAGE)
    values = _single(form)
    text, base = str(values.get("definition") or ""), str(values.get("revision") or "")
    try:
        drafts.save(journey_id, editing.from_json(text), session=session, base=base or None)
    except (Invalid, Conflict) as exc:
        session.rollback()
        problems = problems_by_field(exc) if isinstance(exc, Invalid) else {"revision": str(exc)}
        return render(request, "journeys/json.html", {
            "journey": queries.get(journey_id, session=session), "base": f"/journeys/{journey_id}", "text": text,
            "revision": base, "problems": problems}, status_code=422 if isinstance(exc, Invalid) else 409)
    session.commit()
    return redirect(request, f"/journeys/{journey_id}", message="Saved the draft.", kind="ok")
