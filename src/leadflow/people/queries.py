"""Reads with no decision: who did something, by name (pages never show "user:6"); when people are available."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from leadflow.clock import as_utc, now
from leadflow.people import roles
from leadflow.people.availability import Availability
from leadflow.people.models import Absence, ApiKey, Team, User, UserPreferences

# Actors that are not a person or a key, as the pages name them.
MACHINES = {"system": "leadflow", "cli": "the command line", "lead": "the lead", "import": "an import"}


def users_by_email(emails: Iterable[str], *, session: Session) -> dict[str, User]:
    """Users by their (lower-case) email; those who left too (routing says why it skips them)."""
    wanted = sorted({e.lower() for e in emails if e})
    if not wanted:
        return {}
    return {u.email: u for u in session.scalars(select(User).where(User.email.in_(wanted)))}


def teams_by_name(names: Iterable[str], *, session: Session) -> dict[str, tuple[Team, list[User]]]:
    """Teams by name (as written, and folded to lower case) with their members in id order."""
    wanted = {n.casefold() for n in names if n}
    if not wanted:
        return {}
    # Folded here, not by the database: SQLite's lower() folds ASCII only ("Äänekoski"); teams are few.
    teams = [team for team in session.scalars(select(Team)) if team.name.casefold() in wanted]
    members: dict[int, list[User]] = {team.id: [] for team in teams}
    if teams:
        for user in session.scalars(select(User).where(User.team_id.in_(list(members))).order_by(User.id)):
            members[user.team_id].append(user)
    return {team.name.casefold(): (team, members[team.id]) for team in teams}


def led_team_ids(user_id: int | None, team_id: int | None) -> Select:
    """The teams a person manages or is in: what a sales manager sees the figures of."""
    return select(Team.id).where(or_(Team.manager_id == user_id, Team.id == team_id))


def members_of(team_ids: Select) -> Select:
    return select(User.id).where(User.team_id.in_(team_ids))


def team_ids_of(user_ids: Iterable[int], *, session: Session) -> dict[int, int | None]:
    """Each user's team (None: in no team); users not found are left out."""
    ids = sorted({i for i in user_ids if i is not None})
    return dict(session.execute(select(User.id, User.team_id).where(User.id.in_(ids))).tuples().all()) if ids else {}


def team_names(team_ids: Iterable[int], *, session: Session) -> dict[int, str]:
    ids = sorted(set(team_ids))
    return {i: name for i, name in session.execute(select(Team.id, Team.name).where(Team.id.in_(ids)))} if ids else {}


def _ids(labels: Iterable[str], prefix: str) -> set[int]:
    cut = len(prefix)
    return {int(label[cut:]) for label in labels
            if label.startswith(prefix) and label[cut:].isdecimal() and len(label) - cut < 19}


def users_holding(permission: str, *, session: Session, sees_all: bool = False) -> list[User]:
    """The active users whose role grants `permission` (`sees_all`: only those who see every lead), by id."""
    wanted = sorted(role for role, granted in roles.ROLE_PERMISSIONS.items() if permission in granted
                    and (not sees_all or roles.LEAD_VISIBILITY.get(role) == "all"))
    if not wanted:
        return []
    return list(session.scalars(select(User).where(User.role.in_(wanted), User.is_active.is_(True))
                                .order_by(User.id)))


def user_names(user_ids: Iterable[int], *, session: Session) -> dict[int, str]:
    """Each user's name (their email when they have none)."""
    wanted = {int(i) for i in user_ids if i is not None}
    if not wanted:
        return {}
    return {user_id: name or email for user_id, name, email in session.execute(
        select(User.id, User.name, User.email).where(User.id.in_(sorted(wanted))))}


def actor_names(labels: Iterable[str | None], *, session: Session) -> dict[str, str]:
    """Actor labels as stored ("user:6", "api_key:2", "capture:17", "system") -> how a page names them."""
    labels = {label for label in labels if label}
    names = {label: MACHINES[label] for label in labels if label in MACHINES}
    for user_id, name in user_names(_ids(labels, "user:"), session=session).items():
        names[f"user:{user_id}"] = name
    keys = _ids(labels, "api_key:")
    if keys:
        rows = session.execute(select(ApiKey.id, ApiKey.name, User.name, User.email)
                               .outerjoin(User, User.id == ApiKey.user_id).where(ApiKey.id.in_(sorted(keys))))
        for key_id, key_name, user_name, email in rows:
            whose = f" of {user_name or email}" if user_name or email else ""
            names[f"api_key:{key_id}"] = f"API key \u201c{key_name}\u201d{whose}"
    for capture_id in _ids(labels, "capture:"):
        names[f"capture:{capture_id}"] = f"the lead (capture #{capture_id})"
    for label in labels - set(names):
        names[label] = "a former user" if label.startswith("user:") else \
            "a deleted API key" if label.startswith("api_key:") else label
    return names


def availability(user_ids: Iterable[int], *, session: Session) -> dict[int, Availability]:
    """Each user's time zone, working hours and absences not yet ended (soonest first), in two statements; a user
    who never set preferences is in UTC with no working hours (any time). Routing reads it to pass people by."""
    wanted = sorted({int(i) for i in user_ids if i is not None})
    if not wanted:
        return {}
    found = {user_id: (timezone, hours) for user_id, timezone, hours in session.execute(
        select(User.id, UserPreferences.timezone, UserPreferences.working_hours)
        .outerjoin(UserPreferences, UserPreferences.user_id == User.id).where(User.id.in_(wanted)))}
    away: dict[int, list[tuple]] = {}
    for user_id, starts_at, ends_at in session.execute(
            select(Absence.user_id, Absence.starts_at, Absence.ends_at)
            .where(Absence.user_id.in_(wanted), Absence.ends_at > now()).order_by(Absence.starts_at, Absence.id)):
        away.setdefault(user_id, []).append((as_utc(starts_at), as_utc(ends_at)))
    return {user_id: Availability(timezone=timezone or "UTC", working_hours=hours,
                                  absences=tuple(away.get(user_id, ())))
            for user_id, (timezone, hours) in found.items()}


@dataclass(frozen=True)
class WorkingTime:
    """What a person's follow-up clock runs on: time zone, working hours, public holidays' country and region, their
    team and its manager (who hears of an overdue follow-up)."""

    timezone: str = "UTC"
    working_hours: dict | None = None
    holiday_country: str | None = None
    holiday_region: str | None = None
    team_id: int | None = None
    manager_id: int | None = None
    team_name: str | None = None


def working_time(user_ids: Iterable[int], *, session: Session) -> dict[int, WorkingTime]:
    """Each user's WorkingTime in one statement (a user who never set preferences: UTC, no hours, no holidays)."""
    wanted = sorted({int(i) for i in user_ids if i is not None})
    if not wanted:
        return {}
    rows = session.execute(
        select(User.id, UserPreferences.timezone, UserPreferences.working_hours, UserPreferences.holiday_country,
               UserPreferences.holiday_region, User.team_id, Team.manager_id, Team.name)
        .outerjoin(UserPreferences, UserPreferences.user_id == User.id)
        .outerjoin(Team, Team.id == User.team_id).where(User.id.in_(wanted)))
    return {user_id: WorkingTime(timezone or "UTC", hours, country, region, team_id, manager_id, team)
            for user_id, timezone, hours, country, region, team_id, manager_id, team in rows}
