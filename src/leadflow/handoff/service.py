"""Handoff's decisions: endpoints (created, changed, removed), the fan-out of an event into deliveries with their
frozen bodies, each delivery's attempts (sent outside the write lock), retries with backoff, dead letters, replay."""

from __future__ import annotations

import json
import logging
import secrets
import uuid
from dataclasses import dataclass
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

import httpx
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from leadflow import db, events, outbox
from leadflow.clock import now
from leadflow.errors import Conflict, FieldError, Invalid, NotFound
from leadflow.handoff import backoff, hubspot, payloads, salesforce, signing
from leadflow.handoff.models import WebhookDelivery, WebhookEndpoint
from leadflow.leads import queries as leads_queries
from leadflow.settings import get_settings

log = logging.getLogger(__name__)
SENDERS = 16  # requests in flight at once for a batch of deliveries
TIMEOUT_S = 10.0
HISTORY_LIMIT = 20


# --- endpoints -------------------------------------------------------------------------------------------------------

def _check(kind: str, url: str, names: list[str], secret: str | None, options: dict, *, creating: bool) -> None:
    errors: list[FieldError] = []
    if kind not in payloads.KINDS:
        errors.append(FieldError("kind", f"must be one of {', '.join(payloads.KINDS)}"))
    problem = payloads.url_problem(url)
    if problem:
        errors.append(FieldError("url", problem))
    problem = payloads.events_problem(names)
    if problem:
        errors.append(FieldError("events", problem))
    field = "secret" if kind == payloads.WEBHOOK else "token"
    if secret is not None:
        problem = payloads.secret_problem(secret, kind=kind)
        if problem:
            errors.append(FieldError(field, problem))
    elif creating and kind != payloads.WEBHOOK:
        errors.append(FieldError("token", f"is required for a {payloads.KIND_LABELS.get(kind, kind)} connector"))
    if kind in payloads.KINDS:
        errors.extend(FieldError(f, r) for f, r in payloads.options_problems(kind, options).items())
    if errors:
        raise Invalid(errors)


def create_endpoint(*, session: Session, url: str, events: list[str] | None = None, kind: str = payloads.WEBHOOK,
                    name: str | None = None, secret: str | None = None, options: dict | None = None,
                    active: bool = True, actor: str = "system") -> tuple[WebhookEndpoint, str | None]:
    """The endpoint, and the signing secret when leadflow generated it (shown once, never again)."""
    names = list(dict.fromkeys(events if events is not None else (
        payloads.CONNECTOR_EVENTS if kind in (payloads.HUBSPOT, payloads.SALESFORCE) else [])))
    options = options or {}
    url = (url or "").strip()
    _check(kind, url, names, secret, options, creating=True)
    generated = None
    if secret is None:
        generated = secret = "whsec_" + secrets.token_urlsafe(32)
    moment = now()
    endpoint = WebhookEndpoint(name=(name or "").strip()[:200] or url[:200], kind=kind, url=url, events=names,
                               secret=secret, options=payloads.with_defaults(kind, options), active=active,
                               created_by=actor, created_at=moment, updated_at=moment)
    session.add(endpoint)
    session.flush()
    return endpoint, generated


def get_endpoint(endpoint_id: int, *, session: Session) -> WebhookEndpoint:
    endpoint = session.get(WebhookEndpoint, endpoint_id)
    if endpoint is None:
        raise NotFound("webhook endpoint", endpoint_id)
    return endpoint


def update_endpoint(*, session: Session, endpoint: WebhookEndpoint, values: dict) -> WebhookEndpoint:
    """Change name, url, events, active, options, or rotate the secret (token); what is not given stays."""
    url = values.get("url", endpoint.url)
    names = list(dict.fromkeys(values.get("events", endpoint.events)))
    options = values.get("options", None)
    secret = values.get("secret")
    _check(endpoint.kind, url, names, secret, options if options is not None else {}, creating=False)
    endpoint.url = url
    endpoint.events = names
    if values.get("name"):
        endpoint.name = values["name"].strip()[:200]
    if "active" in values and values["active"] is not None:
        endpoint.active = bool(values["active"])
    if options is not None:
        endpoint.options = payloads.with_defaults(endpoint.kind, options)
    if secret is not None:
        endpoint.secret = secret
    endpoint.updated_at = now()
    session.flush()
    return endpoint


def delete_endpoint(*, session: Session, endpoint: WebhookEndpoint) -> None:
    """The endpoint and its delivery log; messages still queued for it find nothing and do nothing."""
    session.delete(endpoint)
    session.flush()


# --- the fan-out -----------------------------------------------------------------------------------------------------

def _history(lead, *, session: Session) -> list[dict]:
    reasons = [{"kind": "score", "at": None, "summary": _reason_text(item)}
               for item in (lead.score_explanation or [])[:HISTORY_LIMIT]]
    timeline = [{"kind": a.kind, "at": a.occurred_at.isoformat(), "summary": a.summary}
                for a in leads_queries.timeline(lead.id, session=session, limit=HISTORY_LIMIT)]
    return reasons + timeline


def _reason_text(item) -> str:
    if isinstance(item, dict):
        for name in ("text", "reason", "label", "rule"):
            if isinstance(item.get(name), str) and item[name]:
                points = item.get("points")
                return f"{item[name]} ({points:+g})" if isinstance(points, int | float) else item[name]
    return json.dumps(item, default=str)[:300]


def _lead_facts(lead_ids: set[int], *, session: Session) -> dict[int, tuple[dict, object]]:
    """Each lead's summary (and the lead), for a batch of events at once: one read of the leads, one of owners."""
    leads = leads_queries.leads_by_id(lead_ids, session=session)
    owners = leads_queries.owner_emails({lead.owner_id for lead in leads.values() if lead.owner_id},
                                        session=session)
    base_url = get_settings().base_url
    found = {}
    for lead_id, lead in leads.items():
        values = {name: getattr(lead, name) for name in (
            "id", "first_name", "last_name", "email", "phone", "mobile", "job_title", "company", "city", "country",
            "stage", "score", "band", "grade", "owner_id")}
        found[lead_id] = (payloads.lead_summary(values, owner_email=owners.get(lead.owner_id), base_url=base_url),
                          lead)
    return found


def fan_out(topic: str, given: list[dict], *, session: Session) -> int:
    """One delivery per active endpoint subscribed to the topic, per event, each body built once and frozen, and
    its first outbox message (`webhook:{delivery_id}:1`), in the event's transaction. The same event again (a
    retried job) finds its deliveries made and makes none. A batch of events is read and written at once."""
    endpoints = [e for e in session.scalars(select(WebhookEndpoint).where(WebhookEndpoint.active.is_(True))
                                            .order_by(WebhookEndpoint.id)) if payloads.wants(e.events, topic)]
    if not endpoints:
        return 0
    moment = now()
    facts = _lead_facts({lead_id for p in given if (lead_id := payloads.lead_of(topic, p)) is not None},
                        session=session)
    events_of = []
    for payload in given:
        summary, lead = facts.get(payloads.lead_of(topic, payload), (None, None))
        version = lead.updated_at.isoformat() if lead is not None and lead.updated_at else None
        events_of.append((payload, summary, lead, payloads.source_key(topic, payload, version)))
    done = set(session.execute(select(WebhookDelivery.source, WebhookDelivery.endpoint_id).where(
        WebhookDelivery.source.in_(sorted({source for *_, source in events_of})),
        WebhookDelivery.endpoint_id.in_([e.id for e in endpoints]))).tuples())
    rows, messages = [], []
    for payload, summary, lead, source in events_of:
        history = None
        for endpoint in endpoints:
            if (source, endpoint.id) in done:
                continue
            done.add((source, endpoint.id))  # the same event twice in one batch: one delivery
            if endpoint.kind != payloads.WEBHOOK and history is None and lead is not None:
                history = _history(lead, session=session)
            delivery_id = str(uuid.uuid4())
            text = payloads.body(delivery_id=delivery_id, event=topic, occurred=payloads.occurred_at(payload, moment),
                                 payload=payload, lead=summary,
                                 history=history if endpoint.kind != payloads.WEBHOOK else None)
            rows.append({"delivery_id": delivery_id, "endpoint_id": endpoint.id, "event": topic, "source": source,
                         "lead_id": summary["id"] if summary else None, "body": text, "status": "pending",
                         "attempts": 0, "seq": 1, "next_attempt_at": moment, "retry_until": moment + backoff.WINDOW,
                         "replays": 0, "created_at": moment})
            messages.append({"topic": events.WEBHOOK_DELIVER, "payload": {"delivery_id": delivery_id, "seq": 1},
                             "key": f"webhook:{delivery_id}:1"})
    if rows:
        session.execute(insert(WebhookDelivery.__table__), rows)
        outbox.publish_many(session, messages)
    return len(rows)


# --- delivering ------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Due:
    """What one attempt needs, read before sending (no lock held while the request is in flight)."""

    delivery_id: str
    seq: int
    event: str
    body: str
    kind: str
    url: str
    secret: str
    options: dict
    active: bool


def _due(given: list[dict], *, session: Session) -> list[_Due]:
    wanted = {str(p.get("delivery_id")): int(p.get("seq") or 1) for p in given if p.get("delivery_id")}
    if not wanted:
        return []
    with db.sessions_like(session, reads_only=True)() as reading:
        rows = reading.execute(
            select(WebhookDelivery.delivery_id, WebhookDelivery.seq, WebhookDelivery.status, WebhookDelivery.event,
                   WebhookDelivery.body, WebhookEndpoint.kind, WebhookEndpoint.url, WebhookEndpoint.secret,
                   WebhookEndpoint.options, WebhookEndpoint.active)
            .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
            .where(WebhookDelivery.delivery_id.in_(list(wanted)))).all()
    # A message superseded by a replay (another seq), or a delivery done meanwhile, sends nothing.
    return [_Due(r.delivery_id, r.seq, r.event, r.body, r.kind, r.url, r.secret, dict(r.options or {}), r.active)
            for r in rows if r.seq == wanted[r.delivery_id] and r.status in ("pending", "failed")]


def attempt(client: httpx.Client, due: _Due, moment: datetime) -> backoff.Outcome:
    """One try: the webhook POST (signed), or the connector's calls to the CRM; network errors are failures. A paused
    endpoint's deliveries fail unsent, so they are retried (and sent once it is active again) within their window."""
    if not due.active:
        return backoff.Outcome(False, None, "the endpoint is paused: not sent")
    try:
        if due.kind == payloads.HUBSPOT:
            return hubspot.push(client, base_url=due.url, token=due.secret, data=json.loads(due.body)["data"],
                                moment=moment)
        if due.kind == payloads.SALESFORCE:
            return salesforce.push(client, base_url=due.url, token=due.secret, options=due.options,
                                   data=json.loads(due.body)["data"])
        raw = due.body.encode("utf-8")
        response = client.post(due.url, content=raw, headers=signing.headers(
            secret=due.secret, body=raw, event=due.event, delivery_id=due.delivery_id, moment=moment))
        if backoff.is_success(response.status_code):
            return backoff.Outcome(True, response.status_code)
        return backoff.Outcome(False, response.status_code,
                               backoff.clip(f"HTTP {response.status_code}: {response.text}"))
    except Exception as exc:  # noqa: BLE001  (whatever stops a send is a failed attempt, recorded and retried)
        text = f"{type(exc).__name__}: {exc}"
        if due.secret:  # an error may quote a header: the token or secret never reaches the delivery log
            text = text.replace(due.secret, "\u2026")
        return backoff.Outcome(False, None, backoff.clip(text))


_shared: list[httpx.Client] = []
_shared_lock = threading.Lock()


def _client() -> httpx.Client:
    """One client per process, its connections kept from batch to batch (a receiver is not dialled anew for each
    batch of a hundred deliveries)."""
    with _shared_lock:
        if not _shared:
            _shared.append(httpx.Client(timeout=TIMEOUT_S, follow_redirects=False,
                                        limits=httpx.Limits(max_connections=SENDERS * 2,
                                                            max_keepalive_connections=SENDERS)))
        return _shared[0]


def deliver(given: list[dict], *, session: Session, client: httpx.Client | None = None) -> dict[str, str]:
    """Send each due delivery (read, send, then write: on SQLite nothing holds the write lock while a request is
    in flight), then record each attempt: delivered, a retry queued as the next outbox message with the SAME
    delivery id, or dead. Returns delivery id -> its status now."""
    found = _due(given, session=session)
    if not found:
        return {}
    client = client or _client()

    def one(due: _Due) -> tuple[_Due, backoff.Outcome, datetime]:
        moment = now()
        return due, attempt(client, due, moment), moment

    # Several requests in flight at once (receivers answer in parallel; the client's connections are shared).
    with ThreadPoolExecutor(max_workers=min(SENDERS, len(found))) as pool:
        results = list(pool.map(one, found))
    rows = {d.delivery_id: d for d in session.scalars(select(WebhookDelivery).where(
        WebhookDelivery.delivery_id.in_([due.delivery_id for due, _, _ in results])))}
    statuses = {due.delivery_id: _record(due, rows.get(due.delivery_id), outcome, moment, session=session)
                for due, outcome, moment in results}
    session.flush()  # the batch's updates together (SQLAlchemy groups them into executemany)
    return statuses


def _record(due: _Due, delivery: WebhookDelivery | None, outcome: backoff.Outcome, moment: datetime, *,
            session: Session) -> str:
    if delivery is None:  # its endpoint was removed meanwhile
        return "gone"
    delivery.attempts += 1
    delivery.last_attempt_at = moment
    delivery.last_status_code = outcome.status_code
    if outcome.delivered:
        delivery.status, delivery.delivered_at, delivery.last_error, delivery.next_attempt_at = (
            "delivered", moment, None, None)
        return delivery.status
    delivery.last_error = outcome.error
    if delivery.seq != due.seq:  # replayed while this attempt was in flight: the replay's message carries on
        return delivery.status
    following = backoff.after_failure(outcome, attempts=delivery.attempts, moment=moment,
                                      retry_until=delivery.retry_until, delivery_id=delivery.delivery_id)
    if following.dead:
        delivery.status, delivery.next_attempt_at = "dead", None
        log.warning("webhook delivery %s is dead after %s attempt(s): %s", delivery.delivery_id, delivery.attempts,
                    following.why)
    else:
        delivery.status, delivery.next_attempt_at, delivery.seq = "failed", following.at, delivery.seq + 1
        outbox.publish(session, events.WEBHOOK_DELIVER, {"delivery_id": delivery.delivery_id, "seq": delivery.seq},
                       key=f"webhook:{delivery.delivery_id}:{delivery.seq}", available_at=following.at)
    return delivery.status


def get_delivery(delivery_id: str, *, session: Session) -> WebhookDelivery:
    delivery = session.scalar(select(WebhookDelivery).where(WebhookDelivery.delivery_id == delivery_id))
    if delivery is None:
        raise NotFound("delivery", delivery_id)
    return delivery


def replay(delivery_id: str, *, session: Session) -> WebhookDelivery:
    """Queue the delivery again now: the SAME delivery id and body (receivers dedupe on X-Leadflow-Delivery),
    attempts counting on, a new 24-hour window of retries. A delivery still waiting for its first try is refused."""
    delivery = get_delivery(delivery_id, session=session)
    if delivery.status not in payloads.REPLAYABLE:
        raise Conflict(f"delivery {delivery_id} is {delivery.status}: it is already queued")
    moment = now()
    delivery.seq += 1
    delivery.replays += 1
    delivery.status, delivery.next_attempt_at, delivery.retry_until = "pending", moment, moment + backoff.WINDOW
    outbox.publish(session, events.WEBHOOK_DELIVER, {"delivery_id": delivery.delivery_id, "seq": delivery.seq},
                   key=f"webhook:{delivery.delivery_id}:{delivery.seq}")
    session.flush()
    return delivery
