"""A lead's context in the segment scope of the condition language, the one place it is built for segments and for
journeys (whose scope is the segment's): routing's reader for the lead's own fields, and the lead's latest survey
answers as `survey.<question>` (surveys' reader, handed in: `segments/sources.py`)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from leadflow.routing import service as routing_service
from leadflow.segments import sources

SURVEY = "survey."  # `survey.<question>`: the lead's latest answer to a survey question


def lead_contexts(leads: list, names: set[str], *, session: Session) -> dict[int, dict]:
    """Each lead's context for the names given (only what they read). `leads`: Lead objects, or rows with the
    columns routing reads. Survey answers are read only when a name asks for them."""
    plain = {name for name in names if not name.startswith(SURVEY)}
    found = routing_service.lead_contexts(leads, plain, session=session) if plain and leads else {
        lead.id: {} for lead in leads}
    if len(plain) < len(names) and found:
        for lead_id, answers in sources.survey_answers(found, session=session).items():
            if lead_id in found:
                found[lead_id].update({f"{SURVEY}{key}": value for key, value in answers.items()})
    return found
