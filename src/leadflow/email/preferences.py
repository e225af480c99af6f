"""Unsubscribes and the preference centre: a lead's subscriptions by purpose, kept as consents (the leads stage's
record: the latest consent of a purpose decides), EMAIL_UNSUBSCRIBED for every withdrawal."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from leadflow import events, outbox
from leadflow.clock import now
from leadflow.email.models import EmailTemplate
from leadflow.leads import service as leads_service
from leadflow.leads.models import Consent

DEFAULT_PURPOSES = ("marketing", "newsletter", "surveys")
HOW = {"one_click": "one-click unsubscribe (the mail program's button)", "centre": "the preference centre",
       "link": "the unsubscribe link", "complaint": "a spam complaint", "api": "the API", "hand": "by hand"}


def purposes(*, session: Session) -> list[str]:
    """The purposes marketing email is sent for: the templates' and the usual ones."""
    used = set(session.scalars(select(EmailTemplate.purpose).distinct()))
    return sorted(used | set(DEFAULT_PURPOSES))


def subscriptions(lead_id: int, *, session: Session) -> dict[str, bool]:
    """Each purpose -> subscribed (no withdrawal as its latest consent)."""
    latest: dict[str, bool] = {}
    for purpose, granted in session.execute(select(Consent.purpose, Consent.granted).where(Consent.lead_id == lead_id)
                                            .order_by(Consent.recorded_at, Consent.id)):
        latest[purpose] = granted
    return {purpose: latest.get(purpose, True) for purpose in sorted(set(purposes(session=session)) | set(latest))}


def unsubscribe(lead_id: int, chosen: list[str] | None, *, how: str, session: Session,
                message_id: int | None = None) -> list[str]:
    """Withdraw consent for `chosen` purposes (None: all of them); those already withdrawn are left alone. Returns
    the purposes withdrawn now."""
    current = subscriptions(lead_id, session=session)
    wanted = list(current) if chosen is None else chosen
    withdrawn = [p for p in dict.fromkeys(wanted) if current.get(p, True)]
    if not withdrawn:
        return []
    wording = f"Unsubscribed through {HOW.get(how, how)}" + (f" (email message {message_id})" if message_id else "")
    leads_service.record_consents(session=session, lead_id=lead_id, capture_id=None,
                                  consents=[{"purpose": p, "granted": False, "text": wording} for p in withdrawn])
    outbox.publish(session, events.EMAIL_UNSUBSCRIBED, {"lead_id": lead_id, "purposes": withdrawn, "how": how,
                                                        "message_id": message_id, "at": now().isoformat()})
    return withdrawn


def resubscribe(lead_id: int, chosen: list[str], *, session: Session) -> list[str]:
    """The person asked for these purposes again (in the preference centre)."""
    current = subscriptions(lead_id, session=session)
    granted = [p for p in dict.fromkeys(chosen) if not current.get(p, True)]
    if granted:
        leads_service.record_consents(session=session, lead_id=lead_id, capture_id=None, consents=[
            {"purpose": p, "granted": True, "text": "Subscribed again through the preference centre"}
            for p in granted])
    return granted
