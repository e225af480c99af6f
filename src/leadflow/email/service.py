"""Queueing marketing email: in the caller's transaction, each message exactly once by its key (journeys' steps,
one-off sends and test sends all come through here)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from leadflow.clock import now
from leadflow.db import insert_ignore_many
from leadflow.email.models import EmailMessage, EmailTemplate
from leadflow.errors import Invalid

_FIELDS = ("key", "lead_id", "template_id", "journey_run_id", "journey_step", "send_id", "variant", "send_after")


def queue_messages(rows: list[dict], *, session: Session) -> int:
    """Queue messages ({key, lead_id, template_id, journey_run_id?, journey_step?, send_id?, variant?,
    send_after?}) in one executemany; a key queued before (or twice in `rows`, or by a concurrent writer) is
    skipped. Returns how many were new."""
    if not rows:
        return 0
    purposes = _purposes({row["template_id"] for row in rows}, session=session)
    moment = now()
    values = []
    for row in rows:
        unknown = set(row) - set(_FIELDS)
        if unknown:
            raise Invalid.one(sorted(unknown)[0], "not a field of a queued message")
        if not row.get("key"):
            raise Invalid.one("key", "a message needs a key (it is queued once per key)")
        if row["template_id"] not in purposes:
            raise Invalid.one("template_id", f"no email template {row['template_id']}")
        values.append({"key": str(row["key"])[:300], "lead_id": row["lead_id"], "template_id": row["template_id"],
                       "journey_run_id": row.get("journey_run_id"), "journey_step": row.get("journey_step"),
                       "send_id": row.get("send_id"), "variant": row.get("variant"),
                       "purpose": purposes[row["template_id"]], "status": "queued", "attempts": 0,
                       "queued_at": moment, "send_after": row.get("send_after") or moment})
    return insert_ignore_many(session, EmailMessage.__table__, values, ["key"])


def queue_message(*, session: Session, key: str, lead_id: int, template_id: int, journey_run_id: int | None = None,
                  journey_step: str | None = None, send_id: int | None = None, variant: str | None = None,
                  send_after: datetime | None = None) -> int | None:
    """Queue one message; its id, or None when the key was queued before."""
    row = {"key": key, "lead_id": lead_id, "template_id": template_id, "journey_run_id": journey_run_id,
           "journey_step": journey_step, "send_id": send_id, "variant": variant, "send_after": send_after}
    if not queue_messages([row], session=session):
        return None
    return session.scalar(select(EmailMessage.id).where(EmailMessage.key == str(key)[:300]))


def _purposes(template_ids: set[int], *, session: Session) -> dict[int, str]:
    return dict(session.execute(select(EmailTemplate.id, EmailTemplate.purpose)
                                .where(EmailTemplate.id.in_(template_ids))).all())
