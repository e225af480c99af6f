"""Behaviour events as data: their types, how an incoming event is checked, bots, and signed-token payloads.

Pure: standard library plus crawlerdetect (a pure-Python list of crawler patterns, maintained upstream); no
database, no web framework, no clock (time comes in as an argument).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from urllib.parse import urlsplit

from leadflow import values as plain

EVENT_TYPES: dict[str, str] = {
    "page_view": "Viewed a page",
    "email_open": "Opened an email",
    "email_click": "Clicked a link in an email",
    "email_bounce": "Email bounced",
    "form_submit": "Submitted a form",
    "download": "Downloaded a file",
    "click": "Clicked a tracked link",
    "webinar_registered": "Registered for a webinar",
    "webinar_attended": "Attended a webinar",
    "newsletter_subscribed": "Subscribed to a newsletter",
    "newsletter_unsubscribed": "Unsubscribed from a newsletter",
    "call_outcome": "Call outcome",
    "survey_answer": "Answered a survey",
}
# What the script on a site may send: a page can't claim an email open or a call.
SCRIPT_TYPES = frozenset({"page_view", "click", "download", "form_submit"})
CUSTOM_TYPE = re.compile(r"^(custom:[a-z0-9_.-]{1,50}|[a-z_]{2,40})$")
VISITOR_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
MAX_PROPERTIES_BYTES = 8_000
MAX_EXTERNAL_ID = 200
MAX_BATCH = 1_000
MAX_BEACON = 50
FUTURE_SLACK = timedelta(minutes=5)
OLDEST = datetime(2000, 1, 1, tzinfo=UTC)
UTM_KEYS = ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content")
SCRIPT_KEYS = ("url", "title", "referrer", "name", "form", "text", *UTM_KEYS)
MAX_SCRIPT_VALUE = 2_000


@dataclass
class Problem:
    field: str
    reason: str


@dataclass
class CheckedEvent:
    """An event that passed its checks; who it belongs to is resolved by the service."""

    type: str
    occurred_at: datetime
    properties: dict = field(default_factory=dict)
    lead_id: int | None = None
    email: str | None = None
    visitor_id: str | None = None
    external_id: str | None = None


def label(event_type: str) -> str:
    if event_type in EVENT_TYPES:
        return EVENT_TYPES[event_type]
    name = event_type.removeprefix("custom:").replace("_", " ").strip()
    return name[:1].upper() + name[1:]


def type_problem(event_type: object) -> str | None:
    if not isinstance(event_type, str) or not event_type:
        return "is required: one of the known types, custom:<name> or a lower-case name"
    if event_type in EVENT_TYPES or CUSTOM_TYPE.match(event_type):
        return None
    return "is not a known type; use custom:<name> (a-z, 0-9, _ . -) or a lower-case name of 2-40 letters"


def moment_problem(moment: datetime, now: datetime) -> str | None:
    if moment.tzinfo is None:
        return "needs a time zone (for example 2026-11-25T10:00:00Z)"
    if moment > now + FUTURE_SLACK:
        return "is in the future"
    if moment < OLDEST:
        return "is before the year 2000"
    return None


def properties_problem(properties: object) -> str | None:
    if not isinstance(properties, dict):
        return "must be an object"
    try:
        size = len(json.dumps(properties, ensure_ascii=False, separators=(",", ":")))
    except (TypeError, ValueError):
        return "must hold JSON values only"
    if size > MAX_PROPERTIES_BYTES:
        return f"is larger than {MAX_PROPERTIES_BYTES} bytes of JSON"
    return None


def visitor_problem(visitor_id: object) -> str | None:
    if isinstance(visitor_id, str) and VISITOR_ID.match(visitor_id):
        return None
    return "must be 8-64 letters, digits, '-' or '_' (the lf_vid cookie)"


def parse_moment(value: object, now: datetime) -> tuple[datetime | None, str | None]:
    """An ISO 8601 time or epoch milliseconds (what the script sends); nothing means now."""
    if value is None or value == "":
        return now, None
    if isinstance(value, bool):
        return None, "must be an ISO 8601 time or epoch milliseconds"
    if isinstance(value, (int, float)):
        try:
            moment = datetime.fromtimestamp(value / 1000.0, tz=UTC)
        except (OverflowError, OSError, ValueError):
            return None, "is out of range"
    elif isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00") if value.endswith("Z") else value)
        except ValueError:
            return None, "must be an ISO 8601 time with a time zone"
    else:
        return None, "must be an ISO 8601 time or epoch milliseconds"
    problem = moment_problem(moment, now)
    return (None, problem) if problem else (moment.astimezone(UTC), None)


BEACON_SKEW = timedelta(minutes=5)  # how far a browser's clock may be from the server's before it is not believed


def beacon_moment(value: object, now: datetime) -> tuple[datetime | None, str | None, str | None]:
    """When a script event happened: (time, problem, the browser's claim when it was not believed).

    A browser's clock is not the server's: a time up to BEACON_SKEW in the past is kept, a time a little ahead is
    the server's now, and a time further off either way (or out of range) is replaced by the server's now, with what
    the browser claimed returned so it can be kept beside the event. Only an unreadable value is a problem.
    """
    if value is None or value == "":
        return now, None, None
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return None, "must be an ISO 8601 time or epoch milliseconds", None
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00") if value.endswith("Z") else value)
        except ValueError:
            return None, "must be an ISO 8601 time with a time zone", None
        if moment.tzinfo is None:
            return None, "needs a time zone (for example 2026-11-25T10:00:00Z)", None
    else:
        try:
            moment = datetime.fromtimestamp(value / 1000.0, tz=UTC)
        except (OverflowError, OSError, ValueError):
            return now, None, str(value)[:40]
    if now - BEACON_SKEW <= moment <= now:
        return moment.astimezone(UTC), None, None
    if now < moment <= now + BEACON_SKEW:
        return now, None, None
    return now, None, moment.astimezone(UTC).isoformat()


def check_api_event(item: object, now: datetime, prefix: str = "") -> tuple[CheckedEvent | None, list[Problem]]:
    """One item of POST /api/v1/events, checked; problems name the field they concern."""
    if not isinstance(item, dict):
        return None, [Problem(prefix.rstrip(".") or "event", "must be an object")]
    item, broken = plain.plain_json(item, prefix.rstrip("."), max_bytes=None)
    if broken:
        return None, [Problem(e.field, e.reason) for e in broken]
    known = {"type", "lead_id", "email", "visitor_id", "occurred_at", "external_id", "properties"}
    problems = [Problem(f"{prefix}{key}", "is not a known field") for key in item if key not in known]
    event_type = item.get("type")
    if (reason := type_problem(event_type)) is not None:
        problems.append(Problem(f"{prefix}type", reason))
    moment, reason = parse_moment(item.get("occurred_at"), now)
    if reason:
        problems.append(Problem(f"{prefix}occurred_at", reason))
    properties = item.get("properties") if item.get("properties") is not None else {}
    if (reason := properties_problem(properties)) is not None:
        problems.append(Problem(f"{prefix}properties", reason))
    lead_id, email, visitor_id = item.get("lead_id"), item.get("email"), item.get("visitor_id")
    named = [name for name in ("lead_id", "email", "visitor_id") if item.get(name) not in (None, "")]
    if not named:
        problems.append(Problem(f"{prefix}lead_id", "name the lead by lead_id, email or visitor_id"))
    elif len(named) > 1:
        problems.append(Problem(f"{prefix}{named[1]}", "name the lead one way only: lead_id, email or visitor_id"))
    if lead_id is not None and (isinstance(lead_id, bool) or not isinstance(lead_id, int) or lead_id < 1
                                or lead_id > plain.MAX_ID):
        problems.append(Problem(f"{prefix}lead_id", f"must be a whole number from 1 to {plain.MAX_ID}"))
    if email not in (None, "") and (not isinstance(email, str) or "@" not in email or len(email) > 320):
        problems.append(Problem(f"{prefix}email", "must be an email address"))
    if visitor_id not in (None, "") and (reason := visitor_problem(visitor_id)) is not None:
        problems.append(Problem(f"{prefix}visitor_id", reason))
    external_id = item.get("external_id")
    if external_id is not None and (not isinstance(external_id, str) or not external_id.strip()
                                    or len(external_id) > MAX_EXTERNAL_ID):
        problems.append(Problem(f"{prefix}external_id", f"must be a text of 1-{MAX_EXTERNAL_ID} characters"))
    if problems:
        return None, problems
    return CheckedEvent(type=event_type, occurred_at=moment, properties=properties, lead_id=lead_id,
                        email=email.strip().lower() if isinstance(email, str) and email else None,
                        visitor_id=visitor_id or None, external_id=external_id), []


def check_beacon(body: object, now: datetime) -> tuple[str | None, list[CheckedEvent], list[Problem]]:
    """A beacon from /t/lf.js: the visitor and its events. Fields outside the script's own are dropped."""
    if not isinstance(body, dict):
        return None, [], [Problem("body", "must be a JSON object with 'visitor' and 'events'")]
    visitor_id = body.get("visitor")
    if (reason := visitor_problem(visitor_id)) is not None:
        return None, [], [Problem("visitor", reason)]
    events = body.get("events")
    if not isinstance(events, list) or not events:
        return visitor_id, [], [Problem("events", "must be a non-empty list")]
    if len(events) > MAX_BEACON:
        return visitor_id, [], [Problem("events", f"at most {MAX_BEACON} events per beacon")]
    checked, problems = [], []
    for index, item in enumerate(events):
        where = f"events.{index}"
        if not isinstance(item, dict):
            problems.append(Problem(where, "must be an object"))
            continue
        item, broken = plain.plain_json(item, where, max_bytes=None)
        if broken:
            problems.extend(Problem(e.field, e.reason) for e in broken)
            continue
        event_type = item.get("type")
        if event_type not in SCRIPT_TYPES:
            problems.append(Problem(f"{where}.type", f"must be one of {', '.join(sorted(SCRIPT_TYPES))}"))
            continue
        moment, reason, claimed = beacon_moment(item.get("at"), now)
        if reason:
            problems.append(Problem(f"{where}.at", reason))
            continue
        properties = {key: str(item[key])[:MAX_SCRIPT_VALUE] for key in SCRIPT_KEYS
                      if isinstance(item.get(key), (str, int, float)) and not isinstance(item.get(key), bool)
                      and str(item[key]) != ""}
        if claimed:
            properties["client_at"] = claimed  # the browser's clock was off: stored at the server's time
        url = properties.get("url")
        if url and not is_web_url(url):
            problems.append(Problem(f"{where}.url", "must be an http or https address"))
            continue
        if url:
            properties["path"] = urlsplit(url).path[:MAX_SCRIPT_VALUE] or "/"
        checked.append(CheckedEvent(type=event_type, occurred_at=moment, properties=properties,
                                    visitor_id=visitor_id))
    return visitor_id, checked, problems


def is_web_url(url: str) -> bool:
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.netloc) and len(url) <= MAX_SCRIPT_VALUE


@lru_cache(maxsize=1)
def _detector():
    from crawlerdetect import CrawlerDetect

    return CrawlerDetect()


@lru_cache(maxsize=4096)
def is_bot(user_agent: str | None) -> bool:
    """Known crawlers, headless browsers and link scanners (crawlerdetect's maintained list); no agent is a bot."""
    if not user_agent or not user_agent.strip():
        return True
    return bool(_detector().isCrawler(user_agent[:1000]))


# Signed tokens: the service signs these payloads (itsdangerous); here only their shape.

def open_payload(lead_id: int, *, campaign_id: int | None = None, message_id: str | None = None,
                 sent_at: int | None = None) -> dict:
    """`sent_at` (epoch seconds, when the email was made): an open within seconds of it is a machine's."""
    values = {"l": lead_id, "c": campaign_id, "m": message_id, "t": sent_at}
    return {k: v for k, v in values.items() if v is not None}


def click_payload(lead_id: int, url: str, *, campaign_id: int | None = None, message_id: str | None = None) -> dict:
    if not is_web_url(url):
        raise ValueError("the target must be an http or https address")
    return {**open_payload(lead_id, campaign_id=campaign_id, message_id=message_id), "u": url}


@dataclass(frozen=True)
class TokenClaims:
    lead_id: int
    campaign_id: int | None
    message_id: str | None
    url: str | None
    sent_at: int | None = None


def read_claims(payload: object, *, with_url: bool) -> TokenClaims | None:
    """A verified payload's claims, or None when its shape is wrong (an old or foreign token)."""
    if not isinstance(payload, dict):
        return None
    lead_id, campaign_id, message_id, url = payload.get("l"), payload.get("c"), payload.get("m"), payload.get("u")
    sent_at = payload.get("t")
    if isinstance(lead_id, bool) or not isinstance(lead_id, int) or lead_id < 1:
        return None
    if campaign_id is not None and (isinstance(campaign_id, bool) or not isinstance(campaign_id, int)):
        return None
    if message_id is not None and not isinstance(message_id, str):
        return None
    if sent_at is not None and (isinstance(sent_at, bool) or not isinstance(sent_at, int)):
        return None
    if with_url and (not isinstance(url, str) or not is_web_url(url)):
        return None
    return TokenClaims(lead_id, campaign_id, message_id, url if with_url else None, sent_at)


def open_key(claims: TokenClaims) -> str:
    """The one scored open of a message to a lead (the events' external_id: a second open cannot take it)."""
    message = json.dumps([claims.lead_id, claims.campaign_id, claims.message_id], separators=(",", ":"))
    return "leadflow:open:" + hashlib.sha256(message.encode()).hexdigest()[:40]


# Who loads an open pixel that is not a person reading: (what the User-Agent holds, lower case) -> the reason.
PRIVACY_PROXIES = (("googleimageproxy", "Google Image Proxy"), ("ggpht.com", "Google Image Proxy"),
                   ("yahoomailproxy", "Yahoo Mail Proxy"))
APPLE_MAIL_PRIVACY = "Mozilla/5.0"  # Apple Mail Privacy Protection fetches every image at delivery with this alone
MACHINE_SECONDS = 20  # an open this soon after the email was made is a scanner's or a proxy's prefetch


def machine_open(user_agent: str | None, *, sent_at: int | None, at: datetime) -> str | None:
    """Why an open pixel load is a machine's (unscored), or None for what looks like a person's mail program."""
    agent = (user_agent or "").strip()
    if not agent:
        return "no User-Agent"
    lowered = agent.lower()
    for needle, name in PRIVACY_PROXIES:
        if needle in lowered:
            return name
    if agent == APPLE_MAIL_PRIVACY:
        return "Apple Mail Privacy Protection"
    if is_bot(agent):
        return "a crawler or link scanner"
    if sent_at is not None and 0 <= at.timestamp() - sent_at < MACHINE_SECONDS:
        return f"within {MACHINE_SECONDS} seconds of sending"
    return None


VISIT_TOKEN = re.compile(r"^[A-Za-z0-9_.-]{10,300}$")


def visit_token_problem(token: object) -> str | None:
    """The shape of the click token a beacon hands back (`identify`); its signature is the service's to check."""
    if isinstance(token, str) and VISIT_TOKEN.match(token):
        return None
    return "must be the lf_t token of an email click"


def token_properties(claims: TokenClaims) -> dict:
    values = {"campaign_id": claims.campaign_id, "message_id": claims.message_id, "url": claims.url}
    return {k: v for k, v in values.items() if v is not None}
