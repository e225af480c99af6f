"""Signed addresses of a message: its unsubscribe and preference page (`/u/{token}`), and the installation's
secret the worker signs them (and tracking's pixel and links) with."""

from __future__ import annotations

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select
from sqlalchemy.orm import Session

from leadflow.db import InstanceSetting, insert_ignore
from leadflow.settings import Settings

UNSUBSCRIBE_SALT = "leadflow.email.unsubscribe"


def unsubscribe_token(secret_key: str, message_id: int, lead_id: int) -> str:
    return URLSafeSerializer(secret_key, salt=UNSUBSCRIBE_SALT).dumps([message_id, lead_id])


def unsubscribe_url(base_url: str, secret_key: str, message_id: int, lead_id: int) -> str:
    return f"{base_url.rstrip('/')}/u/{unsubscribe_token(secret_key, message_id, lead_id)}"


def read_unsubscribe(secret_key: str, token: str) -> tuple[int, int] | None:
    """(message id, lead id) of a token signed here; None for a forged or altered one."""
    try:
        value = URLSafeSerializer(secret_key, salt=UNSUBSCRIBE_SALT).loads(token)
    except BadSignature:
        return None
    if (not isinstance(value, list) or len(value) != 2
            or not all(isinstance(v, int) and not isinstance(v, bool) for v in value)):
        return None
    return value[0], value[1]


def secret_key(settings: Settings, *, session: Session) -> str:
    """LEADFLOW_SECRET_KEY, else the one the installation generated (the app's; made here if none is yet)."""
    if settings.secret_key:
        return settings.secret_key
    import secrets

    key = session.scalar(select(InstanceSetting.value).where(InstanceSetting.key == "secret_key"))
    if key is None:
        session.execute(insert_ignore(session.get_bind(), InstanceSetting,
                                      {"key": "secret_key", "value": secrets.token_urlsafe(48)}, ["key"]))
        key = session.scalar(select(InstanceSetting.value).where(InstanceSetting.key == "secret_key"))
    return key
