"""Analytics settings as marketing and admins set them: the API (lists in, each problem named by its place), the
page (problems by field, CSRF), new rates converting the revenue again after the worker's rebuild, a norm flagging a
row below it in the economics, a new reporting currency that needs its rates, and two admins saving at once."""

from __future__ import annotations

import threading
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.exc import DBAPIError

from leadflow import clock, db, events, worker
from leadflow.analytics import settings_service
from leadflow.analytics.models import ExchangeRate, RevenueTarget, RoiNorm
from tests.integration.analytics import figures
from tests.integration.followup.factories import published
from tests.integration.people.factories import person, team
from tests.integration.people.pages import form_token, sign_in

API = "/api/v1/analytics"
PAGE = "/settings/analytics"


def _fields(response) -> dict[str, str]:
    body = response.json()
    return {e["field"]: e["reason"] for e in body.get("errors", [])}


def test_marketing_sets_the_settings_and_each_problem_is_named_by_its_place(client, factory):
    marketing = person(factory, "marketing")
    rep = person(factory, "sales_rep")
    assert client.get(f"{API}/settings", headers=rep.headers).status_code == 403
    assert client.put(f"{API}/rates", headers=rep.headers, json={"rates": []}).status_code == 403

    start = client.get(f"{API}/settings", headers=marketing.headers).json()
    assert start == {"reporting_currency": "EUR", "roi_norm": None, "stop_after_leads": 1000, "stop_after_months": 6}
    saved = client.put(f"{API}/settings", headers=marketing.headers,
                       json={"roi_norm": "150", "stop_after_leads": 500, "stop_after_months": 3})
    assert saved.status_code == 200, saved.text
    assert saved.json()["roi_norm"] == "150" and saved.json()["stop_after_leads"] == 500

    bad = client.put(f"{API}/settings", headers=marketing.headers,
                     json={"roi_norm": "1.234", "stop_after_months": 0, "colour": "red"})
    assert bad.status_code == 422 and set(_fields(bad)) == {"colour"}
    bad = client.put(f"{API}/settings", headers=marketing.headers, json={"roi_norm": "1.234", "stop_after_months": 0})
    assert bad.status_code == 422 and set(_fields(bad)) == {"roi_norm", "stop_after_months"}

    bad = client.put(f"{API}/rates", headers=marketing.headers, json={"rates": [
        {"currency": "usd", "valid_from": "2026-01-01", "rate": "0.92"},
        {"currency": "GBP", "valid_from": "2026-01-01", "rate": "-1"},
        {"currency": "DOLLARS", "valid_from": "2026-13-01", "rate": "1.123456789"},
        {"currency": "EUR", "valid_from": "2026-01-01", "rate": "1"},
        {"currency": "USD", "valid_from": "2026-01-01", "rate": "0.93"}]})
    assert bad.status_code == 422
    problems = _fields(bad)
    assert set(problems) == {"rates[1].rate", "rates[2].currency", "rates[2].valid_from", "rates[2].rate",
                             "rates[3].currency", "rates[4].valid_from"}, problems
    assert "8 decimals" in problems["rates[2].rate"] and "reporting currency" in problems["rates[3].currency"]
    assert client.get(f"{API}/rates", headers=marketing.headers).json()["rates"] == []

    ok = client.put(f"{API}/rates", headers=marketing.headers, json={"rates": [
        {"currency": "usd", "valid_from": "2026-01-01", "rate": "0.92"},
        {"currency": "USD", "valid_from": "2026-06-01", "rate": "0.9"}]})
    assert ok.status_code == 200, ok.text
    replaced = client.put(f"{API}/rates", headers=marketing.headers, json={"rates": [
        {"currency": "USD", "valid_from": "2026-06-01", "rate": "0.88"}]})
    assert replaced.json()["rates"] == [{"currency": "USD", "valid_from": "2026-01-01", "rate": "0.92"},
                                        {"currency": "USD", "valid_from": "2026-06-01", "rate": "0.88"}]
    assert client.delete(f"{API}/rates", headers=marketing.headers,
                         params={"currency": "USD", "valid_from": "2026-06-01"}).status_code == 204
    assert client.delete(f"{API}/rates", headers=marketing.headers,
                         params={"currency": "USD", "valid_from": "2026-06-01"}).status_code == 404
    assert len(client.get(f"{API}/rates", headers=marketing.headers).json()["rates"]) == 1

    bad = client.put(f"{API}/roi-norms", headers=marketing.headers, json={"norms": [
        {"dimension": "planet", "value": "mars", "min_roi": "100"},
        {"dimension": "campaign", "value": "google", "min_roi": "100"},
        {"dimension": "source", "value": "google", "min_roi": "1.001"}]})
    assert bad.status_code == 422 and set(_fields(bad)) == {"norms[0].dimension", "norms[1].value",
                                                            "norms[2].min_roi"}
    ok = client.put(f"{API}/roi-norms", headers=marketing.headers, json={"norms": [
        {"dimension": "source", "value": "Google", "min_roi": "150"},
        {"dimension": "medium", "value": "cpc", "min_roi": "-20.5"}]})
    assert ok.status_code == 200, ok.text
    again = client.put(f"{API}/roi-norms", headers=marketing.headers, json={"norms": [
        {"dimension": "source", "value": "google", "min_roi": "200"}]})
    assert {(n["dimension"], n["value"], n["min_roi"]) for n in again.json()["norms"]} == {
        ("source", "google", "200"), ("medium", "cpc", "-20.5")}
    with factory() as session:
        assert session.scalar(select(RoiNorm.min_roi).where(RoiNorm.value_key == "google")) == Decimal("2")

    sales = team(factory, "Nordics")
    bad = client.put(f"{API}/targets", headers=marketing.headers, json={"targets": [
        {"month": "2027-13", "amount": "100"}, {"month": "2027-01", "team": 999999, "amount": "x"}]})
    assert bad.status_code == 422 and set(_fields(bad)) == {"targets[0].month", "targets[1].team",
                                                            "targets[1].amount"}
    with factory() as session:
        from leadflow.people.models import Team

        team_id = session.scalar(select(Team.id).where(Team.name == sales))
    ok = client.put(f"{API}/targets", headers=marketing.headers, json={"targets": [
        {"month": "2027-01", "amount": "50000"}, {"month": "2027-01", "team": team_id, "amount": "20000"}]})
    assert ok.status_code == 200, ok.text
    assert [(t["month"], t["team_name"], t["amount"]) for t in ok.json()["targets"]] == [
        ("2027-01", None, "50000.00"), ("2027-01", "Nordics", "20000.00")]
    assert client.delete(f"{API}/targets", headers=marketing.headers,
                         params={"month": "2027-01", "team": str(team_id)}).status_code == 204
    assert len(client.get(f"{API}/targets", headers=marketing.headers).json()["targets"]) == 1


def test_new_rates_convert_the_revenue_again_once_the_worker_rebuilt_the_facts(client, factory):
    admin = person(factory, "admin")
    moment = clock.now() - timedelta(days=3)
    with factory() as session:
        google = figures.campaign(session, source="google")
        lead_id = figures.lead(session, campaign_id=google, created_at=moment, stage="customer", won="1000",
                               currency="USD")
        figures.refresh(session, [lead_id])
        session.commit()
    before = client.get(f"{API}/economics", headers=admin.headers, params={"group": "source"}).json()
    assert before["total"]["revenue"] == "0.00" and before["total"]["unconverted_orders"] == 1

    assert client.put(f"{API}/rates", headers=admin.headers, json={"rates": [
        {"currency": "USD", "valid_from": "2020-01-01", "rate": "0.5"}]}).status_code == 200
    assert published(factory, events.ANALYTICS_REBUILD) == [{"after": 0}]
    worker.drain(factory)
    after = client.get(f"{API}/economics", headers=admin.headers, params={"group": "source"}).json()
    assert after["total"]["revenue"] == "500.00" and after["total"]["unconverted_orders"] == 0


def test_a_norm_flags_the_rows_below_it_in_the_economics(client, factory):
    marketing = person(factory, "marketing")
    moment = clock.now() - timedelta(days=3)
    with factory() as session:
        google = figures.campaign(session, source="google")
        figures.cost(session, google, amount="1000", on=moment.date())
        ids = [figures.lead(session, campaign_id=google, created_at=moment, stage="customer", won="1200"),
               figures.lead(session, campaign_id=google, created_at=moment)]
        figures.refresh(session, ids)
        session.commit()

    def google_row():
        report = client.get(f"{API}/economics", headers=marketing.headers, params={"group": "source"}).json()
        return next(r for r in report["rows"] if r["key"] == "google")

    row = google_row()
    assert row["roi"] == "0.2000" and row["roi_norm"] is None and row["below_norm"] is False
    client.put(f"{API}/roi-norms", headers=marketing.headers,
               json={"norms": [{"dimension": "source", "value": "GOOGLE", "min_roi": "150"}]})
    row = google_row()
    assert row["roi_norm"] == "1.5000" and row["below_norm"] is True
    client.put(f"{API}/roi-norms", headers=marketing.headers,
               json={"norms": [{"dimension": "source", "value": "google", "min_roi": "10"}]})
    assert google_row()["below_norm"] is False
    assert client.delete(f"{API}/roi-norms", headers=marketing.headers,
                         params={"dimension": "source", "value": "Google"}).status_code == 204
    client.put(f"{API}/settings", headers=marketing.headers, json={"roi_norm": "50"})
    row = google_row()
    assert row["roi_norm"] == "0.5000" and row["below_norm"] is True


def test_a_new_reporting_currency_needs_a_rate_for_each_other_currency(client, factory):
    admin = person(factory, "admin")
    client.put(f"{API}/rates", headers=admin.headers,
               json={"rates": [{"currency": "USD", "valid_from": "2026-01-01", "rate": "0.9"}]})
    before = len(published(factory, events.ANALYTICS_REBUILD))
    bad = client.put(f"{API}/settings", headers=admin.headers, json={"reporting_currency": "USD"})
    assert bad.status_code == 422 and "EUR" in _fields(bad)["rates"]
    bad = client.put(f"{API}/settings", headers=admin.headers, json={
        "reporting_currency": "USD", "rates": [{"currency": "EUR", "valid_from": "2026-01-01", "rate": "0"}]})
    assert bad.status_code == 422 and set(_fields(bad)) == {"rates[0].rate"}
    ok = client.put(f"{API}/settings", headers=admin.headers, json={
        "reporting_currency": "usd", "rates": [{"currency": "EUR", "valid_from": "2026-01-01", "rate": "1.1"}]})
    assert ok.status_code == 200 and ok.json()["reporting_currency"] == "USD"
    assert client.get(f"{API}/rates", headers=admin.headers).json() == {
        "reporting_currency": "USD", "rates": [{"currency": "EUR", "valid_from": "2026-01-01", "rate": "1.1"}]}
    assert len(published(factory, events.ANALYTICS_REBUILD)) == before + 1


def test_the_settings_page_shows_problems_by_field(client, factory):
    rep = person(factory, "sales_rep")
    marketing = person(factory, "marketing")
    sign_in(client, rep.email)
    assert client.get(PAGE).status_code == 403
    client.cookies.clear()
    sign_in(client, marketing.email)
    page = client.get(PAGE)
    assert page.status_code == 200 and "Exchange rates into EUR" in page.text
    token = form_token(client, PAGE)
    assert client.post(f"{PAGE}/rates", data={"currency": "USD", "valid_from": "2026-01-01",
                                              "rate": "0.9"}).status_code == 403  # no CSRF token

    bad = client.post(f"{PAGE}/rates", data={"csrf_token": token, "currency": "<b>US</b>", "valid_from": "soon",
                                             "rate": "-2"})
    assert bad.status_code == 422
    for field in ("error-rates-currency", "error-rates-valid_from", "error-rates-rate"):
        assert f'id="{field}"' in bad.text, field
    assert "&lt;b&gt;US&lt;/b&gt;" in bad.text and "<b>US</b>" not in bad.text
    saved = client.post(f"{PAGE}/rates", data={"csrf_token": token, "currency": "usd", "valid_from": "2026-01-01",
                                               "rate": "0.92"}, follow_redirects=False)
    assert saved.status_code == 303
    assert "0.92 EUR" in client.get(PAGE).text

    bad = client.post(f"{PAGE}/norms", data={"csrf_token": token, "dimension": "source", "value": "",
                                             "min_roi": "lots"})
    assert bad.status_code == 422 and 'id="error-norms-value"' in bad.text and 'id="error-norms-min_roi"' in bad.text
    assert client.post(f"{PAGE}/norms", data={"csrf_token": token, "dimension": "source", "value": "google",
                                              "min_roi": "150"}, follow_redirects=False).status_code == 303
    bad = client.post(PAGE, data={"csrf_token": token, "reporting_currency": "EUR", "roi_norm": "",
                                  "stop_after_leads": "0", "stop_after_months": "6"})
    assert bad.status_code == 422 and 'id="error-general-stop_after_leads"' in bad.text
    assert client.post(PAGE, data={"csrf_token": token, "reporting_currency": "EUR", "roi_norm": "120",
                                   "stop_after_leads": "800", "stop_after_months": "4"},
                       follow_redirects=False).status_code == 303
    bad = client.post(f"{PAGE}/targets", data={"csrf_token": token, "month": "January", "amount": "10"})
    assert bad.status_code == 422 and 'id="error-targets-month"' in bad.text
    assert client.post(f"{PAGE}/targets", data={"csrf_token": token, "month": "2027-02", "team": "",
                                                "amount": "1000"}, follow_redirects=False).status_code == 303
    assert client.post(f"{PAGE}/targets/delete", data={"csrf_token": token, "month": "2027-03", "team": ""}
                       ).status_code == 404
    assert client.get(f"{API}/settings", headers=marketing.headers).json() == {
        "reporting_currency": "EUR", "roi_norm": "120", "stop_after_leads": 800, "stop_after_months": 4}
    assert [n["value"] for n in client.get(f"{API}/roi-norms", headers=marketing.headers).json()["norms"]] == [
        "google"]


def test_two_admins_saving_at_once_lose_and_double_nothing(fresh_database):
    db.upgrade(fresh_database.url)
    engine = db.make_engine(fresh_database.url)
    factory = db.make_sessionmaker(engine)
    start = threading.Barrier(4)
    failures = []

    def save(i: int) -> None:
        try:
            start.wait(timeout=30)
            for attempt in range(5):
                try:
                    with db.unit_of_work(factory) as session:
                        settings_service.put_rates({"rates": [
                            {"currency": "USD", "valid_from": "2026-01-01", "rate": f"0.9{i}"},
                            {"currency": f"X{chr(65 + i)}A", "valid_from": "2026-01-01", "rate": "2"}]},
                            session=session)
                        settings_service.put_norms({"norms": [
                            {"dimension": "source", "value": "google" if i % 2 else "Google", "min_roi": "150"},
                            {"dimension": "source", "value": f"source{i}", "min_roi": "100"}]}, session=session)
                        settings_service.put_targets({"targets": [{"month": "2027-01", "amount": f"{i}000"}]},
                                                     session=session)
                    return
                except DBAPIError as exc:  # a race lost (deadlock, busy): what the API's retry_races does
                    if attempt == 4 or not db.is_transient(exc):
                        raise
        except Exception as exc:
            failures.append(exc)

    threads = [threading.Thread(target=save, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    try:
        assert not failures, failures
        with factory() as session:
            assert session.scalar(select(func.count()).select_from(ExchangeRate)
                                  .where(ExchangeRate.currency == "USD")) == 1
            assert session.scalar(select(func.count()).select_from(ExchangeRate)) == 5
            assert session.scalar(select(func.count()).select_from(RoiNorm)
                                  .where(RoiNorm.value_key == "google")) == 1
            assert session.scalar(select(func.count()).select_from(RoiNorm)) == 5
            assert session.scalar(select(func.count()).select_from(RevenueTarget)) == 1
    finally:
        engine.dispose()


def test_the_commands_show_and_set_rates_norms_and_targets_and_preview_the_digest(fresh_database, monkeypatch,
                                                                                   tmp_path):
    from typer.testing import CliRunner

    from leadflow.cli import app
    from leadflow.settings import get_settings

    db.upgrade(fresh_database.url)
    monkeypatch.setenv("LEADFLOW_DATABASE_URL", fresh_database.url)
    monkeypatch.setenv("LEADFLOW_SECRET_KEY", "test-secret-" + "x" * 40)
    get_settings.cache_clear()

    def run(*args):
        return CliRunner().invoke(app, ["analytics", *args], catch_exceptions=False)

    try:
        shown = run("rates", "--set", "USD=0.92", "--set", "GBP=1.17", "--from", "2026-01-01")
        assert shown.exit_code == 0, shown.output
        assert "Rates into EUR:" in shown.output and "USD from 2026-01-01: 0.92" in shown.output
        bad = run("rates", "--set", "USD=-1")
        assert bad.exit_code == 1 and "rates[0].rate: must be more than 0" in bad.output
        assert "GBP" not in run("rates", "--delete", "GBP", "--from", "2026-01-01").output
        norms = run("norms", "--set", "source:google=150", "--default", "100")
        assert norms.exit_code == 0 and "source google: 150 %" in norms.output and "Default: 100 %" in norms.output
        bad = run("norms", "--set", "planet:mars=150")
        assert bad.exit_code == 1 and "norms[0].dimension" in bad.output
        targets = run("targets", "--set", "2027-01=50000")
        assert targets.exit_code == 0 and "2027-01 the whole company: 50000.00" in targets.output
        preview = run("digest", "--pdf", str(tmp_path / "digest.pdf"))
        assert preview.exit_code == 0, preview.output
        assert "Weekly digest:" in preview.output and "Every norm was met." in preview.output
        assert (tmp_path / "digest.pdf").read_bytes().startswith(b"%PDF")
        sent = run("digest", "--send")
        assert sent.exit_code == 0 and "0 made" in sent.output  # nobody holds analytics:digest yet
        assert run("digest", "--week", "someday").exit_code == 1
    finally:
        get_settings.cache_clear()
