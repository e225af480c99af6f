"""Pages of the signed-in person: the bell's count (an htmx fragment base.html polls), their notifications, and their
preferences (channels, chat webhook, time zone, working hours, out of office)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import Form, Request, Response

from leadflow.clock import now
from leadflow.errors import Invalid
from leadflow.http import DbSession, WritingSession
from leadflow.people import availability, notifications, preferences, public_holidays, signin
from leadflow.people.deps import PageActor
from leadflow.web import csrf
from leadflow.web.pages import local_path, page_router, redirect, render

router = page_router(tags=["pages"])

PER_PAGE = 30


@router.get("/notifications/count")
def bell(request: Request, session: DbSession):
    """The bell with its count, polled by every page. Signed out meanwhile (the session expired): 204, so htmx keeps
    the bell as it is instead of swapping a sign-in page into the header."""
    user = signin.session_user(session, request.cookies.get(csrf.SESSION_COOKIE))
    if user is None:
        return Response(status_code=204, headers={"Cache-Control": "no-store"})
    count = notifications.unread_count(user.id, session=session)
    return render(request, "people/_bell.html", {"count": count}, headers={"Cache-Control": "no-store"})


@router.get("/notifications")
def notification_list(request: Request, actor: PageActor, session: DbSession, page: int = 1):
    page = min(max(page, 1), 10_000)
    found, more = notifications.page(actor.user_id, session=session, offset=(page - 1) * PER_PAGE, limit=PER_PAGE)
    return render(request, "people/notifications.html", {
        "notifications": found, "page": page, "more": more,
        "unread": notifications.unread_count(actor.user_id, session=session)})


@router.post("/notifications/read-all")
def read_all(request: Request, actor: PageActor, session: DbSession):
    marked = notifications.mark_all_read(actor.user_id, session=session)
    session.commit()
    return redirect(request, "/notifications", message=f"{marked} marked as read." if marked else "Nothing unread.",
                    kind="ok")


@router.get("/notifications/{notification_id:int}/open")
def open_notification(request: Request, notification_id: int, actor: PageActor, session: WritingSession):
    """Marks it read and goes to what it is about: a path on this site only (never a redirect elsewhere)."""
    found = notifications.mark_read(actor.user_id, notification_id, session=session)
    target = local_path(found.link, "/notifications")
    session.commit()
    return redirect(request, target)


# Preferences ------------------------------------------------------------------------------------------------------

def _local(moment: datetime, timezone: str) -> str:
    try:
        return f"{moment.astimezone(ZoneInfo(timezone)):%Y-%m-%d %H:%M}"
    except (ValueError, KeyError):
        return f"{moment:%Y-%m-%d %H:%M} UTC"


def _preferences_page(request: Request, session, actor, *, values: dict | None = None, errors: dict | None = None,
                      absence: dict | None = None, status_code: int = 200):
    found = preferences.get_preferences(actor.user_id, session=session)
    hours = found.working_hours or {}
    values = values or {"notify_email": found.notify_email, "notify_in_app": found.notify_in_app,
                        "timezone": found.timezone, "holiday_country": found.holiday_country,
                        "holiday_region": found.holiday_region,
                        "hours": {day: ", ".join(hours.get(day, [])) for day in availability.WEEKDAYS}}
    away = preferences.absences(actor.user_id, session=session)
    return render(request, "people/preferences.html", {
        "prefs": found, "values": values, "errors": errors or {}, "timezones": availability.timezones(),
        "holiday_countries": _holiday_countries(),
        "weekdays": availability.WEEKDAY_NAMES, "absences": away, "absence": absence or {},
        "local": lambda moment: _local(moment, found.timezone)}, status_code=status_code)


def _holiday_countries() -> list[tuple[str, str]]:
    """(ISO code, name) of every country with a public holiday calendar, by name."""
    import pycountry

    found = []
    for code in public_holidays.countries():
        country = pycountry.countries.get(alpha_2=code)
        found.append((code, getattr(country, "common_name", None) or (country.name if country else code)))
    return sorted(found, key=lambda item: item[1])


@router.get("/me/preferences")
def preferences_page(request: Request, actor: PageActor, session: DbSession):
    return _preferences_page(request, session, actor)


def _field_errors(exc: Invalid) -> dict[str, str]:
    errors: dict[str, str] = {}
    for error in exc.errors:
        errors.setdefault(error.field, error.reason[:1].upper() + error.reason[1:].rstrip(".") + ".")
    return errors


@router.post("/me/preferences")
async def save_preferences(request: Request, actor: PageActor, session: DbSession):
    form = await request.form()
    hours_given = {day: str(form.get(f"hours_{day}") or "")[:200] for day in availability.WEEKDAYS}
    hours_on = str(form.get("hours_set") or "") == "1" or any(v.strip() for v in hours_given.values())
    webhook = str(form.get("chat_webhook_url") or "").strip()[:preferences.MAX_URL + 1]
    changes = {"notify_email": form.get("notify_email") == "1", "notify_in_app": form.get("notify_in_app") == "1",
               "timezone": str(form.get("timezone") or "")[:64],
               "holiday_country": str(form.get("holiday_country") or "")[:10] or None,
               "holiday_region": str(form.get("holiday_region") or "")[:10] or None,
               "working_hours": {d: v for d, v in hours_given.items() if v.strip()} if hours_on else None}
    if form.get("chat_remove") == "1":
        changes["chat_webhook_url"] = None
    elif webhook:  # an empty field keeps the address saved (it is never shown back)
        changes["chat_webhook_url"] = webhook
    try:
        preferences.update_preferences(actor.user_id, session=session, **changes)
    except Invalid as exc:
        session.rollback()
        values = {**changes, "hours": hours_given}
        errors = {key.replace("working_hours.", "hours_"): reason for key, reason in _field_errors(exc).items()}
        return _preferences_page(request, session, actor, values=values, errors=errors, status_code=422)
    session.commit()
    return redirect(request, "/me/preferences", message="Your preferences are saved.", kind="ok")


def _moment(text: str, timezone: str, field: str) -> datetime:
    """A datetime-local field ("2026-12-24T09:00"), read in the person's time zone."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise Invalid.one(field, "choose a date and time") from None
    if moment.tzinfo is None:
        try:
            moment = moment.replace(tzinfo=ZoneInfo(timezone))
        except (ValueError, KeyError):
            moment = moment.replace(tzinfo=now().tzinfo)
    return moment


@router.post("/me/absences")
def add_absence(request: Request, actor: PageActor, session: DbSession, starts_at: Annotated[str, Form()] = "",
                ends_at: Annotated[str, Form()] = "", note: Annotated[str, Form()] = ""):
    timezone = preferences.get_preferences(actor.user_id, session=session).timezone
    given = {"starts_at": starts_at[:40], "ends_at": ends_at[:40], "note": note[:500]}
    try:
        preferences.add_absence(actor.user_id, session=session, starts_at=_moment(starts_at[:40], timezone,
                                                                                  "starts_at"),
                                ends_at=_moment(ends_at[:40], timezone, "ends_at"), note=note[:500], actor=actor)
    except Invalid as exc:
        session.rollback()
        errors = {f"absence_{key}": reason for key, reason in _field_errors(exc).items()}
        return _preferences_page(request, session, actor, errors=errors, absence=given, status_code=422)
    session.commit()
    return redirect(request, "/me/preferences#absences", message="Out of office added.", kind="ok")


@router.post("/me/absences/{absence_id:int}/delete")
def remove_absence(request: Request, absence_id: int, actor: PageActor, session: DbSession):
    preferences.remove_absence(actor.user_id, absence_id, session=session)
    session.commit()
    return redirect(request, "/me/preferences#absences", message="Out of office removed.", kind="ok")


# Out of office of a team ------------------------------------------------------------------------------------------

def _team_page(request: Request, session, actor, *, values: dict | None = None, errors: dict | None = None,
               status_code: int = 200):
    people = preferences.absence_people(actor, session=session)
    ids = [p.id for p in people]
    zones = preferences.timezones_of(ids, session=session)
    away = preferences.absences_of(ids, session=session)
    rows = [{"person": p, "timezone": zones[p.id],
             "absences": [(a, _local(a.starts_at, zones[p.id]), _local(a.ends_at, zones[p.id]))
                          for a in away.get(p.id, [])]} for p in people]
    return render(request, "people/out_of_office.html", {
        "rows": rows, "values": values or {}, "errors": errors or {}}, status_code=status_code)


@router.get("/out-of-office")
def team_absences(request: Request, actor: PageActor, session: DbSession):
    """Who is away: a sales manager records their team's leave, an admin anyone's; everyone sees their own."""
    return _team_page(request, session, actor)


@router.post("/out-of-office")
def add_team_absence(request: Request, actor: PageActor, session: DbSession, user: Annotated[str, Form()] = "",
                     starts_at: Annotated[str, Form()] = "", ends_at: Annotated[str, Form()] = "",
                     note: Annotated[str, Form()] = ""):
    values = {"user": user[:20], "starts_at": starts_at[:40], "ends_at": ends_at[:40], "note": note[:500]}
    try:
        if not user.isdecimal() or len(user) > 18:
            raise Invalid.one("user", "choose a person")
        person = preferences.user_for_absences(int(user), actor, session=session)
        timezone = preferences.get_preferences(person.id, session=session).timezone
        preferences.add_absence(person.id, session=session, starts_at=_moment(starts_at[:40], timezone, "starts_at"),
                                ends_at=_moment(ends_at[:40], timezone, "ends_at"), note=note[:500], actor=actor)
    except Invalid as exc:
        session.rollback()
        return _team_page(request, session, actor, values=values, errors=_field_errors(exc), status_code=422)
    session.commit()
    return redirect(request, "/out-of-office", message=f"Out of office added for {person.name or person.email}.",
                    kind="ok")


@router.post("/out-of-office/{user_id:int}/{absence_id:int}/delete")
def remove_team_absence(request: Request, user_id: int, absence_id: int, actor: PageActor, session: DbSession):
    person = preferences.user_for_absences(user_id, actor, session=session)
    preferences.remove_absence(person.id, absence_id, session=session)
    session.commit()
    return redirect(request, "/out-of-office", message="Out of office removed.", kind="ok")
