"""Campaign economics through HTTP, against a hand-computed case: a program's cost split across its campaigns by
their leads, a cost in another currency at its exchange rate, a lead merged after capture counted once, a lead
converted twice (two orders, one customer), ROI, ROAS and CPO exactly; a salesperson sees their own leads' figures
and no costs; the leads behind a figure are those one may open; the CSV and the CLI say the same."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from typer.testing import CliRunner

from leadflow import clock, worker
from leadflow.analytics import facts
from leadflow.analytics.models import ExchangeRate
from tests.integration.people.factories import lead, person
from tests.integration.people.pages import sign_in

MAY = {"from": "2026-05-01", "to": "2026-05-31"}


@pytest.fixture
def may_clock():
    clock.set_clock(lambda: datetime(2026, 5, 10, 9, 0, tzinfo=UTC))
    yield
    clock.set_clock(None)


def _settle(factory) -> None:
    """What the worker does: handle every message (marking leads stale), then refresh the stale leads' facts."""
    while worker.run_once(factory, limit=50):
        pass
    facts.run_pass(factory)


def _campaign(client, auth, **fields) -> int:
    r = client.post("/api/v1/campaigns", headers=auth, json=fields)
    assert r.status_code == 201, r.text
    return r.json()["id"]


def _cost(client, auth, campaign_id, amount, currency="EUR", day="2026-05-03"):
    r = client.post(f"/api/v1/campaigns/{campaign_id}/costs", headers=auth,
                    json={"date": day, "amount": amount, "currency": currency})
    assert r.status_code == 201, r.text


def _won(client, auth, lead_id, value, currency="EUR"):
    r = client.post("/api/v1/opportunities", headers=auth,
                    json={"lead_id": lead_id, "name": "Deal", "value": value, "currency": currency})
    assert r.status_code == 201, r.text
    r = client.post(f"/api/v1/opportunities/{r.json()['id']}/won", headers=auth, json={"reason": "price"})
    assert r.status_code == 200, r.text


@pytest.fixture
def case(client, auth, factory, may_clock):
    """Program P (EUR 1,000 of its own) over A (google, EUR 500; 3 leads: one won twice, one an SQL, one captured
    twice and merged) and B (fair, SEK 1,100 at 0.09; 1 lead won for SEK 20,000)."""
    with factory() as session:
        session.add(ExchangeRate(currency="SEK", valid_from=date(2026, 1, 1), rate=Decimal("0.09")))
        session.commit()
    program = _campaign(client, auth, name="Spring program", code="spring", channel="other")
    a = _campaign(client, auth, name="Search A", code="search-a", channel="paid_search", source="google",
                  parent_id=program)
    b = _campaign(client, auth, name="Fair B", code="fair-b", channel="trade_fair", source="fair",
                  parent_id=program)
    _cost(client, auth, program, "1000.00")
    _cost(client, auth, a, "500.00")
    _cost(client, auth, b, "1100.00", "SEK")
    _cost(client, auth, a, "999.00", day="2026-04-30")  # outside the period
    rep = person(factory, "sales_rep")
    a1 = lead(client, auth, first_name="Aino", campaign="search-a", owner=rep)
    a2 = lead(client, auth, first_name="Antti", campaign="search-a")
    a3 = lead(client, auth, first_name="Aila", email="aila@example.com", campaign="search-a")
    twin = lead(client, auth, first_name="Aila", email="aila.k@example.org", campaign="search-a")
    b1 = lead(client, auth, first_name="Birgitta", campaign="fair-b")
    assert client.post(f"/api/v1/leads/{a3}/merge", headers=auth, json={"other_id": twin}).status_code == 201
    assert client.patch(f"/api/v1/leads/{a2}", headers=auth, json={"stage": "sql"}).status_code == 200
    _won(client, auth, a1, "10000")
    _won(client, auth, a1, "5000")
    _won(client, auth, b1, "20000", "SEK")
    _settle(factory)
    return {"program": program, "a": a, "b": b, "rep": rep, "a1": a1, "a2": a2, "a3": a3, "b1": b1}


def _rows(body) -> dict:
    return {row["label"]: row for row in body["rows"]}


def test_per_campaign_the_programs_cost_is_split_by_leads_and_every_figure_is_exact(client, auth, case):
    r = client.get("/api/v1/analytics/economics", headers=auth, params={**MAY, "group": "campaign"})
    assert r.status_code == 200, r.text
    body = r.json()
    rows = _rows(body)
    assert body["currency"] == "EUR" and body["costs_shown"] is True
    a, b, program = rows["Search A"], rows["Fair B"], rows["Spring program"]
    # P's 1,000 split 3:1 by leads: A 500 + 750, B 99 (SEK 1,100 x 0.09) + 250.
    assert (a["leads"], a["sqls"], a["customers"], a["orders"], a["revenue"], a["cost"]) == (
        3, 2, 1, 2, "15000.00", "1250.00")
    assert (a["cost_per_lead"], a["cost_per_sql"], a["cost_per_order"], a["roi"], a["roas"]) == (
        "416.67", "625.00", "625.00", "11.0000", "12.0000")
    assert a["conversion"]["customers"] == "0.3333" and a["average_order"] == "7500.00"
    assert (b["leads"], b["customers"], b["orders"], b["revenue"], b["cost"], b["cost_per_order"], b["roi"]) == (
        1, 1, 1, "1800.00", "349.00", "349.00", "4.1576")
    assert (program["depth"], a["depth"], a["parent"]) == (0, 1, str(case["program"]))
    assert (program["leads"], program["orders"], program["revenue"], program["cost"], program["roi"]) == (
        4, 3, "16800.00", "1599.00", "9.5066")
    total = body["total"]
    assert (total["leads"], total["customers"], total["revenue"], total["cost"]) == (4, 2, "16800.00", "1599.00")


def test_per_source_and_the_csv_say_the_same(client, auth, case):
    body = client.get("/api/v1/analytics/economics", headers=auth, params={**MAY, "group": "source"}).json()
    rows = _rows(body)
    assert (rows["google"]["cost"], rows["google"]["roi"], rows["fair"]["cost"]) == ("1250.00", "11.0000", "349.00")
    r = client.get("/api/v1/analytics/economics", headers=auth, params={**MAY, "group": "source", "format": "csv"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    table = {row["label"]: row for row in csv.DictReader(io.StringIO(r.text))}
    assert table["google"]["cost_per_order"] == "625.00" and table["Total"]["revenue"] == "16800.00"


def test_a_campaign_given_another_source_regroups_its_leads_after_the_workers_pass(client, auth, factory, case):
    r = client.patch(f"/api/v1/campaigns/{case['b']}", headers=auth, json={"source": "partner"})
    assert r.status_code == 200, r.text
    _settle(factory)
    rows = _rows(client.get("/api/v1/analytics/economics", headers=auth, params={**MAY, "group": "source"}).json())
    assert "fair" not in rows and (rows["partner"]["leads"], rows["partner"]["cost"]) == (1, "349.00")


def test_a_salesperson_sees_their_own_leads_figures_and_no_cost(client, auth, case):
    rep = case["rep"]
    body = client.get("/api/v1/analytics/economics", headers=rep.headers, params={**MAY, "group": "source"}).json()
    assert body["costs_shown"] is False and body["total"]["cost"] is None and body["total"]["roi"] is None
    assert body["total"]["leads"] == 1 and body["total"]["orders"] == 2 and body["total"]["revenue"] == "15000.00"
    behind = client.get("/api/v1/analytics/leads", headers=rep.headers,
                        params={**MAY, "group": "campaign", "key": case["a"], "step": "sqls"}).json()
    assert [row["id"] for row in behind["leads"]] == [case["a1"]]


def test_the_leads_behind_a_figure_are_the_ones_it_counts(client, auth, factory, case):
    behind = client.get("/api/v1/analytics/leads", headers=auth,
                        params={**MAY, "group": "campaign", "key": case["program"], "step": "customers"}).json()
    assert sorted(row["id"] for row in behind["leads"]) == sorted([case["a1"], case["b1"]])
    assert sign_in(client, person(factory, "marketing").email).status_code == 303
    page = client.get("/dashboards/leads", params={**MAY, "group": "source", "key": "google", "step": "leads"})
    assert page.status_code == 200 and "Aino" in page.text and "Birgitta" not in page.text


def test_a_bad_filter_is_a_422_naming_the_field(client, auth):
    for params, field in (({"from": "2026-13-01", "to": "2026-12-01"}, "from"), ({"campaign": "x"}, "campaign"),
                          ({"period": "decade"}, "period"), ({"group": "planet"}, "group")):
        r = client.get("/api/v1/analytics/economics", headers=auth, params=params)
        assert r.status_code == 422 and field in r.text, (params, r.text)
    r = client.get("/api/v1/analytics/leads", headers=auth, params={"group": "owner", "key": "someone"})
    assert r.status_code == 422 and "key" in r.text


def test_the_marketing_dashboard(client, factory, case):
    assert sign_in(client, person(factory, "marketing").email).status_code == 303
    page = client.get("/dashboards/marketing", params={**MAY})
    assert page.status_code == 200 and "Search A" in page.text and "1,250" in page.text
    assert "/dashboards/leads?" in page.text and "step=customers" in page.text
    by_owner = client.get("/dashboards/marketing", params={**MAY, "group": "owner"})
    assert by_owner.status_code == 200 and "Costs cannot be told per" in by_owner.text
    assert client.get("/dashboards/marketing", params={"from": "2026-02-30", "to": "x"}).status_code == 422
    export = client.get("/dashboards/marketing/export", params={**MAY, "group": "campaign"})
    assert export.status_code == 200 and "Spring program" in export.text


@pytest.fixture
def cli_db(fresh_database, monkeypatch):
    from leadflow import db
    from leadflow.settings import get_settings

    db.upgrade(fresh_database.url)
    monkeypatch.setenv("LEADFLOW_DATABASE_URL", fresh_database.url)
    monkeypatch.setenv("LEADFLOW_SECRET_KEY", "test-secret-" + "x" * 40)
    get_settings.cache_clear()
    yield fresh_database
    get_settings.cache_clear()


def test_the_cli_rebuilds_refreshes_and_reports(cli_db):
    from leadflow.cli import app

    runner = CliRunner()
    assert "leads' facts rebuilt" in runner.invoke(app, ["analytics", "rebuild"], catch_exceptions=False).output
    assert "stale leads refreshed" in runner.invoke(app, ["analytics", "refresh"], catch_exceptions=False).output
    out = runner.invoke(app, ["analytics", "economics", "--period", "this_year", "--csv"], catch_exceptions=False)
    assert out.exit_code == 0 and out.output.startswith("key,label,depth,leads")
    bad = runner.invoke(app, ["analytics", "economics", "--group", "planet"], catch_exceptions=False)
    assert bad.exit_code == 1 and "group: one of campaign" in bad.output


def test_the_sales_and_management_dashboards_as_each_role_sees_them(client, factory, case):
    from leadflow.analytics.models import RevenueTarget

    with factory() as session:
        session.add(RevenueTarget(month=date(2026, 5, 1), team_key=0, amount=Decimal("20000")))
        session.commit()
    assert sign_in(client, person(factory, "sales_manager").email).status_code == 303
    sales = client.get("/dashboards/sales")
    assert sales.status_code == 200 and "Followed up" in sales.text
    admin = person(factory, "admin")
    client.cookies.clear()
    assert sign_in(client, admin.email).status_code == 303
    page = client.get("/dashboards/management")
    assert page.status_code == 200, page.text
    # May's revenue from marketing leads (every lead here came from a campaign): 15,000 + 1,800 EUR, target 20,000.
    assert "Revenue from marketing leads against target" in page.text and "16800" in page.text.replace(",", "")
    assert "mg-revenue" in page.text and "How well past forecasts held" in page.text
    client.cookies.clear()
    assert sign_in(client, case["rep"].email).status_code == 303
    mine = client.get("/dashboards/management")
    assert mine.status_code == 200 and "Marketing cost" not in mine.text  # a rep sees no costs
    assert "1800" not in mine.text.replace(",", "").replace(".00", "")  # nor another rep's revenue
