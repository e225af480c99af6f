"""The public unsubscribe address of every message, /u/{token} (signed per message; no login, no CSRF: the
signature is the proof): POST is RFC 8058's one-click unsubscribe from the message's purpose (the mail program's
button; no confirmation, 200), GET is the preference centre by purpose, whose form posts to /u/{token}/preferences."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse

from leadflow.email import links, preferences
from leadflow.email.models import EmailMessage
from leadflow.tracking import service as tracking_service
from leadflow.http import DbSession, PublicClient, WritingSession, retry_races
from leadflow.web.pages import PostedLists, mark_page, render

router = APIRouter(include_in_schema=False)
NO_STORE = {"Cache-Control": "no-store", "X-Robots-Tag": "noindex"}


def _subject(request: Request, token: str, session) -> tuple[int, int, str | None] | None:
    """(message id, lead id, the message's purpose) of a token signed here; None otherwise."""
    found = links.read_unsubscribe(request.app.state.secret_key, token)
    if found is None:
        return None
    message_id, lead_id = found
    message = session.get(EmailMessage, message_id)
    if message is None or message.lead_id != lead_id:
        return None
    # The message stays on the lead it went to when that lead is merged into another; the person's choice is the
    # survivor's (else the survivor, same address, would go on being mailed: the merged lead is never mailed again).
    lead_id = tracking_service.surviving_leads({lead_id}, session=session).get(lead_id, lead_id)
    return message_id, lead_id, message.purpose


def _not_found(request: Request):
    mark_page(request)
    return render(request, "email/unsubscribe_gone.html", {}, status_code=404, headers=NO_STORE)


@router.post("/u/{token}")
@retry_races
def one_click(token: str, request: Request, session: WritingSession, client: PublicClient):
    """RFC 8058: the mail program posts `List-Unsubscribe=One-Click`; the person is unsubscribed from the purpose
    of the message at once."""
    found = _subject(request, token, session)
    if found is None:
        return PlainTextResponse("This unsubscribe link is not valid.", status_code=404, headers=NO_STORE)
    message_id, lead_id, purpose = found
    preferences.unsubscribe(lead_id, [purpose or "marketing"], how="one_click", session=session,
                            message_id=message_id)
    session.commit()
    return PlainTextResponse(f"You are unsubscribed from {purpose or 'marketing'} email.", headers=NO_STORE)


@router.get("/u/{token}")
def preference_centre(token: str, request: Request, session: DbSession, client: PublicClient,
                      saved: int = 0):
    mark_page(request)
    found = _subject(request, token, session)
    if found is None:
        return _not_found(request)
    _, lead_id, purpose = found
    return render(request, "email/preferences.html", {
        "token": token, "purpose": purpose, "subscriptions": preferences.subscriptions(lead_id, session=session),
        "saved": bool(saved)}, headers=NO_STORE)


@router.post("/u/{token}/preferences")
@retry_races
def save_preferences(token: str, request: Request, session: WritingSession, client: PublicClient,
                     form: PostedLists):
    """The preference centre's form: the purposes ticked stay (or come back), the others are withdrawn;
    `all` withdraws every purpose."""
    mark_page(request)
    found = _subject(request, token, session)
    if found is None:
        return _not_found(request)
    message_id, lead_id, _ = found
    current = preferences.subscriptions(lead_id, session=session)
    if form.get("action") == ["all"]:
        preferences.unsubscribe(lead_id, None, how="centre", session=session, message_id=message_id)
    else:
        kept = {p for p in form.get("purpose", []) if p in current}
        preferences.unsubscribe(lead_id, [p for p in current if p not in kept], how="centre", session=session,
                                message_id=message_id)
        preferences.resubscribe(lead_id, sorted(kept), session=session)
    session.commit()
    return render(request, "email/preferences.html", {
        "token": token, "purpose": None, "subscriptions": preferences.subscriptions(lead_id, session=session),
        "saved": True}, headers=NO_STORE)
