"""The journeys pages: /journeys (each journey's status, version, leads active and done; new, or from the brochure
template) and /journeys/{id} (the journey drawn as a flow of steps with counts per step; publish, pause, resume,
enrol by hand, versions). Reading needs journeys:read, changing journeys:manage. The editor's pages are in
editor_views, the simulator's in simulate_views."""

from __future__ import annotations

from fastapi import Request

from leadflow.errors import Conflict, Invalid, NotFound
from leadflow.http import DbSession, retry_races
from leadflow.journeys import choices, drafts, drawing, editing, queries
from leadflow.journeys import service as journeys_service
from leadflow.people import queries as people_queries
from leadflow.people.deps import PageActor
from leadflow.web.pages import Posted, page_router, redirect, render

router = page_router(tags=["pages"])
READ, MANAGE = "journeys:read", "journeys:manage"


def problems_by_field(exc: Invalid) -> dict[str, str]:
    """Problems keyed by where they are: `definition.steps.s2.template_id` -> `steps.s2.template_id`."""
    out: dict[str, str] = {}
    for e in exc.errors:
        key = e.field.removeprefix("definition.")
        out.setdefault(key, e.reason[:1].upper() + e.reason[1:])
    return out


def journey_page(request: Request, session, actor, journey_id: int, *, version: int | None = None,
                 status_code: int = 200, problems: dict | None = None, values: dict | None = None):
    journey = queries.get(journey_id, session=session)
    all_versions = queries.versions(journey_id, session=session)
    current = queries.draft(journey_id, session=session)
    shown = next((v for v in all_versions if v.number == version), None) if version else None
    shown = shown or current or (all_versions[0] if all_versions else None)
    definition = shown.definition if shown else drafts.STARTER
    picked = choices.pickers(session=session)
    counts = queries.drawn_counts(journey_id, session=session)
    live = next((v for v in all_versions if v.id == journey.live_version_id), None)
    newest = all_versions[0] if all_versions else None
    editable = actor.can(MANAGE) and shown is not None and (
        shown.published_at is None or (current is None and shown is newest))
    return render(request, "journeys/show.html", {
        "journey": journey, "versions": all_versions, "shown": shown, "draft": current, "live": live,
        "definition": definition, "boxes": drawing.draw(definition, counts, choices.names(picked)),
        "counts": counts, "runs": queries.run_counts([journey_id], session=session).get(journey_id, {}),
        "editable": editable, "can_manage": actor.can(MANAGE), "entry_words": _entry_words(definition, picked),
        "goals": editing.goals_text(definition), "revision": drafts.revision(definition),
        "problems": problems or {}, "values": values or {}, "segments": picked["segments"],
        "actors": people_queries.actor_names((v.published_by for v in all_versions), session=session)},
        status_code=status_code)


def _entry_words(definition: dict, picked: dict) -> list[str]:
    names = choices.names(picked)
    out = []
    for entry in definition.get("entry") or ():
        kind = entry.get("kind")
        if kind == "form":
            out.append("The form " + names.get(("form", entry.get("form_id")), f"#{entry.get('form_id')}"))
        elif kind == "segment":
            out.append("Entering the segment " + names.get(("segment", entry.get("segment_id")),
                                                          f"#{entry.get('segment_id')}"))
        elif kind == "list":
            out.append("The call list " + names.get(("call_list", entry.get("call_list_id")),
                                                    f"#{entry.get('call_list_id')}"))
        elif kind == "event":
            out.append(f"The event {entry.get('topic')}" + (f" when {entry['condition']}"
                                                           if entry.get("condition") else ""))
        else:
            out.append("By hand")
    return out


@router.get("/journeys")
def journeys_list(request: Request, session: DbSession, actor: PageActor):
    actor.require(READ)
    return render(request, "journeys/list.html", {"journeys": queries.listing(session=session),
                                                  "can_manage": actor.can(MANAGE), "values": {}, "errors": {}})


@router.post("/journeys")
@retry_races
def create_journey(request: Request, session: DbSession, actor: PageActor, form: Posted):
    actor.require(MANAGE)
    values = {"name": (form.get("name") or "").strip()[:300], "description": (form.get("description") or "")[:5000]}
    try:
        journey = drafts.create(session=session, name=values["name"], description=values["description"],
                                by=actor.label)
    except Invalid as exc:
        session.rollback()
        return render(request, "journeys/list.html", {
            "journeys": queries.listing(session=session), "can_manage": True, "values": values,
            "errors": {e.field: e.reason[:1].upper() + e.reason[1:] for e in exc.errors}}, status_code=422)
    session.commit()
    return redirect(request, f"/journeys/{journey.id}", message=f"Made the journey {journey.name}: add its steps.",
                    kind="ok")


@router.post("/journeys/template/brochure")
@retry_races
def from_brochure_template(request: Request, session: DbSession, actor: PageActor):
    actor.require(MANAGE)
    from leadflow.journeys import template as journeys_template

    try:
        journey = journeys_template.create_brochure_template(session=session, actor=actor.label)
    except Invalid as exc:
        session.rollback()
        return redirect(request, "/journeys", message="; ".join(e.reason for e in exc.errors), kind="error")
    session.commit()
    return redirect(request, f"/journeys/{journey.id}", message=f"Made the journey {journey.name} from the brochure "
                                                                "template: look it over, simulate it, publish it.",
                    kind="ok")


@router.get("/journeys/{journey_id}")
def journey_detail(request: Request, session: DbSession, actor: PageActor, journey_id: int,
                   version: int | None = None):
    actor.require(READ)
    return journey_page(request, session, actor, journey_id, version=version)


def _act(request: Request, session, actor, journey_id: int, action, message: str):
    actor.require(MANAGE)
    try:
        action()
    except (Conflict, Invalid) as exc:
        session.rollback()
        text = str(exc) if isinstance(exc, Conflict) else "; ".join(
            f"{k}: {v}" for k, v in problems_by_field(exc).items())
        return redirect(request, f"/journeys/{journey_id}", message=text[:500], kind="error")
    session.commit()
    return redirect(request, f"/journeys/{journey_id}", message=message, kind="ok")


@router.post("/journeys/{journey_id}/publish")
@retry_races
def publish(request: Request, session: DbSession, actor: PageActor, journey_id: int):
    return _act(request, session, actor, journey_id,
                lambda: drafts.make_live(journey_id, session=session, by=actor.label),
                "Published: new leads start on this version; leads already in the journey finish on theirs.")


@router.post("/journeys/{journey_id}/pause")
@retry_races
def pause(request: Request, session: DbSession, actor: PageActor, journey_id: int):
    return _act(request, session, actor, journey_id,
                lambda: drafts.set_status(journey_id, "paused", session=session),
                "Paused: no step is taken and no lead enters until you resume it.")


@router.post("/journeys/{journey_id}/resume")
@retry_races
def resume(request: Request, session: DbSession, actor: PageActor, journey_id: int):
    return _act(request, session, actor, journey_id,
                lambda: drafts.set_status(journey_id, "live", session=session),
                "Resumed: steps that came due meanwhile are taken now.")


@router.post("/journeys/{journey_id}/discard")
@retry_races
def discard(request: Request, session: DbSession, actor: PageActor, journey_id: int):
    return _act(request, session, actor, journey_id, lambda: drafts.discard(journey_id, session=session),
                "Threw the draft away.")


@router.post("/journeys/{journey_id}/enrol")
@retry_races
def enrol(request: Request, session: DbSession, actor: PageActor, journey_id: int, form: Posted):
    actor.require(MANAGE)
    values = {"lead_id": (form.get("lead_id") or "").strip(), "segment_id": (form.get("segment_id") or "").strip()}
    try:
        if values["segment_id"]:
            if not _number(values["segment_id"]):
                raise Invalid.one("segment_id", "choose a segment")
            queries.get(journey_id, session=session)
            journeys_service.enrol_later(journey_id, f"segment:{values['segment_id']}", session=session)
            message, kind = "Enrolling the segment's members: they enter in the background.", "ok"
        else:
            if not _number(values["lead_id"]):
                raise Invalid.one("lead_id", "write the lead's number")
            outcome = journeys_service.enrol(journey_id, [int(values["lead_id"])], session=session,
                                             source="by hand")
            message, kind = _enrolled_words(outcome)
    except Invalid as exc:
        session.rollback()
        return journey_page(request, session, actor, journey_id, status_code=422, values=values,
                            problems={f"enrol.{k}": v for k, v in problems_by_field(exc).items()})
    except (Conflict, NotFound) as exc:  # a journey not live, gone: said at the top of its page, as an error
        session.rollback()
        queries.get(journey_id, session=session)  # the journey itself gone: its 404
        return redirect(request, f"/journeys/{journey_id}", message=f"Not enrolled: {exc}"[:500], kind="error")
    session.commit()
    return redirect(request, f"/journeys/{journey_id}", message=message, kind=kind)


def _number(text: str) -> bool:
    """A record's number as a person types it: ASCII digits that fit the database (not "²", not 30 digits)."""
    return text.isascii() and text.isdigit() and len(text) < 19


def _enrolled_words(outcome: dict) -> tuple[str, str]:
    """The flash after enrolling one lead, and its kind: a refusal is an error, not a success."""
    if outcome["entered"]:
        return "The lead entered the journey.", "ok"
    return f"The lead did not enter: {next(iter(outcome['refused'].values()), 'it may not enter')}.", "error"
