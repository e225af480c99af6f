"""One-off sends' worker handler: email.campaign_send {send_id, after} queues the next chunk of a send's audience
(in the message's transaction) and publishes the chunk after it once; see email/sends.py."""

from __future__ import annotations

from sqlalchemy.orm import Session

from leadflow import events
from leadflow.email import sends


def campaign_send(session: Session, payload: dict) -> None:
    sends.queue_chunk(int(payload["send_id"]), int(payload.get("after") or 0), session=session)


HANDLERS: dict = {events.EMAIL_CAMPAIGN_SEND: campaign_send}
