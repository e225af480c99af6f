"""What the review of the pipeline found, through its public surfaces: a company beside a lead must be the lead's;
a close month out of the calendar's range is a 422 (API, forecast, board); the board's totals count every open
opportunity, not only the cards it shows; a competitor renamed into a name another took is a clear 422."""

from __future__ import annotations

import re
import threading
from decimal import Decimal

from sqlalchemy import select

from leadflow import clock, db
from leadflow.pipeline.models import Competitor
from tests.conftest import make_settings
from tests.integration.people.factories import lead, person
from tests.integration.people.pages import form_token, sign_in

HTMX = {"HX-Request": "true"}


def _create(client, headers, **body):
    return client.post("/api/v1/opportunities", headers=headers, json={"name": "Deal", "value": "1000", **body})


def _fields(r) -> list[str]:
    return [e.get("field") or e.get("loc", [""])[-1] for e in r.json().get("errors", r.json().get("detail", []))]


def test_a_company_beside_a_lead_must_be_the_leads_own(client, auth, factory):
    lead_id = lead(client, auth, company="Acme Oy")
    own = client.get(f"/api/v1/leads/{lead_id}", headers=auth).json()["company_id"]
    other = client.get(f"/api/v1/leads/{lead(client, auth, company='Other AB')}", headers=auth).json()["company_id"]
    assert own and other and own != other

    unknown = _create(client, auth, lead_id=lead_id, company_id=987654)
    assert unknown.status_code == 422 and "company_id" in unknown.text, unknown.text
    unrelated = _create(client, auth, lead_id=lead_id, company_id=other)
    assert unrelated.status_code == 422 and "company_id" in unrelated.text and "lead's company" in unrelated.text
    alone = _create(client, auth, company_id=987654)
    assert alone.status_code == 422 and "company_id" in alone.text
    fine = _create(client, auth, lead_id=lead_id, company_id=own)
    assert fine.status_code == 201 and fine.json()["company_id"] == own
    for_company = _create(client, auth, company_id=other)
    assert for_company.status_code == 201 and for_company.json()["lead_id"] is None


def test_a_close_month_out_of_range_is_a_422_everywhere(client, auth, factory):
    rep = person(factory, "sales_rep")
    _create(client, auth, lead_id=lead(client, auth, owner=rep), expected_close="2026-05-02")
    for month in ("0000-01", "9999-12", "1899-12", "2026-13"):
        listed = client.get("/api/v1/opportunities", headers=auth, params={"close_month": month})
        assert listed.status_code == 422 and "close_month" in listed.text, (month, listed.text)
        forecast = client.get("/api/v1/pipeline/forecast", headers=auth, params={"close_month": month})
        assert forecast.status_code == 422 and "close_month" in forecast.text
    assert client.get("/api/v1/opportunities", headers=auth, params={"close_month": "9998-12"}).status_code == 200
    assert client.get("/api/v1/pipeline/forecast", headers=auth, params={"close_month": "1900-01"}).status_code == 200
    sign_in(client, rep.email)
    for page in ("/pipeline", "/pipeline/forecast"):
        bad = client.get(page, params={"month": "9999-12"})
        assert bad.status_code == 422 and "The close month must be a year from 1900 to 9998" in bad.text
        assert client.get(page, params={"month": "2026-05"}).status_code == 200


def _column(page: str, stage: str) -> str:
    found = re.search(rf'data-drop-stage="{stage}".*?</section>', page, re.S)
    assert found, stage
    return found.group(0)


def _number(text: str) -> Decimal:
    return Decimal(text.split()[0].replace(",", ""))


def test_the_board_totals_count_every_open_opportunity_beyond_the_cards_shown(client, auth, factory):
    rep = person(factory, "sales_rep")
    leads = [lead(client, auth, owner=rep) for _ in range(3)]
    for i in range(5):
        assert _create(client, rep.headers, lead_id=leads[i % 3], name=f"Q{i}", value=f"{1000 * (i + 1)}",
                       expected_close=f"2026-0{i + 1}-10").status_code == 201
    proposal = _create(client, rep.headers, lead_id=leads[0], name="P", value="3000", stage="proposal").json()
    won = _create(client, rep.headers, lead_id=leads[1], name="W", value="700").json()
    assert client.patch(f"/api/v1/opportunities/{won['id']}", headers=rep.headers,
                        json={"stage": "won", "reason": "price"}).status_code == 200
    _create(client, auth, lead_id=lead(client, auth), name="Not the rep's", value="99999")

    sign_in(client, rep.email)
    page = client.get("/pipeline", params={"per_column": "2"})
    assert page.status_code == 200, page.text
    column = _column(page.text, "qualification")
    assert column.count('class="opp-card') == 2 and "Q0" in column and "Q1" in column and "Q4" not in column
    assert re.search(r"data-col-count>5<", column) and 'data-more="3"' in column and "3 more not shown" in column
    assert "stage=qualification&amp;status=open" in column
    assert _number(re.search(r"data-col-value>([^<]+)<", column).group(1)) == Decimal("15000.00")
    assert _number(re.search(r"data-col-weighted>([^<]+)<", column).group(1)) == Decimal("1500.00")  # 10%
    assert 'data-more' not in _column(page.text, "proposal")

    # The open weighted total equals the API's forecast of the open ones (the forecast counts won whole).
    forecast = client.get("/api/v1/pipeline/forecast", headers=rep.headers).json()
    (eur,) = [t for t in forecast["totals"] if t["currency"] == "EUR"]
    open_weighted = Decimal(eur["weighted"]) - Decimal(eur["won"])
    shown = re.search(r"Weighted open pipeline: <strong>([^<]+)</strong>", page.text).group(1)
    assert _number(shown) == open_weighted == Decimal("1500.00") + Decimal(proposal["weighted_value"])
    assert "99,999.00" not in page.text

    exported = client.get("/pipeline/export.csv", params={"stage": "qualification", "status": "open"})
    assert exported.status_code == 200 and len(exported.text.strip().splitlines()) == 1 + 5
    for bad in ("0", "501", "x"):
        refused = client.get("/pipeline", params={"per_column": bad})
        assert refused.status_code == 422 and "Cards per column" in refused.text


def _competitors(factory) -> dict[str, int]:
    with factory() as session:
        return {c.name: c.id for c in session.scalars(select(Competitor))}


def test_a_competitor_renamed_into_an_existing_name_is_refused_with_the_reason(client, auth, factory):
    manager = person(factory, "sales_manager")
    sign_in(client, manager.email)
    token = form_token(client, "/settings/pipeline")
    for name in ("Nova Ltd", "Vega AB"):
        assert client.post("/settings/pipeline/competitors", data={"csrf_token": token, "name": name},
                           follow_redirects=False).status_code == 303
    vega = _competitors(factory)["Vega AB"]
    r = client.post(f"/settings/pipeline/competitors/{vega}", data={"csrf_token": token, "name": "nova  LTD"})
    assert r.status_code == 422 and "another competitor has this name" in r.text
    assert sorted(_competitors(factory)) == ["Nova Ltd", "Vega AB"]


def test_a_competitor_renamed_into_a_name_taken_meanwhile_is_a_clear_422(fresh_database):
    """Another client inserts the name and holds its transaction open while the rename runs; once it commits, the
    rename answers 422 with the reason (no 500, no endless retry)."""
    from fastapi.testclient import TestClient

    from leadflow.app import create_app

    db.upgrade(fresh_database.url)
    engine = db.make_engine(fresh_database.url)
    factory = db.make_sessionmaker(engine)
    answers = []
    try:
        manager = person(factory, "sales_manager")
        with TestClient(create_app(make_settings(fresh_database.url)), raise_server_exceptions=False) as client:
            sign_in(client, manager.email)
            token = form_token(client, "/settings/pipeline")
            client.post("/settings/pipeline/competitors", data={"csrf_token": token, "name": "Vega AB"})
            vega = _competitors(factory)["Vega AB"]
            with factory() as other:
                other.add(Competitor(name="Orion", name_key="orion", active=True, created_at=clock.now()))
                other.flush()  # the key is taken, not yet committed
                rename = threading.Thread(target=lambda: answers.append(client.post(
                    f"/settings/pipeline/competitors/{vega}", data={"csrf_token": token, "name": "Orion"})))
                rename.start()
                rename.join(timeout=0.5)
                other.commit()
            rename.join(timeout=60)
        assert len(answers) == 1
        assert answers[0].status_code == 422 and "another competitor has this name" in answers[0].text
        assert sorted(_competitors(factory)) == ["Orion", "Vega AB"]
    finally:
        engine.dispose()


def test_a_move_to_where_it_is_and_a_close_date_out_of_range_are_refused(client, auth, factory):
    made = _create(client, auth, lead_id=lead(client, auth), stage="needs_analysis")
    assert made.status_code == 201, made.text
    url = f"/api/v1/opportunities/{made.json()['id']}"
    same = client.patch(url, headers=auth, json={"stage": "needs_analysis"})
    assert same.status_code == 422 and _fields(same) == ["stage"]
    assert client.patch(url, headers=auth, json={"stage": "needs_analysis", "name": "Renamed"}).status_code == 200
    for day in ("0001-01-01", "1899-12-31"):
        assert _fields(client.patch(url, headers=auth, json={"expected_close": day})) == ["expected_close"]
        assert _fields(_create(client, auth, lead_id=lead(client, auth), expected_close=day)) == ["expected_close"]
