"""Reads of surveys and their responses with no decision in them: the journeys' and segments' view of what leads
answered, the management pages' lists, the CSV export."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from leadflow.leads.models import Lead
from leadflow.leads.visibility import sees_all, visible_leads
from leadflow.people.service import Actor
from leadflow.surveys.models import Survey, SurveyResponse

CHUNK = 500


def _chunks(values: list, size: int = CHUNK):
    for start in range(0, len(values), size):
        yield values[start:start + size]


def latest_answers(lead_ids, *, session: Session) -> dict[int, dict[str, object]]:
    """Each lead's latest answer per question key, over every survey it answered (a later response's answer to the
    same key wins; a key a later survey did not ask keeps the earlier answer). Leads with no answers are absent."""
    found: dict[int, dict[str, object]] = {}
    for part in _chunks(sorted(set(lead_ids))):
        rows = session.execute(select(SurveyResponse.lead_id, SurveyResponse.answers)
                               .where(SurveyResponse.lead_id.in_(part))
                               .order_by(SurveyResponse.lead_id, SurveyResponse.submitted_at, SurveyResponse.id))
        for lead_id, answers in rows:
            found.setdefault(lead_id, {}).update(answers or {})
    return found


def submitted(lead_ids, since: datetime | None = None, *, session: Session,
              survey_id: int | None = None) -> dict[int, list[dict]]:
    """The responses each lead sent (or changed) at or after `since` (all when None), oldest first:
    {lead_id: [{survey_id, response_id, message_id, submitted_at, answers}]}; optionally of one survey."""
    found: dict[int, list[dict]] = {}
    for part in _chunks(sorted(set(lead_ids))):
        query = (select(SurveyResponse).where(SurveyResponse.lead_id.in_(part))
                 .order_by(SurveyResponse.lead_id, SurveyResponse.submitted_at, SurveyResponse.id))
        if since is not None:
            query = query.where(SurveyResponse.submitted_at >= since)
        if survey_id is not None:
            query = query.where(SurveyResponse.survey_id == survey_id)
        for response in session.scalars(query):
            found.setdefault(response.lead_id, []).append({
                "survey_id": response.survey_id, "response_id": response.id, "message_id": response.message_id,
                "submitted_at": response.submitted_at, "answers": response.answers})
    return found


def _visible(query, actor: Actor | None):
    if actor is None or sees_all(actor):
        return query
    return query.where(SurveyResponse.lead_id.in_(visible_leads(actor).with_only_columns(Lead.id)))


def responses(survey_id: int, *, session: Session, actor: Actor | None = None, before: int | None = None,
              limit: int = 100) -> list[dict]:
    """A survey's responses, newest first, in pages of `limit` (`before`: the last id of the previous page), with
    the lead's name and email; only leads `actor` sees."""
    query = (select(SurveyResponse, Lead.first_name, Lead.last_name, Lead.email)
             .join(Lead, Lead.id == SurveyResponse.lead_id)
             .where(SurveyResponse.survey_id == survey_id).order_by(SurveyResponse.id.desc()).limit(limit))
    if before is not None:
        query = query.where(SurveyResponse.id < before)
    rows = session.execute(_visible(query, actor)).all()
    return [{"id": r.id, "lead_id": r.lead_id, "message_id": r.message_id, "survey_version": r.survey_version,
             "answers": r.answers, "times": r.times, "first_submitted_at": r.first_submitted_at,
             "submitted_at": r.submitted_at,
             "lead_name": " ".join(p for p in (first, last) if p) or None, "lead_email": email}
            for r, first, last, email in rows]


def lead_responses(lead_id: int, *, session: Session) -> list[SurveyResponse]:
    return list(session.scalars(select(SurveyResponse).where(SurveyResponse.lead_id == lead_id)
                                .order_by(SurveyResponse.submitted_at.desc(), SurveyResponse.id.desc())))


def response_counts(survey_ids: list[int], *, session: Session) -> dict[int, int]:
    if not survey_ids:
        return {}
    return dict(session.execute(select(SurveyResponse.survey_id, func.count())
                                .where(SurveyResponse.survey_id.in_(survey_ids))
                                .group_by(SurveyResponse.survey_id)).all())


def listing(*, session: Session) -> list[Survey]:
    return list(session.scalars(select(Survey).order_by(Survey.name, Survey.id)))


def choices(*, session: Session) -> list[tuple[int, str]]:
    """(id, name) of the active surveys, for other stages' pickers (a journey's email with a survey link)."""
    return [(i, name) for i, name in session.execute(select(Survey.id, Survey.name).where(Survey.active)
                                                       .order_by(Survey.name, Survey.id))]


def ids_by_key(*, session: Session) -> dict[str, int]:
    """Every survey's key -> its id (email templates link a survey by its key: `survey_link("brochure-followup")`)."""
    return dict(session.execute(select(Survey.key, Survey.id)).all())
