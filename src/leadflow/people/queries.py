"""Reads with no decision: who did something, by name (pages never show "user:6")."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from leadflow.people.models import ApiKey, User

# Actors that are not a person or a key, as the pages name them.
MACHINES = {"system": "leadflow", "cli": "the command line", "lead": "the lead", "import": "an import"}


def _ids(labels: Iterable[str], prefix: str) -> set[int]:
    cut = len(prefix)
    return {int(label[cut:]) for label in labels
            if label.startswith(prefix) and label[cut:].isdecimal() and len(label) - cut < 19}


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
