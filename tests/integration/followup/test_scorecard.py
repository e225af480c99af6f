"""The scorecard through HTTP on both databases: every figure of a small hand-computed case per rep, team and in
total; the seeds' money table reproduced from data; who sees which rows; norms edited and the flags following; CSV."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from leadflow import clock
from tests.integration.followup import factories as f
from tests.integration.people.factories import person, team

NOW = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)
MARCH = {"from": "2026-03-01", "to": "2026-03-31"}


def at(day: int, hour: int = 9, month: int = 3) -> datetime:
    return datetime(2026, month, day, hour, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def frozen():
    clock.set_clock(lambda: NOW)
    yield
    clock.set_clock(None)


@pytest.fixture
def story(factory):
    """Reps A and B in North (managed by M), C in South; hand-overs in March and one in February."""
    manager = person(factory, "sales_manager")
    team(factory, "North", manager=manager.email)
    team(factory, "South")
    a, b = person(factory, "sales_rep", team="North"), person(factory, "sales_rep", team="North")
    c = person(factory, "sales_rep", team="South")
    with factory() as s:
        l0, l1, l2, l3, l4, l5, l6 = (f.lead(s) for _ in range(7))
        f.handover(s, l0, a.id, handed_at=at(27, month=2), contact_after=1)  # before the period
        f.handover(s, l1, a.id, handed_at=at(2), contact_after=2, source="web")  # 2 h
        f.quote(s, l1, status="sent")
        f.won(s, l1, value="20000", closed_at=at(12))  # 10 days
        f.handover(s, l2, a.id, handed_at=at(3), contact_after=28, source="web")  # late: overdue
        f.quote(s, l2, status="draft")  # a draft is no quote made
        f.won(s, l2, value="10000", closed_at=at(8))  # 5 days
        f.handover(s, l3, a.id, handed_at=at(5), status="reassigned", source="web")  # open past due: overdue
        f.handover(s, l3, b.id, handed_at=at(7), contact_after=6, source="web")  # B: 6 h
        f.handover(s, l4, a.id, handed_at=at(19, 12), hours=30, source="web")  # due after NOW: not overdue
        f.handover(s, l5, b.id, handed_at=at(10, 8), contact_after=1, source="fair")  # 1 h
        f.quote(s, l5, status="accepted")
        f.won(s, l5, value="5000", currency="USD", closed_at=at(15, 8))  # 5 days
        f.lost(s, l5, value="999", closed_at=at(16))
        f.handover(s, l6, c.id, handed_at=at(15, 10), status="closed", closed_at=at(15, 12), source="fair")
        s.commit()
    return {"a": a, "b": b, "c": c, "manager": manager}


def _get(client, headers, **params):
    r = client.get("/api/v1/scorecard", headers=headers, params={**MARCH, **params})
    assert r.status_code == 200, r.text
    return r.json()


def _figures(row) -> dict:
    return {k: v["value"] for k, v in row["figures"].items()}


def test_every_figure_of_a_small_case_per_rep(client, auth, story):
    body = _get(client, auth, group="rep")
    rows = {r["key"]: r for r in body["rows"]}
    assert set(rows) == {story["a"].id, story["b"].id, story["c"].id}
    a, b, c = rows[story["a"].id], rows[story["b"].id], rows[story["c"].id]
    assert (a["handed_over"], a["followed_up"], a["overdue"], a["quoted"], a["won"]) == (4, 2, 2, 1, 2)
    assert _figures(a) == {"followed_up_pct": "50.0", "overdue_pct": "50.0", "first_contact_hours": "15.0",
                           "quote_pct": "25.0", "won_pct": "50.0", "average_order": "15000.00",
                           "sales_cycle_days": "7.5"}
    assert {k for k, v in a["figures"].items() if v["short"]} == {"followed_up_pct", "overdue_pct", "quote_pct"}
    assert a["figures"]["quote_pct"]["reason"] == "Quote made: 25.0 %, below the norm of at least 80.0 %"
    assert a["money"]["order_value"] == "15000.00" and a["money"]["win_rate"] == "1"
    assert [(r["rate"], r["revenue"], r["actual"]) for r in a["money"]["rows"]] == [
        ("0.25", "15000.00", False), ("0.5", "30000.00", True), ("0.75", "45000.00", False),
        ("1", "60000.00", False)]
    assert a["money"]["left_on_the_table"] == "30000.00"

    assert (b["handed_over"], b["followed_up"], b["overdue"], b["quoted"], b["won"]) == (2, 2, 0, 1, 1)
    assert _figures(b)["first_contact_hours"] == "3.5" and _figures(b)["sales_cycle_days"] == "5.0"
    # B won in USD only: shown in USD, not judged against the EUR norm, never added to euros
    assert b["average_orders"] == {"USD": "5000.00"} and b["money"]["currency"] == "USD"
    assert not b["figures"]["average_order"]["short"]
    assert b["figures"]["average_order"]["reason"] == "the norm is in EUR; this figure is in USD"

    # closed (a stage move) before its due without a contact: not overdue, not followed up
    assert (c["handed_over"], c["followed_up"], c["overdue"], c["won"]) == (1, 0, 0, 0)
    assert _figures(c)["first_contact_hours"] is None and _figures(c)["average_order"] is None

    total = body["total"]  # one per lead: L3 counts once, followed up (by B), overdue (A's hand-over)
    assert (total["handed_over"], total["followed_up"], total["overdue"], total["quoted"], total["won"]) == \
        (6, 4, 2, 2, 3)
    assert _figures(total)["first_contact_hours"] == "15.0"  # 1, 2, 28, 54 hours
    assert _figures(total)["sales_cycle_days"] == "5.0"  # 5, 5, 10 days
    assert total["orders"] == {"EUR": {"count": 2, "total": "30000.00"}, "USD": {"count": 1, "total": "5000.00"}}


def test_per_team_a_lead_handed_from_one_rep_to_another_counts_once(client, auth, story, factory):
    rows = {r["label"]: r for r in _get(client, auth, group="team")["rows"]}
    north = rows["North"]
    assert (north["handed_over"], north["followed_up"], north["overdue"], north["quoted"], north["won"]) == \
        (5, 4, 2, 2, 3)
    assert _figures(north)["first_contact_hours"] == "15.0"  # 1, 2, 28, 54 (L3: from A's hand-over to B's call)
    assert rows["South"]["handed_over"] == 1
    sources = {r["key"]: r["handed_over"] for r in _get(client, auth, group="source")["rows"]}
    assert sources == {"web": 4, "fair": 2}


def test_a_rep_sees_only_their_own_row_and_cannot_ask_for_anothers(client, story):
    a, b = story["a"], story["b"]
    body = _get(client, a.headers, group="rep")
    assert [r["key"] for r in body["rows"]] == [a.id] and body["total"]["handed_over"] == 4
    assert [r["handed_over"] for r in _get(client, a.headers, group="team")["rows"]] == [4]
    r = client.get("/api/v1/scorecard", headers=a.headers, params={**MARCH, "owner": b.id})
    assert r.status_code == 404
    assert _get(client, a.headers, owner=a.id)["rows"][0]["key"] == a.id


def test_a_manager_sees_their_teams_reps(client, story):
    keys = {r["key"] for r in _get(client, story["manager"].headers, group="rep")["rows"]}
    assert keys == {story["a"].id, story["b"].id}
    r = client.get("/api/v1/scorecard", headers=story["manager"].headers, params={**MARCH, "owner": story["c"].id})
    assert r.status_code == 404


def test_the_seeds_money_table_from_data(client, auth, factory):
    rep = person(factory, "sales_rep")
    with factory() as s:
        for i in range(100):
            lead_id = f.lead(s)
            f.handover(s, lead_id, rep.id, handed_at=at(2) + timedelta(minutes=i), contact_after=3 if i < 25 else None)
            if i < 5:  # 5 of the 25 followed up won at EUR 22,500: 0.2 x 22,500 = 4,500 per followed-up lead
                f.won(s, lead_id, value="22500", closed_at=at(20))
        s.commit()
    (row,) = _get(client, auth, group="rep")["rows"]
    table = row["money"]
    assert (table["handed_over"], table["currency"], table["value_per_followed_up_lead"]) == (100, "EUR", "4500.00")
    assert [(r["rate"], r["revenue"]) for r in table["rows"]] == [
        ("0.25", "112500.00"), ("0.50", "225000.00"), ("0.75", "337500.00"), ("1", "450000.00")]
    assert [r["actual"] for r in table["rows"]] == [True, False, False, False]
    assert table["left_on_the_table"] == "337500.00"


def test_norms_edited_change_the_flags_and_only_policy_setters_may(client, auth, story):
    a = story["a"]
    assert _get(client, auth)["rows"][0]["figures"]["followed_up_pct"]["short"] is True
    r = client.put("/api/v1/scorecard/norms", headers=a.headers, json={"norms": [{"key": "won_pct", "value": "1"}]})
    assert r.status_code == 403
    r = client.put("/api/v1/scorecard/norms", headers=story["manager"].headers,
                   json={"norms": [{"key": "followed_up_pct", "value": "50"}, {"key": "won_pct", "value": "60"},
                                   {"key": "average_order", "value": "12000", "currency": "eur"}]})
    assert r.status_code == 200, r.text
    saved = {n["key"]: (n["value"], n["currency"]) for n in r.json()}
    assert saved["followed_up_pct"] == ("50.00", None) and saved["average_order"] == ("12000.00", "EUR")
    rows = {row["key"]: row for row in _get(client, auth)["rows"]}
    checks = rows[a.id]["figures"]
    assert not checks["followed_up_pct"]["short"] and checks["won_pct"]["short"]
    assert checks["won_pct"]["reason"] == "Won: 50.0 %, below the norm of at least 60.0 %"
    assert client.get("/api/v1/scorecard/norms", headers=a.headers).json()[0]["value"] == "50.00"


def test_bad_input_is_a_422_with_the_field(client, auth, story):
    r = client.put("/api/v1/scorecard/norms", headers=auth,
                   json={"norms": [{"key": "won_pct", "value": "30"}, {"key": "won_pct", "value": "abc"},
                                   {"key": "speed", "value": "1"},
                                   {"key": "sales_cycle_days", "value": "0.0000001"}]})
    assert r.status_code == 422
    fields = {e["field"] for e in r.json()["errors"]}
    assert fields == {"norms[1].value", "norms[2].key", "norms[3].value"}
    assert client.get("/api/v1/scorecard/norms", headers=auth).json()[4]["value"] == "25.00"  # nothing saved
    for params, field in (({"group": "region"}, "group"), ({"from": "2026-03-31", "to": "2026-03-01"}, "to"),
                          ({"from": "2026-03-01"}, "to"), ({"from": "yesterday", "to": "2026-03-01"}, "from")):
        r = client.get("/api/v1/scorecard", headers=auth, params=params)
        assert r.status_code == 422, (params, r.text)
        assert field in {e["field"] for e in r.json()["errors"]}, r.json()


def test_named_periods(client, auth, story):
    assert _get(client, auth, **{"from": None, "to": None})["from"].startswith("2026-03-01")
    body = client.get("/api/v1/scorecard", headers=auth, params={"period": "last_month"}).json()
    assert body["from"].startswith("2026-02-01") and body["to"].startswith("2026-03-01")
    assert body["total"]["handed_over"] == 1
    body = client.get("/api/v1/scorecard", headers=auth, params={"period": "quarter"}).json()
    assert body["from"].startswith("2026-01-01") and body["to"].startswith("2026-04-01")
    assert body["total"]["handed_over"] == 7


def test_the_table_as_csv(client, auth, story):
    r = client.get("/api/v1/scorecard", headers=auth, params={**MARCH, "group": "team", "format": "csv"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    lines = r.text.strip().splitlines()
    assert lines[0].startswith("group,key,label,handed_over,followed_up,followed_up_pct")
    north = next(line for line in lines if ",North," in line).split(",")
    assert north[3:6] == ["5", "4", "80.0"]
    assert lines[-1].split(",")[2] == "All"


def test_the_scorecard_takes_as_many_statements_for_many_reps_as_for_a_few(client, auth, story, factory, connection):
    from sqlalchemy import event

    statements = []

    def counted(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(connection, "before_cursor_execute", counted)
    try:
        _get(client, auth, group="rep")  # the key's first use of the test writes its last use: not counted
        statements.clear()
        _get(client, auth, group="rep")
        few = len(statements)
        for _ in range(12):
            other = person(factory, "sales_rep", team="South")
            with factory() as s:
                lead_id = f.lead(s)
                f.handover(s, lead_id, other.id, handed_at=at(4), contact_after=5)
                f.won(s, lead_id, value="7000", closed_at=at(9))
                s.commit()
        statements.clear()
        body = _get(client, auth, group="rep")
        assert len(body["rows"]) == 15
        assert len(statements) == few
    finally:
        event.remove(connection, "before_cursor_execute", counted)


def test_a_hand_over_taken_back_before_its_due_time_is_not_overdue(client, auth, factory):
    rep, other = person(factory, "sales_rep"), person(factory, "sales_rep")
    with factory() as s:
        early, late = f.lead(s), f.lead(s)
        row = f.handover(s, early, rep.id, handed_at=at(2), status="reassigned")
        row.reassigned_at = at(2, 15)  # six hours in, before its due time
        f.handover(s, early, other.id, handed_at=at(2, 15), contact_after=1)
        row = f.handover(s, late, rep.id, handed_at=at(3), status="reassigned")
        row.reassigned_at = at(4, 12)  # after its due time: it was overdue
        s.commit()
    rows = {r["key"]: r for r in _get(client, auth, group="rep")["rows"]}
    assert (rows[rep.id]["handed_over"], rows[rep.id]["followed_up"], rows[rep.id]["overdue"]) == (2, 0, 1)
    assert (rows[other.id]["handed_over"], rows[other.id]["overdue"]) == (1, 0)
