"""The seeds' brochure journey as a ready template: the `brochure-followup` survey, the survey email, the
"Brochure follow-up" call list for telemarketing, and the journey's draft (template_definition.py), made once."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from leadflow.db import lock_keys
from leadflow.errors import Invalid
from leadflow.journeys import service
from leadflow.journeys.models import Journey
from leadflow.journeys.template_definition import BROCHURE_NAME, brochure

EMAIL_NAME = "Brochure follow-up survey"
EMAIL_SUBJECT = "{{ first_name | default(\"Hello\") }}, was the brochure useful?"
EMAIL_BODY = """<mjml><mj-body><mj-section><mj-column>
<mj-text>Hello {{ first_name | default("there") }},</mj-text>
<mj-text>A week ago you asked for our brochure. Five quick questions tell us how we can help you next.</mj-text>
<mj-button href="{{ survey_link('brochure-followup') }}">Answer the survey</mj-button>
<mj-text font-size="12px"><a href="{{ unsubscribe_url }}">Unsubscribe</a></mj-text>
</mj-column></mj-section></mj-body></mjml>"""


def create_brochure_template(*, session: Session, actor: str = "system", form_id: int | None = None,
                             call_list_owner_id: int | None = None) -> Journey:
    """The brochure journey's draft with what it needs (each made when missing, found when there): publish it to
    start. The call list belongs to a telemarketer (`call_list_owner_id`, else the first one)."""
    from leadflow.email import template_service
    from leadflow.email.models import EmailTemplate
    from leadflow.people import service as people_service
    from leadflow.people.models import CallList, User
    from leadflow.people.roles import TELEMARKETER
    from leadflow.surveys import service as surveys_service

    lock_keys(["journeys:brochure-template"], session=session)
    existing = session.scalar(select(Journey).where(Journey.name == BROCHURE_NAME))
    if existing is not None:
        return existing
    surveys_service.ensure_brochure_template(session=session)
    template = session.scalar(select(EmailTemplate).where(EmailTemplate.name == EMAIL_NAME))
    if template is None:
        template = template_service.create({"name": EMAIL_NAME, "subject": EMAIL_SUBJECT, "body_mjml": EMAIL_BODY,
                                            "purpose": "surveys", "preheader": "Five quick questions"},
                                           session=session, user_id=None)
    call_list = session.scalar(select(CallList).where(CallList.name == BROCHURE_NAME))
    if call_list is None:
        owner = session.get(User, call_list_owner_id) if call_list_owner_id else session.scalar(
            select(User).where(User.role == TELEMARKETER, User.is_active.is_(True)).order_by(User.id).limit(1))
        if owner is None:
            raise Invalid.one("call_list_owner_id", "the telemarketing call list needs a telemarketer: add one first")
        call_list = people_service.create_call_list(session=session, name=BROCHURE_NAME, owner=owner)
    return service.create(session=session, name=BROCHURE_NAME, actor=actor,
                          description="Someone requests a brochure; seven days later an email with a short survey; "
                                      "bounced or not opened: discard; opened but not filled in: telemarketing; "
                                      "asks for a quote or a meeting: straight to sales; answered otherwise: "
                                      "nurture.",
                          definition=brochure(template_id=template.id, call_list_id=call_list.id, form_id=form_id))
