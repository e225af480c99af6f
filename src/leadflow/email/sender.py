"""The sender's pass: due messages claimed a chunk at a time (SKIP LOCKED on PostgreSQL, the write lock on SQLite),
each decided (rules.decide), rendered and marked `sending` in one committed transaction, then sent over one SMTP
connection per chunk and marked `sent`. A message left `sending` past its lease (a worker killed mid-send) becomes
`unconfirmed` and is never sent again by itself: exactly once, or visibly not sure."""

from __future__ import annotations

import binascii
import hashlib
import logging
import smtplib
from dataclasses import dataclass
from datetime import timedelta
from email.header import Header
from email.utils import format_datetime, formataddr

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from leadflow import db, events, mail, outbox
from leadflow.clock import now
from leadflow.email import links, render, rules, sends_queries
from leadflow.email import settings_service as email_settings
from leadflow.email.models import EmailMessage, EmailSuppression, EmailTemplate
from leadflow.leads.models import Consent, Lead
from leadflow.settings import Settings
from leadflow.surveys import links as surveys_links
from leadflow.surveys import queries as surveys_queries
from leadflow.tracking import email_service as tracking_links

log = logging.getLogger(__name__)

CHUNK = 500
LEASE = timedelta(minutes=10)  # a send taking longer than this is taken as cut off
UNCONFIRMED = ("the send was cut off (the worker stopped while talking to the mail server): it may or may not have "
               "arrived, so it is not sent again by itself; requeue it to send it anyway")
HEADER = "X-Leadflow-Message"


@dataclass
class Outgoing:
    id: int
    lead_id: int
    key: str
    to: str
    mime: bytes


def expire(*, session: Session) -> int:
    """Sends cut off mid-way (their lease ran out while `sending`) become `unconfirmed`."""
    return session.execute(
        update(EmailMessage).where(EmailMessage.status == "sending", EmailMessage.locked_until < now())
        .values(status="unconfirmed", reason=UNCONFIRMED, locked_until=None)
        .execution_options(synchronize_session=False)).rowcount


def claim(*, session: Session, limit: int = CHUNK) -> list[EmailMessage]:
    db.begin_write(session)
    expire(session=session)
    query = (select(EmailMessage).where(EmailMessage.status == "queued", EmailMessage.send_after <= now())
             .order_by(EmailMessage.send_after, EmailMessage.id).limit(limit))
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return list(session.scalars(query))


def _recipients(lead_ids: set[int], *, session: Session) -> tuple[dict[int, rules.Recipient], dict[int, dict]]:
    """What the decision reads of each lead, and the values its personalisation reads (one read of the leads)."""
    columns = [getattr(Lead, name) for name in render.LEAD_FIELDS]
    leads = session.execute(select(Lead.id, Lead.do_not_contact, Lead.merged_into_id, Lead.custom_fields, *columns)
                            .where(Lead.id.in_(lead_ids))).all()
    latest: dict[tuple[int, str], bool] = {}
    for lead_id, purpose, granted in session.execute(
            select(Consent.lead_id, Consent.purpose, Consent.granted).where(Consent.lead_id.in_(lead_ids))
            .order_by(Consent.recorded_at, Consent.id)):
        latest[(lead_id, purpose)] = granted
    withdrawn: dict[int, set[str]] = {}
    for (lead_id, purpose), granted in latest.items():
        if not granted:
            withdrawn.setdefault(lead_id, set()).add(purpose)
    found, profiles = {}, {}
    for lead_id, dnc, merged_into, custom, *values in leads:
        custom = custom or {}
        profile = dict(zip(render.LEAD_FIELDS, values, strict=True))
        found[lead_id] = rules.Recipient(lead_id, profile["email"], bool(dnc), frozenset(withdrawn.get(lead_id, ())),
                                         custom.get("time_zone") or custom.get("timezone"), merged_into is not None)
        profiles[lead_id] = {**profile, "custom": custom}
    return found, profiles


def _suppressed(addresses: set[str], *, session: Session) -> dict[str, str]:
    if not addresses:
        return {}
    rows = session.execute(select(EmailSuppression.address, EmailSuppression.reason, EmailSuppression.detail)
                           .where(EmailSuppression.address.in_(addresses))).all()
    return {address: rules.suppression_reason(reason, detail) for address, reason, detail in rows}


def _sent_lately(lead_ids: set[int], policy: rules.Policy, *, session: Session) -> dict[int, int]:
    if policy.cap_messages is None:
        return {}
    since = now() - timedelta(days=policy.cap_days)
    return dict(session.execute(select(EmailMessage.lead_id, func.count()).where(
        EmailMessage.lead_id.in_(lead_ids), EmailMessage.sent_at >= since).group_by(EmailMessage.lead_id)).all())


def _domain_sent(policy: rules.Policy, *, session: Session) -> dict[str, int]:
    if policy.default_per_minute is None and not policy.per_minute:
        return {}
    if session.get_bind().dialect.name == "postgresql":
        domain = func.lower(func.split_part(EmailMessage.to_address, "@", 2))
    else:
        domain = func.lower(func.substr(EmailMessage.to_address, func.instr(EmailMessage.to_address, "@") + 1))
    since = now() - timedelta(minutes=1)
    return dict(session.execute(select(domain, func.count()).where(
        or_(EmailMessage.sent_at >= since, EmailMessage.status == "sending")).group_by(domain)).all())


def _header(value: str) -> str:
    """A header's value on one line, RFC 2047-encoded when it is not plain ASCII."""
    value = " ".join(value.replace("\r", " ").replace("\n", " ").split())
    return value if value.isascii() else Header(value, "utf-8").encode()


def _part(content_type: str, text: str) -> bytes:
    body = binascii.b2a_qp(text.replace("\r\n", "\n").encode("utf-8"), istext=True)
    return (f"Content-Type: {content_type}; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
            .encode("ascii") + body.replace(b"\n", b"\r\n"))


def _mime(message: EmailMessage, to: str, rendered: render.Rendered, *, sender: str, reply_to: str | None,
          unsubscribe: str) -> bytes:
    """The message as sent (CRLF lines, quoted-printable parts), built directly: the email package's header
    objects cost more than the rest of a send together."""
    domain = sender.rpartition("@")[2].rstrip(">") or "leadflow"
    boundary = f"=_lf_{message.id}_{hashlib.sha256(message.key.encode()).hexdigest()[:16]}"
    headers = [("From", sender), ("To", _header(to)), ("Subject", _header(rendered.subject)),
               ("Date", format_datetime(now())),
               ("Message-ID", f"<{hashlib.sha256(message.key.encode()).hexdigest()[:32]}.email@{domain}>"),
               ("MIME-Version", "1.0"), ("List-Unsubscribe", f"<{unsubscribe}>"),
               ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"), (HEADER, str(message.id)),
               ("Content-Type", f'multipart/alternative; boundary="{boundary}"')]
    if reply_to:
        headers.insert(3, ("Reply-To", _header(reply_to)))
    head = "".join(f"{name}: {value}\r\n" for name, value in headers).encode("utf-8")
    fence = f"--{boundary}\r\n".encode("ascii")
    return (head + b"\r\n" + fence + _part("text/plain", rendered.text) + b"\r\n" + fence
            + _part("text/html", rendered.html) + b"\r\n" + f"--{boundary}--\r\n".encode("ascii"))


def prepare(messages: list[EmailMessage], settings: Settings, *, session: Session) -> list[Outgoing]:
    """Decide each claimed message; render those that go. Every row leaves `queued` (sending, skipped, failed)
    or moves its send_after on, in the caller's transaction, so the claim ends when it commits."""
    if not messages:
        return []
    moment = now()
    policy = email_settings.policy(session=session)
    row = email_settings.settings_row(session=session)
    sender = formataddr((row.from_name or "", row.from_address or settings.smtp_from))
    secret = links.secret_key(settings, session=session)
    lead_ids = {m.lead_id for m in messages}
    recipients, profiles = _recipients(lead_ids, session=session)
    suppressed = _suppressed({(r.address or "").lower() for r in recipients.values() if r.address},
                             session=session)
    sent_lately = _sent_lately(lead_ids, policy, session=session)
    domain_sent = _domain_sent(policy, session=session)
    templates = {t.id: t for t in session.scalars(select(EmailTemplate).where(
        EmailTemplate.id.in_({m.template_id for m in messages})))}
    variants = sends_queries.variant_overrides(messages, session=session)  # A/B tests' own subjects, offers
    surveys = surveys_queries.ids_by_key(session=session)

    def survey_link(message):  # `{{ survey_link("brochure-followup") }}`: signed for this lead and message
        return render.survey_linker(surveys, lambda survey_id: surveys_links.survey_url(
            settings, survey_id, message.lead_id, message.id, secret_key=secret))

    outgoing, changes = [], []
    for message in messages:
        recipient = recipients.get(message.lead_id)
        decision = rules.decide(recipient, message.purpose, moment, policy, suppressed=suppressed,
                                sent_lately=sent_lately.get(message.lead_id, 0),
                                domain_sent=domain_sent.get(rules.domain_of(recipient.address), 0)
                                if recipient and recipient.address else 0)
        change = {"id": message.id, "attempts": message.attempts + 1}
        if decision.action == "skip":
            changes.append({**change, "status": "skipped", "reason": decision.reason,
                            "to_address": recipient.address if recipient else None})
            continue
        if decision.action == "later":
            changes.append({**change, "send_after": decision.at,
                            "reason": f"waiting: {decision.reason} (until {decision.at:%Y-%m-%d %H:%M} UTC)"})
            continue
        template = variants.template(message, templates[message.template_id])
        unsubscribe = links.unsubscribe_url(settings.base_url, secret, message.id, message.lead_id)
        context = variants.context(message, render.context_of(profiles.get(message.lead_id, {}),
                                                              unsubscribe_url=unsubscribe, preferences_url=unsubscribe))
        context["survey_link"] = survey_link(message)
        claims = {"message_id": str(message.id)}
        try:
            rendered = render.render(
                template, context,
                click=lambda url, lead=message.lead_id: tracking_links.click_url(settings.base_url, secret, lead,
                                                                                 url, **claims),
                pixel=tracking_links.open_url(settings.base_url, secret, message.lead_id, **claims))
        except render.SurveyMissing as exc:  # its survey was deleted: the message is not sent, and says why
            changes.append({**change, "status": "skipped", "reason": str(exc)[:2000],
                            "to_address": recipient.address})
            continue
        except render.RenderFailed as exc:
            changes.append({**change, "status": "failed", "reason": str(exc)[:2000]})
            continue
        mime = _mime(message, recipient.address, rendered, sender=sender, reply_to=row.reply_to,
                     unsubscribe=unsubscribe)
        changes.append({**change, "status": "sending", "reason": None, "to_address": recipient.address,
                        "subject": rendered.subject[:300], "template_version": template.version,
                        "locked_until": moment + LEASE})
        outgoing.append(Outgoing(message.id, message.lead_id, message.key, recipient.address, mime))
        sent_lately[message.lead_id] = sent_lately.get(message.lead_id, 0) + 1
        domain = rules.domain_of(recipient.address)
        domain_sent[domain] = domain_sent.get(domain, 0) + 1
    session.execute(update(EmailMessage), changes)
    return outgoing


def transmit(outgoing: list[Outgoing], settings: Settings, envelope_from: str) -> dict[int, tuple[str, str]]:
    """Send each over one connection; {message id: (status, reason)} of those not sent: `failed` when the server
    refused it for good, `queued` (tried again later) when it surely did not take it, `unconfirmed` when the
    connection broke while it might have."""
    outcomes: dict[int, tuple[str, str]] = {}
    client = None
    try:
        for item in outgoing:
            if client is None:
                try:
                    client = mail._connect(settings)
                except (smtplib.SMTPException, OSError, RuntimeError) as exc:
                    outcomes[item.id] = ("queued", f"the mail server could not be reached: {exc}")
                    continue
            try:
                client.sendmail(envelope_from, [item.to], item.mime)
            except smtplib.SMTPRecipientsRefused as exc:
                code, text = next(iter(exc.recipients.values()))
                outcomes[item.id] = ("failed" if code >= 500 else "queued",
                                     f"the mail server refused the address: {code} {_text(text)}")
            except (smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as exc:
                outcomes[item.id] = ("failed" if exc.smtp_code >= 500 else "queued",
                                     f"the mail server refused the message: {exc.smtp_code} {_text(exc.smtp_error)}")
            except (smtplib.SMTPException, OSError) as exc:
                outcomes[item.id] = ("unconfirmed", f"{UNCONFIRMED} ({type(exc).__name__}: {exc})")
                client.close()
                client = None
    finally:
        if client is not None:
            try:
                client.quit()
            except (smtplib.SMTPException, OSError):
                client.close()
    return outcomes


def _text(value) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def record(outgoing: list[Outgoing], outcomes: dict[int, tuple[str, str]], *, session: Session) -> int:
    """What the sends came to; EMAIL_DELIVERED for each message sent. Only rows still `sending` change."""
    moment = now()
    sent = [item for item in outgoing if item.id not in outcomes]
    if sent:
        session.execute(update(EmailMessage).where(EmailMessage.id.in_([i.id for i in sent]),
                                                   EmailMessage.status == "sending")
                        .values(status="sent", sent_at=moment, locked_until=None)
                        .execution_options(synchronize_session=False))
        outbox.publish_many(session, [{"topic": events.EMAIL_DELIVERED, "key": f"{events.EMAIL_DELIVERED}:{i.id}",
                                       "payload": _payload(i.id, i.lead_id)} for i in sent], skip_existing=True)
    for message_id, (status, reason) in outcomes.items():
        values = {"status": status, "reason": reason[:2000], "locked_until": None}
        if status == "queued":
            values["send_after"] = moment + timedelta(minutes=5)
        session.execute(update(EmailMessage).where(EmailMessage.id == message_id, EmailMessage.status == "sending")
                        .values(**values).execution_options(synchronize_session=False))
    return len(sent)


def _payload(message_id: int, lead_id: int) -> dict:
    return {"message_id": message_id, "lead_id": lead_id}


def run_chunk(factory: sessionmaker[Session], settings: Settings, *, limit: int = CHUNK) -> tuple[int, int]:
    """One chunk: (messages claimed, messages sent)."""
    with factory() as own:
        messages = claim(session=own, limit=limit)
        claimed = len(messages)
        outgoing = prepare(messages, settings, session=own)
        row = email_settings.settings_row(session=own)
        envelope_from = row.from_address or settings.smtp_from
        own.commit()
    if not outgoing:
        return claimed, 0
    outcomes = transmit(outgoing, settings, envelope_from)
    with factory() as own:
        db.begin_write(own)
        sent = record(outgoing, outcomes, session=own)
        own.commit()
    return claimed, sent


def run_pass(factory: sessionmaker[Session], settings: Settings, *, limit: int = CHUNK,
             max_chunks: int | None = None, on_full=None) -> int:
    """Chunks until nothing is due (or `max_chunks`); `on_full()` is called once when the first chunk was full
    (more is due: other workers may join). Returns how many messages were sent."""
    total, chunks = 0, 0
    while max_chunks is None or chunks < max_chunks:
        claimed, sent = run_chunk(factory, settings, limit=limit)
        total += sent
        chunks += 1
        if claimed < limit:
            break
        if chunks == 1 and on_full is not None:
            on_full()
    return total


def requeue(message_ids: list[int], *, session: Session) -> int:
    """An operator's choice: unconfirmed or failed messages queued again (they may arrive twice)."""
    return session.execute(update(EmailMessage).where(EmailMessage.id.in_(message_ids),
                                                      EmailMessage.status.in_(("unconfirmed", "failed")))
                           .values(status="queued", send_after=now(), reason="requeued by hand", locked_until=None)
                           .execution_options(synchronize_session=False)).rowcount
