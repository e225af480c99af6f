"""Signed per-lead survey links: `/s/{token}`, where the token names the survey, the lead and (when the link came in
an email) the message, signed with the installation's secret key, so a lead answers with no login and no one can
answer for another lead or change what a link names."""

from __future__ import annotations

from dataclasses import dataclass

from itsdangerous import BadSignature, URLSafeSerializer

SALT = "leadflow.surveys.link"


@dataclass(frozen=True)
class LinkClaims:
    survey_id: int
    lead_id: int
    message_id: int | None


def _signer(secret_key: str) -> URLSafeSerializer:
    return URLSafeSerializer(secret_key, salt=SALT)


def _key(settings, secret_key: str | None) -> str:
    key = secret_key or getattr(settings, "secret_key", None)
    if not key:
        raise ValueError("no secret key: pass secret_key= (settings.ensure_secret_key) when the settings have none")
    return key


def survey_token(secret_key: str, survey_id: int, lead_id: int, message_id: int | str | None = None) -> str:
    claims = [int(survey_id), int(lead_id)]
    if message_id is not None:
        claims.append(int(message_id))
    return _signer(secret_key).dumps(claims)


def survey_url(settings, survey_id: int, lead_id: int, message_id: int | str | None = None, *,
               secret_key: str | None = None) -> str:
    """The lead's own address of the survey: `{base_url}/s/{token}`. `settings` gives base_url and the secret key
    (or `secret_key=` the one the app or worker uses when LEADFLOW_SECRET_KEY is not set); `message_id` is the email
    message carrying the link (a digits-only str is taken too)."""
    token = survey_token(_key(settings, secret_key), survey_id, lead_id, message_id)
    return f"{settings.base_url.rstrip('/')}/s/{token}"


def read_token(secret_key: str, token: str) -> LinkClaims | None:
    """The claims of a link signed here, or None for a forged, altered or foreign one."""
    try:
        claims = _signer(secret_key).loads(token)
    except BadSignature:
        return None
    if (not isinstance(claims, list) or len(claims) not in (2, 3)
            or not all(isinstance(c, int) and not isinstance(c, bool) and c > 0 for c in claims)):
        return None
    return LinkClaims(claims[0], claims[1], claims[2] if len(claims) == 3 else None)
