"""JSON routes of people: the API key's user's notifications and preferences, and people's absences (out of office)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Response
from pydantic import Field

from leadflow.errors import Forbidden
from leadflow.http import DbSession
from leadflow.inputs import Id, Input
from leadflow.people import notifications, preferences
from leadflow.people.deps import ApiActor
from leadflow.people.service import Actor

router = APIRouter(prefix="/api/v1", tags=["people"])


class PreferencesUpdate(Input):
    """What to change; fields left out stay as they are. chat_webhook_url and working_hours: null clears them."""

    notify_email: bool = None
    notify_in_app: bool = None
    chat_webhook_url: str | None = Field(default=None, max_length=preferences.MAX_URL,
                                         description="a Slack incoming-webhook URL (https); never shown back in full")
    timezone: str = Field(default=None, max_length=64, description="an IANA time zone, e.g. Europe/Paris")
    working_hours: dict[str, list[str]] | None = Field(
        default=None, description='per weekday, periods like {"mon": ["08:00-12:00", "13:00-17:00"]}; a weekday '
                                  'left out is a day off; null: no working hours (any time)')
    holiday_country: str | None = Field(default=None, max_length=10,
                                        description="whose public holidays pause your follow-up clock: an ISO "
                                                    "country code (FI, DE, US); null clears it")
    holiday_region: str | None = Field(default=None, max_length=10,
                                       description="a region of that country with its own holidays (DE: BY); "
                                                   "null clears it")


class AbsenceCreate(Input):
    starts_at: datetime
    ends_at: datetime
    note: str = Field(default="", max_length=500)


def _own(actor: Actor) -> int:
    if actor.user_id is None:
        raise Forbidden("this API key acts as no user: it has no notifications or preferences")
    return actor.user_id


def notification_read(found) -> dict:
    return {"id": found.id, "kind": found.kind, "title": found.title, "body": found.body, "link": found.link,
            "lead_id": found.lead_id, "created_at": found.created_at, "read_at": found.read_at,
            "unread": found.read_at is None}


def preferences_read(found: preferences.Preferences) -> dict:
    return {"notify_email": found.notify_email, "notify_in_app": found.notify_in_app,
            "chat_webhook": found.chat_webhook, "chat_webhook_set": found.chat_webhook_url is not None,
            "timezone": found.timezone, "working_hours": found.working_hours,
            "holiday_country": found.holiday_country, "holiday_region": found.holiday_region}


def absence_read(found) -> dict:
    return {"id": found.id, "user_id": found.user_id, "starts_at": found.starts_at, "ends_at": found.ends_at,
            "note": found.note, "created_by": found.created_by, "created_at": found.created_at}


@router.get("/notifications")
def list_notifications(session: DbSession, actor: ApiActor, unread: bool = False,
                       offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
                       limit: Annotated[int, Query(ge=1, le=200)] = 50):
    user_id = _own(actor)
    found, more = notifications.page(user_id, session=session, unread=unread, offset=offset, limit=limit)
    return {"items": [notification_read(n) for n in found], "has_more": more,
            "unread": notifications.unread_count(user_id, session=session)}


@router.post("/notifications/read-all")
def read_all(session: DbSession, actor: ApiActor):
    marked = notifications.mark_all_read(_own(actor), session=session)
    session.commit()
    return {"marked": marked, "unread": 0}


@router.post("/notifications/{notification_id}/read")
def read_one(notification_id: Id, session: DbSession, actor: ApiActor):
    found = notifications.mark_read(_own(actor), notification_id, session=session)
    session.commit()
    return notification_read(found)


@router.get("/me/preferences")
def get_preferences(session: DbSession, actor: ApiActor):
    return preferences_read(preferences.get_preferences(_own(actor), session=session))


@router.patch("/me/preferences")
def patch_preferences(body: PreferencesUpdate, session: DbSession, actor: ApiActor):
    given = body.model_dump(exclude_unset=True)
    found = preferences.update_preferences(_own(actor), session=session, **given)
    session.commit()
    return preferences_read(found)


@router.get("/users/{user_id}/absences")
def list_absences(user_id: Id, session: DbSession, actor: ApiActor, past: bool = False):
    user = preferences.user_for_absences(user_id, actor, session=session)
    return {"items": [absence_read(a) for a in preferences.absences(user.id, session=session, current=not past)]}


@router.post("/users/{user_id}/absences", status_code=201)
def create_absence(user_id: Id, body: AbsenceCreate, session: DbSession, actor: ApiActor):
    user = preferences.user_for_absences(user_id, actor, session=session)
    found = preferences.add_absence(user.id, session=session, starts_at=body.starts_at, ends_at=body.ends_at,
                                    note=body.note, actor=actor)
    session.commit()
    return absence_read(found)


@router.delete("/users/{user_id}/absences/{absence_id}", status_code=204)
def delete_absence(user_id: Id, absence_id: Id, session: DbSession, actor: ApiActor):
    user = preferences.user_for_absences(user_id, actor, session=session)
    preferences.remove_absence(user.id, absence_id, session=session)
    session.commit()
    return Response(status_code=204)
