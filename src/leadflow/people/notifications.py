"""Notifications: one alert per key, ever, by each channel the person chose (in-app bell, email, chat webhook), all
written in the caller's transaction (email and chat as keyed outbox rows the worker sends)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from leadflow import events, mail, outbox
from leadflow.clock import now
from leadflow.db import insert_ignore_many
from leadflow.errors import NotFound
from leadflow.people.models import Notification, User, UserPreferences
from leadflow.settings import get_settings

MAX_TITLE, MAX_LINK, MAX_KEY, MAX_BODY = 300, 500, 250, 10_000


@dataclass(frozen=True)
class Notice:
    """One alert for one person: `link` is a path on this site ("/leads/42"), made absolute in email and chat; `key`
    says what it is about ("lead_assigned:42:7"): a second notice with the same key adds nothing."""

    user_id: int
    kind: str
    title: str
    body: str
    link: str
    key: str
    lead_id: int | None = None


@dataclass(frozen=True)
class Channels:
    email: str
    by_email: bool
    in_app: bool
    chat: bool


def channels_of(user_ids, *, session: Session) -> dict[int, Channels]:
    """Each active user's channels, in one statement (a user without preferences has the defaults)."""
    wanted = sorted({int(i) for i in user_ids})
    if not wanted:
        return {}
    rows = session.execute(
        select(User.id, User.email, UserPreferences.notify_email, UserPreferences.notify_in_app,
               UserPreferences.chat_webhook_url)
        .outerjoin(UserPreferences, UserPreferences.user_id == User.id)
        .where(User.id.in_(wanted), User.is_active.is_(True)))
    return {user_id: Channels(email=email, by_email=by_email is not False, in_app=in_app is not False,
                              chat=bool(chat))
            for user_id, email, by_email, in_app, chat in rows}


def _absolute(link: str) -> str:
    path = link if link.startswith("/") and not link.startswith("//") else "/"
    return get_settings().base_url.rstrip("/") + path


def email_text(notice: Notice) -> str:
    return f"{notice.title}\n\n{notice.body.strip()}\n\nOpen it: {_absolute(notice.link)}\n"


def _clean(notice: Notice) -> Notice:
    title = " ".join(notice.title.split())[:MAX_TITLE]  # one line: it is an email's subject too
    return Notice(user_id=int(notice.user_id), kind=notice.kind[:40], title=title,
                  body=notice.body[:MAX_BODY], link=notice.link[:MAX_LINK], key=notice.key[:MAX_KEY],
                  lead_id=notice.lead_id)


def notify_many(notices: list[Notice], *, session: Session) -> int:
    """Each notice by the channels its person chose; a key seen before (by this call, an earlier one, or a concurrent
    one) adds nothing on that channel. A constant number of statements whatever the count: one read of the people's
    channels, then one insert-or-ignore per channel. Returns how many alerts were added (rows, emails, chat posts)."""
    unique: dict[str, Notice] = {}
    for notice in notices:
        unique.setdefault(notice.key[:MAX_KEY], _clean(notice))
    if not unique:
        return 0
    channels = channels_of((n.user_id for n in unique.values()), session=session)
    moment = now()
    rows, emails, chats = [], [], []
    # No SMTP server configured (a trial, a machine without mail): alerts go by the bell and chat; queueing emails
    # nobody can send would only fill the worker's log with failures (docs/operations.md, "Email").
    mailing = bool(get_settings().smtp_host)
    for notice in unique.values():
        reach = channels.get(notice.user_id)
        if reach is None:
            continue  # deactivated or gone: nobody to alert
        if reach.in_app:
            rows.append({"user_id": notice.user_id, "lead_id": notice.lead_id, "kind": notice.kind,
                         "title": notice.title, "body": notice.body, "link": notice.link, "key": notice.key,
                         "created_at": moment, "read_at": None})
        if reach.by_email and mailing:
            emails.append({"to": reach.email, "subject": notice.title, "text": email_text(notice),
                           "key": f"notice:{notice.key}"})
        if reach.chat:
            chats.append({"topic": events.NOTIFICATION_CHAT, "key": f"chat:{notice.key}",
                          "payload": {"user_id": notice.user_id, "kind": notice.kind, "title": notice.title,
                                      "body": notice.body, "link": notice.link}})
    added = insert_ignore_many(session, Notification.__table__, rows, ["key"])
    added += mail.queue_many(session, emails)
    added += outbox.publish_many(session, chats, skip_existing=True)
    return added


def notify(notice: Notice, *, session: Session) -> bool:
    """One notice; True when it added an alert (False: its key was seen before, or nobody to alert)."""
    return notify_many([notice], session=session) > 0


def unread_count(user_id: int, *, session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Notification)
                          .where(Notification.user_id == user_id, Notification.read_at.is_(None))) or 0


def page(user_id: int, *, session: Session, unread: bool = False, offset: int = 0,
         limit: int = 50) -> tuple[list[Notification], bool]:
    """The person's notifications, newest first, and whether more follow."""
    query = select(Notification).where(Notification.user_id == user_id)
    if unread:
        query = query.where(Notification.read_at.is_(None))
    found = list(session.scalars(query.order_by(Notification.created_at.desc(), Notification.id.desc())
                                 .offset(max(offset, 0)).limit(limit + 1)))
    return found[:limit], len(found) > limit


def get(user_id: int, notification_id: int, *, session: Session) -> Notification:
    """The person's own notification; another person's is NotFound (as if it did not exist)."""
    found = session.get(Notification, notification_id)
    if found is None or found.user_id != user_id:
        raise NotFound("notification", notification_id)
    return found


def mark_read(user_id: int, notification_id: int, *, session: Session) -> Notification:
    found = get(user_id, notification_id, session=session)
    if found.read_at is None:
        found.read_at = now()
        session.flush()
    return found


def mark_all_read(user_id: int, *, session: Session) -> int:
    result = session.execute(update(Notification)
                             .where(Notification.user_id == user_id, Notification.read_at.is_(None))
                             .values(read_at=now()).execution_options(synchronize_session=False))
    return result.rowcount or 0


def mark_read_about(user_id: int, lead_id: int, *, session: Session) -> int:
    """The person opened the lead: their unread notices about it are read."""
    result = session.execute(update(Notification)
                             .where(Notification.user_id == user_id, Notification.lead_id == lead_id,
                                    Notification.read_at.is_(None))
                             .values(read_at=now()).execution_options(synchronize_session=False))
    return result.rowcount or 0
