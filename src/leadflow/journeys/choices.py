"""What the editor's pickers offer: email templates, segments, call lists, forms, the stages a journey may move a
lead to, the events a wait can wait for, and the names the drawing shows for the ids a definition holds."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from leadflow.capture.models import Form
from leadflow.email import queries as email_queries
from leadflow.journeys import definition as journey_definition
from leadflow.people.models import CallList
from leadflow.segments import queries as segments_queries


def call_lists(*, session: Session) -> list[tuple[int, str]]:
    return [(i, n) for i, n in session.execute(select(CallList.id, CallList.name).order_by(CallList.name))]


def forms(*, session: Session) -> list[tuple[int, str]]:
    return [(i, n) for i, n in session.execute(select(Form.id, Form.name).order_by(Form.name))]


def pickers(*, session: Session) -> dict:
    return {"call_lists": call_lists(session=session), "forms": forms(session=session),
            "templates": email_queries.template_choices(session=session),
            "experiments": email_queries.experiment_choices(session=session),
            "segments": segments_queries.choices(session=session),
            "stages": list(journey_definition.STAGES), "wait_events": list(journey_definition.WAIT_EVENTS),
            "message_happenings": list(journey_definition.MESSAGE_HAPPENINGS),
            "run_happenings": list(journey_definition.RUN_HAPPENINGS),
            "entry_topics": list(journey_definition.ENTRY_TOPICS),
            "settable_fields": list(journey_definition.SETTABLE_FIELDS)}


def names(picked: dict) -> dict[tuple[str, object], str]:
    """(what, id) -> name, for the drawing's words."""
    out: dict[tuple[str, object], str] = {}
    for ident, name in picked.get("call_lists", ()):
        out[("call_list", ident)] = name
    for ident, name in picked.get("forms", ()):
        out[("form", ident)] = name
    for ident, name in picked.get("templates", ()):
        out[("template", ident)] = name
    for ident, name in picked.get("experiments", ()):
        out[("experiment", ident)] = name
    for ident, name in picked.get("segments", ()):
        out[("segment", ident)] = name
    return out
