"""ROI alerts: a source (and its campaign) below its ROI norm, and one that spent on the stop rule's leads without a
customer, each raised once per ISO week however often the check runs (two runs, two workers at once), to marketing
and admins only, with a link to the marketing dashboard narrowed to it; the check books itself daily at 07:00 UTC."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from typer.testing import CliRunner

from leadflow import clock, db, events, outbox, worker
from leadflow.analytics import alerts, digest_jobs
from leadflow.analytics.models import AnalyticsSettings, RoiAlert, RoiNorm
from leadflow.outbox import OutboxMessage
from leadflow.people.models import Notification
from tests.integration.analytics import figures
from tests.integration.people.factories import person

API = "/api/v1/analytics"


def _spend(session, moment: datetime) -> dict[str, int]:
    """google: 1,000 spent for 1,200 revenue (ROI 20 %); fb: 300 spent on 3 leads, no customer; mail: ROI 900 %."""
    google = figures.campaign(session, source="google", name="Google search")
    fb = figures.campaign(session, source="fb", name="Facebook feed")
    mail = figures.campaign(session, source="mail", name="Newsletter")
    figures.cost(session, google, amount="1000", on=moment.date())
    figures.cost(session, fb, amount="300", on=moment.date())
    figures.cost(session, mail, amount="100", on=moment.date())
    ids = [figures.lead(session, campaign_id=google, created_at=moment, stage="customer", won="1200"),
           figures.lead(session, campaign_id=mail, created_at=moment, stage="customer", won="1000")]
    ids += [figures.lead(session, campaign_id=fb, created_at=moment) for _ in range(3)]
    figures.refresh(session, ids)
    return {"google": google, "fb": fb, "mail": mail}


def _rules(session) -> None:
    row = session.get(AnalyticsSettings, 1)
    row.stop_after_leads = 3  # lowered for the test: 3 leads and no customer is enough
    session.add(RoiNorm(dimension="source", value="google", value_key="google", min_roi=1.5))
    session.flush()


def _check_now(factory) -> None:
    with factory() as session:
        outbox.publish(session, events.ANALYTICS_CHECK, {"at": clock.now().isoformat()})
        session.commit()
    worker.drain(factory)


def test_below_the_norm_and_no_customers_are_alerted_once_a_week_to_marketing_and_admins(client, factory):
    marketing = person(factory, "marketing")
    admin = person(factory, "admin")
    manager = person(factory, "sales_manager")
    rep = person(factory, "sales_rep")
    with factory() as session:
        campaigns = _spend(session, clock.now() - timedelta(days=10))
        _rules(session)
        session.commit()

    _check_now(factory)
    _check_now(factory)

    with factory() as session:
        raised = {(a.kind, a.dimension, a.value) for a in session.scalars(select(RoiAlert))}
        assert raised == {("below_norm", "source", "google"), ("no_customers", "source", "fb"),
                          ("no_customers", "campaign", str(campaigns["fb"]))}
        fb = session.scalar(select(RoiAlert).where(RoiAlert.kind == "no_customers", RoiAlert.dimension == "source"))
        assert fb.details["leads"] == 3 and fb.details["cost"] == "300.00" and fb.key.endswith(alerts.iso_week(
            clock.now()))
        notices = list(session.scalars(select(Notification).order_by(Notification.id)))
        by_user: dict[int, list[Notification]] = {}
        for n in notices:
            by_user.setdefault(n.user_id, []).append(n)
        assert set(by_user) == {marketing.id, admin.id}  # not the sales manager, not the rep
        assert manager.id not in by_user and rep.id not in by_user
        for user_id in (marketing.id, admin.id):
            assert len(by_user[user_id]) == 3
        mine = {n.link: n for n in by_user[marketing.id]}
        stop = mine["/dashboards/marketing?group=source&source=fb"]
        assert "3 leads and not one customer in 6 months" in stop.body and stop.kind == "analytics_no_customers"
        below = mine["/dashboards/marketing?group=source&source=google"]
        assert "ROI 20.0 % against a norm of 150.0 %" in below.body
        assert f"/dashboards/marketing?group=campaign&campaign={campaigns['fb']}" in mine
        # the next check is booked for 07:00 UTC the next day, once
        booked = list(session.scalars(select(OutboxMessage).where(OutboxMessage.topic == events.ANALYTICS_CHECK,
                                                                  OutboxMessage.key.is_not(None))))
        assert len(booked) == 1 and booked[0].available_at.hour == 7
    dashboard = client.get(f"{API}/economics", headers=marketing.headers, params={"group": "source", "source": "fb"})
    assert [r["no_customers"] for r in dashboard.json()["rows"]] == [True]  # what the link opens


def test_the_next_week_alerts_again_and_the_check_books_itself_daily(factory):
    person(factory, "marketing")
    with factory() as session:
        _spend(session, clock.now() - timedelta(days=20))
        _rules(session)
        session.commit()
    monday = datetime(2026, 11, 30, 8, tzinfo=UTC)
    with factory() as session:
        first = alerts.check(session=session, moment=monday)
        again = alerts.check(session=session, moment=monday + timedelta(days=2))
        later = alerts.check(session=session, moment=monday + timedelta(days=7))
        assert len(first.raised) == 3 and again.raised == [] and len(later.raised) == 3
        assert alerts.slot_after(monday, hour=7) == datetime(2026, 12, 1, 7, tzinfo=UTC)
        assert alerts.slot_after(datetime(2026, 12, 1, 6, 59, tzinfo=UTC), hour=7) == datetime(2026, 12, 1, 7,
                                                                                               tzinfo=UTC)
        digest_jobs.ensure_scheduled(session)
        digest_jobs.ensure_scheduled(session)
        keys = [k for k in session.scalars(select(OutboxMessage.key).where(OutboxMessage.topic.in_(
            [events.ANALYTICS_CHECK, events.ANALYTICS_DIGEST])))]
        assert len([k for k in keys if k.startswith(events.ANALYTICS_CHECK)]) == 2  # the slot just passed, the next
        assert len([k for k in keys if k.startswith(events.ANALYTICS_DIGEST)]) == 2
        session.rollback()


def test_two_workers_checking_at_once_raise_each_alert_once_and_the_command_lists_them(fresh_database, monkeypatch):
    from leadflow.cli import app as cli_app
    from leadflow.settings import get_settings

    db.upgrade(fresh_database.url)
    engine = db.make_engine(fresh_database.url)
    factory = db.make_sessionmaker(engine)
    try:
        marketing = person(factory, "marketing")
        with db.unit_of_work(factory) as session:
            _spend(session, clock.now() - timedelta(days=10))
            _rules(session)
        start = threading.Barrier(2)
        failures = []

        def run() -> None:
            try:
                start.wait(timeout=30)
                for attempt in range(5):
                    try:
                        with db.unit_of_work(factory) as session:
                            alerts.check(session=session)
                        return
                    except Exception as exc:
                        if attempt == 4 or not db.is_transient(exc):
                            raise
            except Exception as exc:
                failures.append(exc)

        threads = [threading.Thread(target=run) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        assert not failures, failures
        with factory() as session:
            assert session.scalar(select(func.count()).select_from(RoiAlert)) == 3
            assert session.scalar(select(func.count()).select_from(Notification)
                                  .where(Notification.user_id == marketing.id)) == 3
        monkeypatch.setenv("LEADFLOW_DATABASE_URL", fresh_database.url)
        monkeypatch.setenv("LEADFLOW_SECRET_KEY", "test-secret-" + "x" * 40)
        get_settings.cache_clear()
        by_hand = CliRunner().invoke(cli_app, ["analytics", "check"], catch_exceptions=False)
        assert by_hand.exit_code == 0, by_hand.output
        assert "no_customers: source fb (alerted before this week)" in by_hand.output
        assert "below_norm: source google (alerted before this week)" in by_hand.output
    finally:
        get_settings.cache_clear()
        engine.dispose()
