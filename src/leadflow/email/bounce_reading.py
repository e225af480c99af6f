"""Reading a bounce or complaint: a delivery status notification (DSN, parsed with flufl.bounce), a spam complaint
(ARF feedback report), or the JSON webhooks of common providers (Amazon SES, SendGrid, Mailgun, Postmark, or a plain
{email, type, reason}). Returns what happened to which address; applying it is bounces.py's."""

from __future__ import annotations

import email
import json
import logging
import re
from dataclasses import dataclass
from email import policy
from email.message import Message

from flufl.bounce import all_failures

HEADER = "X-Leadflow-Message"
# flufl.bounce logs every detector it runs (INFO) and each one that raises with its traceback (ERROR) before
# re-raising: a report it cannot read is the sender's problem, logged once without traceback by bounces.receive.
logging.getLogger("flufl.bounce").setLevel(logging.CRITICAL)


@dataclass(frozen=True)
class Failure:
    address: str
    kind: str  # hard, soft, complaint
    reason: str
    message_id: int | None = None  # leadflow's message, when the report carries its header


def read(raw: str) -> list[Failure]:
    text = raw.strip()
    if text[:1] in "[{":
        try:
            return read_json(json.loads(text))
        except ValueError:
            pass
    return read_mime(email.message_from_string(raw, policy=policy.compat32))


def _message_id(value) -> int | None:
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return number if number > 0 else None


# --- mail -----------------------------------------------------------------------------------------------------------

def _original_header(msg: Message, name: str) -> str | None:
    """A header of the original message the report carries (message/rfc822 or text/rfc822-headers)."""
    for part in msg.walk():
        kind = part.get_content_type()
        if kind == "message/rfc822":
            inner = part.get_payload()
            inner = inner[0] if isinstance(inner, list) and inner else inner
            if isinstance(inner, Message) and inner.get(name):
                return str(inner.get(name))
        elif kind == "text/rfc822-headers":
            found = re.search(rf"^{re.escape(name)}:\s*(.+)$", part.get_payload(decode=True).decode("utf-8", "replace"),
                              re.M | re.I)
            if found:
                return found.group(1).strip()
    found = re.search(rf"^{re.escape(name)}:\s*(\S+)", msg.as_string(), re.M | re.I)
    return found.group(1) if found else None


def _diagnostic(msg: Message) -> str:
    for part in msg.walk():
        if part.get_content_type() == "message/delivery-status":
            blocks = part.get_payload()
            for block in blocks if isinstance(blocks, list) else []:
                for name in ("Diagnostic-Code", "Status"):
                    if block.get(name):
                        return f"{name}: {' '.join(str(block.get(name)).split())}"[:500]
    subject = msg.get("Subject")
    return f"bounce: {subject}"[:500] if subject else "bounce"


def _is_complaint(msg: Message) -> bool:
    return msg.get_content_type() == "multipart/report" and \
        (msg.get_param("report-type") or "").lower() == "feedback-report"


def read_mime(msg: Message) -> list[Failure]:
    message_id = _message_id(_original_header(msg, HEADER))
    if _is_complaint(msg):
        address = None
        for part in msg.walk():
            if part.get_content_type() == "message/feedback-report":
                blocks = part.get_payload()
                for block in blocks if isinstance(blocks, list) else []:
                    address = address or block.get("Original-Rcpt-To")
        address = address or _original_header(msg, "To")
        if not address:
            return []
        return [Failure(_clean(address), "complaint", "marked as spam (feedback report)", message_id)]
    temporary, permanent = all_failures(msg)
    reason = _diagnostic(msg)
    failures = [Failure(_clean(a), "hard", reason, message_id) for a in sorted(permanent)]
    failures += [Failure(_clean(a), "soft", reason, message_id) for a in sorted(temporary - permanent)]
    return [f for f in failures if "@" in f.address]


def _clean(address) -> str:
    text = address.decode("utf-8", "replace") if isinstance(address, bytes) else str(address)
    text = text.strip().strip("<>")
    if ";" in text:  # rfc822; someone@example.com
        text = text.split(";", 1)[1].strip().strip("<>")
    return text.lower()


# --- providers' JSON ------------------------------------------------------------------------------------------------

def read_json(data) -> list[Failure]:
    if isinstance(data, list):
        return [f for item in data for f in read_json(item)]
    if not isinstance(data, dict):
        return []
    if data.get("Type") == "Notification" and isinstance(data.get("Message"), str):  # SES through SNS
        try:
            return read_json(json.loads(data["Message"]))
        except ValueError:
            return []
    kind = data.get("notificationType") or data.get("eventType")
    if kind in ("Bounce", "Complaint"):
        return _ses(data, kind)
    if "event-data" in data:
        return _mailgun(data["event-data"])
    if "RecordType" in data:
        return _postmark(data)
    if "event" in data and "email" in data:
        return _sendgrid(data)
    address = data.get("email") or data.get("recipient") or data.get("address")
    if address and data.get("type") in ("hard", "soft", "complaint"):
        return [Failure(_clean(address), data["type"], str(data.get("reason") or data["type"])[:500],
                        _message_id(data.get("message_id")))]
    return []


def _ses_message_id(mail: dict) -> int | None:
    for header in mail.get("headers") or []:
        if isinstance(header, dict) and str(header.get("name", "")).lower() == HEADER.lower():
            return _message_id(header.get("value"))
    return None


def _ses(data: dict, kind: str) -> list[Failure]:
    message_id = _ses_message_id(data.get("mail") or {})
    if kind == "Complaint":
        recipients = (data.get("complaint") or {}).get("complainedRecipients") or []
        return [Failure(_clean(r.get("emailAddress", "")), "complaint", "marked as spam (Amazon SES)", message_id)
                for r in recipients if r.get("emailAddress")]
    bounce = data.get("bounce") or {}
    hard = bounce.get("bounceType") == "Permanent"
    return [Failure(_clean(r["emailAddress"]), "hard" if hard else "soft",
                    str(r.get("diagnosticCode") or bounce.get("bounceSubType") or "bounced")[:500], message_id)
            for r in bounce.get("bouncedRecipients") or [] if r.get("emailAddress")]


def _mailgun(event: dict) -> list[Failure]:
    address = event.get("recipient")
    if not address:
        return []
    headers = (event.get("message") or {}).get("headers") or {}
    message_id = _message_id(headers.get(HEADER) or (event.get("user-variables") or {}).get("message_id"))
    if event.get("event") == "complained":
        return [Failure(_clean(address), "complaint", "marked as spam (Mailgun)", message_id)]
    if event.get("event") != "failed":
        return []
    status = event.get("delivery-status") or {}
    reason = str(status.get("description") or status.get("message") or event.get("reason") or "failed")[:500]
    return [Failure(_clean(address), "hard" if event.get("severity") == "permanent" else "soft", reason, message_id)]


def _postmark(data: dict) -> list[Failure]:
    address = data.get("Email")
    if not address:
        return []
    message_id = _message_id((data.get("Metadata") or {}).get("message_id"))
    if data["RecordType"] == "SpamComplaint":
        return [Failure(_clean(address), "complaint", "marked as spam (Postmark)", message_id)]
    if data["RecordType"] != "Bounce":
        return []
    hard = data.get("Type") in ("HardBounce", "BadEmailAddress", "ManuallyDeactivated")
    return [Failure(_clean(address), "hard" if hard else "soft",
                    str(data.get("Description") or data.get("Type") or "bounced")[:500], message_id)]


def _sendgrid(data: dict) -> list[Failure]:
    event = data.get("event")
    message_id = _message_id(data.get("message_id"))
    if event == "spamreport":
        return [Failure(_clean(data["email"]), "complaint", "marked as spam (SendGrid)", message_id)]
    if event not in ("bounce", "dropped"):
        return []
    soft = data.get("type") == "blocked" or event == "dropped"
    return [Failure(_clean(data["email"]), "soft" if soft else "hard",
                    str(data.get("reason") or event)[:500], message_id)]
