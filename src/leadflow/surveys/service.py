"""Surveys: create and change them (a change to the questions is a new version), the shipped brochure follow-up, and
a lead's answers: stored raw first, read, kept as one response per (survey, lead, message), and then filling BANT and
the lead's fields (self-qualification) and announcing `survey.submitted`."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from leadflow.clock import now
from leadflow.db import lock_keys
from leadflow.errors import Conflict, FieldError, Invalid, NotFound
from leadflow.events import SURVEY_SUBMITTED
from leadflow.leads import service as leads_service
from leadflow.leads.domain import normalize_fields
from leadflow.outbox import publish
from leadflow.qualification import service as qualification_service
from leadflow.surveys import domain, sources
from leadflow.surveys.links import LinkClaims
from leadflow.surveys.models import Survey, SurveyResponse, SurveySubmission, SurveyVersion
from leadflow.tracking import service as tracking_service

SURVEY_FIELDS = ("key", "name", "title", "intro", "thanks", "active")


# --- surveys ------------------------------------------------------------------------------------------------------

def get(survey_id: int, *, session: Session) -> Survey:
    survey = session.get(Survey, survey_id)
    if survey is None:
        raise NotFound("survey", survey_id)
    return survey


def by_key(key: str, *, session: Session) -> Survey | None:
    return session.scalar(select(Survey).where(Survey.key == key))


def find(ref: str, *, session: Session) -> Survey:
    """A survey by its id or its key (the CLI's argument)."""
    survey = session.get(Survey, int(ref)) if ref.isdecimal() else by_key(ref, session=session)
    if survey is None:
        raise NotFound("survey", ref)
    return survey


def _texts(values: dict, survey: Survey | None) -> dict:
    checked, errors = {}, []
    limits = {"name": 200, "title": 300, "intro": 4000, "thanks": 4000}
    for name, limit in limits.items():
        if name not in values:
            continue
        text = (values[name] or "").strip() if isinstance(values[name], str | None) else None
        if text is None:
            errors.append(FieldError(name, "must be text"))
        elif len(text) > limit:
            errors.append(FieldError(name, f"at most {limit} characters"))
        elif not text and name in ("name", "title"):
            errors.append(FieldError(name, "is required"))
        else:
            checked[name] = text
    if "key" in values:
        try:
            checked["key"] = domain.check_key(values["key"])
        except Invalid as exc:
            errors += exc.errors
    if "active" in values:
        if not isinstance(values["active"], bool):
            errors.append(FieldError("active", "must be true or false"))
        else:
            checked["active"] = values["active"]
    if errors:
        raise Invalid(errors)
    return checked


def create(*, session: Session, values: dict) -> Survey:
    """A new survey (version 1). Invalid names each field that is wrong; Conflict when the key is taken."""
    missing = [FieldError(name, "is required") for name in ("key", "name", "questions") if not values.get(name)]
    if missing:
        raise Invalid(missing)
    checked = _texts({**values, "title": values.get("title") or values.get("name")}, None)
    questions = domain.check_questions(values["questions"], today=now().date())
    if by_key(checked["key"], session=session) is not None:
        raise Conflict(f"a survey with the key '{checked['key']}' exists")
    moment = now()
    survey = Survey(**{"intro": "", "thanks": "", "active": True, **checked}, questions=questions, version=1,
                    created_at=moment, updated_at=moment)
    session.add(survey)
    session.flush()
    session.add(SurveyVersion(survey_id=survey.id, version=1, questions=questions, created_at=moment))
    session.flush()
    return survey


def update(*, session: Session, survey: Survey, values: dict) -> Survey:
    """Change a survey; new questions make a new version (responses keep the version they answered)."""
    checked = _texts(values, survey)
    if "key" in checked and checked["key"] != survey.key:
        if by_key(checked["key"], session=session) is not None:
            raise Conflict(f"a survey with the key '{checked['key']}' exists")
        linking = _linking(survey, session=session)
        if linking:
            raise Invalid.one("key", f"{linking} with survey_link(\"{survey.key}\"): change them first, "
                                     "or they would link no survey")
    moment = now()
    if values.get("questions") is not None:
        questions = domain.check_questions(values["questions"], today=moment.date())
        if questions != survey.questions:
            survey.version += 1
            survey.questions = questions
            session.add(SurveyVersion(survey_id=survey.id, version=survey.version, questions=questions,
                                      created_at=moment))
    for name, value in checked.items():
        setattr(survey, name, value)
    survey.updated_at = moment
    session.flush()
    return survey


def kept_because(survey: Survey, *, session: Session) -> str | None:
    """Why the survey may not be deleted, or None: it has responses (switch it off instead), or email templates
    link it with `survey_link("key")` (every send of them would fail; email's reader names them)."""
    answered = session.scalar(select(SurveyResponse.id).where(SurveyResponse.survey_id == survey.id).limit(1))
    if answered is not None:
        return "this survey has responses: switch it off instead (untick “On”, or PATCH {\"active\": false})"
    linking = _linking(survey, session=session)
    if linking:
        return (f"{linking} with survey_link(\"{survey.key}\"): change or delete them first, or switch the survey "
                "off")
    return None


def _linking(survey: Survey, *, session: Session) -> str | None:
    """"the email template “A” links this survey" (or templates ... link), or None when no template links it."""
    names = sources.current().templates_linking_survey(survey.key, session=session)
    if not names:
        return None
    listed = ", ".join(f"“{name}”" for name in names)
    return (f"the email template{'s' if len(names) > 1 else ''} {listed} link{'' if len(names) > 1 else 's'} "
            "this survey")


def delete(survey: Survey, *, session: Session) -> None:
    """Delete a survey nobody answered and no email template links; else Conflict saying what keeps it."""
    reason = kept_because(survey, session=session)
    if reason is not None:
        raise Conflict(reason)
    session.delete(survey)
    session.flush()


def questions_of(survey_id: int, version: int, *, session: Session) -> list[dict]:
    """The questions a version of the survey asked (the current ones when that version is not kept)."""
    questions = session.scalar(select(SurveyVersion.questions).where(SurveyVersion.survey_id == survey_id,
                                                                     SurveyVersion.version == version))
    if questions is None:
        questions = get(survey_id, session=session).questions
    return questions


def ensure_brochure_template(*, session: Session) -> Survey:
    """The shipped `brochure-followup` survey, created when missing (never changed when it exists: marketing may have
    edited it). Safe to call from two transactions at once (the later one waits and finds the first's)."""
    return ensure_brochure(session=session)[0]


def ensure_brochure(*, session: Session) -> tuple[Survey, bool]:
    """ensure_brochure_template, and whether this call made it."""
    lock_keys([f"survey:{domain.BROCHURE_KEY}"], session=session)
    found = by_key(domain.BROCHURE_KEY, session=session)
    if found is not None:
        return found, False
    return create(session=session, values=domain.brochure_template()), True


# --- answers ------------------------------------------------------------------------------------------------------

@dataclass
class Outcome:
    """What became of a submission: `status` answered | refused (errors by question) | unknown (a link to no
    survey, or a lead no longer there); the response, and whether it changed anything."""

    status: str
    submission_id: int
    errors: list[FieldError] = field(default_factory=list)
    response: SurveyResponse | None = None
    changed: bool = False
    survey: Survey | None = None


def client_hash(address: str | None) -> str | None:
    return hashlib.sha256(address.encode()).hexdigest()[:32] if address else None


def store_raw(*, session: Session, claims: LinkClaims | None, raw: dict, client: str | None,
              outcome: str = "received") -> SurveySubmission:
    """The submission as it came in, before anything is read from it."""
    submission = SurveySubmission(survey_id=claims.survey_id if claims else None,
                                  lead_id=None,  # set once the lead is found (the link's claim is in `raw`)
                                  message_id=claims.message_id if claims else None,
                                  raw={**raw, "lead_id": claims.lead_id} if claims else raw, received_at=now(),
                                  outcome=outcome, errors=[], client=client_hash(client))
    session.add(submission)
    session.flush()
    return submission


def open_link(claims: LinkClaims, *, session: Session) -> tuple[Survey, int] | None:
    """The survey and the lead (the survivor when the lead was merged) a signed link names, or None when either is
    gone or the survey is switched off."""
    survey = session.get(Survey, claims.survey_id)
    if survey is None or not survey.active:
        return None
    lead_id = tracking_service.surviving_leads({claims.lead_id}, session=session).get(claims.lead_id)
    return (survey, lead_id) if lead_id is not None else None


def submit(*, session: Session, claims: LinkClaims, given: dict[str, list[str]], raw: dict,
           client: str | None = None, read_errors: list[FieldError] | None = None) -> Outcome:
    """A lead's answers through a signed link: stored raw first; read against the survey's current questions (an
    error per question); kept as the one response of (survey, lead, message), answering again updates it; what
    changed fills BANT, the lead's fields and custom fields, shows on the timeline and goes out as
    `survey.submitted`. Two submits at once make one response: the response's key is locked, then read."""
    submission = store_raw(session=session, claims=claims, raw=raw, client=client)
    opened = open_link(claims, session=session)
    if opened is None:
        submission.outcome = "unknown"
        return Outcome("unknown", submission.id)
    survey, lead_id = opened
    submission.lead_id = lead_id
    answers, errors = domain.read_answers(survey.questions, given)
    errors = (read_errors or []) + errors
    if not errors:
        errors = _field_problems(survey, answers, lead_id, session=session)
    if errors:
        submission.outcome = "refused"
        submission.errors = [{"field": e.field, "reason": e.reason} for e in errors]
        session.flush()
        return Outcome("refused", submission.id, errors=errors, survey=survey)
    response, changed = _keep_response(survey, lead_id, claims.message_id, answers, raw, session=session)
    submission.outcome, submission.response_id = "answered", response.id
    if changed:
        _apply(survey, response, session=session)
    session.flush()
    return Outcome("answered", submission.id, response=response, changed=changed, survey=survey)


def response_key(survey_id: int, lead_id: int, message_id: int | None) -> str:
    return f"{survey_id}:{lead_id}:{message_id or 0}"


def _keep_response(survey: Survey, lead_id: int, message_id: int | None, answers: dict, raw: dict, *,
                   session: Session) -> tuple[SurveyResponse, bool]:
    key = response_key(survey.id, lead_id, message_id)
    lock_keys([f"survey-response:{key}"], session=session)
    response = session.scalar(select(SurveyResponse).where(SurveyResponse.key == key)
                              .execution_options(populate_existing=True))
    moment = now()
    if response is None:
        response = SurveyResponse(key=key, survey_id=survey.id, survey_version=survey.version, lead_id=lead_id,
                                  message_id=message_id, answers=answers, raw=raw, times=1,
                                  first_submitted_at=moment, submitted_at=moment)
        session.add(response)
        session.flush()
        return response, True
    changed = response.answers != answers or response.survey_version != survey.version
    response.times += 1
    response.raw = raw
    if changed:
        response.answers, response.survey_version, response.submitted_at = answers, survey.version, moment
    session.flush()
    return response, changed


def _field_problems(survey: Survey, answers: dict, lead_id: int, *, session: Session) -> list[FieldError]:
    """Answers that would go into a lead field the field refuses (a phone that is no phone), by question."""
    _, fields, _ = domain.destinations(survey.questions, answers)
    if not fields:
        return []
    lead = leads_service.get_lead(lead_id, session=session)
    _, errors = normalize_fields(fields, default_country=lead.country)
    by_field = {q.get("maps_to"): q["key"] for q in survey.questions}
    return [FieldError(by_field.get(e.field, e.field), e.reason) for e in errors]


def _apply(survey: Survey, response: SurveyResponse, *, session: Session) -> None:
    actor = f"survey:{survey.key}"
    lead_id, answers = response.lead_id, response.answers
    to_bant, fields, custom = domain.destinations(survey.questions, answers)
    by_key = {q["key"]: q for q in survey.questions}
    summary = "; ".join(f"{by_key[k]['label']} {domain.answer_label(by_key.get(k), v)}"
                        for k, v in answers.items() if k in by_key)
    leads_service.add_activity(session=session, lead_id=lead_id, kind="survey_answered", actor=actor,
                               summary=f"Answered the survey “{survey.name}”: {summary}"[:500],
                               data={"survey_id": survey.id, "response_id": response.id,
                                     "version": response.survey_version, "answers": answers})
    if to_bant:
        qualification_service.set_bant(lead_id, to_bant, "lead", actor, session=session, withdraw=False,
                                       lenient=True)
    values = {**fields, **({"custom_fields": custom} if custom else {})}
    if values:
        lead = leads_service.get_lead(lead_id, session=session)
        if leads_service.edit(session=session, lead=lead, values=values, actor=actor):
            qualification_service.fields_changed([lead_id], session=session, actor=actor)
    _track(survey, response, session=session)
    publish(session, SURVEY_SUBMITTED, {
        "survey_id": survey.id, "survey_key": survey.key, "lead_id": lead_id, "response_id": response.id,
        "answers": answers, "message_id": response.message_id}, key=f"survey.submitted:{response.id}:{response.times}")


def _track(survey: Survey, response: SurveyResponse, *, session: Session) -> None:
    """The behaviour event "Answered a survey", once per response (answering again scores nothing more)."""
    next_step = response.answers.get(domain.NEXT_STEP)
    tracking_service.record_survey_answer(
        session=session, lead_id=response.lead_id, response_id=response.id,
        properties={"survey": survey.key, "survey_id": survey.id,
                    **({"next_step": next_step} if isinstance(next_step, str) else {})})
