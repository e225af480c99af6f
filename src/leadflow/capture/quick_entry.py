"""Quick entry (trade fairs, the phone): one typed lead through the same intake pipeline as the API."""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from leadflow.campaigns.models import Campaign
from leadflow.capture.domain import Submission
from leadflow.capture.intake import service as capture_service
from leadflow.leads import service as leads_service
from leadflow.leads.models import Lead
from leadflow.leads.visibility import sees_all
from leadflow.people.service import Actor

CHANNEL = "quick_entry"
FIELDS = ("first_name", "last_name", "email", "phone", "company", "job_title", "country")
CONSENT_PURPOSE = "marketing"
# The exact words the person agreed to, read out or shown to them at the stand or on the phone.
CONSENT_TEXT = "I agree to receive information about products, offers and events by email and phone."
MAX_NOTE = 20_000


@dataclass
class Entered:
    outcome: capture_service.Outcome
    name: str


def campaigns(session: Session, *, limit: int = 500) -> list[Campaign]:
    """The campaigns to choose from, newest first."""
    return list(session.scalars(select(Campaign).order_by(Campaign.created_at.desc(), Campaign.id.desc())
                                .limit(limit)))


def enter(session: Session, *, actor: Actor, values: dict[str, str], campaign_id: int | None, consent: bool,
          note: str | None, idempotency_key: str | None = None, remote_addr: str | None = None,
          default_country: str | None = None) -> Entered:
    """Store the raw entry, then capture it as any channel would; a new lead belongs to whoever typed it when
    they would not see it otherwise (a sales rep, a telemarketer), as their own catch."""
    fields = {name: values.get(name) or None for name in FIELDS}
    note = (note or "").strip()[:MAX_NOTE] or None
    payload = {**{k: v for k, v in fields.items() if v}, "campaign_id": campaign_id, "consent": consent}
    if note:
        payload["note"] = note
    inbound = capture_service.Inbound(
        channel=CHANNEL, payload=json.dumps(payload, ensure_ascii=False).encode(), content_type="application/json",
        client=actor.label, remote_addr=remote_addr,
        idempotency_key=f"quick:{actor.label}:{idempotency_key}" if idempotency_key else None)
    consents = [{"purpose": CONSENT_PURPOSE, "granted": True, "text": CONSENT_TEXT}] if consent else []
    submission = Submission(fields=fields, consents=consents)
    capture, is_new = capture_service.receive(inbound, session=session)
    if not is_new:
        outcome = capture_service.Outcome(capture=capture, outcome=capture.outcome, lead_id=capture.lead_id,
                                          replayed=True)
    else:
        outcome = capture_service.process(capture, submission, session=session, default_country=default_country,
                                          campaign_id=campaign_id)
    if not outcome.replayed and outcome.lead_id is not None:
        lead = session.get(Lead, outcome.lead_id)
        if outcome.outcome == "created" and lead.owner_id is None and not sees_all(actor) and actor.user_id:
            lead.owner_id = actor.user_id
            leads_service.add_activity(session=session, lead_id=lead.id, kind="owner_changed", actor=actor.label,
                                       summary="Owned by the person who entered it",
                                       data={"owner_id": actor.user_id})
        if note:
            leads_service.add_note(session=session, lead=lead, text=note, actor=actor.label)
        session.flush()
    name = " ".join(v for v in (fields["first_name"], fields["last_name"]) if v) or fields["email"] or "the lead"
    return Entered(outcome=outcome, name=name)
