"""The forecast's snapshots committed for real: two snapshot jobs at once over a few thousand opportunities leave one
row per day, month, owner and currency, with the figures of one grouped query; `leadflow pipeline snapshot` takes one
by hand (the same day again replaces it) and `leadflow pipeline accuracy` prints the table; `leadflow demo` leaves
past months' forecasts consistent with its opportunities."""

from __future__ import annotations

import random
import threading
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, insert, select

from leadflow import clock, db
from leadflow.leads import service as leads_service
from leadflow.leads.models import Lead
from leadflow.people import service as people_service
from leadflow.people.service import SYSTEM
from leadflow.pipeline import accuracy, jobs, service, snapshots
from leadflow.pipeline.models import ForecastSnapshot, ForecastSnapshotDay, Opportunity, OpportunityStage
from tests.integration.live import run_cli

OPPORTUNITIES = 3000


def _leads(factory, count: int) -> list[int]:
    with factory() as session:
        moment = clock.now()
        rows = [{"first_name": f"L{i}", "country": "FI", "stage": "sql", "custom_fields": {}, "manual_fields": [],
                 "other_emails": [], "other_phones": [], "first_touch": {}, "last_touch": {},
                 "do_not_contact": False, "created_at": moment, "updated_at": moment} for i in range(count)]
        ids = leads_service.insert_with_ids(Lead.__table__, rows, session=session)
        session.commit()
    return ids


def _pipeline(factory) -> dict[tuple, Decimal]:
    """Opportunities of three owners and nobody, in two currencies, over the next 15 months (some beyond the
    snapshot's 13), open at every stage with and without the rep's probability, a few won this month; returns the
    weighted value per (close month, owner, currency) as the board would compute it."""
    rng = random.Random(5)
    with factory() as session:
        owners = [people_service.create_user(session=session, email=f"rep{i}@example.com", role="sales_rep",
                                             password="correct horse battery").id for i in range(3)] + [None]
        stages = {s.key: s.probability for s in session.scalars(select(OpportunityStage))
                  if s.outcome == "open"}
        session.commit()
    moment = clock.now()
    rows, expected = [], {}
    for i in range(OPPORTUNITIES):
        owner, currency = rng.choice(owners), rng.choice(("EUR", "EUR", "SEK"))
        value = Decimal(rng.randrange(1, 5000) * 10) + Decimal("0.05") * rng.randrange(0, 20)
        row = {"name": f"Deal {i}", "value": value, "currency": currency, "owner_id": owner,
               "created_by": "test", "created_at": moment, "updated_at": moment, "closed_at": None,
               "probability": None}
        if i % 50 == 0:
            row.update(stage="won", status="won", closed_at=moment - timedelta(minutes=i % 7),
                       expected_close=moment.date())
        else:
            stage = rng.choice(sorted(stages))
            rep = rng.choice((None, None, 0, 35, 90))
            close = moment.date() + timedelta(days=rng.randrange(0, 460))
            row.update(stage=stage, status="open", probability=rep, expected_close=close)
            month = accuracy.month_key(close)
            if month in accuracy.covered_months(moment.date()):
                expected.setdefault((month, owner, currency), {})
                p = rep if rep is not None else stages[stage]
                cell = expected[(month, owner, currency)]
                cell[p] = cell.get(p, Decimal("0")) + value
        rows.append(row)
    with factory() as session:
        session.execute(insert(Opportunity.__table__), rows)
        session.commit()
    return {key: sum(((v * p / 100).quantize(Decimal("0.01"), rounding="ROUND_HALF_UP") for p, v in cell.items()),
                     Decimal("0")) for key, cell in expected.items()}


def test_two_snapshot_jobs_at_once_leave_one_row_per_day_month_owner_and_currency(fresh_database):
    db.upgrade(fresh_database.url)
    engine = db.make_engine(fresh_database.url)
    factory = db.make_sessionmaker(engine)
    try:
        expected = _pipeline(factory)
        start, failures = threading.Barrier(2), []

        def run() -> None:
            try:
                start.wait()
                with factory() as session:
                    jobs.snapshot(session, {})
                    session.commit()
            except Exception as exc:  # noqa: BLE001 - reported below
                failures.append(exc)

        threads = [threading.Thread(target=run) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(300)
        assert failures == []
        with factory() as session:
            keys = session.execute(select(ForecastSnapshot.taken_on, ForecastSnapshot.close_month,
                                          ForecastSnapshot.owner_key, ForecastSnapshot.currency, func.count())
                                   .group_by(ForecastSnapshot.taken_on, ForecastSnapshot.close_month,
                                             ForecastSnapshot.owner_key, ForecastSnapshot.currency)).all()
            rows = list(session.scalars(select(ForecastSnapshot)))
            days = list(session.scalars(select(ForecastSnapshotDay)))
        assert {k[4] for k in keys} == {1}
        assert [d.rows for d in days] == [len(rows)] and {r.taken_on for r in rows} == {clock.now().date()}
        weighted = {(r.close_month, r.owner_id, r.currency): r.weighted for r in rows if r.weighted}
        assert weighted == expected
        this_month = accuracy.month_key(clock.now().date())
        assert sum(r.won_value for r in rows if r.close_month == this_month) > 0
        assert {r.close_month for r in rows} <= set(accuracy.covered_months(clock.now().date()))
    finally:
        engine.dispose()


def test_the_command_line_takes_a_snapshot_replaces_it_the_same_day_and_prints_the_accuracy(fresh_database):
    """On the real clock: last month is measured against a snapshot taken by hand on its first day."""
    db.upgrade(fresh_database.url)
    engine = db.make_engine(fresh_database.url)
    factory = db.make_sessionmaker(engine)
    url = fresh_database.url
    month = accuracy.past_months(clock.now().date(), 1)[0]
    first = accuracy.month_start(month)
    try:
        (lead_id,) = _leads(factory, 1)
        with factory() as session:
            made = service.create(session=session, actor=SYSTEM, lead=session.get(Lead, lead_id),
                                  values={"name": "Big one", "value": "8000", "currency": "EUR", "stage": "negotiation",
                                          "expected_close": (first + timedelta(days=19)).isoformat()})
            session.commit()
            opportunity_id = made.id
        taken = run_cli(url, "pipeline", "snapshot", "--on", first.isoformat())
        assert taken.returncode == 0, taken.stderr
        assert f"Snapshot of {first.isoformat()}: 1 rows" in taken.stdout
        clock.set_clock(lambda: datetime(first.year, first.month, 15, 12, 0, tzinfo=UTC))
        try:
            with factory() as session:
                service.move(service.lock(opportunity_id, session=session), session=session, actor=SYSTEM,
                             to="won", reason="price")
                session.commit()
        finally:
            clock.set_clock(None)
        shown = run_cli(url, "pipeline", "accuracy", "--months", "2")
        assert shown.returncode == 0, shown.stderr
        lines = shown.stdout.splitlines()
        # Forecast 8,000 x 75 % = 6,000; won 8,000: +2,000, +33.3 %.
        assert any(line.split() == [month, "EUR", first.isoformat(), "6,000.00", "8,000.00", "2,000.00", "33.3"]
                   for line in lines), shown.stdout
        before = accuracy.add_months(month, -1)
        assert any(line.startswith(before) and accuracy.NO_FORECAST in line for line in lines), shown.stdout
        assert "MAPE EUR: 33.3 %, bias 33.3 % over 1 month" in shown.stdout

        # The same day again replaces it: the opportunity is no longer open, so that day forecast nothing.
        again = run_cli(url, "pipeline", "snapshot", "--on", first.isoformat())
        assert again.returncode == 0 and f"Snapshot of {first.isoformat()}: 0 rows" in again.stdout
        replaced = run_cli(url, "pipeline", "accuracy", "--months", "1").stdout
        assert any(line.split()[:6] == [month, "EUR", first.isoformat(), "0.00", "8,000.00", "8,000.00"]
                   for line in replaced.splitlines()), replaced
        for args in (("accuracy", "--months", "0"), ("accuracy", "--lead-days", "-1"),
                     ("snapshot", "--on", "soon"),
                     ("snapshot", "--on", (clock.now().date() + timedelta(days=2)).isoformat())):
            refused = run_cli(url, "pipeline", *args)
            assert refused.returncode == 2 and refused.stderr.startswith("--"), (args, refused.stderr)
    finally:
        engine.dispose()


def test_the_demo_leaves_past_forecasts_consistent_with_its_opportunities(fresh_database):
    url = fresh_database.url
    assert run_cli(url, "migrate").returncode == 0
    result = run_cli(url, "demo", "--leads", "300", "--seed", "7")
    assert result.returncode == 0, result.stderr
    engine = db.make_engine(url)
    factory = db.make_sessionmaker(engine)
    try:
        with factory() as session:
            rows = list(session.scalars(select(ForecastSnapshot)))
            decided = list(session.scalars(select(Opportunity).where(Opportunity.status != "open")))
            found = snapshots.report(SYSTEM, session=session, months=6)
        assert rows and all(r.taken_on == accuracy.month_start(r.close_month) for r in rows)
        for r in rows:
            first = datetime.combine(r.taken_on, datetime.min.time(), UTC)
            mine = [o for o in decided if o.owner_id == r.owner_id and o.currency == r.currency
                    and accuracy.month_key(o.closed_at.date()) == r.close_month and o.created_at < first]
            assert (r.open_count, r.open_value) == (len(mine), sum(o.value for o in mine)), r.close_month
            assert 0 < r.weighted < r.open_value
        assert any(m.snapshot_on is not None and m.lines for m in found.accuracy.months)
        assert found.accuracy.summaries and all(s.mape is not None for s in found.accuracy.summaries)
        assert date.today() > min(r.taken_on for r in rows)
    finally:
        engine.dispose()
