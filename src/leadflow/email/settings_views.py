"""The email settings page, /settings/email: the sender, quiet hours, the frequency cap, per-domain throttles, the
bounce mailbox and webhook, suppressed addresses, the latest bounces. Holders of email:manage."""

from __future__ import annotations

from fastapi import Request

from leadflow import mail
from leadflow.email import queries
from leadflow.email import settings_service as email_settings
from leadflow.email.bounce_api import webhook_token
from leadflow.errors import Invalid
from leadflow.http import DbSession, retry_races
from leadflow.people.deps import PageActor
from leadflow.web.pages import Posted, page_router, redirect, render

router = page_router(tags=["pages"])
BASE = "/settings/email"
PERMISSION = "email:manage"


def _minutes(text: str, field: str) -> int | None:
    """"22:00" (or "22") as minutes after midnight; empty: None."""
    text = (text or "").strip()
    if not text:
        return None
    hours, _, minutes = text.partition(":")
    try:
        value = int(hours) * 60 + int(minutes or 0)
    except ValueError:
        raise Invalid.one(field, "a time such as 22:00") from None
    if not (0 <= int(hours) < 24 and 0 <= int(minutes or 0) < 60):
        raise Invalid.one(field, "a time such as 22:00")
    return value


def _number(text: str, field: str) -> int | None:
    text = (text or "").strip()
    if not text:
        return None
    if not text.isdecimal():
        raise Invalid.one(field, "a whole number (or empty)")
    return int(text)


def _clock(minutes: int | None) -> str:
    return "" if minutes is None else f"{minutes // 60:02d}:{minutes % 60:02d}"


def _page(request: Request, session, *, values: dict | None = None, errors: dict | None = None,
          status_code: int = 200):
    row = email_settings.settings_row(session=session)
    current = {name: getattr(row, name) for name in email_settings.EDITABLE}
    current["quiet_start"], current["quiet_end"] = _clock(row.quiet_start), _clock(row.quiet_end)
    settings = request.app.state.settings
    return render(request, "email/settings.html", {
        "base": BASE, "values": {**{k: ("" if v is None else v) for k, v in current.items()}, **(values or {})},
        "errors": errors or {}, "limits": email_settings.domain_limits(session=session),
        "suppressions": queries.suppressions(session=session, limit=100),
        "bounces": queries.recent_bounces(session=session, limit=20),
        "password_set": bool(settings.email_imap_password), "smtp": mail.smtp_server(),
        "webhook": f"{settings.base_url.rstrip('/')}/api/v1/email/bounces?token="
                   f"{webhook_token(request.app.state.secret_key)}"}, status_code=status_code)


@router.get(BASE)
def settings_page(request: Request, session: DbSession, actor: PageActor):
    actor.require(PERMISSION)
    return _page(request, session)


@router.post(BASE)
@retry_races
def save_settings(request: Request, session: DbSession, actor: PageActor, form: Posted):
    actor.require(PERMISSION)
    values = {name: (form.get(name) or "").strip() for name in email_settings.EDITABLE}
    try:
        payload = {name: values[name] or None for name in ("from_name", "from_address", "reply_to",
                                                            "bounce_imap_host", "bounce_imap_user")}
        payload["from_name"] = payload["from_name"] or ""
        payload["from_address"] = payload["from_address"] or ""
        payload["bounce_imap_folder"] = values["bounce_imap_folder"] or "INBOX"
        payload["time_zone"] = values["time_zone"] or "UTC"
        payload["quiet_start"] = _minutes(values["quiet_start"], "quiet_start")
        payload["quiet_end"] = _minutes(values["quiet_end"], "quiet_end")
        payload["cap_messages"] = _number(values["cap_messages"], "cap_messages")
        payload["cap_days"] = _number(values["cap_days"], "cap_days") or 7
        payload["default_per_minute"] = _number(values["default_per_minute"], "default_per_minute")
        email_settings.update(payload, session=session)
    except Invalid as exc:
        session.rollback()
        return _page(request, session, values=values, status_code=422,
                     errors={e.field: e.reason[:1].upper() + e.reason[1:] for e in exc.errors})
    session.commit()
    return redirect(request, BASE, message="Saved the email settings.", kind="ok")


@router.post(BASE + "/domains")
@retry_races
def save_domain(request: Request, session: DbSession, actor: PageActor, form: Posted):
    actor.require(PERMISSION)
    return _change(request, session, lambda: email_settings.set_domain_limit(
        form.get("domain", ""), _number(form.get("per_minute", ""), "per_minute"), session=session),
        done="Saved the domain's limit.")


@router.post(BASE + "/suppressions")
@retry_races
def add_suppression(request: Request, session: DbSession, actor: PageActor, form: Posted):
    actor.require(PERMISSION)
    return _change(request, session, lambda: email_settings.suppress(
        form.get("address", ""), "manual", form.get("detail") or "added by hand", session=session),
        done="The address gets no more marketing email.")


@router.post(BASE + "/suppressions/remove")
@retry_races
def remove_suppression(request: Request, session: DbSession, actor: PageActor, form: Posted):
    actor.require(PERMISSION)
    return _change(request, session, lambda: email_settings.unsuppress(form.get("address", ""), session=session),
                   done="The address may get marketing email again.")


def _change(request: Request, session, change, *, done: str):
    """One change from the settings page: committed and told, or refused with its reason (nothing kept)."""
    try:
        change()
    except Invalid as exc:
        session.rollback()
        return redirect(request, BASE, message=str(exc), kind="error")
    session.commit()
    return redirect(request, BASE, message=done, kind="ok")
