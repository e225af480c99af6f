"""Worker handlers of people: a notification posted to the person's chat webhook (Slack's incoming-webhook shape)."""

from __future__ import annotations

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session

from leadflow import db

from leadflow.people.models import UserPreferences
from leadflow.settings import get_settings

TIMEOUT = 10.0


def _mrkdwn(text: str) -> str:
    """Slack's escaping: only &, < and > are special in its text."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def chat_message(payload: dict, base_url: str) -> dict:
    link = payload.get("link") or "/"
    url = base_url.rstrip("/") + (link if link.startswith("/") and not link.startswith("//") else "/")
    title, body = payload.get("title", ""), (payload.get("body") or "").strip()
    return {
        "text": _mrkdwn(f"{title}\n{body}\n{url}".strip()),
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": f"*{_mrkdwn(title)}*\n{_mrkdwn(body)}".strip()}},
            {"type": "actions", "elements": [
                {"type": "button", "text": {"type": "plain_text", "text": "Open in leadflow"}, "url": url}]},
        ],
    }


def post_chat(session: Session, payload: dict) -> None:
    """The handler of events.NOTIFICATION_CHAT. The webhook URL is read now (a person who removed it gets nothing) and
    is a secret: no error or log line carries it. A non-2xx answer raises, so the worker tries again later."""
    # Read apart from the job's transaction, which stays unopened while the request is in flight: on SQLite the
    # job's first statement would take the write lock, and a slow chat server would hold up every writer.
    with db.sessions_like(session, reads_only=True)() as reading:
        url = reading.scalar(select(UserPreferences.chat_webhook_url).where(
            UserPreferences.user_id == payload["user_id"]))
    if not url:
        return
    message = chat_message(payload, get_settings().base_url)
    try:
        answer = httpx.post(url, json=message, timeout=TIMEOUT, follow_redirects=False)
    except Exception as exc:  # noqa: BLE001  (any failure to send is retried; its text may carry the secret URL)
        raise RuntimeError(f"the chat webhook could not be reached ({type(exc).__name__})") from None
    if not 200 <= answer.status_code < 300:
        raise RuntimeError(f"the chat webhook answered {answer.status_code}")
