"""The intake's shell: store every submission raw first, then validate, normalize, ask the planner (a capture is a
batch of one), write the lead, its activity, consents and BANT answers and the outbox row; retries and replays."""

from __future__ import annotations

import logging
import random
import time
from dataclasses import asdict, dataclass, field

from sqlalchemy import select
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session

from leadflow import events, outbox
from leadflow import values as plain
from leadflow.campaigns import service as campaigns_service
from leadflow.capture.domain import NormalizedLead, Submission, normalize, retry_wait
from leadflow.capture.intake import plan
from leadflow.capture.models import Capture
from leadflow.clock import now
from leadflow.db import begin_write, is_transient
from leadflow.errors import FieldError, Invalid
from leadflow.identity import service as identity_service
from leadflow.identity.candidates import CandidateIndex
from leadflow.leads import service as leads_service
from leadflow.qualification import service as qualification_service

log = logging.getLogger(__name__)
ATTEMPTS = 6  # a capture that races other writers this often in a row is kept as pending, for the worker


@dataclass
class Inbound:
    """A submission as it arrived, before anything is read from it."""

    channel: str
    payload: bytes
    content_type: str | None = None
    external_id: str | None = None
    idempotency_key: str | None = None
    client: str | None = None
    remote_addr: str | None = None
    form_id: int | None = None
    import_id: int | None = None


@dataclass
class Outcome:
    capture: Capture
    outcome: str  # created, merged, rejected, pending (retried by the worker), failed (after the last retry)
    lead_id: int | None = None
    errors: list[FieldError] = field(default_factory=list)
    replayed: bool = False
    changes: list = field(default_factory=list)


def receive(inbound: Inbound, *, session: Session) -> tuple[Capture, bool]:
    """Write the raw submission first. Returns (capture, is_new); a known idempotency key returns the first one."""
    capture = Capture(
        channel=inbound.channel, payload=inbound.payload, content_type=_storable(inbound.content_type, 200),
        external_id=_storable(inbound.external_id, 300), idempotency_key=_storable(inbound.idempotency_key, 300),
        client=_storable(inbound.client, 200), remote_addr=_storable(inbound.remote_addr, 64),
        form_id=inbound.form_id, import_id=inbound.import_id, received_at=now(), outcome="pending",
        reasons=[], attribution={},
    )
    if inbound.idempotency_key is None:
        session.add(capture)
        session.flush()
        return capture, True
    try:
        with session.begin_nested():
            session.add(capture)
    except IntegrityError:
        first = session.scalar(select(Capture).where(Capture.idempotency_key == inbound.idempotency_key))
        if first is None:
            raise
        return first, False
    return capture, True


def _storable(text: object, length: int) -> str | None:
    """The raw bytes are kept as they came; the columns beside them hold text every database can store."""
    if text in (None, ""):
        return None
    return plain.shown(text)[:length] or None


def reject(capture: Capture, errors: list[FieldError]) -> Outcome:
    errors = [FieldError(plain.shown(e.field), plain.shown(e.reason)) for e in errors]
    capture.outcome = "rejected"
    capture.reasons = [{"field": e.field, "reason": e.reason} for e in errors]
    return Outcome(capture=capture, outcome="rejected", errors=errors)


def process(capture: Capture, submission: Submission, *, session: Session, default_country: str | None = None,
            campaign_id: int | None = None) -> Outcome:
    """Everything after the raw write, inside a savepoint: a failure leaves the capture stored, never lost."""
    if submission.external_id and not capture.external_id:
        capture.external_id = _storable(submission.external_id, 300)
    try:
        lead = normalize(submission, default_country=default_country)
        for attempt in range(1, ATTEMPTS + 1):
            try:
                with session.begin_nested():
                    outcome = _apply(capture, lead, campaign_id, session=session)
                break
            except DBAPIError as exc:
                # A race with another capture (a deadlock, a key written meanwhile): the savepoint's rollback
                # released this attempt's locks; the next attempt sees what the other one committed.
                if not is_transient(exc) or attempt == ATTEMPTS:
                    raise
                log.info("capture %s raced another writer (%s); attempt %d of %d", capture.id,
                         type(exc.orig).__name__, attempt + 1, ATTEMPTS)
                time.sleep(random.uniform(0, 0.02 * 2 ** attempt))
    except Invalid as exc:
        outcome = reject(capture, exc.errors)
    except Exception as exc:
        log.exception("capture %s could not be processed; kept for a retry", capture.id)
        return _keep_for_retry(capture, submission, exc, session=session, default_country=default_country,
                               campaign_id=campaign_id)
    capture.retry_at, capture.submission = None, None
    return outcome


def _keep_for_retry(capture: Capture, submission: Submission, error: Exception, *,
                    session: Session, default_country: str | None, campaign_id: int | None) -> Outcome:
    """Pending with what the channel read and a job for the worker when the wait is over (in this transaction);
    failed for good after the last wait."""
    capture.attempts = (capture.attempts or 0) + 1
    kept, problems = plain.plain_json({"submission": asdict(submission), "default_country": default_country,
                                       "campaign_id": campaign_id}, "", max_bytes=None)
    wait = retry_wait(capture.attempts)
    what = f"could not be processed ({type(error).__name__})"
    if wait is None or problems:
        capture.outcome, capture.retry_at, capture.submission = "failed", None, None
        capture.reasons = [{"field": "capture", "reason": f"{what}; gave up after {capture.attempts} attempts"}]
        return Outcome(capture=capture, outcome="failed")
    capture.outcome, capture.retry_at, capture.submission = "pending", now() + wait, kept
    capture.reasons = [{"field": "capture", "reason": f"{what}; tried again automatically at "
                                                      f"{capture.retry_at.isoformat(timespec='seconds')}"}]
    outbox.publish(session, events.CAPTURE_RETRY, {"capture_id": capture.id}, available_at=capture.retry_at,
                   key=f"{events.CAPTURE_RETRY}:{capture.id}:{capture.attempts}")
    return Outcome(capture=capture, outcome="pending")


def retry_due(*, session: Session, limit: int = 50) -> list[Outcome]:
    """Process again the captures a failure left pending whose wait is over, through the same pipeline.

    Each is claimed (SKIP LOCKED on PostgreSQL, the write lock on SQLite) so two workers never take the same one.
    """
    query = (select(Capture).where(Capture.outcome == "pending", Capture.retry_at <= now())
             .order_by(Capture.retry_at, Capture.id).limit(limit))
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    else:
        begin_write(session)
    outcomes = []
    for capture in session.scalars(query).all():
        kept = capture.submission or {}
        submission = Submission(**kept.get("submission", {}))
        outcomes.append(process(capture, submission, session=session, default_country=kept.get("default_country"),
                                campaign_id=kept.get("campaign_id")))
    session.flush()
    return outcomes


def _seen_before(capture: Capture, *, session: Session) -> dict[str, dict]:
    """The lead an earlier capture of the same record went to (the same row imported again, the same form sent
    twice): wherever that lead's values have drifted since, this record is its (the merge follows its chain)."""
    if capture.fingerprint is None:
        return {}
    lead_id = session.scalar(select(Capture.lead_id).where(
        Capture.fingerprint == capture.fingerprint, Capture.lead_id.is_not(None), Capture.id != capture.id)
        .order_by(Capture.id).limit(1))
    return {capture.fingerprint: {"id": lead_id}} if lead_id is not None else {}


def _decide(capture: Capture, lead: NormalizedLead, *, session: Session) -> plan.Decision:
    """The planner for a batch of one: the candidates of this one submission, loaded as the planner asks."""
    record = plan.Record(1, lead.fields, lead.custom_fields, capture.fingerprint)
    seen = _seen_before(capture, session=session)
    index = CandidateIndex(model=identity_service.model(session=session), prepared_of=identity_service.prepared_lead)
    if capture.fingerprint not in seen:
        index.add_stored(identity_service.exact_candidates(session=session, fields=lead.fields))
        if plan.needs_fuzzy([record], index, seen):
            identity_service.load_fuzzy(session=session, index=index, keys=record.keys)
    # A batch of one makes and changes nothing a later record could find: the lead is written below, by the ORM.
    decision, = plan.plan([record], index, seen=seen, create=lambda r: {"id": None}, merge=lambda r, lead: False,
                          reviews=None)  # every unsure pair, as a capture always queued them
    return decision


def _apply(capture: Capture, lead: NormalizedLead, campaign_id: int | None, *, session: Session) -> Outcome:
    touch = {**lead.attribution, "at": capture.received_at.isoformat(), "channel": capture.channel}
    if campaign_id is None:
        campaign_id = campaigns_service.resolve(session=session, code=lead.campaign, attribution=lead.attribution,
                                                capture_channel=capture.channel)
    if campaign_id is not None:
        touch["campaign_id"] = campaign_id
    capture.campaign_id = campaign_id
    capture.attribution = lead.attribution
    identity_service.lock_keys(identity_service.match_keys(lead.fields), session=session)
    capture.fingerprint = identity_service.fingerprint_of(lead.fields, lead.custom_fields)
    decision = _decide(capture, lead, session=session)
    if decision.action == plan.CREATE:
        record = leads_service.create_from_capture(
            session=session, fields=lead.fields, custom_fields=lead.custom_fields, do_not_contact=lead.do_not_contact,
            channel=capture.channel, campaign_id=campaign_id, capture_id=capture.id, touch=touch)
        outcome, changes, topic = "created", [], events.LEAD_CAPTURED
        identity_service.index_lead(record.id, identity_service.prepared_lead(record), session=session, new=True)
        if decision.review:
            identity_service.suggest_review(record.id, [(other["id"], result)
                                                                 for other, result in decision.review],
                                            session=session, found_by="capture")
    else:
        record = identity_service.lock_for_merge(decision.lead["id"], session=session)
        changes = leads_service.merge_capture(
            session=session, record=record, fields=lead.fields, custom_fields=lead.custom_fields,
            do_not_contact=lead.do_not_contact, channel=capture.channel, campaign_id=campaign_id,
            capture_id=capture.id, touch=touch)
        outcome, topic = "merged", events.LEAD_RECAPTURED
        if changes:
            identity_service.index_lead(record.id, identity_service.prepared_lead(record), session=session)
    leads_service.record_consents(session=session, lead_id=record.id, consents=lead.consents, capture_id=capture.id)
    qualification_service.record_captured(record.id, lead.custom_fields, session=session, capture_id=capture.id)
    capture.lead_id = record.id
    capture.outcome = outcome
    capture.reasons = decision.reasons
    outbox.publish(session, topic, {"lead_id": record.id, "capture_id": capture.id, "channel": capture.channel,
                                    "campaign_id": campaign_id, "form_id": capture.form_id})
    session.flush()
    return Outcome(capture=capture, outcome=outcome, lead_id=record.id, changes=changes)


def capture(inbound: Inbound, submission: Submission, *, session: Session, default_country: str | None = None,
            campaign_id: int | None = None) -> Outcome:
    """Receive and process in one call, for channels that read the submission without a chance to fail."""
    record, is_new = receive(inbound, session=session)
    if not is_new:
        return Outcome(capture=record, outcome=record.outcome, lead_id=record.lead_id, replayed=True)
    return process(record, submission, session=session, default_country=default_country, campaign_id=campaign_id)
