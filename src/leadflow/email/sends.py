"""One-off sends and A/B tests, the imperative shell: create experiments and sends (validated), start, cancel, and
queue a send to its audience a chunk at a time (email.campaign_send {send_id, after}).

Exactly once: every lead's message is keyed `send:{send_id}:lead:{lead_id}` and inserted with insert-ignore, the
counters grow by what was new, and the next chunk's job is published once (keyed by the send and the last lead id):
two workers handling the same chunk queue each lead once. Consent, do-not-contact, suppressions and caps are the
sender's to judge (it skips with the reason); the hold-out gets a message row already skipped with reason
"hold-out" (email.service.queue_experiment, as journeys' A/B steps), so its outcomes (SQLs, won revenue) can be
compared with the variants'. Services flush, never commit.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from leadflow import events, outbox
from leadflow.clock import now
from leadflow.email import experiments as ex
from leadflow.email import sends_queries
from leadflow.email import service as email_service
from leadflow.email.models import EmailExperiment, EmailMessage, EmailSend, EmailTemplate
from leadflow.errors import FieldError, Invalid, NotFound

CHUNK = 1000
HOLDOUT_REASON = email_service.HOLDOUT_REASON
CANCELED_REASON = "the send was canceled before this message went out"
_VARIANT_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 _.-]{0,49}$")


def message_key(send_id: int, lead_id: int) -> str:
    return f"send:{send_id}:lead:{lead_id}"


# --- experiments ------------------------------------------------------------------------------------------------

def create_experiment(*, session: Session, name: str, variants: list[dict], split: dict | None = None,
                      holdout_pct: int = 0, metric: str = "click", window_days: int = 14,
                      created_by: int | None = None) -> EmailExperiment:
    """An A/B test; `split` defaults to equal shares (the remainder to the first variants)."""
    errors: list[FieldError] = []
    name = (name or "").strip()
    if not name:
        errors.append(FieldError("name", "give the test a name"))
    variants = list(variants or [])
    if not 1 <= len(variants) <= 10:
        errors.append(FieldError("variants", "an A/B test has from one to ten variants"))
    keys: list[str] = []
    cleaned: list[dict] = []
    template_ids = _existing_templates({v.get("template_id") for v in variants if isinstance(v, dict)},
                                       session=session)
    for index, variant in enumerate(variants):
        if not isinstance(variant, dict):
            errors.append(FieldError(f"variants.{index}", "each variant is an object {key, template_id}"))
            continue
        key = str(variant.get("key") or "").strip()
        if not _VARIANT_KEY.match(key) or key == ex.HOLDOUT:
            errors.append(FieldError(f"variants.{index}.key", "a short name of letters, digits, spaces, . _ or -"))
        elif key in keys:
            errors.append(FieldError(f"variants.{index}.key", f"two variants are called {key}"))
        keys.append(key)
        if variant.get("template_id") not in template_ids:
            errors.append(FieldError(f"variants.{index}.template_id", "no such email template"))
        subject = (variant.get("subject") or "").strip() or None
        offer = (variant.get("offer") or "").strip() or None
        if subject and len(subject) > 300:
            errors.append(FieldError(f"variants.{index}.subject", "at most 300 characters"))
        cleaned.append({"key": key, "template_id": variant.get("template_id"), "subject": subject, "offer": offer})
    if split is None and keys:
        base, rest = divmod(100, len(keys))
        split = {k: base + (1 if i < rest else 0) for i, k in enumerate(keys)}
    split = dict(split or {})
    if set(split) != set(keys) and not errors:
        errors.append(FieldError("split", "give each variant its share, and only the variants"))
    for field_name, reason in ex.validate_split(split, holdout_pct).items():
        errors.append(FieldError(field_name, reason))
    if metric not in ex.METRICS:
        errors.append(FieldError("metric", f"one of {', '.join(ex.METRICS)}"))
    if not isinstance(window_days, int) or not 1 <= window_days <= 365:
        errors.append(FieldError("window_days", "from 1 to 365 days"))
    if errors:
        raise Invalid(errors)
    experiment = EmailExperiment(name=name[:200], variants=cleaned, split={k: split[k] for k in keys},
                                 holdout_pct=holdout_pct, metric=metric, window_days=window_days,
                                 created_by=created_by, created_at=now())
    session.add(experiment)
    session.flush()
    return experiment


def declare_winner(experiment_id: int, *, session: Session) -> EmailExperiment:
    """Record the winner the results show (a 422 while there is none yet)."""
    experiment = session.get(EmailExperiment, experiment_id)
    if experiment is None:
        raise NotFound("experiment")
    verdict = sends_queries.experiment_verdict(experiment, session=session)
    if verdict is None or not verdict.decided:
        raise Invalid.one("winner", verdict.words if verdict else "the test has not been sent yet")
    experiment.winner, experiment.decided_at = verdict.winner, now()
    session.flush()
    return experiment


def _existing_templates(ids: set, *, session: Session) -> set[int]:
    ids = {i for i in ids if isinstance(i, int)}
    if not ids:
        return set()
    return set(session.scalars(select(EmailTemplate.id).where(EmailTemplate.id.in_(ids))))


# --- sends ------------------------------------------------------------------------------------------------------

def create_send(*, session: Session, name: str, segment_id: int | None = None, campaign_id: int | None = None,
                template_id: int | None = None, experiment_id: int | None = None,
                scheduled_at: datetime | None = None, window_days: int | None = None, draft: bool = False,
                created_by: int | None = None) -> EmailSend:
    """A one-off send to a segment's members (as they are when it goes out) or a campaign's leads, of a template or
    an experiment's variants; now, at `scheduled_at`, or kept as a draft to start later."""
    errors: list[FieldError] = []
    name = (name or "").strip()
    if not name:
        errors.append(FieldError("name", "give the send a name"))
    if (segment_id is None) == (campaign_id is None):
        errors.append(FieldError("segment_id", "choose the audience: a segment or a campaign (one of them)"))
    elif segment_id is not None and not sends_queries.segment_exists(segment_id, session=session):
        errors.append(FieldError("segment_id", "no such segment"))
    elif campaign_id is not None and not sends_queries.campaign_exists(campaign_id, session=session):
        errors.append(FieldError("campaign_id", "no such campaign"))
    experiment = None
    if (template_id is None) == (experiment_id is None):
        errors.append(FieldError("template_id", "choose what to send: a template or an A/B test (one of them)"))
    elif template_id is not None and not _existing_templates({template_id}, session=session):
        errors.append(FieldError("template_id", "no such email template"))
    elif experiment_id is not None:
        experiment = session.get(EmailExperiment, experiment_id)
        if experiment is None:
            errors.append(FieldError("experiment_id", "no such A/B test"))
    moment = now()
    if scheduled_at is not None and scheduled_at.tzinfo is None:
        errors.append(FieldError("scheduled_at", "give the time with its time zone (or Z for UTC)"))
    elif scheduled_at is not None and scheduled_at < moment - timedelta(minutes=5):
        errors.append(FieldError("scheduled_at", "the time has passed: leave it empty to send now"))
    if window_days is not None and (not isinstance(window_days, int) or not 1 <= window_days <= 365):
        errors.append(FieldError("window_days", "from 1 to 365 days"))
    if errors:
        raise Invalid(errors)
    send = EmailSend(name=name[:200], segment_id=segment_id, campaign_id=campaign_id, template_id=template_id,
                     experiment_id=experiment_id, status="draft", scheduled_at=scheduled_at,
                     window_days=window_days or (experiment.window_days if experiment else 14), cursor=0,
                     audience=0, queued=0, skipped=0, created_by=created_by, created_at=moment, updated_at=moment)
    session.add(send)
    session.flush()
    if not draft:
        start_send(send.id, session=session)
    return send


def start_send(send_id: int, *, session: Session) -> EmailSend:
    """A draft goes out: now, or at its scheduled time (the first chunk's job waits until then)."""
    send = _locked(send_id, session=session)
    if send.status != "draft":
        raise Invalid.one("status", f"the send is {send.status}: only a draft can be started")
    moment = now()
    due = send.scheduled_at if send.scheduled_at and send.scheduled_at > moment else moment
    send.status = "scheduled" if due > moment else "sending"
    send.updated_at = moment
    outbox.publish_once(session, events.EMAIL_CAMPAIGN_SEND, {"send_id": send.id, "after": 0},
                        key=f"email.campaign_send:{send.id}:0:{due.isoformat()}", available_at=due)
    session.flush()
    return send


def cancel_send(send_id: int, *, session: Session) -> EmailSend:
    """Stop a send: nothing more is queued, and its messages not yet sent are skipped with the reason."""
    send = _locked(send_id, session=session)
    if send.status in ("done", "canceled"):
        raise Invalid.one("status", f"the send is {send.status} already")
    send.status, send.finished_at, send.updated_at = "canceled", now(), now()
    session.execute(update(EmailMessage).where(EmailMessage.send_id == send.id, EmailMessage.status == "queued")
                    .values(status="skipped", reason=CANCELED_REASON).execution_options(synchronize_session=False))
    session.flush()
    return send


def _locked(send_id: int, *, session: Session) -> EmailSend:
    send = session.scalar(select(EmailSend).where(EmailSend.id == send_id).with_for_update()
                          .execution_options(populate_existing=True))
    if send is None:
        raise NotFound("send")
    return send


def queue_chunk(send_id: int, after: int, *, session: Session, limit: int | None = None) -> int:
    """Queue the next chunk of the send's audience (lead ids above `after`); the next chunk's job is published once,
    or the send is done. Returns how many leads were new to the send. A canceled send stops; a rescheduled one
    waits for its time."""
    limit = limit or CHUNK
    send = _locked(send_id, session=session)
    moment = now()
    if send.status in ("done", "canceled", "draft"):
        return 0
    if send.status == "scheduled":
        if send.scheduled_at and send.scheduled_at > moment:
            outbox.publish_once(session, events.EMAIL_CAMPAIGN_SEND, {"send_id": send.id, "after": after},
                                key=f"email.campaign_send:{send.id}:{after}:{send.scheduled_at.isoformat()}",
                                available_at=send.scheduled_at)
            return 0
        send.status = "sending"
    send.started_at = send.started_at or moment
    lead_ids = sends_queries.audience_ids(send, after=after, limit=limit, session=session)
    rows = [{"key": message_key(send.id, lead_id), "lead_id": lead_id, "send_id": send.id} for lead_id in lead_ids]
    if send.experiment_id is None:
        queued = email_service.queue_messages([{**row, "template_id": send.template_id} for row in rows],
                                              session=session)
        skipped = 0
    else:
        done = email_service.queue_experiment(send.experiment_id, rows, session=session)
        queued, skipped = (done.queued, done.held_out) if done else (0, 0)
    send.audience += queued + skipped
    send.queued += queued
    send.skipped += skipped
    send.updated_at = moment
    if lead_ids:
        send.cursor = max(send.cursor or 0, lead_ids[-1])
    if len(lead_ids) == limit:
        outbox.publish_once(session, events.EMAIL_CAMPAIGN_SEND, {"send_id": send.id, "after": lead_ids[-1]},
                            key=f"email.campaign_send:{send.id}:{lead_ids[-1]}")
    else:
        send.status, send.finished_at = "done", moment
    session.flush()
    return queued + skipped

