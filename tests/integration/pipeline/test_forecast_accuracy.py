"""The forecast remembered and measured, on a simulated clock: opportunities made in January, the worker's daily
snapshot on 1 February, some won (and one lost) in February, and in March the accuracy of February exactly as
computed by hand, per currency; a month without a snapshot says so; a rep sees only their own figures, a manager
their team's; bad choices answer 422 with the field; the page's section and its CSV."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from leadflow import clock, events, worker
from leadflow.outbox import OutboxMessage
from leadflow.pipeline import jobs
from leadflow.pipeline.accuracy import NO_FORECAST
from leadflow.pipeline.models import ForecastSnapshot, ForecastSnapshotDay
from tests.integration.people.factories import lead, person, team
from tests.integration.people.pages import sign_in

JANUARY = datetime(2026, 1, 20, 10, 0, tzinfo=UTC)
FEBRUARY_FIRST = datetime(2026, 2, 1, 0, 5, tzinfo=UTC)
URL = "/api/v1/pipeline/forecast/accuracy"


class Clock:
    """The simulated clock of a test: set, moved on, always reset (by the test's finally)."""

    def __init__(self, moment: datetime):
        self.moment = moment
        clock.set_clock(lambda: self.moment)

    def to(self, moment: datetime) -> None:
        self.moment = moment


def _pass(factory) -> None:
    """The worker as it runs: its schedules book what is due (today's snapshot); then every due message."""
    with factory() as session:
        jobs.ensure_scheduled(session)
        session.commit()
    worker.drain(factory)


def _opportunity(client, headers, lead_id, **fields) -> int:
    body = {"lead_id": lead_id, "name": "Deal", "value": "1000", "currency": "EUR", **fields}
    r = client.post("/api/v1/opportunities", headers=headers, json=body)
    assert r.status_code == 201, r.text
    return r.json()["id"]


def _won(client, headers, opportunity_id) -> None:
    r = client.post(f"/api/v1/opportunities/{opportunity_id}/won", headers=headers, json={"reason": "price"})
    assert r.status_code == 200, r.text


def _lines(body: dict, month: str) -> dict[str, dict]:
    (found,) = [m for m in body["months"] if m["month"] == month]
    return {x["currency"]: x for x in found["lines"]}


def _story(client, auth, factory):
    """January: rep North (EUR) and rep South (SEK); the worker's pass on 1 February snapshots the pipeline; in
    February North wins one forecast deal and one new one, loses another, South wins theirs."""
    boss = person(factory, "sales_manager")
    team(factory, "North", manager=boss.email)
    team(factory, "South")
    north, south = person(factory, "sales_rep", team="North"), person(factory, "sales_rep", team="South")
    at = Clock(JANUARY)
    mine = lead(client, auth, owner=north)
    theirs = lead(client, auth, owner=south)
    big = _opportunity(client, north.headers, mine, value="10000", stage="proposal", expected_close="2026-02-15")
    small = _opportunity(client, north.headers, mine, value="4000", probability=25, expected_close="2026-02-20")
    _opportunity(client, north.headers, mine, value="6000", expected_close="2026-03-10")  # March: 10 %
    sek = _opportunity(client, south.headers, theirs, value="20000", currency="SEK", stage="negotiation",
                       expected_close="2026-02-27")
    at.to(FEBRUARY_FIRST)
    _pass(factory)
    at.to(datetime(2026, 2, 10, 9, 0, tzinfo=UTC))
    _won(client, north.headers, big)
    late = _opportunity(client, north.headers, mine, value="3000", expected_close="2026-02-12")
    _won(client, north.headers, late)  # never forecast: opened in February
    r = client.post(f"/api/v1/opportunities/{small}/lost", headers=north.headers, json={"reason": "price"})
    assert r.status_code == 200, r.text
    at.to(datetime(2026, 2, 20, 9, 0, tzinfo=UTC))
    _won(client, south.headers, sek)
    at.to(datetime(2026, 3, 5, 9, 0, tzinfo=UTC))
    return at, boss, north, south


def test_the_forecast_taken_on_the_first_is_measured_against_what_was_won_in_the_month(client, auth, factory):
    try:
        _, boss, north, south = _story(client, auth, factory)
        with factory() as session:
            assert session.scalar(select(func.count()).select_from(ForecastSnapshotDay)) == 1
            rows = {(r.close_month, r.owner_id, r.currency): r for r in session.scalars(select(ForecastSnapshot))}
            booked = session.scalar(select(func.count()).select_from(OutboxMessage).where(
                OutboxMessage.topic == events.PIPELINE_SNAPSHOT, OutboxMessage.done_at.is_(None)))
        # Feb: 10,000 x 50 % + 4,000 x 25 % for North; 20,000 SEK x 75 % for South; March: 6,000 x 10 %.
        assert {k: (r.weighted, r.open_value, r.open_count, r.won_value) for k, r in rows.items()} == {
            ("2026-02", north.id, "EUR"): (6000, 14000, 2, 0), ("2026-02", south.id, "SEK"): (15000, 20000, 1, 0),
            ("2026-03", north.id, "EUR"): (600, 6000, 1, 0)}
        assert booked == 1  # the next day's, booked by the run itself

        r = client.get(URL, headers=auth, params={"months": "2"})
        assert r.status_code == 200, r.text
        body = r.json()
        assert [(m["month"], m["forecast_recorded"], m["note"]) for m in body["months"]] == [
            ("2026-01", False, NO_FORECAST), ("2026-02", True, None)]
        february = _lines(body, "2026-02")
        # EUR: forecast 6,000, won 10,000 + 3,000; SEK: forecast 15,000, won 20,000. Never added together.
        assert february["EUR"] == {"owner_id": None, "owner": None, "currency": "EUR", "forecast": "6000.00",
                                   "actual": "13000.00", "difference": "7000.00", "error_percent": "116.7"}
        assert (february["SEK"]["forecast"], february["SEK"]["actual"], february["SEK"]["difference"],
                february["SEK"]["error_percent"]) == ("15000.00", "20000.00", "5000.00", "33.3")
        assert body["months"][1]["snapshot_on"] == "2026-02-01"
        assert [(s["currency"], s["months"], s["mape"], s["bias"]) for s in body["summaries"]] == [
            ("EUR", 1, "116.7", "116.7"), ("SEK", 1, "33.3", "33.3")]

        # As of a day before the month: no snapshot then; what was won is still shown, the forecast is not 0.
        early = client.get(URL, headers=auth, params={"months": "1", "lead_days": "1"}).json()
        (month,) = early["months"]
        assert (month["forecast_recorded"], month["note"]) == (False, NO_FORECAST)
        assert {x["currency"]: (x["forecast"], x["actual"], x["error_percent"]) for x in month["lines"]} == {
            "EUR": (None, "13000.00", None), "SEK": (None, "20000.00", None)}
        assert early["summaries"] == []

        # Who sees what: a rep their own figures, a manager their team's.
        for who, currencies in ((north, {"EUR"}), (south, {"SEK"}), (boss, {"EUR"})):
            seen = client.get(URL, headers=who.headers, params={"months": "1"}).json()
            assert set(_lines(seen, "2026-02")) == currencies, who.role
        assert _lines(client.get(URL, headers=south.headers, params={"months": "1"}).json(),
                      "2026-02")["SEK"]["error_percent"] == "33.3"

        by_owner = client.get(URL, headers=auth, params={"months": "1", "group": "owner"}).json()
        assert [(x["owner_id"], x["currency"], x["forecast"], x["actual"]) for x in by_owner["months"][0]["lines"]] \
            == sorted([(north.id, "EUR", "6000.00", "13000.00"), (south.id, "SEK", "15000.00", "20000.00")],
                      key=lambda x: str(x[0]))
    finally:
        clock.set_clock(None)


def test_bad_months_lead_days_or_group_answer_422_with_the_field(client, auth):
    for params, field in (({"months": "0"}, "months"), ({"months": "37"}, "months"), ({"months": "six"}, "months"),
                          ({"lead_days": "-1"}, "lead_days"), ({"lead_days": "400"}, "lead_days"),
                          ({"group": "team"}, "group")):
        r = client.get(URL, headers=auth, params=params)
        assert r.status_code == 422, (params, r.text)
        assert [e["field"] for e in r.json()["errors"]] == [field], r.text
    both = client.get(URL, headers=auth, params={"months": "x", "lead_days": "y"})
    assert {e["field"] for e in both.json()["errors"]} == {"months", "lead_days"}


def test_the_worker_takes_one_snapshot_a_day_and_books_the_next(client, auth, factory):
    rep = person(factory, "sales_rep")
    try:
        at = Clock(datetime(2026, 4, 3, 8, 0, tzinfo=UTC))
        _opportunity(client, rep.headers, lead(client, auth, owner=rep), value="500", expected_close="2026-04-30")
        _pass(factory)
        _pass(factory)  # a second worker start the same day takes nothing twice
        at.to(datetime(2026, 4, 4, 0, 6, tzinfo=UTC))
        worker.drain(factory)  # the booked run of the next day
        with factory() as session:
            days = sorted(session.scalars(select(ForecastSnapshotDay.taken_on)))
            runs = session.scalar(select(func.count()).select_from(OutboxMessage).where(
                OutboxMessage.topic == events.PIPELINE_SNAPSHOT, OutboxMessage.done_at.is_not(None)))
            rows = session.scalar(select(func.count()).select_from(ForecastSnapshot))
        assert [d.isoformat() for d in days] == ["2026-04-03", "2026-04-04"]
        assert runs == 2 and rows == 2
        at.to(at.moment + timedelta(days=1, hours=1))
        worker.drain(factory)
        with factory() as session:
            assert session.scalar(select(func.count()).select_from(ForecastSnapshotDay)) == 3
    finally:
        clock.set_clock(None)


def test_the_forecast_page_shows_the_accuracy_section_and_exports_it(client, auth, factory):
    try:
        _, _, north, _ = _story(client, auth, factory)
        admin = person(factory, "admin")
        assert sign_in(client, admin.email).status_code == 303
        page = client.get("/pipeline/forecast", params={"months": "2"})
        assert page.status_code == 200, page.text
        assert "Forecast accuracy" in page.text and 'id="forecast-accuracy-table"' in page.text
        assert NO_FORECAST in page.text and "116.7 %" in page.text and "13,000.00" in page.text
        assert 'href="/pipeline/forecast/accuracy.csv?months=2&amp;lead_days=0"' in page.text
        exported = client.get("/pipeline/forecast/accuracy.csv", params={"months": "2"})
        assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(exported.text)))
        assert [(x["month"], x["currency"], x["forecast"], x["actual"], x["error_percent"], x["note"])
                for x in rows] == [("2026-01", "", "", "", "", NO_FORECAST),
                                   ("2026-02", "EUR", "6000.00", "13000.00", "116.7", ""),
                                   ("2026-02", "SEK", "15000.00", "20000.00", "33.3", "")]
        bad = client.get("/pipeline/forecast", params={"months": "0"})
        assert bad.status_code == 422 and "Months must be a whole number from 1 to 36." in bad.text
        assert client.get("/pipeline/forecast/accuracy.csv", params={"lead_days": "-2"}).status_code == 422
    finally:
        clock.set_clock(None)
