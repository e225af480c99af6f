"""The attribution report through the API: a lead captured from two campaigns and visiting from a third before it
became an SQL and a customer, credited under each model side by side; the columns add up to the conversions; a
merged lead converts once; a salesperson sees their own leads' credit only."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.integration.analytics.story import DAY, moment
from tests.integration.people.factories import person

T0 = moment("2026-01-05 09:00")
NOW = moment("2026-06-01 12:00")
JANUARY = {"from": "2026-01-01", "to": "2026-01-31"}
MODELS = ("first_touch", "last_touch", "linear", "position")


def _campaigns(story) -> dict[str, int]:
    ids = {}
    for code, channel, source, medium in (("SPRING", "email", "newsletter", "email"),
                                          ("SUMMER", "paid_search", "google", "cpc"),
                                          ("AUTUMN", "social", "linkedin", "social")):
        r = story.client.post("/api/v1/campaigns", headers=story.auth, json={
            "name": code.title(), "code": code, "channel": channel, "source": source, "medium": medium})
        assert r.status_code == 201, r.text
        ids[code] = r.json()["id"]
    return ids


def _visit(story, lead_id: int, when, **utm) -> None:
    story.at(when)
    r = story.client.post("/api/v1/events", headers=story.auth, json={"events": [
        {"type": "page_view", "lead_id": lead_id, "occurred_at": when.isoformat(),
         "properties": {"url": "https://acme.example/offer", **utm}}]})
    assert r.status_code == 200 and r.json()["items"][0]["outcome"] == "accepted", r.text


@pytest.fixture
def touched(story, factory):
    """x: captured from SPRING, again from SUMMER, a visit from AUTUMN, then an SQL and a 9,000 EUR order; y: from
    SUMMER, an SQL; z: no campaign, an SQL; w: an SQL in February."""
    s = story
    s.at(T0 - DAY)
    campaigns = _campaigns(s)
    x = s.lead(T0, email="x@touch.example", campaign="SPRING")
    assert s.lead(T0 + 2 * DAY, email="x@touch.example", campaign="SUMMER") == x  # folded into the same lead
    _visit(s, x, T0 + 4 * DAY, utm_campaign="AUTUMN", utm_source="linkedin", utm_medium="social")
    s.move(x, T0 + 6 * DAY, "sql")
    s.won(s.opportunity(x, T0 + 8 * DAY, value="9000"), T0 + 10 * DAY)
    y = s.lead(T0 + DAY, email="y@touch.example", campaign="SUMMER")
    s.move(y, T0 + 3 * DAY, "sql")
    z = s.lead(T0 + DAY, email="z@touch.example")
    s.move(z, T0 + 2 * DAY, "sql")
    w = s.lead(T0 + 20 * DAY, email="w@touch.example", campaign="SPRING")
    s.move(w, moment("2026-02-03 09:00"), "sql")
    s.refresh(factory, NOW)
    return {"x": x, "y": y, "z": z, "w": w, **campaigns}


def _rows(body: dict) -> dict:
    return {row["label"]: row for row in body["rows"]}


def test_each_model_credits_the_touches_before_the_sql_and_the_columns_add_up(story, touched):
    r = story.get("/api/v1/analytics/attribution", goal="sql", group="campaign", **JANUARY)
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["conversions"], body["unattributed"]) == (3, 0)  # x, y, z; w became an SQL in February
    rows = _rows(body)
    assert set(rows) == {"Spring", "Summer", "Autumn", "(none)"}
    assert rows["Spring"]["conversions"] == {"first_touch": "1.0000", "last_touch": "0.0000", "linear": "0.3333",
                                             "position": "0.4000"}
    assert rows["Summer"]["conversions"] == {"first_touch": "1.0000", "last_touch": "1.0000", "linear": "1.3333",
                                             "position": "1.2000"}  # x's middle touch and all of y
    assert rows["Autumn"]["conversions"] == {"first_touch": "0.0000", "last_touch": "1.0000", "linear": "0.3333",
                                             "position": "0.4000"}
    assert rows["(none)"]["conversions"] == {m: "1.0000" for m in MODELS}  # z: its capture named no campaign
    assert body["total"]["conversions"] == {m: "3.0000" for m in MODELS}
    for model in MODELS:  # every model shares out exactly the conversions
        credited = sum(Decimal(row["conversions"][model]) for row in body["rows"])
        assert abs(credited + body["unattributed"] - body["conversions"]) < Decimal("0.001")
    assert rows["Spring"]["key"] == str(touched["SPRING"]) and rows["Summer"]["leads"] == 2
    assert body["revenue"] is None and rows["Spring"]["revenue"] is None


def test_revenue_is_credited_by_the_touches_before_the_first_order(story, touched):
    body = story.get("/api/v1/analytics/attribution", goal="revenue", group="campaign", **JANUARY).json()
    assert (body["conversions"], body["revenue"], body["unattributed"]) == (1, "9000.00", 0)
    rows = _rows(body)
    assert rows["Spring"]["revenue"] == {"first_touch": "9000.00", "last_touch": "0.00", "linear": "3000.00",
                                         "position": "3600.00"}
    assert rows["Summer"]["revenue"] == {"first_touch": "0.00", "last_touch": "0.00", "linear": "3000.00",
                                         "position": "1800.00"}
    assert rows["Autumn"]["revenue"] == {"first_touch": "0.00", "last_touch": "9000.00", "linear": "3000.00",
                                         "position": "3600.00"}
    assert body["total"]["revenue"] == {m: "9000.00" for m in MODELS}
    assert body["total"]["conversions"] == {m: "1.0000" for m in MODELS}


def test_grouped_by_source_the_visit_counts_by_its_utm_source(story, touched):
    body = story.get("/api/v1/analytics/attribution", goal="sql", group="source", **JANUARY).json()
    rows = _rows(body)
    assert {k: rows[k]["conversions"]["position"] for k in ("newsletter", "google", "linkedin")} == {
        "newsletter": "0.4000", "google": "1.2000", "linkedin": "0.4000"}
    assert body["total"]["conversions"]["linear"] == "3.0000"
    csv_lines = story.get("/api/v1/analytics/attribution", goal="sql", group="source", format="csv",
                          **JANUARY).text.strip().splitlines()
    assert csv_lines[0] == ("key,label,leads,conversions_first_touch,conversions_last_touch,conversions_linear,"
                            "conversions_position")
    assert csv_lines[-1] == ",(unattributed: no touch),0,0,0,0,0"


def test_a_lead_merged_after_capture_converts_once_with_both_sides_touches(story, factory):
    s = story
    s.at(T0 - DAY)
    _campaigns(s)
    kept = s.lead(T0, email="kept@touch.example", campaign="SPRING", first_name="Ola", last_name="Berg")
    gone = s.lead(T0 + DAY, email="gone@touch.example", campaign="AUTUMN", first_name="Ola", last_name="Berg")
    s.at(T0 + 2 * DAY)
    assert s.client.post(f"/api/v1/leads/{kept}/merge", headers=s.auth,
                         json={"other_id": gone}).status_code == 201
    s.move(kept, T0 + 3 * DAY, "sql")
    s.refresh(factory, NOW)
    body = s.get("/api/v1/analytics/attribution", goal="sql", **JANUARY).json()
    assert body["conversions"] == 1
    rows = _rows(body)
    assert {k: (r["conversions"]["first_touch"], r["conversions"]["last_touch"]) for k, r in rows.items()} == {
        "Spring": ("1.0000", "0.0000"), "Autumn": ("0.0000", "1.0000")}
    funnel = {st["step"]: st["count"] for st in s.get("/api/v1/analytics/funnel", **JANUARY).json()["steps"]}
    assert (funnel["leads"], funnel["sqls"]) == (1, 1)


def test_a_salesperson_sees_the_credit_of_their_own_leads_only(story, factory, touched):
    rep = person(factory, "sales_rep")
    story.owner(touched["y"], rep.id)
    story.refresh(factory, NOW)
    body = story.get("/api/v1/analytics/attribution", headers=rep.headers, goal="sql", **JANUARY).json()
    assert body["conversions"] == 1 and set(_rows(body)) == {"Summer"}
    assert body["total"]["conversions"] == {m: "1.0000" for m in MODELS}
    revenue = story.get("/api/v1/analytics/attribution", headers=rep.headers, goal="revenue", **JANUARY).json()
    assert (revenue["conversions"], revenue["rows"]) == (0, [])


def test_an_unknown_goal_or_group_is_refused_with_the_field(story):
    for params, field in (({"goal": "mql"}, "goal"), ({"group": "offer"}, "group")):
        r = story.get("/api/v1/analytics/attribution", **params)
        assert r.status_code == 422, r.text
        assert r.json()["errors"][0]["field"].endswith(field) and r.json()["errors"][0]["reason"]


def test_a_source_a_spreadsheet_would_run_is_quoted_in_the_csv(story, factory):
    lead_id = story.lead(T0, email="formula@touch.example", utm_source="=HYPERLINK(\"http://evil.example\")")
    story.move(lead_id, T0 + DAY, "sql")
    story.refresh(factory, NOW)
    text = story.get("/api/v1/analytics/attribution", group="source", format="csv", **JANUARY).text
    assert "'=HYPERLINK" in text and ",=HYPERLINK" not in text
