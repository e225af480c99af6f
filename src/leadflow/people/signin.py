"""Sign-in: argon2 passwords, the lockout after repeated failures, browser sessions, password reset by emailed token."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from functools import lru_cache

from itsdangerous import BadSignature, TimestampSigner, URLSafeTimedSerializer
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from leadflow import mail
from leadflow.clock import as_utc, now
from leadflow.errors import Invalid, Unauthorized
from leadflow.people import roles
from leadflow.people.models import LoginFailure, User, UserSession

_hasher = PasswordHash((Argon2Hasher(),))


class SignInRefused(Unauthorized):
    """Wrong email or password, or locked: the same answer whether or not the account exists."""

    def __init__(self, locked_until=None):
        super().__init__("locked" if locked_until else "wrong email or password")
        self.locked_until = locked_until


def hash_password(password: str) -> str:
    return _hasher.hash(password)


@lru_cache
def _dummy_hash() -> str:
    return _hasher.hash(secrets.token_urlsafe(16))


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class Checked:
    """A password checked against the account as it was read: argon2 takes a while, and no write lock is held
    meanwhile. `sign_in` then counts the outcome against the account as it is when it writes."""

    address: str
    user_id: int | None
    password_hash: str | None  # the hash the password was checked against
    valid: bool


def check_password(session: Session, *, email: str, password: str) -> Checked:
    """Reads only; exactly one argon2 verification whether or not the account exists, so timing tells nothing."""
    address = email.strip().lower()
    user = session.scalar(select(User).where(User.email == address)) if address else None
    if user is None or not user.password_hash:
        _hasher.verify(password, _dummy_hash())
        return Checked(address, user.id if user else None, None, False)
    return Checked(address, user.id, user.password_hash, _hasher.verify(password, user.password_hash))


def sign_in(session: Session, checked: Checked) -> User:
    """The user, or SignInRefused; a failure is counted (and flushed) before it is raised: the caller commits."""
    moment = now()
    user = session.get(User, checked.user_id) if checked.user_id is not None else None
    if user is None:
        record = session.get(LoginFailure, _sha256(checked.address))
        if record is None:
            record = LoginFailure(email_hash=_sha256(checked.address), failures=0, updated_at=moment)
            session.add(record)
        attempts = roles.Attempts(record.failures, as_utc(record.locked_until))
        if roles.is_locked(attempts, moment):
            raise SignInRefused(attempts.locked_until)
        attempts = roles.after_failure(attempts, moment)
        record.failures, record.locked_until, record.updated_at = attempts.failures, attempts.locked_until, moment
        session.flush()
        raise SignInRefused(attempts.locked_until if roles.is_locked(attempts, moment) else None)
    attempts = roles.Attempts(user.failed_logins, as_utc(user.locked_until))
    if roles.is_locked(attempts, moment):
        raise SignInRefused(attempts.locked_until)
    # The password checked must still be the account's: a change in between makes the check worthless.
    valid = checked.valid and user.password_hash == checked.password_hash
    if not (valid and user.is_active):
        attempts = roles.after_failure(attempts, moment)
        user.failed_logins, user.locked_until = attempts.failures, attempts.locked_until
        session.flush()
        raise SignInRefused(attempts.locked_until if roles.is_locked(attempts, moment) else None)
    user.failed_logins, user.locked_until, user.last_login_at = 0, None, moment
    session.flush()
    return user


def open_session(session: Session, user: User) -> str:
    """A new session for the user; returns the token for the cookie (only its SHA-256 is stored)."""
    token = secrets.token_urlsafe(32)
    moment = now()
    session.add(UserSession(token_hash=_sha256(token), user_id=user.id, created_at=moment,
                            expires_at=moment + roles.SESSION_LIFETIME))
    session.flush()
    return token


def session_user(session: Session, token: str | None) -> User | None:
    if not token:
        return None
    return session.scalar(select(User).join(UserSession, UserSession.user_id == User.id).where(
        UserSession.token_hash == _sha256(token), UserSession.expires_at > now(), User.is_active.is_(True)))


def end_session(session: Session, token: str | None) -> None:
    if token:
        session.execute(delete(UserSession).where(UserSession.token_hash == _sha256(token)))


def end_sessions(session: Session, user_id: int) -> None:
    session.execute(delete(UserSession).where(UserSession.user_id == user_id))


class _ClockSigner(TimestampSigner):
    def get_timestamp(self) -> int:
        return int(now().timestamp())


def _serializer(secret_key: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt="leadflow.password-reset", signer=_ClockSigner)


def _fingerprint(user: User) -> str:
    """Changes with the password (argon2 salts every hash), so a used link never works again."""
    return _sha256(user.password_hash or f"none:{user.id}")[:16]


def reset_token(user: User, secret_key: str) -> str:
    return _serializer(secret_key).dumps([user.id, _fingerprint(user)])


def request_reset(session: Session, *, email: str, secret_key: str, base_url: str) -> None:
    """Queue the reset email when an active account has this address; do nothing (and say nothing) otherwise."""
    user = session.scalar(select(User).where(User.email == email.strip().lower(), User.is_active.is_(True)))
    if user is None:
        return
    token = reset_token(user, secret_key)
    minutes = int(roles.RESET_LIFETIME.total_seconds() // 60)
    text = (f"Hello {user.name or user.email},\n\n"
            f"someone (hopefully you) asked to reset the password of your leadflow account {user.email}.\n"
            f"Open this link within {minutes} minutes to choose a new password:\n\n"
            f"{base_url.rstrip('/')}/password/reset/{token}\n\n"
            "The link works once. If you did not ask for this, ignore this message: your password stays as it is.\n")
    mail.queue(session, to=user.email, subject="Reset your leadflow password", text=text,
               key=f"password-reset:{_sha256(token)[:32]}")


def reset_user(session: Session, *, token: str, secret_key: str) -> User:
    """The user a reset link is for, while it is valid: signed, not expired, not used."""
    expired = Invalid.one("token", "this link has expired or was already used; ask for a new one")
    try:
        user_id, fingerprint = _serializer(secret_key).loads(token, max_age=int(roles.RESET_LIFETIME.total_seconds()))
    except (BadSignature, ValueError, TypeError):
        raise expired from None
    user = session.get(User, user_id) if isinstance(user_id, int) else None
    if user is None or not user.is_active or _fingerprint(user) != fingerprint:
        raise expired
    return user


def reset_password(session: Session, *, token: str, password: str, secret_key: str) -> User:
    """Set the new password from a reset link."""
    return set_password(session, reset_user(session, token=token, secret_key=secret_key), password)


def set_password(session: Session, user: User, password: str) -> User:
    """Set a new password: the lockout lifts and every session of the user ends."""
    problem = roles.password_problem(password)
    if problem:
        raise Invalid.one("password", problem)
    user.password_hash = hash_password(password)
    user.failed_logins, user.locked_until = 0, None
    end_sessions(session, user.id)
    session.flush()
    return user
