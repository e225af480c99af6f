"""Outgoing email: queued in the outbox in the caller's transaction, sent over SMTP by the worker."""

from __future__ import annotations

import base64
import hashlib
import smtplib
import ssl
from email.message import EmailMessage

from sqlalchemy.orm import Session

from leadflow import events, outbox
from leadflow.settings import Settings, get_settings
from leadflow.stage import batch


def attachment(filename: str, content_type: str, data: bytes) -> dict:
    """A file for queue(attachments=...): kept base64 in the outbox row's payload."""
    return {"filename": filename, "content_type": content_type, "data": base64.b64encode(data).decode("ascii")}


def queue(session: Session, *, to: str, subject: str, text: str, key: str, html: str | None = None,
          attachments: list[dict] | None = None) -> None:
    """One email, sent only if the caller's transaction commits; the key makes a second queueing a no-op. `html`:
    an HTML alternative to the text; `attachments`: files made by attachment()."""
    payload = {"to": to, "subject": subject, "text": text, "key": key}
    if html is not None:
        payload["html"] = html
    if attachments:
        payload["attachments"] = attachments
    outbox.publish(session, events.EMAIL_SEND, payload, key=f"email:{key}")


def queue_many(session: Session, emails: list[dict]) -> int:
    """queue for a batch ({to, subject, text, key} each), one statement; an email whose key was queued before adds
    nothing. Returns how many were queued."""
    return outbox.publish_many(session, [
        {"topic": events.EMAIL_SEND, "payload": {"to": e["to"], "subject": e["subject"], "text": e["text"],
                                                 "key": e["key"]}, "key": f"email:{e['key']}"} for e in emails],
        skip_existing=True)


NOT_CONFIGURED = "SMTP is not configured (LEADFLOW_SMTP_HOST is not set): queued emails are not sent until it is"


def smtp_server() -> tuple[str, int] | None:
    """The SMTP host and port the worker sends through (never the password); None when LEADFLOW_SMTP_HOST is unset."""
    settings = get_settings()
    return (settings.smtp_host, settings.smtp_port) if settings.smtp_host else None


def message_of(settings: Settings, payload: dict) -> EmailMessage:
    message = EmailMessage()
    message["From"] = settings.smtp_from
    message["To"] = payload["to"]
    message["Subject"] = payload["subject"]
    # The same Message-ID on a retry lets receiving servers drop a second copy.
    # (make_msgid adds the time, the process and a random number: a retry would get a new one.)
    domain = settings.smtp_from.rpartition("@")[2] or "leadflow"
    message["Message-ID"] = f"<{hashlib.sha256(payload['key'].encode()).hexdigest()[:32]}.leadflow@{domain}>"
    message.set_content(payload["text"])
    if payload.get("html"):
        message.add_alternative(payload["html"], subtype="html")
    for item in payload.get("attachments") or ():
        maintype, _, subtype = (item.get("content_type") or "application/octet-stream").partition("/")
        message.add_attachment(base64.b64decode(item["data"]), maintype=maintype, subtype=subtype or "octet-stream",
                               filename=item["filename"])
    return message


def _connect(settings: Settings) -> smtplib.SMTP:
    if not settings.smtp_host:
        raise RuntimeError("LEADFLOW_SMTP_HOST is not set: cannot send email")
    context = ssl.create_default_context()
    if settings.smtp_port == 465:
        client = smtplib.SMTP_SSL(settings.smtp_host, settings.smtp_port, timeout=30, context=context)
    else:
        client = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=30)
    try:
        if settings.smtp_starttls and settings.smtp_port != 465:
            client.starttls(context=context)
        if settings.smtp_username:
            client.login(settings.smtp_username, settings.smtp_password or "")
    except Exception:
        client.close()
        raise
    return client


def send(settings: Settings, payload: dict) -> None:
    with _connect(settings) as client:
        client.send_message(message_of(settings, payload))


def send_many(settings: Settings, payloads: list[dict]) -> dict[int, str]:
    """Send each over one connection (a new one after a failure); returns {index: error} of those not sent."""
    failed: dict[int, str] = {}
    client = None
    down = None  # the server could not be reached: the rest wait for the next try, not 30 s each
    try:
        for index, payload in enumerate(payloads):
            if down is not None:
                failed[index] = down
                continue
            try:
                if client is None:
                    try:
                        client = _connect(settings)
                    except (smtplib.SMTPException, OSError, RuntimeError) as exc:
                        down = failed[index] = f"{type(exc).__name__}: {exc}"
                        continue
                client.send_message(message_of(settings, payload))
            except (smtplib.SMTPException, OSError, ValueError) as exc:
                failed[index] = f"{type(exc).__name__}: {exc}"
                client.close()
                client = None
    finally:
        if client is not None:
            try:
                client.quit()
            except (smtplib.SMTPException, OSError):
                client.close()
    return failed


@batch(sends=True, size=100)
def deliver(session: Session, payloads: list[dict]) -> dict[int, str]:
    """The worker's handler for events.EMAIL_SEND: a batch of emails over one SMTP connection; those that failed are
    retried alone (each keeps its Message-ID, so a copy sent twice is dropped by the receiving side)."""
    return send_many(get_settings(), payloads)
