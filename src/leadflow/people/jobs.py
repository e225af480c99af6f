"""Worker handlers of people: a notification posted to the person's chat webhook (Slack's incoming-webhook shape)."""

from __future__ import annotations

import httpx
from sqlalchemy.orm import Session

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
        "text": f"{title}\n{body}\n{url}".strip(),
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": f"*{_mrkdwn(title)}*\n{_mrkdwn(body)}".strip()}},
            {"type": "actions", "elements": [
                {"type": "button", "text": {"type": "plain_text", "text": "Open in leadflow"}, "url": url}]},
        ],
    }


def post_chat(session: Session, payload: dict) -> None:
    """The handler of events.NOTIFICATION_CHAT. The webhook URL is read now (a person who removed it gets nothing) and
    is a secret: no error or log line carries it. A non-2xx answer raises, so the worker tries again later."""
    preferences = session.get(UserPreferences, payload["user_id"])
    if preferences is None or not preferences.chat_webhook_url:
        return
    message = chat_message(payload, get_settings().base_url)
    try:
        answer = httpx.post(preferences.chat_webhook_url, json=message, timeout=TIMEOUT, follow_redirects=False)
    except httpx.HTTPError as exc:
        raise RuntimeError(f"the chat webhook could not be reached ({type(exc).__name__})") from None
    if not 200 <= answer.status_code < 300:
        raise RuntimeError(f"the chat webhook answered {answer.status_code}")
