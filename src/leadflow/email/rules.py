"""Whether a queued email goes now, later or never, with the reason a marketer reads: do-not-contact, consent,
suppressed addresses, the frequency cap, quiet hours in the lead's time zone, per-domain throttles.

Pure: standard library only; time comes in as an argument; it never touches the database, SMTP or templates."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


@dataclass(frozen=True)
class Recipient:
    """What the sender knows of a message's lead."""

    lead_id: int
    address: str | None
    do_not_contact: bool = False
    withdrawn: frozenset[str] = frozenset()  # purposes whose latest consent is a withdrawal
    time_zone: str | None = None
    gone: bool = False  # merged into another lead or deleted


@dataclass(frozen=True)
class Policy:
    """The settings the decision reads."""

    quiet_start: int | None = None  # minutes after midnight, local time
    quiet_end: int | None = None
    time_zone: str = "UTC"
    cap_messages: int | None = None
    cap_days: int = 7
    default_per_minute: int | None = None
    per_minute: dict[str, int] = field(default_factory=dict)  # domain -> messages a minute


@dataclass(frozen=True)
class Decision:
    action: str  # send | skip | later
    reason: str | None = None
    at: datetime | None = None  # for `later`: when to try again


SEND = Decision("send")


def domain_of(address: str) -> str:
    return address.rpartition("@")[2].lower()


def zone(name: str | None, fallback: str) -> ZoneInfo:
    for candidate in (name, fallback, "UTC"):
        if candidate:
            try:
                return ZoneInfo(candidate)
            except (ZoneInfoNotFoundError, ValueError):
                continue
    return ZoneInfo("UTC")


def quiet_until(moment: datetime, policy: Policy, time_zone: str | None) -> datetime | None:
    """When the quiet hours around `moment` end (UTC), or None when `moment` is not in them. A window whose start
    is after its end spans midnight (22:00 to 07:00)."""
    if policy.quiet_start is None or policy.quiet_end is None or policy.quiet_start == policy.quiet_end:
        return None
    local = moment.astimezone(zone(time_zone, policy.time_zone))
    minute = local.hour * 60 + local.minute
    start, end = policy.quiet_start, policy.quiet_end
    inside = start <= minute < end if start < end else (minute >= start or minute < end)
    if not inside:
        return None
    end_day = local.date() if minute < end else local.date() + timedelta(days=1)
    ends = datetime.combine(end_day, time(end // 60, end % 60), tzinfo=local.tzinfo)
    return ends.astimezone(moment.tzinfo)


def limit_for(domain: str, policy: Policy) -> int | None:
    return policy.per_minute.get(domain, policy.default_per_minute)


def decide(recipient: Recipient | None, purpose: str | None, moment: datetime, policy: Policy, *,
           suppressed: dict[str, str], sent_lately: int, domain_sent: int) -> Decision:
    """The decision for one message. `suppressed`: address -> why (a hard bounce, a complaint...);
    `sent_lately`: the lead's messages sent within the cap's days (this pass's included); `domain_sent`: messages
    to the address's domain in the last minute (this pass's included)."""
    if recipient is None or recipient.gone:
        return Decision("skip", "the lead no longer exists (deleted or merged into another)")
    if recipient.do_not_contact:
        return Decision("skip", "the lead is marked do not contact")
    if purpose and purpose in recipient.withdrawn:
        return Decision("skip", f"the lead withdrew consent for {purpose}")
    if not recipient.address:
        return Decision("skip", "the lead has no email address")
    why = suppressed.get(recipient.address.lower())
    if why is not None:
        return Decision("skip", f"the address {recipient.address} is suppressed: {why}")
    if policy.cap_messages is not None and sent_lately >= policy.cap_messages:
        return Decision("skip", f"frequency cap: {sent_lately} emails sent to the lead in the last "
                                f"{policy.cap_days} days (the cap is {policy.cap_messages})")
    ends = quiet_until(moment, policy, recipient.time_zone)
    if ends is not None:
        return Decision("later", "quiet hours", ends)
    domain = domain_of(recipient.address)
    limit = limit_for(domain, policy)
    if limit is not None and domain_sent >= limit:
        return Decision("later", f"{domain} takes {limit} emails a minute", moment + timedelta(minutes=1))
    return SEND


def suppression_reason(reason: str, detail: str | None) -> str:
    words = {"hard_bounce": "it bounced hard", "complaint": "its owner marked an email as spam",
             "manual": "suppressed by hand"}.get(reason, reason)
    return f"{words} ({detail})" if detail else words
