"""The bounce mailbox: read over IMAP (host and user on /settings/email, the password from LEADFLOW_EMAIL_IMAP_
PASSWORD only), each message stored raw and applied (bounces.receive), then deleted from the mailbox."""

from __future__ import annotations

import imaplib
import logging
import ssl
from datetime import UTC, datetime

from sqlalchemy.orm import Session, sessionmaker

from leadflow import clock, events, outbox
from leadflow.email import bounces
from leadflow.email import settings_service as email_settings
from leadflow.settings import Settings

log = logging.getLogger(__name__)
BATCH = 200


def schedule(*, session: Session, seconds: int, now_too: bool = False) -> bool | None:
    """Book the next read when a mailbox is set (None when none is: the chain stops until one is)."""
    row = email_settings.settings_row(session=session)
    if not row.bounce_imap_host:
        return None
    moment = clock.now()
    slot = (int(moment.timestamp()) // seconds + (0 if now_too else 1)) * seconds
    return outbox.publish_once(session, events.EMAIL_BOUNCES, {"at": slot}, key=f"{events.EMAIL_BOUNCES}:{slot}",
                               available_at=datetime.fromtimestamp(slot, UTC))


def read(factory: sessionmaker[Session], settings: Settings) -> int:
    """Read up to BATCH messages; each is committed as a bounce before it is deleted from the mailbox."""
    with factory() as session:
        row = email_settings.settings_row(session=session)
        host, user, folder = row.bounce_imap_host, row.bounce_imap_user, row.bounce_imap_folder or "INBOX"
    if not host:
        return 0
    port = settings.email_imap_port
    client = imaplib.IMAP4_SSL(host, port, ssl_context=ssl.create_default_context()) if port == 993 \
        else imaplib.IMAP4(host, port)
    done = 0
    try:
        client.login(user or "", settings.email_imap_password or "")
        client.select(folder)
        _, found = client.search(None, "ALL")
        for number in (found[0] or b"").split()[:BATCH]:
            _, parts = client.fetch(number, "(RFC822)")
            raw = next((p[1] for p in parts if isinstance(p, tuple)), b"")
            with factory() as session:
                bounces.receive(raw.decode("utf-8", "replace"), source="mailbox", session=session)
                session.commit()
            client.store(number, "+FLAGS", "\\Deleted")
            done += 1
        client.expunge()
    finally:
        try:
            client.logout()
        except (imaplib.IMAP4.error, OSError):
            log.warning("the bounce mailbox did not close cleanly")
    return done
