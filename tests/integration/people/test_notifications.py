"""Notifications: one alert per key by each channel a person chose (in-app, email through a real SMTP server, a chat
webhook on a real HTTP server), the bell and reading them through HTTP, only one's own, no redirect elsewhere."""

from __future__ import annotations

import logging
import threading

from sqlalchemy import func, select

from leadflow import events, worker
from leadflow.outbox import OutboxMessage
from leadflow.people import notifications
from leadflow.people import service as people_service
from leadflow.people.models import Notification
from leadflow.people.notifications import Notice
from tests.integration.house.test_query_budgets import statements
from tests.integration.people.factories import lead, person
from tests.integration.people.pages import form_token, sign_in


def notice(user_id: int, key: str, *, lead_id: int | None = None, link: str | None = None) -> Notice:
    return Notice(user_id=user_id, kind="lead_assigned", title=f"New lead for you ({key})",
                  body="Ada Lovelace, Analytical Engines\nScore 80 (hot)", link=link or f"/leads/{lead_id or 1}",
                  key=key, lead_id=lead_id)


def send(factory, notices: list[Notice]) -> int:
    with factory() as session:
        added = notifications.notify_many(notices, session=session)
        session.commit()
        return added


def set_preferences(client, who, **changes):
    r = client.patch("/api/v1/me/preferences", headers=who.headers, json=changes)
    assert r.status_code == 200, r.text
    return r.json()


def count(factory, query) -> int:
    with factory() as session:
        return session.scalar(query)


def outbox_keys(factory, topic: str) -> list[str]:
    with factory() as session:
        return list(session.scalars(select(OutboxMessage.key).where(OutboxMessage.topic == topic)
                                    .order_by(OutboxMessage.id)))


def test_the_same_key_twice_makes_one_in_app_row_one_email_and_one_chat_message(client, auth, factory, chat,
                                                                             mail_configured):
    rep = person(factory, "sales_rep")
    set_preferences(client, rep, chat_webhook_url=chat.url)
    lead_id = lead(client, auth)
    first = send(factory, [notice(rep.id, f"lead_assigned:{lead_id}:1", lead_id=lead_id)])
    again = send(factory, [notice(rep.id, f"lead_assigned:{lead_id}:1", lead_id=lead_id)] * 2)
    assert first == 3 and again == 0
    assert count(factory, select(func.count()).select_from(Notification)
                 .where(Notification.user_id == rep.id)) == 1
    assert outbox_keys(factory, events.EMAIL_SEND) == [f"email:notice:lead_assigned:{lead_id}:1"]
    assert outbox_keys(factory, events.NOTIFICATION_CHAT) == [f"chat:lead_assigned:{lead_id}:1"]


def test_the_email_arrives_over_smtp_and_the_chat_message_in_slacks_shape(client, auth, factory, smtp, chat):
    rep = person(factory, "sales_rep")
    set_preferences(client, rep, chat_webhook_url=chat.url)
    lead_id = lead(client, auth)
    assert send(factory, [notice(rep.id, "welcome:1", lead_id=lead_id)]) == 3
    worker.drain(factory)
    (recipients, message), = smtp.messages
    assert recipients == [rep.email] and message["Subject"] == "New lead for you (welcome:1)"
    text = message.get_content()
    assert "Ada Lovelace, Analytical Engines" in text and f"/leads/{lead_id}" in text and "://" in text
    (path, posted), = chat.posts
    assert path == "/services/T000/B000/secretpart"
    assert posted["text"].startswith("New lead for you (welcome:1)")
    section, actions = posted["blocks"]
    assert section["type"] == "section" and section["text"]["type"] == "mrkdwn"
    assert section["text"]["text"].startswith("*New lead for you (welcome:1)*\nAda Lovelace")
    assert actions["elements"][0]["type"] == "button"
    assert actions["elements"][0]["url"].endswith(f"/leads/{lead_id}")


def test_a_chat_webhook_answering_an_error_is_tried_again_and_its_address_is_never_recorded(client, factory, chat):
    rep = person(factory, "sales_rep")
    set_preferences(client, rep, chat_webhook_url=chat.url, notify_email=False)
    chat.status = 500
    send(factory, [notice(rep.id, "failing:1")])
    worker.drain(factory)
    assert len(chat.posts) == 1
    with factory() as session:
        message = session.scalar(select(OutboxMessage).where(OutboxMessage.key == "chat:failing:1"))
        assert message.done_at is None and message.attempts == 1 and message.available_at > message.created_at
        assert "500" in message.last_error and "secretpart" not in message.last_error
        assert "secretpart" not in str(message.payload)


def test_preferences_off_send_no_email_and_no_bell_row(client, factory):
    rep = person(factory, "sales_rep")
    set_preferences(client, rep, notify_email=False)
    assert send(factory, [notice(rep.id, "quiet:1")]) == 1
    assert outbox_keys(factory, events.EMAIL_SEND) == []
    set_preferences(client, rep, notify_in_app=False)
    assert send(factory, [notice(rep.id, "quiet:2")]) == 0
    assert count(factory, select(func.count()).select_from(Notification).where(Notification.key == "quiet:2")) == 0


def test_a_deactivated_user_is_not_alerted(factory):
    rep = person(factory, "sales_rep")
    with factory() as session:
        people_service.deactivate_user(people_service.get_user(rep.id, session=session), session=session)
        session.commit()
    assert send(factory, [notice(rep.id, "gone:1")]) == 0


def test_the_bell_counts_unread_and_reading_one_or_all_clears_it(client, factory):
    rep = person(factory, "sales_rep")
    send(factory, [notice(rep.id, f"bell:{i}", link=f"/leads/{i}") for i in range(3)])
    assert sign_in(client, rep.email).status_code == 303
    home = client.get("/notifications")
    assert 'hx-get="/notifications/count"' in home.text and 'hx-trigger="load, every 30s"' in home.text
    bell = client.get("/notifications/count")
    assert bell.status_code == 200 and 'aria-label="Notifications, 3 unread"' in bell.text
    assert home.text.count('class="unread"') == 3 and "Mark all read" in home.text
    first = client.get("/api/v1/notifications", headers=rep.headers).json()
    assert first["unread"] == 3 and [n["link"] for n in first["items"]] == ["/leads/2", "/leads/1", "/leads/0"]
    opened = client.get(f"/notifications/{first['items'][0]['id']}/open", follow_redirects=False)
    assert opened.status_code == 303 and opened.headers["location"] == "/leads/2"
    assert 'aria-label="Notifications, 2 unread"' in client.get("/notifications/count").text
    r = client.post(f"/api/v1/notifications/{first['items'][1]['id']}/read", headers=rep.headers)
    assert r.status_code == 200 and r.json()["unread"] is False
    unread = client.get("/api/v1/notifications?unread=true", headers=rep.headers).json()
    assert [n["link"] for n in unread["items"]] == ["/leads/0"] and unread["unread"] == 1
    token = form_token(client, "/notifications")
    done = client.post("/notifications/read-all", data={"csrf_token": token}, follow_redirects=False)
    assert done.status_code == 303
    assert 'aria-label="Notifications, 0 unread"' in client.get("/notifications/count").text
    send(factory, [notice(rep.id, "bell:api")])
    r = client.post("/api/v1/notifications/read-all", headers=rep.headers)
    assert r.status_code == 200 and r.json()["marked"] == 1


def test_another_persons_notification_is_not_found(client, factory):
    rep, other = person(factory, "sales_rep"), person(factory, "sales_rep")
    send(factory, [notice(rep.id, "mine:1")])
    mine = client.get("/api/v1/notifications", headers=rep.headers).json()["items"][0]["id"]
    assert client.get("/api/v1/notifications", headers=other.headers).json()["items"] == []
    assert client.post(f"/api/v1/notifications/{mine}/read", headers=other.headers).status_code == 404
    assert sign_in(client, other.email).status_code == 303
    assert client.get(f"/notifications/{mine}/open", follow_redirects=False).status_code == 404
    assert client.get("/api/v1/notifications?unread=true", headers=rep.headers).json()["unread"] == 1


def test_opening_a_notification_never_redirects_to_another_site(client, factory):
    rep = person(factory, "sales_rep")
    send(factory, [notice(rep.id, f"evil:{i}", link=link)
                   for i, link in enumerate(["//evil.example/x", "https://evil.example/", "/\\evil.example"])])
    assert sign_in(client, rep.email).status_code == 303
    for item in client.get("/api/v1/notifications", headers=rep.headers).json()["items"]:
        opened = client.get(f"/notifications/{item['id']}/open", follow_redirects=False)
        assert opened.status_code == 303 and opened.headers["location"] == "/notifications"


def test_the_notifications_page_is_paginated_newest_first(client, factory):
    rep = person(factory, "sales_rep")
    send(factory, [notice(rep.id, f"many:{i:02d}", link=f"/leads/{i}") for i in range(35)])
    assert sign_in(client, rep.email).status_code == 303
    first = client.get("/notifications")
    assert 'rel="next"' in first.text and first.text.count("/open") == 30
    second = client.get("/notifications?page=2")
    assert second.text.count("/open") == 5 and 'rel="prev"' in second.text


NOTIFY_1000 = 6  # measured 4 (SQLite | PostgreSQL): the people's channels, then one insert per channel


def test_notifying_a_thousand_times_takes_a_constant_number_of_statements(client, factory, engine, chat,
                                                                         mail_configured):
    people = [person(factory, "sales_rep") for _ in range(5)]
    for who in people[:2]:
        set_preferences(client, who, chat_webhook_url=chat.url)
    few = [notice(people[i % 5].id, f"few:{i}") for i in range(10)]
    many = [notice(people[i % 5].id, f"many:{i}") for i in range(1000)]
    with factory() as session:
        notifications.notify_many([notice(people[0].id, "warm:1")], session=session)  # the transaction begun
        with statements(engine) as seen_few:
            notifications.notify_many(few, session=session)
        with statements(engine) as seen_many:
            added = notifications.notify_many(many, session=session)
        with statements(engine) as seen_again:
            again = notifications.notify_many(many, session=session)
        session.commit()
    assert added == 1000 + 1000 + 400 and again == 0
    assert len(seen_many) == len(seen_few) == len(seen_again) <= NOTIFY_1000, [s[:80] for s in seen_many]


def test_two_concurrent_callers_with_the_same_keys_alert_once(fresh_database, mail_configured):
    """Real concurrency: two transactions on a database of their own notify the same keys at the same moment."""
    from leadflow import db

    db.upgrade(fresh_database.url)
    engine = db.make_engine(fresh_database.url)
    try:
        factory = db.make_sessionmaker(engine)
        rep = person(factory, "sales_rep")
        batch = [notice(rep.id, f"race:{i}") for i in range(50)]
        start, added, failures = threading.Barrier(2), [], []

        def race():
            try:
                with factory() as session:
                    start.wait(timeout=60)
                    added.append(notifications.notify_many(batch, session=session))
                    session.commit()
            except Exception as exc:  # noqa: BLE001 (reported by the assert below)
                failures.append(exc)

        threads = [threading.Thread(target=race) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        assert failures == [] and sorted(added) == [0, 100]
        assert count(factory, select(func.count()).select_from(Notification)) == 50
        assert len(outbox_keys(factory, events.EMAIL_SEND)) == 50
    finally:
        engine.dispose()


def test_the_bell_of_a_signed_out_browser_stays_as_it_is(client):
    answer = client.get("/notifications/count", follow_redirects=False)
    assert answer.status_code == 204 and answer.text == ""


def test_the_chat_webhook_address_reaches_no_log_line(client, factory, chat, caplog):
    """As the worker logs when started by `leadflow worker` (logs.configure), at DEBUG: no line names the address."""
    from leadflow import logs

    rep = person(factory, "sales_rep")
    set_preferences(client, rep, chat_webhook_url=chat.url, notify_email=False)
    send(factory, [notice(rep.id, "logged:1")])
    root = logging.getLogger()
    kept = (root.handlers[:], root.level, {n: logging.getLogger(n).level for n in ("httpx", "httpcore")})
    logs.configure(level="DEBUG")
    root.addHandler(caplog.handler)
    caplog.handler.setLevel(logging.DEBUG)
    try:
        worker.drain(factory)
        chat.status = 500
        send(factory, [notice(rep.id, "logged:2")])
        worker.drain(factory)
    finally:
        root.handlers[:], level, levels = kept
        root.setLevel(level)
        for name, value in levels.items():
            logging.getLogger(name).setLevel(value)
    assert len(chat.posts) == 2 and "the chat webhook answered 500" in caplog.text
    assert "secretpart" not in caplog.text
