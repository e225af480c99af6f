"""The funnel, the monthly cohorts and the 25/25/50 split through the API, the pages and the command line, from leads
whose stories are told through the API at chosen moments: exact counts, conversions, medians and leaks, hand
computed."""

from __future__ import annotations

import pytest

from tests.integration.analytics.story import DAY, moment
from tests.integration.people.factories import person

T0 = moment("2026-01-05 09:00")
NOW = moment("2026-06-01 12:00")
JANUARY = {"from": "2026-01-01", "to": "2026-01-31"}


@pytest.fixture
def january(story, factory):
    """Six leads in January and one in February:

    | lead | came in | MQL | SQL | opportunity | customer | now |
    |---|---|---|---|---|---|---|
    | a | T0 | +1 | +3 | +5 | +15 (won twice: 10,000 + 5,000) | customer |
    | b | T0+1 | +2 | +6 | | | disqualified at +8 |
    | c | T0+2 | +3 | | | | nurture at +5 |
    | d | T0+3 | | | | | new |
    | e | T0+4 | | | | | disqualified at +1 |
    | f | T0+5 | +1 | +2 | +4 | | recycled at +10 |
    | g | 2026-02-02 | +1 | | | | mql |
    """
    s = story
    a = s.lead(T0, email="a@funnel.example")
    s.move(a, T0 + DAY, "mql")
    s.move(a, T0 + 3 * DAY, "sql")
    first = s.opportunity(a, T0 + 5 * DAY)
    s.won(first, T0 + 15 * DAY)
    second = s.opportunity(a, T0 + 20 * DAY, value="5000")
    s.won(second, T0 + 21 * DAY)
    b = s.lead(T0 + DAY, email="b@funnel.example")
    s.move(b, T0 + 3 * DAY, "mql")
    s.move(b, T0 + 7 * DAY, "sql")
    s.move(b, T0 + 9 * DAY, "disqualified", reason="no_budget")
    c = s.lead(T0 + 2 * DAY, email="c@funnel.example")
    s.move(c, T0 + 5 * DAY, "mql")
    s.move(c, T0 + 7 * DAY, "nurture")
    d = s.lead(T0 + 3 * DAY, email="d@funnel.example")
    e = s.lead(T0 + 4 * DAY, email="e@funnel.example")
    s.move(e, T0 + 5 * DAY, "disqualified", reason="spam")
    f = s.lead(T0 + 5 * DAY, email="f@funnel.example")
    s.move(f, T0 + 6 * DAY, "mql")
    s.move(f, T0 + 7 * DAY, "sql")
    s.opportunity(f, T0 + 9 * DAY)
    s.move(f, T0 + 15 * DAY, "recycled")
    g = s.lead(moment("2026-02-02 09:00"), email="g@funnel.example")
    s.move(g, moment("2026-02-03 09:00"), "mql")
    s.refresh(factory, NOW)
    return {"a": a, "b": b, "c": c, "d": d, "e": e, "f": f, "g": g}


def _steps(body: dict) -> dict:
    return {s["step"]: s for s in body["steps"]}


def test_the_funnel_counts_each_step_reached_with_conversions_medians_and_where_the_stopped_leads_are(
        story, january):
    r = story.get("/api/v1/analytics/funnel", **JANUARY)
    assert r.status_code == 200, r.text
    steps = _steps(r.json())
    assert {k: s["count"] for k, s in steps.items()} == {"leads": 6, "mqls": 4, "sqls": 3, "opportunities": 2,
                                                        "customers": 1}
    assert [steps[k]["conversion_from_previous"] for k in ("mqls", "sqls", "opportunities", "customers")] == [
        "0.6667", "0.7500", "0.6667", "0.5000"]
    assert [steps[k]["conversion_from_leads"] for k in ("mqls", "sqls", "opportunities", "customers")] == [
        "0.6667", "0.5000", "0.3333", "0.1667"]
    # lead -> MQL: 1, 2, 3, 1 days; MQL -> SQL: 2, 4, 1; SQL -> opportunity: 2, 2; opportunity -> customer: 10
    assert [steps[k]["median_days_from_previous"] for k in ("mqls", "sqls", "opportunities", "customers")] == [
        "1.5", "2.0", "2.0", "10.0"]
    # from coming in: SQL 3, 6, 2; opportunity 5, 4; customer 15
    assert [steps[k]["median_days_from_lead"] for k in ("mqls", "sqls", "opportunities", "customers")] == [
        "1.5", "3.0", "4.5", "15.0"]
    assert steps["leads"]["median_days_from_previous"] is None
    assert steps["leads"]["stopped_here"] == {"open": 1, "disqualified": 1, "nurture": 0, "recycled": 0}
    assert steps["mqls"]["stopped_here"] == {"open": 0, "disqualified": 0, "nurture": 1, "recycled": 0}
    assert steps["sqls"]["stopped_here"] == {"open": 0, "disqualified": 1, "nurture": 0, "recycled": 0}
    assert steps["opportunities"]["stopped_here"] == {"open": 0, "disqualified": 0, "nurture": 0, "recycled": 1}
    assert steps["customers"]["stopped_here"] is None

    csv_text = story.get("/api/v1/analytics/funnel", format="csv", **JANUARY)
    assert csv_text.status_code == 200 and csv_text.headers["content-type"].startswith("text/csv")
    lines = csv_text.text.strip().splitlines()
    assert lines[0].startswith("step,label,count,conversion_from_previous")
    assert lines[2] == "mqls,MQLs,4,0.6667,0.6667,1.5,1.5,0,0,1,0"


def test_cohorts_per_month_with_shares_orders_revenue_medians_and_the_young_ones_marked(story, january):
    r = story.get("/api/v1/analytics/cohorts", **{"from": "2026-01-01", "to": "2026-03-31"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert [c["month"] for c in body["cohorts"]] == ["2026-01", "2026-02", "2026-03"]
    jan, feb, mar = body["cohorts"]
    assert (jan["leads"], jan["mqls"], jan["sqls"], jan["opportunities"], jan["customers"]) == (6, 4, 3, 2, 1)
    assert jan["share"] == {"mqls": "0.6667", "sqls": "0.5000", "opportunities": "0.3333", "customers": "0.1667"}
    assert (jan["orders"], jan["revenue"]) == (2, "15000.00")  # a lead won twice: two orders, one customer
    assert (jan["median_days_to_sql"], jan["median_days_to_customer"]) == ("3.0", "15.0")
    assert (feb["leads"], feb["mqls"], feb["sqls"], feb["median_days_to_sql"]) == (1, 1, 0, None)
    assert (mar["leads"], mar["share"]["mqls"]) == (0, None)
    # young: the month ended fewer than 90 days before 2026-06-01
    assert [c["young"] for c in body["cohorts"]] == [False, False, True]


def test_the_split_against_25_25_50_with_the_gap_in_points(story, january):
    r = story.get("/api/v1/analytics/split", **JANUARY)
    assert r.status_code == 200, r.text
    parts = {p["part"]: p for p in r.json()["parts"]}
    # within 7 days: a (SQL at 3), b (SQL at 6), f (SQL at 2) Sales Ready; e disqualified at 1; c and d the rest
    assert {k: p["leads"] for k, p in parts.items()} == {"sales_ready": 3, "discarded": 1, "nurture": 2}
    assert {k: p["share"] for k, p in parts.items()} == {"sales_ready": "0.5000", "discarded": "0.1667",
                                                         "nurture": "0.3333"}
    assert {k: p["gap_points"] for k, p in parts.items()} == {"sales_ready": "25.0", "discarded": "-8.3",
                                                              "nurture": "-16.7"}
    assert r.json()["pending"] == 0
    five = {p["part"]: p["leads"] for p in story.get("/api/v1/analytics/split", days=5, **JANUARY).json()["parts"]}
    assert five == {"sales_ready": 2, "discarded": 1, "nurture": 3}  # b's SQL (6) and disqualifying (8) too late


def test_a_merged_lead_counts_once(story, factory):
    s = story
    kept = s.lead(T0, email="kept@merge.example", first_name="Kim", last_name="Kept")
    gone = s.lead(T0 + DAY, email="gone@merge.example", first_name="Kim", last_name="Kept")
    s.at(T0 + 2 * DAY)
    merged = s.client.post(f"/api/v1/leads/{kept}/merge", headers=s.auth, json={"other_id": gone})
    assert merged.status_code == 201, merged.text
    s.move(kept, T0 + 3 * DAY, "mql")
    s.refresh(factory, NOW)
    steps = _steps(s.get("/api/v1/analytics/funnel", **JANUARY).json())
    assert (steps["leads"]["count"], steps["mqls"]["count"]) == (1, 1)


def test_a_salesperson_sees_only_their_own_leads_figures(story, factory, january):
    rep, other = person(factory, "sales_rep"), person(factory, "sales_rep")
    story.owner(january["a"], rep.id)
    story.owner(january["b"], other.id)
    story.refresh(factory, NOW)
    mine = _steps(story.get("/api/v1/analytics/funnel", headers=rep.headers, **JANUARY).json())
    assert {k: s["count"] for k, s in mine.items()} == {"leads": 1, "mqls": 1, "sqls": 1, "opportunities": 1,
                                                       "customers": 1}
    theirs = story.get("/api/v1/analytics/funnel", headers=rep.headers, owner=str(other.id), **JANUARY).json()
    assert _steps(theirs)["leads"]["count"] == 0
    cohorts = story.get("/api/v1/analytics/cohorts", headers=other.headers, **JANUARY).json()["cohorts"]
    assert [(c["leads"], c["sqls"], c["customers"]) for c in cohorts] == [(1, 1, 0)]
    telemarketer = person(factory, "telemarketer")
    refused = story.get("/api/v1/analytics/funnel", headers=telemarketer.headers, **JANUARY)
    assert refused.status_code == 403


def test_bad_filters_answer_422_with_the_field_and_reason(story):
    for params, field in (({"from": "2026-13-01", "to": "2026-12-31"}, "from"), ({"period": "decade"}, "period"),
                          ({"campaign": "x"}, "campaign")):
        for path in ("funnel", "cohorts", "split", "attribution"):
            r = story.get(f"/api/v1/analytics/{path}", **params)
            assert r.status_code == 422, (path, r.text)
            assert r.json()["errors"][0]["field"] == field and r.json()["errors"][0]["reason"], r.text
    r = story.get("/api/v1/analytics/split", days=0)
    assert r.status_code == 422 and r.json()["errors"][0]["field"].endswith("days")
