"""Call scripts: questions in the surveys' shape (one, several, text, number; each may fill a BANT criterion, a lead
field or a custom field), versioned so each call keeps the questions it asked; the script a lead's call uses (the
list's own, else its campaign's); and the answers given on a call written where they go."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from leadflow.campaigns.models import Campaign
from leadflow.clock import now
from leadflow.errors import Conflict, FieldError, Invalid, NotFound
from leadflow.leads import service as leads_service
from leadflow.leads.models import Lead
from leadflow.qualification import service as qualification_service
from leadflow.surveys import domain as survey_domain
from leadflow.telemarketing.models import Call, CallPlan, CallScript, CallScriptVersion

MAX_INTRO = 5000


def get(script_id: int, *, session: Session) -> CallScript:
    script = session.get(CallScript, script_id)
    if script is None:
        raise NotFound("call script", script_id)
    return script


def listing(*, session: Session) -> list[CallScript]:
    return list(session.scalars(select(CallScript).order_by(CallScript.name)))


def _checked(values: dict, *, session: Session, script: CallScript | None) -> dict:
    errors: list[FieldError] = []
    out: dict = {}
    if "name" in values or script is None:
        name = (values.get("name") or "").strip()
        if not name:
            errors.append(FieldError("name", "give the script a name"))
        elif len(name) > 200:
            errors.append(FieldError("name", "at most 200 characters"))
        elif session.scalar(select(CallScript.id).where(CallScript.name == name, CallScript.id != (
                script.id if script else -1))) is not None:
            errors.append(FieldError("name", f"a script named {name!r} exists"))
        out["name"] = name
    if "intro" in values:
        intro = values.get("intro") or ""
        if len(intro) > MAX_INTRO:
            errors.append(FieldError("intro", f"at most {MAX_INTRO} characters"))
        out["intro"] = intro
    if "questions" in values or script is None:
        try:
            out["questions"] = survey_domain.check_questions(values.get("questions"), today=now().date())
        except Invalid as invalid:
            errors += invalid.errors
    for name in ("campaign_id", "active"):
        if name in values:
            out[name] = values[name]
    if values.get("campaign_id") is not None and session.get(Campaign, values["campaign_id"]) is None:
        errors.append(FieldError("campaign_id", f"no campaign {values['campaign_id']}"))
    if errors:
        raise Invalid(errors)
    return out


def create(values: dict, *, session: Session) -> CallScript:
    checked = _checked(values, session=session, script=None)
    moment = now()
    script = CallScript(**{"version": 1, "created_at": moment, "updated_at": moment, "active": True, "intro": "",
                           **checked})
    session.add(script)
    session.flush()
    session.add(CallScriptVersion(script_id=script.id, version=1, intro=script.intro, questions=script.questions,
                                  created_at=moment))
    session.flush()
    return script


def update(script: CallScript, values: dict, *, session: Session) -> CallScript:
    """A change to the questions or intro makes a new version (the calls made keep theirs)."""
    checked = _checked(values, session=session, script=script)
    changed = any(name in checked and checked[name] != getattr(script, name) for name in ("questions", "intro"))
    for name, value in checked.items():
        setattr(script, name, value)
    script.updated_at = now()
    if changed:
        script.version += 1
        session.add(CallScriptVersion(script_id=script.id, version=script.version, intro=script.intro,
                                      questions=script.questions, created_at=script.updated_at))
    session.flush()
    return script


def delete(script: CallScript, *, session: Session) -> None:
    """Only a script no call used (deactivate it otherwise: the calls keep what they asked)."""
    if session.scalar(select(Call.id).where(Call.script_id == script.id).limit(1)) is not None:
        raise Conflict(f"calls used the script {script.name!r}: deactivate it instead")
    session.delete(script)
    session.flush()




def for_lead(plan: CallPlan | None, lead: Lead, *, session: Session) -> CallScript | None:
    """The script a call to this lead uses: the list's own, else the active script of the lead's campaign (its
    first touch's), else the list's campaign's."""
    if plan is not None and plan.script_id is not None:
        script = session.get(CallScript, plan.script_id)
        if script is not None:
            return script
    for campaign_id in (lead.campaign_id, plan.campaign_id if plan else None):
        if campaign_id is not None:
            script = session.scalar(select(CallScript).where(CallScript.campaign_id == campaign_id,
                                                             CallScript.active.is_(True))
                                    .order_by(CallScript.id.desc()).limit(1))
            if script is not None:
                return script
    return None


def read_answers(script: CallScript | None, given: object, *, strict: bool) -> dict[str, object]:
    """The answers given on a call, by question key (Invalid naming `answers.<key>` when one is wrong); `strict`:
    the script's required questions must be answered (a call that reached the person and qualified them)."""
    if not given:
        given = {}
    if script is None:
        if given:
            raise Invalid.one("answers", "this call has no script: there are no questions to answer")
        return {}
    posted, errors = survey_domain.given_from_json(given)
    if errors:
        raise Invalid([FieldError(f"answers.{e.field}" if e.field != "answers" else "answers", e.reason)
                       for e in errors])
    unknown = sorted(set(posted) - {q["key"] for q in script.questions})
    questions = script.questions if strict else [{**q, "required": False} for q in script.questions]
    answers, errors = survey_domain.read_answers(questions, posted)
    errors += [FieldError(key, "not a question of the script") for key in unknown]
    if errors:
        raise Invalid([FieldError(f"answers.{e.field}", e.reason) for e in errors])
    return answers


def apply_answers(script: CallScript, answers: dict, lead: Lead, *, session: Session, actor: str) -> list[str]:
    """Write the answers where their questions send them: BANT (as a telemarketer's answers), the lead's fields
    and custom fields. Returns what was filled, in words."""
    to_bant, fields, custom = survey_domain.destinations(script.questions, answers)
    filled = []
    if to_bant:
        qualification_service.set_bant(lead.id, to_bant, "telemarketer", actor, session=session, withdraw=False,
                                       lenient=True)
        filled += [f"BANT {criterion}" for criterion in to_bant]
    values = {**fields, **({"custom_fields": custom} if custom else {})}
    if values:
        if leads_service.edit(session=session, lead=lead, values=values, actor=actor):
            qualification_service.fields_changed([lead.id], session=session, actor=actor)
        filled += [name.replace("_", " ") for name in fields] + [f"custom.{name}" for name in custom]
    return filled


def summary(script: CallScript, answers: dict) -> str:
    by_key = {q["key"]: q for q in script.questions}
    return "; ".join(f"{by_key[k]['label']} {survey_domain.answer_label(by_key.get(k), v)}"
                     for k, v in answers.items() if k in by_key)
