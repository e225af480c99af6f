"""Journeys' JSON routes, /api/v1/journeys: list, create, get (its draft with the draft's revision), replace the
draft (against the revision it was edited from: a stale one is 409), versions, publish, pause, resume, enrol (leads
or a segment), simulate, the runs and the counts per step. A problem in a definition is a 422 naming the step and
field (`definition.steps.s2.template_id`). Reading needs journeys:read, the rest journeys:manage."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Query

from leadflow import values as plain
from leadflow.errors import FieldError, Invalid
from leadflow.http import DbSession, retry_races
from leadflow.inputs import Id
from leadflow.journeys import drafts, queries, simulation
from leadflow.journeys import service as journeys_service
from leadflow.leads.visibility import visible_leads
from leadflow.people.deps import permitted
from leadflow.people.service import Actor

router = APIRouter(prefix="/api/v1/journeys", tags=["journeys"])
Reader = Annotated[Actor, permitted("journeys:read")]
Manager = Annotated[Actor, permitted("journeys:manage")]


def _version(v) -> dict:
    return {"number": v.number, "definition": v.definition, "revision": drafts.revision(v.definition),
            "created_at": v.created_at, "published_at": v.published_at, "published_by": v.published_by}


def _journey(journey_id: int, *, session) -> dict:
    journey = queries.get(journey_id, session=session)
    versions = queries.versions(journey_id, session=session)
    live = next((v for v in versions if v.id == journey.live_version_id), None)
    current = queries.draft(journey_id, session=session)
    return {"id": journey.id, "name": journey.name, "description": journey.description, "status": journey.status,
            "created_by": journey.created_by, "created_at": journey.created_at, "updated_at": journey.updated_at,
            "live": _version(live) if live else None, "draft": _version(current) if current else None,
            "runs": queries.run_counts([journey_id], session=session).get(journey_id, {}),
            "counts": queries.drawn_counts(journey_id, session=session)}


def _saved(journey_id: int, *, session) -> dict:
    """Every change ends the same way: committed, then the journey as GET shows it."""
    session.commit()
    return _journey(journey_id, session=session)


def _body(payload: object) -> dict:
    if not isinstance(payload, dict):
        raise Invalid.one("body", "must be a JSON object")
    return payload


@router.get("")
def list_journeys(session: DbSession, actor: Reader):
    """Every journey: status, live version, whether it has a draft, and its leads active, done, exited and at a
    goal."""
    rows = queries.listing(session=session)
    return {"journeys": [{k: v for k, v in row.items()} for row in rows]}


@router.post("", status_code=201)
@retry_races
def create_journey(session: DbSession, actor: Manager, payload: Annotated[dict, Body(examples=[
        {"name": "Webinar follow-up", "description": "", "definition": drafts.STARTER}])]):
    """A new journey in draft (version 1, unpublished); without a definition it holds one exit step."""
    body = _body(payload)
    journey = drafts.create(session=session, name=body.get("name"), description=str(body.get("description") or ""),
                            definition=body.get("definition"), by=actor.label)
    return _saved(journey.id, session=session)


@router.post("/template/brochure", status_code=201)
@retry_races
def brochure_template(session: DbSession, actor: Manager):
    """The seeds' brochure journey, with its survey, email template and call list, as a draft to look over."""
    from leadflow.journeys import template as journeys_template

    journey = journeys_template.create_brochure_template(session=session, actor=actor.label)
    return _saved(journey.id, session=session)


@router.get("/{journey_id}")
def get_journey(journey_id: Id, session: DbSession, actor: Reader):
    return _journey(journey_id, session=session)


@router.put("/{journey_id}/draft")
@retry_races
def put_draft(journey_id: Id, session: DbSession, actor: Manager, payload: Annotated[dict, Body(examples=[
        {"definition": drafts.STARTER, "revision": "the draft's revision you edited"}])]):
    """Replace the draft's definition (and name, description). Give `revision` (from GET): if the draft changed
    since, 409 and nothing is overwritten. Validated: 422 names each problem by its step and field."""
    body = _body(payload)
    if "definition" not in body:
        raise Invalid.one("definition", "is required")
    revision = body.get("revision")
    drafts.save(journey_id, body["definition"], session=session, base=str(revision) if revision else None,
                name=body.get("name"), description=body.get("description"))
    return _saved(journey_id, session=session)


@router.get("/{journey_id}/versions")
def list_versions(journey_id: Id, session: DbSession, actor: Reader):
    queries.get(journey_id, session=session)
    return {"versions": [_version(v) for v in queries.versions(journey_id, session=session)]}


@router.get("/{journey_id}/versions/{number}")
def get_version(journey_id: Id, number: Id, session: DbSession, actor: Reader):
    return _version(queries.version(journey_id, number, session=session))


@router.post("/{journey_id}/publish")
@retry_races
def publish(journey_id: Id, session: DbSession, actor: Manager):
    """The draft becomes the live version; leads already in the journey finish on the version they started."""
    drafts.make_live(journey_id, session=session, by=actor.label)
    return _saved(journey_id, session=session)


def _set_status(journey_id: int, status: str, *, session) -> dict:
    drafts.set_status(journey_id, status, session=session)
    return _saved(journey_id, session=session)


@router.post("/{journey_id}/pause")
@retry_races
def pause(journey_id: Id, session: DbSession, actor: Manager):
    return _set_status(journey_id, "paused", session=session)


@router.post("/{journey_id}/resume")
@retry_races
def resume(journey_id: Id, session: DbSession, actor: Manager):
    return _set_status(journey_id, "live", session=session)


@router.post("/{journey_id}/enrol")
@retry_races
def enrol(journey_id: Id, session: DbSession, actor: Manager, payload: Annotated[dict, Body(examples=[
        {"lead_ids": [1, 2]}, {"segment_id": 5}])]):
    """Enrol leads by hand ({"lead_ids": [...]}, at most 1,000: {"entered": [...], "refused": {lead id: why}}, a
    lead refused by the re-entry rule or being in the journey already) or a segment's members ({"segment_id": N},
    a chunk at a time in the background). The journey must be published."""
    body = _body(payload)
    if body.get("segment_id") is not None:
        segment_id = body["segment_id"]
        if not isinstance(segment_id, int) or isinstance(segment_id, bool) or not 0 < segment_id <= plain.MAX_ID:
            raise Invalid.one("segment_id", "must be a segment's number")
        queries.get(journey_id, session=session)
        journeys_service.enrol_later(journey_id, f"segment:{body['segment_id']}", session=session)
        out = {"segment_id": body["segment_id"], "enrolling": True}
    else:
        ids = body.get("lead_ids")
        if not isinstance(ids, list) or not ids or len(ids) > 1000 or not all(
                isinstance(i, int) and not isinstance(i, bool) for i in ids):
            raise Invalid.one("lead_ids", "give 1 to 1000 leads' numbers")
        beyond = [FieldError(f"lead_ids.{n}", plain.RANGE_REASON) for n, i in enumerate(ids) if not plain.fits(i)]
        if beyond:
            raise Invalid(beyond)
        out = journeys_service.enrol(journey_id, ids, session=session, source="by hand")
    session.commit()
    return out


@router.post("/{journey_id}/simulate")
def simulate(journey_id: Id, session: DbSession, actor: Reader, payload: Annotated[dict, Body(examples=[
        {"source": "latest", "latest": 200, "delivered": 97, "opened": 45, "clicked": 30, "survey_answered": 35,
         "answer_quote": 15, "answer_meeting": 15, "answer_call": 20, "answer_nothing": 50, "seed": 7}])]):
    """Run the draft (or `version`) over sample leads on a virtual clock: counts per step (`reached`), how many
    went each way at each branch (`ways`: "0", "1"... and "else"), how the runs ended, and the first `paths` sample
    leads' paths with their virtual times. Rates are percents; the same seed gives the same result. Changes
    nothing."""
    body = _body(payload)
    paths = body.get("paths", 10)
    if not isinstance(paths, int) or not 0 <= paths <= 100:
        raise Invalid.one("paths", "must be a whole number from 0 to 100")
    out = simulation.run(journey_id, body, actor, session=session, keep_paths=paths)
    out.pop("definition", None)
    return out


@router.get("/{journey_id}/runs")
def runs(journey_id: Id, session: DbSession, actor: Reader,
         status: Annotated[str | None, Query(pattern="^(active|done|exited|goal)$")] = None,
         step: Annotated[str | None, Query(max_length=40)] = None, after: Id = 0,
         limit: Annotated[int, Query(ge=1, le=500)] = 50):
    """The journey's runs, newest first, of the leads you see: by status or the step they are at; page with
    `after` (the last id of the page before)."""
    queries.get(journey_id, session=session)
    found = queries.runs(journey_id, session=session, status=status, step_id=step, after=after, limit=limit,
                         visible=visible_leads(actor))
    return {"runs": [{"id": r.id, "lead_id": r.lead_id, "version_id": r.version_id, "number": r.number,
                      "status": r.status, "step": r.step_id, "entered_at": r.entered_at, "ended_at": r.ended_at,
                      "end_reason": r.end_reason, "entry": r.entry} for r in found],
            "next_after": found[-1].id if len(found) == limit else None}


@router.get("/{journey_id}/counts")
def counts(journey_id: Id, session: DbSession, actor: Reader, version: Id | None = None):
    """Per step: leads waiting at it now, leads that passed it, and at a branch how many went each way."""
    queries.get(journey_id, session=session)
    version_id = queries.version(journey_id, version, session=session).id if version else None
    return {"steps": queries.drawn_counts(journey_id, session=session, version_id=version_id),
            "runs": queries.run_counts([journey_id], session=session).get(journey_id, {})}
