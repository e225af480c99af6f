"""Queueing marketing email: in the caller's transaction, each message exactly once by its key (journeys' steps,
one-off sends and test sends all come through here), and an A/B test's messages: each lead its variant, or the
hold-out's row, skipped from the start."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from leadflow.clock import now
from leadflow.db import insert_ignore_many
from leadflow.email import experiments as ex
from leadflow.email.models import EmailExperiment, EmailMessage, EmailTemplate
from leadflow.errors import Invalid

HOLDOUT_REASON = "hold-out"
_FIELDS = ("key", "lead_id", "template_id", "journey_run_id", "journey_step", "send_id", "variant", "experiment_id",
           "send_after")


def queue_messages(rows: list[dict], *, session: Session) -> int:
    """Queue messages ({key, lead_id, template_id, journey_run_id?, journey_step?, send_id?, variant?,
    experiment_id?, send_after?}) in one executemany; a key queued before (or twice in `rows`, or by a concurrent
    writer) is skipped. Returns how many were new."""
    if not rows:
        return 0
    return insert_ignore_many(session, EmailMessage.__table__, _values(rows, status="queued", session=session),
                              ["key"])


@dataclass(frozen=True)
class ExperimentQueued:
    """What an A/B test's messages became: each key's variant (or "hold-out") and how many rows were new."""

    experiment_id: int
    name: str
    variants: dict[str, str]  # message key -> variant key or ex.HOLDOUT
    queued: int
    held_out: int

    def held(self, key: str) -> bool:
        return self.variants.get(key) == ex.HOLDOUT


def queue_experiment(experiment_id: int, rows: list[dict], *, session: Session) -> ExperimentQueued | None:
    """Each row's lead gets the A/B test's variant `experiments.assign` gives it (the same whoever asks): queued
    with the variant's template, or written as the hold-out's skipped row (the first variant's template, never
    sent, reason "hold-out", so its leads' outcomes can be set against the variants'). Rows are `queue_messages`'
    without template_id, variant and experiment_id; each once by its key. None: no such test."""
    experiment = session.get(EmailExperiment, experiment_id)
    if experiment is None:
        return None
    templates = {v["key"]: v["template_id"] for v in experiment.variants}
    queued, held, variants = [], [], {}
    for row in rows:
        variant = ex.assign(experiment.id, row["lead_id"], experiment.split, experiment.holdout_pct)
        variants[row["key"]] = variant
        if variant == ex.HOLDOUT:
            held.append({**row, "template_id": experiment.variants[0]["template_id"], "experiment_id": experiment.id})
        else:
            queued.append({**row, "template_id": templates[variant], "variant": variant,
                           "experiment_id": experiment.id})
    # Both checked before either is written: a deleted template leaves nothing half queued.
    queued_values = _values(queued, status="queued", session=session) if queued else []
    held_values = _held_values(held, session=session) if held else []
    table = EmailMessage.__table__
    return ExperimentQueued(experiment.id, experiment.name, variants,
                            insert_ignore_many(session, table, queued_values, ["key"]),
                            insert_ignore_many(session, table, held_values, ["key"]))


def queue_message(*, session: Session, key: str, lead_id: int, template_id: int, journey_run_id: int | None = None,
                  journey_step: str | None = None, send_id: int | None = None, variant: str | None = None,
                  send_after: datetime | None = None) -> int | None:
    """Queue one message; its id, or None when the key was queued before."""
    row = {"key": key, "lead_id": lead_id, "template_id": template_id, "journey_run_id": journey_run_id,
           "journey_step": journey_step, "send_id": send_id, "variant": variant, "send_after": send_after}
    if not queue_messages([row], session=session):
        return None
    return session.scalar(select(EmailMessage.id).where(EmailMessage.key == str(key)[:300]))


def _values(rows: list[dict], *, status: str, session: Session) -> list[dict]:
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
                       "experiment_id": row.get("experiment_id"), "purpose": purposes[row["template_id"]],
                       "status": status, "attempts": 0, "queued_at": moment,
                       "send_after": row.get("send_after") or moment})
    return values


def _held_values(rows: list[dict], *, session: Session) -> list[dict]:
    values = _values([{**row, "variant": ex.HOLDOUT} for row in rows], status="skipped", session=session)
    return [{**value, "reason": HOLDOUT_REASON} for value in values]


def _purposes(template_ids: set[int], *, session: Session) -> dict[int, str]:
    return dict(session.execute(select(EmailTemplate.id, EmailTemplate.purpose)
                                .where(EmailTemplate.id.in_(template_ids))).all())
