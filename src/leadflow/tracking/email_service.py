"""Email opens and clicks: signed open pixel and click addresses, one scored open per message (repeat and machine
opens kept, unscored), and the short-lived token a click hands to the company's website so that `lf.js` there
can join its visitor to the lead."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeSerializer, URLSafeTimedSerializer
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from leadflow import events, outbox
from leadflow.clock import now
from leadflow.tracking import domain
from leadflow.tracking import service as tracking_service
from leadflow.tracking.models import Event

OPEN_SALT = "leadflow.tracking.open"
CLICK_SALT = "leadflow.tracking.click"
VISIT_SALT = "leadflow.tracking.visit"
VISIT_PARAMETER = "lf_t"  # the click token's name in the website's address; lf.js takes it out again
VISIT_SECONDS = 10 * 60  # a click's token is exchanged within minutes of the click, or never
REPEAT_OPEN = "repeat open of the same email"


def _signer(secret_key: str, salt: str) -> URLSafeSerializer:
    return URLSafeSerializer(secret_key, salt=salt)


def open_token(secret_key: str, lead_id: int, *, campaign_id: int | None = None,
               message_id: str | None = None) -> str:
    """The open pixel's token; it carries when it was made, so an open within seconds of it is a machine's."""
    return _signer(secret_key, OPEN_SALT).dumps(domain.open_payload(
        lead_id, campaign_id=campaign_id, message_id=message_id, sent_at=int(now().timestamp())))


def click_token(secret_key: str, lead_id: int, url: str, *, campaign_id: int | None = None,
                message_id: str | None = None) -> str:
    return _signer(secret_key, CLICK_SALT).dumps(domain.click_payload(lead_id, url, campaign_id=campaign_id,
                                                                      message_id=message_id))


def open_url(base_url: str, secret_key: str, lead_id: int, **claims) -> str:
    return f"{base_url.rstrip('/')}/t/o/{open_token(secret_key, lead_id, **claims)}.gif"


def click_url(base_url: str, secret_key: str, lead_id: int, url: str, **claims) -> str:
    return f"{base_url.rstrip('/')}/t/c/{click_token(secret_key, lead_id, url, **claims)}"


def read_token(secret_key: str, token: str, *, click: bool) -> domain.TokenClaims | None:
    """The claims of a token signed here, or None for a forged, altered or foreign one."""
    try:
        payload = _signer(secret_key, CLICK_SALT if click else OPEN_SALT).loads(token)
    except BadSignature:
        return None
    return domain.read_claims(payload, with_url=click)


def _email_row(lead_id: int, claims: domain.TokenClaims, event_type: str) -> dict:
    moment = now()
    return {"lead_id": lead_id, "visitor_id": None, "type": event_type, "occurred_at": moment,
            "received_at": moment, "source": "email", "properties": domain.token_properties(claims),
            "external_id": None, "unscored": None}


def record_open(claims: domain.TokenClaims, *, session: Session, user_agent: str | None
                ) -> tracking_service.StoredEvent | None:
    """An open of the message in a signed token. Only the first open a person's mail program makes of a message is
    scored: it takes the message's key (the events' unique external_id, so three loads at once score once); later
    loads and every machine's load (privacy proxies, scanners, no User-Agent, seconds after sending) are kept with
    their reason in `unscored`. Nothing when the lead is gone."""
    lead_id = tracking_service.surviving_leads({claims.lead_id}, session=session).get(claims.lead_id)
    if lead_id is None:
        return None
    row = _email_row(lead_id, claims, "email_open")
    machine = domain.machine_open(user_agent, sent_at=claims.sent_at, at=row["received_at"])
    if machine is not None:
        return tracking_service.store([{**row, "unscored": f"machine open: {machine}"[:80]}], session=session)[0]
    try:
        with session.begin_nested():
            stored = tracking_service.store([{**row, "external_id": domain.open_key(claims)}], session=session)
    except IntegrityError:  # this message's open was counted already (perhaps a moment ago, by a parallel load)
        return tracking_service.store([{**row, "unscored": REPEAT_OPEN}], session=session)[0]
    tracking_service.score(stored, session=session)
    if claims.message_id is not None:  # a marketing email's (the email stage's message): its one scored open
        outbox.publish(session, events.EMAIL_OPENED, {"message_id": _message(claims), "lead_id": lead_id})
    return stored[0]


def _message(claims: domain.TokenClaims) -> int | str | None:
    """The message id as the email stage numbers its messages (the token carries it as text)."""
    return int(claims.message_id) if claims.message_id and claims.message_id.isdigit() else claims.message_id


def record_click(claims: domain.TokenClaims, *,
                 session: Session, visitor_id: str | None = None) -> tracking_service.StoredEvent | None:
    """A click on a signed link, scored; `visitor_id`: leadflow's own lf_vid cookie, when the browser has one (a
    website on leadflow's host). Nothing when the lead is gone."""
    lead_id = tracking_service.surviving_leads({claims.lead_id}, session=session).get(claims.lead_id)
    if lead_id is None:
        return None
    stored = tracking_service.store([_email_row(lead_id, claims, "email_click")], session=session)
    tracking_service.score(stored, session=session)
    if visitor_id:
        tracking_service.identify(visitor_id, lead_id, session=session, how="email_click")
    if claims.message_id is not None:  # every click of a marketing email's link
        outbox.publish(session, events.EMAIL_CLICKED, {"message_id": _message(claims), "lead_id": lead_id,
                                                      "url": claims.url})
    return stored[0]


# --- the click's identity, handed to the website ------------------------------------------------------------------

class _ClockSigner(TimestampSigner):
    """Signed with leadflow's clock (clock.now), so a token's age is measured as every other time here."""

    def get_timestamp(self) -> int:
        return int(now().timestamp())


def _visit_signer(secret_key: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt=VISIT_SALT, signer=_ClockSigner)


def visit_token(secret_key: str, click_event_id: int) -> str:
    """Names the click, not the person: the lead and the email stay out of the website's address."""
    return _visit_signer(secret_key).dumps(click_event_id)


def landing_url(url: str, token: str) -> str:
    """The click's target with `lf_t=TOKEN` added to its query (the rest of the address as it was)."""
    parts = urlsplit(url)
    query = f"{parts.query}&" if parts.query else ""
    return urlunsplit(parts._replace(query=f"{query}{VISIT_PARAMETER}={token}"))


def read_visit_token(secret_key: str, token: str) -> tuple[int | None, str | None]:
    """(the click's event id, None) or (None, why not): forged, altered or older than VISIT_SECONDS."""
    try:
        event_id = _visit_signer(secret_key).loads(token, max_age=VISIT_SECONDS)
    except SignatureExpired:
        return None, f"has expired: a click's token is good for {VISIT_SECONDS // 60} minutes"
    except BadSignature:
        return None, "is not a token of this installation"
    if isinstance(event_id, bool) or not isinstance(event_id, int):
        return None, "is not a token of this installation"
    return event_id, None


def join_click(click_event_id: int, visitor_id: str, *, session: Session) -> int | None:
    """The website's visitor (its own lf_vid) becomes the clicker's lead: the click event takes the visitor (a
    conditional update, so one browser only: the same browser again changes nothing, another is refused), then the
    visitor is identified. Returns the lead, or None when the click is another browser's or gone."""
    events = Event.__table__
    taken = session.execute(
        update(events).where(events.c.id == click_event_id, events.c.type == "email_click",
                             events.c.lead_id.is_not(None),
                             (events.c.visitor_id.is_(None)) | (events.c.visitor_id == visitor_id))
        .values(visitor_id=visitor_id)).rowcount
    if not taken:
        return None
    lead_id = session.scalar(select(events.c.lead_id).where(events.c.id == click_event_id))
    tracking_service.identify(visitor_id, lead_id, session=session, how="email_click")
    return lead_id
