"""Email settings: the one settings row, per-domain limits and suppressed addresses, and the policy the sender
decides with."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from leadflow.clock import now
from leadflow.db import insert_ignore
from leadflow.email import rules
from leadflow.email.models import EmailDomainLimit, EmailSettings, EmailSuppression
from leadflow.errors import FieldError, Invalid
from leadflow.leads.domain import normalize_email
from leadflow.values import CONTROL, has_surrogate

EDITABLE = ("from_name", "from_address", "reply_to", "quiet_start", "quiet_end", "time_zone", "cap_messages",
            "cap_days", "default_per_minute", "bounce_imap_host", "bounce_imap_user", "bounce_imap_folder")
# Settings that always have a value: null (or an empty form field) sets them back to this default. The others
# (reply_to, quiet hours, the cap, the per-minute default, the IMAP host and user) take null as "none".
DEFAULTS = {"from_name": "", "from_address": "", "time_zone": "UTC", "cap_days": 7, "bounce_imap_folder": "INBOX"}
TEXTS = ("from_name", "from_address", "reply_to", "time_zone", "bounce_imap_host", "bounce_imap_user",
         "bounce_imap_folder")
ADDRESSES = ("from_address", "reply_to")


def settings_row(*, session: Session) -> EmailSettings:
    row = session.get(EmailSettings, 1)
    if row is None:  # the migration made it; a database emptied by hand gets it back
        session.execute(insert_ignore(session.get_bind(), EmailSettings, {"id": 1}, ["id"]))
        row = session.get(EmailSettings, 1)
    return row


def update(values: dict, *, session: Session) -> EmailSettings:
    row = settings_row(session=session)
    unknown = sorted(set(values) - set(EDITABLE))
    if unknown:
        raise Invalid.one(unknown[0], "not an email setting")
    values = {name: DEFAULTS[name] if value is None and name in DEFAULTS else value for name, value in values.items()}
    problems = []
    for name in TEXTS:
        value = values.get(name)
        if value is None:
            continue
        if not isinstance(value, str):
            problems.append((name, "must be text"))
        elif CONTROL.search(value) or has_surrogate(value) or any(c in value for c in "\t\r\n"):
            problems.append((name, "must not contain control characters (one line of text)"))
        elif name in ADDRESSES and value.strip():
            try:
                values[name] = normalize_email(value)
            except ValueError as exc:
                problems.append((name, f"not an email address: {exc}"))
    for name in ("quiet_start", "quiet_end", "cap_messages", "cap_days", "default_per_minute"):
        value = values.get(name)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            problems.append((name, "must be a whole number"))
    if problems:
        raise Invalid([FieldError(name, reason) for name, reason in problems])
    merged = {name: values.get(name, getattr(row, name)) for name in EDITABLE}
    for name in ("quiet_start", "quiet_end"):
        value = merged[name]
        if value is not None and not (0 <= int(value) < 24 * 60):
            problems.append((name, "minutes after midnight: between 0 and 1439"))
    if (merged["quiet_start"] is None) != (merged["quiet_end"] is None):
        problems.append(("quiet_end", "quiet hours need both a start and an end (or neither)"))
    if merged["cap_messages"] is not None and int(merged["cap_messages"]) < 1:
        problems.append(("cap_messages", "at least 1 (leave it empty for no cap)"))
    if int(merged["cap_days"] or 0) < 1:
        problems.append(("cap_days", "at least 1 day"))
    if merged["default_per_minute"] is not None and int(merged["default_per_minute"]) < 1:
        problems.append(("default_per_minute", "at least 1 a minute (leave it empty for no limit)"))
    if rules.zone(merged["time_zone"], "").key != merged["time_zone"]:
        problems.append(("time_zone", f"{merged['time_zone']!r} is not a time zone (such as Europe/Helsinki)"))
    if merged["from_address"] and "@" not in merged["from_address"]:
        problems.append(("from_address", "not an email address"))
    if problems:
        raise Invalid([FieldError(name, reason) for name, reason in problems])
    for name, value in values.items():
        setattr(row, name, value)
    row.updated_at = now()
    session.flush()
    return row


def domain_limits(*, session: Session) -> dict[str, int]:
    return dict(session.execute(select(EmailDomainLimit.domain, EmailDomainLimit.per_minute)).all())


def set_domain_limit(domain: str, per_minute: int | None, *, session: Session) -> None:
    domain = (domain or "").strip().lower().lstrip("@")
    if not domain or "." not in domain or " " in domain:
        raise Invalid.one("domain", "a domain such as gmail.com")
    session.execute(delete(EmailDomainLimit).where(EmailDomainLimit.domain == domain))
    if per_minute is not None:
        if per_minute < 1:
            raise Invalid.one("per_minute", "at least 1 a minute (remove the limit instead)")
        session.add(EmailDomainLimit(domain=domain, per_minute=per_minute))
    session.flush()


def policy(*, session: Session) -> rules.Policy:
    row = settings_row(session=session)
    return rules.Policy(quiet_start=row.quiet_start, quiet_end=row.quiet_end, time_zone=row.time_zone or "UTC",
                        cap_messages=row.cap_messages, cap_days=row.cap_days or 7,
                        default_per_minute=row.default_per_minute, per_minute=domain_limits(session=session))


def suppress(address: str, reason: str, detail: str | None, *, session: Session) -> bool:
    """Never mail this address again; False when it was suppressed already (the first reason is kept)."""
    address = address.strip().lower()
    if "@" not in address:
        raise Invalid.one("address", "not an email address")
    added = session.execute(insert_ignore(session.get_bind(), EmailSuppression,
                                          {"address": address, "reason": reason, "detail": (detail or "")[:2000],
                                           "at": now()}, ["address"]).returning(EmailSuppression.id)).first()
    return added is not None


def unsuppress(address: str, *, session: Session) -> bool:
    return bool(session.execute(delete(EmailSuppression)
                                .where(EmailSuppression.address == address.strip().lower())).rowcount)
