"""A person's preferences (notification channels, chat webhook, time zone, working hours) and their absences (out of
office), validated when saved; who may set another person's absences."""

from __future__ import annotations

import ipaddress

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from leadflow.clock import as_utc, now
from leadflow.errors import FieldError, Forbidden, Invalid, NotFound
from leadflow.people import availability, public_holidays, roles
from leadflow.people.models import Absence, Team, User, UserPreferences
from leadflow.people.service import Actor

MAX_URL = 1000
UNSET = object()


@dataclass(frozen=True)
class Preferences:
    user_id: int
    notify_email: bool
    notify_in_app: bool
    chat_webhook_url: str | None
    timezone: str
    working_hours: dict | None
    holiday_country: str | None = None  # whose public holidays pause their follow-up clock (ISO code)
    holiday_region: str | None = None

    @property
    def chat_webhook(self) -> str | None:
        return masked_url(self.chat_webhook_url)


def masked_url(url: str | None) -> str | None:
    """A webhook URL is a secret: only its host is shown back ("https://hooks.slack.com/…")."""
    if not url:
        return None
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname or ''}/\u2026"


def _of(user_id: int, row: UserPreferences | None) -> Preferences:
    if row is None:
        return Preferences(user_id, True, True, None, "UTC", None)
    return Preferences(user_id, row.notify_email, row.notify_in_app, row.chat_webhook_url, row.timezone,
                       row.working_hours, row.holiday_country, row.holiday_region)


def get_preferences(user_id: int, *, session: Session) -> Preferences:
    return _of(user_id, session.get(UserPreferences, user_id))


def webhook_problem(url: str) -> str | None:
    parts = urlsplit(url)
    if len(url) > MAX_URL:
        return f"must be at most {MAX_URL} characters"
    if parts.scheme not in ("https", "http") or not parts.hostname:
        return "must be an https:// address (a Slack incoming webhook, for instance)"
    if any(c.isspace() or ord(c) < 32 for c in url):
        return "may not contain spaces"
    try:
        parts.port  # noqa: B018  (raises on a port that is not a number)
        parts.hostname.encode("idna")
    except (ValueError, UnicodeError):
        return "has a port or host name that cannot be reached"
    loopback = parts.hostname in ("localhost", "127.0.0.1", "::1")
    if parts.scheme == "http" and not loopback:
        return "must be an https:// address (http only to this machine, for a local relay)"
    try:
        address = ipaddress.ip_address(parts.hostname)
    except ValueError:
        return None
    if not loopback and (address.is_private or address.is_link_local or address.is_reserved
                         or address.is_multicast or address.is_unspecified):
        return "must be a public address: leadflow does not post to private networks"
    return None


def update_preferences(user_id: int, *, session: Session, notify_email: bool | None = None,
                       notify_in_app: bool | None = None, chat_webhook_url=UNSET, timezone: str | None = None,
                       working_hours=UNSET, holiday_country=UNSET, holiday_region=UNSET) -> Preferences:
    """Change what is given (chat_webhook_url, working_hours and the holidays' country and region: None or ""
    clears them); every problem at once."""
    problems: list[tuple[str, str]] = []
    holidays_given = holiday_country is not UNSET or holiday_region is not UNSET
    if holidays_given:
        current = session.get(UserPreferences, user_id)
        if holiday_country is UNSET:
            holiday_country = current.holiday_country if current else None
        if holiday_region is UNSET:
            holiday_region = current.holiday_region if current else None
        holiday_country = (holiday_country or "").strip().upper() or None
        holiday_region = (holiday_region or "").strip().upper() or None
        problems += public_holidays.problems(holiday_country, holiday_region)
    hours = UNSET
    if working_hours is not UNSET:
        hours, hour_problems = availability.normalize_hours(working_hours)
        problems += hour_problems
    if timezone is not None:
        timezone = timezone.strip()
        reason = availability.timezone_problem(timezone)
        if reason:
            problems.append(("timezone", reason))
    url = chat_webhook_url
    if url is not UNSET:
        url = (url or "").strip() or None
        reason = webhook_problem(url) if url else None
        if reason:
            problems.append(("chat_webhook_url", reason))
    if problems:
        raise Invalid([FieldError(field, reason) for field, reason in problems])
    row = session.get(UserPreferences, user_id)
    if row is None:
        if session.get(User, user_id) is None:
            raise NotFound("user", user_id)
        row = UserPreferences(user_id=user_id, notify_email=True, notify_in_app=True, timezone="UTC")
        session.add(row)
    if notify_email is not None:
        row.notify_email = bool(notify_email)
    if notify_in_app is not None:
        row.notify_in_app = bool(notify_in_app)
    if url is not UNSET:
        row.chat_webhook_url = url
    if timezone is not None:
        row.timezone = timezone
    if hours is not UNSET:
        row.working_hours = hours
    if holidays_given:
        row.holiday_country, row.holiday_region = holiday_country, holiday_region
    row.updated_at = now()
    session.flush()
    return _of(user_id, row)


# Absences -----------------------------------------------------------------------------------------------------------

def may_set_absences(actor: Actor, user: User, *, session: Session) -> bool:
    """Oneself; a holder of users:manage; a sales manager for the members of their team (or a team they manage)."""
    if actor.user_id == user.id or actor.can("users:manage"):
        return True
    if actor.role != roles.SALES_MANAGER or user.team_id is None:
        return False
    if user.team_id == actor.team_id:
        return True
    return session.scalar(select(Team.id).where(Team.id == user.team_id, Team.manager_id == actor.user_id)) is not None


def user_for_absences(user_id: int, actor: Actor, *, session: Session) -> User:
    """The user whose absences the actor reads or changes; one they may not is Forbidden (an unknown one NotFound)."""
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("user", user_id)
    if not may_set_absences(actor, user, session=session):
        raise Forbidden("you may set the absences of yourself, or of your team's members as their sales manager "
                        "(users:manage for anyone)")
    return user


def absence_people(actor: Actor, *, session: Session) -> list[User]:
    """The active people whose absences the actor may set: everyone (users:manage), their team (a sales manager),
    or only themselves."""
    query = select(User).where(User.is_active.is_(True)).order_by(User.name, User.email)
    if actor.can("users:manage"):
        return list(session.scalars(query))
    if actor.role == roles.SALES_MANAGER:
        teams = select(Team.id).where(Team.manager_id == actor.user_id)
        if actor.team_id is not None:
            teams = teams.union(select(Team.id).where(Team.id == actor.team_id))
        return list(session.scalars(query.where(or_(User.id == actor.user_id, User.team_id.in_(teams)))))
    return list(session.scalars(query.where(User.id == actor.user_id)))


def absences_of(user_ids, *, session: Session) -> dict[int, list[Absence]]:
    """The absences not yet ended of these people, soonest first, in one statement."""
    wanted = sorted({int(i) for i in user_ids})
    found: dict[int, list[Absence]] = {}
    if wanted:
        for absence in session.scalars(select(Absence).where(Absence.user_id.in_(wanted), Absence.ends_at > now())
                                       .order_by(Absence.starts_at, Absence.id)):
            found.setdefault(absence.user_id, []).append(absence)
    return found


def timezones_of(user_ids, *, session: Session) -> dict[int, str]:
    wanted = sorted({int(i) for i in user_ids})
    found = dict(session.execute(select(UserPreferences.user_id, UserPreferences.timezone)
                                 .where(UserPreferences.user_id.in_(wanted))).tuples().all()) if wanted else {}
    return {user_id: found.get(user_id, "UTC") for user_id in wanted}


def absences(user_id: int, *, session: Session, current: bool = True) -> list[Absence]:
    """The person's absences, soonest first; current: only those not yet ended."""
    query = select(Absence).where(Absence.user_id == user_id)
    if current:
        query = query.where(Absence.ends_at > now())
    return list(session.scalars(query.order_by(Absence.starts_at, Absence.id)))


def add_absence(user_id: int, *, session: Session, starts_at: datetime | None, ends_at: datetime | None,
                note: str = "", actor: Actor) -> Absence:
    problem = availability.absence_problem(starts_at, ends_at)
    if problem:
        raise Invalid.one(*problem)
    if as_utc(ends_at) <= now():
        raise Invalid.one("ends_at", "is in the past: record an absence that has not ended yet")
    absence = Absence(user_id=user_id, starts_at=as_utc(starts_at), ends_at=as_utc(ends_at),
                      note=(note or "").strip()[:500], created_by=actor.label, created_at=now())
    session.add(absence)
    session.flush()
    return absence


def remove_absence(user_id: int, absence_id: int, *, session: Session) -> None:
    found = session.get(Absence, absence_id)
    if found is None or found.user_id != user_id:
        raise NotFound("absence", absence_id)
    session.delete(found)
    session.flush()
