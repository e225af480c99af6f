"""Bounces and complaints applied: the raw report stored first, then read (bounce_reading); a hard bounce
suppresses the address and marks its message bounced, a soft one is noted on the message, a complaint
suppresses the address and unsubscribes its lead from everything. EMAIL_BOUNCED for each bounce."""

from __future__ import annotations

import logging
import mailbox as mailboxes
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from leadflow import events, outbox
from leadflow.clock import now
from leadflow.email import bounce_reading, preferences
from leadflow.email import settings_service as email_settings
from leadflow.email.models import EmailBounce, EmailMessage
from leadflow.leads.models import Lead

log = logging.getLogger(__name__)


def receive(raw: str, *, source: str, session: Session) -> EmailBounce:
    """Store the report as received (flushed before anything is read from it), then apply it."""
    bounce = EmailBounce(source=source, raw=raw, received_at=now(), addresses=[])
    session.add(bounce)
    session.flush()
    try:
        failures = bounce_reading.read(raw)
    except Exception as exc:  # noqa: BLE001 - a report no reader understands is kept with the reason
        # The sender's problem, not ours: one line, no traceback (flufl.bounce's own are silenced in bounce_reading).
        log.warning("email bounce %s (%s) could not be read: %s: %s", bounce.id, source, type(exc).__name__,
                    str(exc)[:200])
        bounce.kind, bounce.outcome, bounce.processed_at = "unknown", f"could not be read: {exc}"[:2000], now()
        session.flush()
        return bounce
    outcomes = [apply(failure, session=session) for failure in failures]
    kinds = {f.kind for f in failures}
    bounce.kind = kinds.pop() if len(kinds) == 1 else ("mixed" if kinds else "unknown")
    bounce.addresses = [f.address for f in failures]
    bounce.message_id = next((f.message_id for f in failures if f.message_id), None)
    bounce.outcome = "; ".join(outcomes) or "no bounced address found in it"
    bounce.processed_at = now()
    session.flush()
    return bounce


def _message(failure: bounce_reading.Failure, *, session: Session) -> EmailMessage | None:
    if failure.message_id is not None:
        found = session.get(EmailMessage, failure.message_id)
        if found is not None and (found.to_address or "").lower() == failure.address:
            return found
    return session.scalars(select(EmailMessage).where(EmailMessage.to_address == failure.address,
                                                      EmailMessage.sent_at.is_not(None))
                           .order_by(EmailMessage.sent_at.desc(), EmailMessage.id.desc()).limit(1)).first()


def apply(failure: bounce_reading.Failure, *, session: Session) -> str:
    message = _message(failure, session=session)
    if failure.kind == "complaint":
        email_settings.suppress(failure.address, "complaint", failure.reason, session=session)
        lead_ids = {message.lead_id} if message else set(session.scalars(
            select(Lead.id).where(Lead.email == failure.address, Lead.merged_into_id.is_(None))))
        for lead_id in sorted(lead_ids):
            preferences.unsubscribe(lead_id, None, how="complaint", session=session,
                                    message_id=message.id if message else None)
        return f"{failure.address}: complaint, suppressed and unsubscribed from everything"
    if failure.kind == "hard":
        email_settings.suppress(failure.address, "hard_bounce", failure.reason, session=session)
    if message is None:
        return f"{failure.address}: {failure.kind} bounce (no message of ours found)" + \
            (", suppressed" if failure.kind == "hard" else "")
    values = {"bounced_at": now(), "bounce_kind": failure.kind}
    if failure.kind == "hard":
        values.update(status="bounced", reason=f"bounced: {failure.reason}"[:2000])
    first = session.execute(update(EmailMessage).where(EmailMessage.id == message.id, EmailMessage.bounce_kind.is_(None)
                                                       | (EmailMessage.bounce_kind != "hard"))
                            .values(**values).execution_options(synchronize_session=False)).rowcount
    if first:
        outbox.publish_once(session, events.EMAIL_BOUNCED, {
            "message_id": message.id, "lead_id": message.lead_id, "journey_run_id": message.journey_run_id,
            "send_id": message.send_id, "kind": failure.kind, "reason": failure.reason},
            key=f"{events.EMAIL_BOUNCED}:{message.id}:{failure.kind}")
    return f"{failure.address}: {failure.kind} bounce of message {message.id}" + \
        (", suppressed" if failure.kind == "hard" else "")


def read_files(paths: list[Path]) -> list[str]:
    """The messages of .eml files and mbox files, as text."""
    found = []
    for path in paths:
        data = path.read_bytes()
        if data.startswith(b"From "):
            for item in mailboxes.mbox(str(path)):
                found.append(item.as_bytes().decode("utf-8", "replace"))
        else:
            found.append(data.decode("utf-8", "replace"))
    return found
