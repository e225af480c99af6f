"""The surveys API (/api/v1/surveys): surveys and their questions, their responses, and a lead's signed link."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from leadflow.http import AppSettings, DbSession
from leadflow.inputs import Id
from leadflow.leads import queries as leads_queries
from leadflow.people.deps import permitted
from leadflow.people.service import Actor
from leadflow.surveys import links, queries
from leadflow.surveys import service as survey_service
from leadflow.surveys.models import Survey
from leadflow.surveys.schemas import LinkRead, LinkRequest, ResponsePage, SurveyCreate, SurveyRead, SurveyUpdate, values_given

router = APIRouter(prefix="/api/v1/surveys", tags=["surveys"])

Manager = Annotated[Actor, permitted("surveys:manage")]


def _read(survey: Survey, count: int) -> SurveyRead:
    return SurveyRead(id=survey.id, key=survey.key, name=survey.name, title=survey.title, intro=survey.intro,
                      thanks=survey.thanks, questions=survey.questions, version=survey.version,
                      active=survey.active, responses=count, created_at=survey.created_at,
                      updated_at=survey.updated_at)


@router.get("", response_model=list[SurveyRead])
def list_surveys(session: DbSession, actor: Manager):
    rows = queries.listing(session=session)
    counts = queries.response_counts([s.id for s in rows], session=session)
    return [_read(s, counts.get(s.id, 0)) for s in rows]


@router.post("", response_model=SurveyRead, status_code=201)
def create_survey(body: SurveyCreate, session: DbSession, actor: Manager):
    survey = survey_service.create(session=session, values=values_given(body))
    session.commit()
    return _read(survey, 0)


@router.get("/{survey_id}", response_model=SurveyRead)
def get_survey(survey_id: Id, session: DbSession, actor: Manager):
    survey = survey_service.get(survey_id, session=session)
    return _read(survey, queries.response_counts([survey.id], session=session).get(survey.id, 0))


@router.patch("/{survey_id}", response_model=SurveyRead)
def update_survey(survey_id: Id, body: SurveyUpdate, session: DbSession, actor: Manager):
    survey = survey_service.get(survey_id, session=session)
    survey_service.update(session=session, survey=survey, values=values_given(body))
    session.commit()
    return _read(survey, queries.response_counts([survey.id], session=session).get(survey.id, 0))


@router.delete("/{survey_id}", status_code=204)
def delete_survey(survey_id: Id, session: DbSession, actor: Manager):
    """Only a survey nobody answered and no email template links (409 naming them otherwise)."""
    survey_service.delete(survey_service.get(survey_id, session=session), session=session)
    session.commit()
    return Response(status_code=204)


@router.get("/{survey_id}/responses", response_model=ResponsePage)
def survey_responses(survey_id: Id, session: DbSession, actor: Manager, before: Id | None = None,
                     limit: Annotated[int, Query(ge=1, le=500)] = 100):
    survey_service.get(survey_id, session=session)
    rows = queries.responses(survey_id, session=session, actor=actor, before=before, limit=limit)
    return ResponsePage(items=rows, next_before=rows[-1]["id"] if len(rows) == limit else None)


@router.post("/{survey_id}/links", response_model=LinkRead)
def survey_link(request: Request, survey_id: Id, body: LinkRequest, session: DbSession, actor: Manager,
                settings: AppSettings):
    """The lead's own signed address of the survey (to put in an email); answering needs no login."""
    survey = survey_service.get(survey_id, session=session)
    lead = leads_queries.visible_lead(actor, body.lead_id, session=session)
    url = links.survey_url(settings, survey.id, lead.id, body.message_id, secret_key=request.app.state.secret_key)
    return LinkRead(url=url, survey_id=survey.id, lead_id=lead.id, message_id=body.message_id)
