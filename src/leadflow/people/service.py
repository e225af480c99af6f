"""Who acts (Actor), users and teams, the first admin, API keys (shown once, stored as a SHA-256), call lists."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from datetime import timedelta

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from leadflow.clock import as_utc, now
from leadflow.db import insert_ignore_many
from leadflow.errors import Conflict, Forbidden, Invalid, NotFound, Unauthorized
from leadflow.people import roles, signin
from leadflow.people.models import ApiKey, CallList, CallListLead, Team, User

LAST_USE_RESOLUTION = timedelta(minutes=1)  # last_used_at is written at most once a minute per key


@dataclass(frozen=True)
class Actor:
    """Who acts: a user through a session, an API key (with its user's role, narrowed by its scopes), the system."""

    kind: str  # "api_key", "user", "system"
    id: int | None
    user_id: int | None = None
    role: str = roles.ADMIN
    team_id: int | None = None
    permissions: frozenset[str] = field(default=frozenset(roles.PERMISSIONS))
    scopes: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        return f"{self.kind}:{self.id}" if self.id is not None else self.kind

    def can(self, permission: str) -> bool:
        return permission in self.permissions

    def require(self, permission: str) -> None:
        if permission in self.permissions:
            return
        what = roles.PERMISSIONS.get(permission, permission)
        if self.scopes and permission in roles.ROLE_PERMISSIONS.get(self.role, ()):
            raise Forbidden(f"this API key's scopes ({', '.join(self.scopes)}) do not allow you to {what} "
                            f"({permission})")
        raise Forbidden(f"the {self.role.replace('_', ' ')} role may not {what} ({permission})")


SYSTEM = Actor(kind="system", id=None)


def actor_for(user: User, *, kind: str = "user", ident: int | None = None, scopes: list[str] | None = None) -> Actor:
    scopes = tuple(scopes or ())
    return Actor(kind=kind, id=user.id if ident is None else ident, user_id=user.id, role=user.role,
                 team_id=user.team_id, permissions=roles.permissions_of(user.role, scopes), scopes=scopes)


def normalize_email(email: str) -> str:
    """Lower case and checked; `name@localhost` is allowed too (the first admin's default on a fresh install)."""
    address = email.strip()
    local, _, domain = address.rpartition("@")
    if local and domain.lower() == "localhost":
        address = f"{local}@example.com"
    try:
        normalized = validate_email(address, check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise Invalid.one("email", str(exc)) from None
    return normalized[: -len("example.com")] + "localhost" if address != email.strip() else normalized


def generate_password() -> str:
    return secrets.token_urlsafe(15)  # 20 characters, 120 bits


def create_user(*, session: Session, email: str, role: str, name: str = "", team: str | None = None,
                password: str | None = None) -> User:
    address = normalize_email(email)
    if role not in roles.ROLES:
        raise Invalid.one("role", f"must be one of {', '.join(roles.ROLES)}")
    if session.scalar(select(User.id).where(User.email == address)) is not None:
        raise Conflict(f"a user with the email {address} already exists")
    team_id = team_by_name(team, session=session).id if team else None
    user = User(email=address, name=name.strip(), role=role, team_id=team_id, is_active=True, created_at=now(),
                failed_logins=0)
    if password is not None:
        problem = roles.password_problem(password)
        if problem:
            raise Invalid.one("password", problem)
        user.password_hash = signin.hash_password(password)
    session.add(user)
    session.flush()
    return user


def user_by_email(email: str, *, session: Session) -> User:
    user = session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None:
        raise NotFound("user", email)
    return user


def list_users(*, session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.id)))


def deactivate_user(user: User, *, session: Session) -> User:
    """A deactivated user cannot sign in; their sessions end and their API keys stop working."""
    user.is_active = False
    signin.end_sessions(session, user.id)
    session.flush()
    return user


def _keeps_an_admin(user: User, *, session: Session) -> None:
    """Refuses to take away the last active admin: someone must be able to manage users."""
    if user.role != roles.ADMIN or not user.is_active:
        return
    others = session.scalar(select(func.count()).select_from(User).where(
        User.role == roles.ADMIN, User.is_active.is_(True), User.id != user.id))
    if not others:
        raise Conflict(f"{user.email} is the last active admin; make someone else admin first")


def change_user(user: User, *, session: Session, role: str, team_id: int | None) -> User:
    """A new role or team; the last active admin keeps the admin role."""
    if role not in roles.ROLES:
        raise Invalid.one("role", f"must be one of {', '.join(roles.ROLES)}")
    if team_id is not None and session.get(Team, team_id) is None:
        raise Invalid.one("team", "no such team")
    if role != roles.ADMIN:
        _keeps_an_admin(user, session=session)
    user.role, user.team_id = role, team_id
    session.flush()
    return user


def deactivate_by(user: User, *, session: Session, actor: Actor) -> User:
    """deactivate_user for a person acting in the web app: never themselves, never the last admin."""
    if actor.user_id == user.id:
        raise Conflict("you cannot deactivate yourself")
    _keeps_an_admin(user, session=session)
    return deactivate_user(user, session=session)


def reactivate_user(user: User, *, session: Session) -> User:
    user.is_active = True
    user.failed_logins, user.locked_until = 0, None
    session.flush()
    return user


def get_user(user_id: int, *, session: Session) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("user", user_id)
    return user


def first_admin(*, session: Session) -> User | None:
    return session.scalar(select(User).where(User.role == roles.ADMIN, User.is_active.is_(True)).order_by(User.id))


def ensure_first_admin(*, session: Session, email: str) -> tuple[User, str] | None:
    """On first start (no user at all): an admin with a generated password, returned once to be shown once."""
    if session.scalar(select(func.count()).select_from(User)):
        return None
    password = generate_password()
    user = create_user(session=session, email=email, role=roles.ADMIN, name="Administrator", password=password)
    return user, password


def create_team(*, session: Session, name: str, kind: str, manager: str | None = None,
                members_see_each_other: bool = False) -> Team:
    if kind not in roles.TEAM_KINDS:
        raise Invalid.one("kind", f"must be one of {', '.join(roles.TEAM_KINDS)}")
    if not name.strip():
        raise Invalid.one("name", "is required")
    if session.scalar(select(Team.id).where(Team.name == name.strip())) is not None:
        raise Conflict(f"a team named {name.strip()} already exists")
    team = Team(name=name.strip(), kind=kind, members_see_each_other=members_see_each_other, created_at=now())
    if manager:
        team.manager_id = user_by_email(manager, session=session).id
    session.add(team)
    session.flush()
    return team


def update_team(team: Team, *, session: Session, name: str, kind: str, manager_id: int | None,
                members_see_each_other: bool) -> Team:
    if kind not in roles.TEAM_KINDS:
        raise Invalid.one("kind", f"must be one of {', '.join(roles.TEAM_KINDS)}")
    if not name.strip():
        raise Invalid.one("name", "is required")
    if session.scalar(select(Team.id).where(Team.name == name.strip(), Team.id != team.id)) is not None:
        raise Conflict(f"a team named {name.strip()} already exists")
    if manager_id is not None and session.get(User, manager_id) is None:
        raise Invalid.one("manager", "no such user")
    team.name, team.kind, team.manager_id = name.strip(), kind, manager_id
    team.members_see_each_other = members_see_each_other
    session.flush()
    return team


def get_team(team_id: int, *, session: Session) -> Team:
    team = session.get(Team, team_id)
    if team is None:
        raise NotFound("team", team_id)
    return team


def team_by_name(name: str, *, session: Session) -> Team:
    team = session.scalar(select(Team).where(Team.name == name.strip()))
    if team is None:
        raise NotFound("team", name)
    return team


def list_teams(*, session: Session) -> list[Team]:
    return list(session.scalars(select(Team).order_by(Team.name)))


def create_call_list(*, session: Session, name: str, owner: User, team_id: int | None = None) -> CallList:
    """A list owned by one person (a telemarketer, or whoever runs the list) and called by the agents of `team_id`:
    they all see its leads."""
    if not owner.is_active:
        raise Invalid.one("owner_id", "an inactive user cannot own a call list")
    if team_id is not None and session.get(Team, team_id) is None:
        raise Invalid.one("team_id", f"no team {team_id}")
    call_list = CallList(name=name, owner_id=owner.id, team_id=team_id, created_at=now())
    session.add(call_list)
    session.flush()
    return call_list


def add_to_call_list(*, session: Session, call_list: CallList, lead_ids: list[int]) -> int:
    """Put these leads on the list (those on it already stay as they are); returns how many were new."""
    moment = now()
    return insert_ignore_many(session, CallListLead.__table__,
                              [{"call_list_id": call_list.id, "lead_id": lead_id, "added_at": moment}
                               for lead_id in dict.fromkeys(lead_ids)], ["call_list_id", "lead_id"])


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def create_api_key(*, session: Session, name: str, user_id: int | None = None,
                   scopes: list[str] | None = None) -> tuple[ApiKey, str]:
    unknown = roles.unknown_scopes(scopes or [])
    if unknown:
        raise Invalid.one("scope", f"unknown scope {', '.join(unknown)}; known: {', '.join(roles.SCOPES)}")
    prefix = secrets.token_hex(4)
    key = f"lf_{prefix}_{secrets.token_urlsafe(32)}"
    record = ApiKey(name=name, prefix=prefix, key_hash=_digest(key), user_id=user_id,
                    scopes=list(dict.fromkeys(scopes or [])), created_at=now())
    session.add(record)
    session.flush()
    return record, key


def check_api_key(key: str, *, session: Session) -> tuple[Actor, bool]:
    """The key's actor (its user's role and team, narrowed by its scopes; a key without a user acts as an admin), and
    whether its use is due to be recorded (`record_key_use`, in a write transaction).

    Reads only, so a request's reads stay concurrent with writers."""
    parts = key.split("_")
    if len(parts) < 3 or parts[0] != "lf":
        raise Unauthorized("not a leadflow API key")
    digest = _digest(key)
    record = session.scalar(select(ApiKey).where(ApiKey.prefix == parts[1], ApiKey.revoked_at.is_(None)))
    if record is None or not hmac.compare_digest(record.key_hash, digest):
        raise Unauthorized("unknown or revoked API key")
    due = record.last_used_at is None or now() - as_utc(record.last_used_at) > LAST_USE_RESOLUTION
    return _key_actor(record, session=session), due


def record_key_use(key_id: int, *, session: Session) -> None:
    """last_used_at, at most once a minute per key (a conditional update: concurrent requests write it once)."""
    moment = now()
    session.execute(update(ApiKey).where(ApiKey.id == key_id, or_(
        ApiKey.last_used_at.is_(None), ApiKey.last_used_at < moment - LAST_USE_RESOLUTION)).values(
        last_used_at=moment))


def _key_actor(record: ApiKey, *, session: Session) -> Actor:
    scopes = tuple(record.scopes or ())
    if record.user_id is None:
        return Actor(kind="api_key", id=record.id, role=roles.ADMIN,
                     permissions=roles.permissions_of(roles.ADMIN, scopes), scopes=scopes)
    user = session.get(User, record.user_id)
    if user is None or not user.is_active:
        raise Unauthorized("this API key's user is deactivated")
    return actor_for(user, kind="api_key", ident=record.id, scopes=list(scopes))


def list_api_keys(*, session: Session) -> list[ApiKey]:
    return list(session.scalars(select(ApiKey).order_by(ApiKey.id)))


def revoke_api_key(key_id: int, *, session: Session) -> ApiKey:
    record = session.get(ApiKey, key_id)
    if record is None:
        raise NotFound("API key", key_id)
    if record.revoked_at is None:
        record.revoked_at = now()
    session.flush()
    return record
