"""The pipeline through HTTP: opportunities with their effective and predicted probabilities, won converting the
lead to a customer, lost needing a managed reason, who sees and moves what, quotes and their dates, competitors,
the weighted pipeline by month, owner and team in two currencies, the managed lists' permission, CSV exports and
the events."""

from __future__ import annotations

import csv
import io
from datetime import datetime

from sqlalchemy import select

from leadflow import clock

from leadflow.leads.models import Lead
from leadflow.outbox import OutboxMessage
from tests.integration.people.factories import lead, person, team


def _opportunity(client, headers, lead_id, **fields) -> dict:
    body = {"lead_id": lead_id, "name": "Fleet deal", "value": "10000", "currency": "EUR", **fields}
    r = client.post("/api/v1/opportunities", headers=headers, json=body)
    assert r.status_code == 201, r.text
    return r.json()


def _stage(client, auth, lead_id) -> str:
    return client.get(f"/api/v1/leads/{lead_id}", headers=auth).json()["stage"]


def _topics(factory) -> list[tuple[str, dict]]:
    with factory() as session:
        return [(m.topic, m.payload) for m in session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))]


def test_an_opportunity_uses_the_stage_default_then_the_reps_probability_with_the_prediction_beside_it(
        client, auth, factory):
    lead_id = lead(client, auth, first_name="Aino")
    with factory() as session:
        session.get(Lead, lead_id).predicted_probability = 0.42
        session.commit()
    made = _opportunity(client, auth, lead_id, expected_close="2026-03-15")
    assert made["stage"] == "qualification" and made["status"] == "open"
    assert (made["effective_probability"], made["probability_source"], made["weighted_value"]) == (10, "stage",
                                                                                                  "1000.00")
    assert made["predicted_probability"] == 0.42 and made["value"] == "10000.00" and made["lead"] == "Aino"
    assert _stage(client, auth, lead_id) == "opportunity"  # through SQL on the way

    r = client.patch(f"/api/v1/opportunities/{made['id']}", headers=auth, json={"probability": 35,
                                                                                 "stage": "proposal"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["stage"], body["probability"], body["effective_probability"], body["probability_source"],
            body["weighted_value"]) == ("proposal", 35, 35, "rep", "3500.00")
    assert body["predicted_probability"] == 0.42  # shown beside, never replacing the rep's
    back = client.patch(f"/api/v1/opportunities/{made['id']}", headers=auth, json={"probability": None}).json()
    assert (back["effective_probability"], back["probability_source"]) == (50, "stage")

    timeline = client.get(f"/api/v1/leads/{lead_id}/activities", headers=auth).json()
    assert any("Fleet deal" in a["summary"] and "moved qualification → proposal" in a["summary"] for a in timeline)


def test_won_with_a_managed_reason_makes_the_lead_a_customer_and_publishes_it(client, auth, factory):
    lead_id = lead(client, auth)
    made = _opportunity(client, auth, lead_id)
    r = client.post(f"/api/v1/opportunities/{made['id']}/won", headers=auth, json={"reason": "price",
                                                                                   "note": "best offer"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["status"], body["stage"], body["effective_probability"], body["close_reason"]) == (
        "won", "won", 100, "price")
    assert body["closed_at"] and _stage(client, auth, lead_id) == "customer"
    topics = _topics(factory)
    won = [p for t, p in topics if t == "opportunity.won"]
    assert won == [{**won[0], "opportunity_id": made["id"], "lead_id": lead_id, "reason": "price",
                    "value": "10000.00", "currency": "EUR"}]
    assert [p["what"] for t, p in topics if t == "opportunity.changed"] == ["created"]
    again = client.post(f"/api/v1/opportunities/{made['id']}/won", headers=auth, json={"reason": "price"})
    assert again.status_code == 422 and "already" in again.text
    reopened = client.post(f"/api/v1/opportunities/{made['id']}/reopen", headers=auth, json={})
    assert reopened.status_code == 200 and reopened.json()["status"] == "open"
    assert _stage(client, auth, lead_id) == "customer"  # a customer stays one


def test_lost_needs_a_reason_from_the_managed_list_and_counts_zero(client, auth):
    lead_id = lead(client, auth)
    made = _opportunity(client, auth, lead_id)
    missing = client.post(f"/api/v1/opportunities/{made['id']}/lost", headers=auth, json={})
    assert missing.status_code == 422
    assert missing.json()["errors"][0]["field"] == "reason" and "competitor" in missing.json()["errors"][0]["reason"]
    unknown = client.post(f"/api/v1/opportunities/{made['id']}/lost", headers=auth, json={"reason": "moon"})
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "reason"
    by_patch = client.patch(f"/api/v1/opportunities/{made['id']}", headers=auth, json={"stage": "lost"})
    assert by_patch.status_code == 422
    ok = client.post(f"/api/v1/opportunities/{made['id']}/lost", headers=auth, json={"reason": "competitor"})
    assert ok.status_code == 200 and ok.json()["weighted_value"] == "0.00"
    assert _stage(client, auth, lead_id) == "opportunity"  # the lead's stage stays: recycling decides later


def test_bad_values_answer_422_with_the_field(client, auth):
    lead_id = lead(client, auth)
    for field, value in (("value", "-5"), ("currency", "EURO"), ("probability", 120), ("stage", "won")):
        body = {"lead_id": lead_id, "name": "x", "value": "1", field: value}
        r = client.post("/api/v1/opportunities", headers=auth, json=body)
        assert r.status_code == 422, (field, r.text)
        assert field in {e["field"] for e in r.json()["errors"]}, r.text
    r = client.get("/api/v1/opportunities", headers=auth, params={"close_month": "2026-13"})
    assert r.status_code == 422


def test_a_rep_neither_sees_nor_moves_another_reps_opportunity(client, auth, factory):
    mine, other = person(factory, "sales_rep"), person(factory, "sales_rep")
    lead_id = lead(client, auth, owner=other)
    made = _opportunity(client, other.headers, lead_id)
    assert made["owner_id"] == other.id
    assert client.get(f"/api/v1/opportunities/{made['id']}", headers=mine.headers).status_code == 404
    assert client.patch(f"/api/v1/opportunities/{made['id']}", headers=mine.headers,
                        json={"stage": "proposal"}).status_code == 404
    assert client.post(f"/api/v1/opportunities/{made['id']}/won", headers=mine.headers,
                       json={"reason": "price"}).status_code == 404
    assert client.get(f"/api/v1/leads/{lead_id}/opportunities", headers=mine.headers).status_code == 404
    assert client.post("/api/v1/opportunities", headers=mine.headers,
                       json={"lead_id": lead_id, "name": "mine", "value": "1"}).status_code == 404
    assert [o["id"] for o in client.get("/api/v1/opportunities", headers=mine.headers).json()] == []
    assert [o["id"] for o in client.get("/api/v1/opportunities", headers=other.headers).json()] == [made["id"]]
    marketing = person(factory, "marketing")
    assert client.post("/api/v1/opportunities", headers=marketing.headers,
                       json={"lead_id": lead_id, "name": "m", "value": "1"}).status_code == 403
    assert client.get(f"/api/v1/opportunities/{made['id']}", headers=marketing.headers).status_code == 200


def test_quotes_go_draft_sent_accepted_with_their_dates_and_export_as_csv(client, auth, factory):
    lead_id = lead(client, auth)
    made = _opportunity(client, auth, lead_id)
    r = client.post(f"/api/v1/leads/{lead_id}/quotes", headers=auth,
                    json={"amount": "9500.50", "currency": "eur", "opportunity_id": made["id"], "reference": "Q-1"})
    assert r.status_code == 201, r.text
    quote = r.json()
    assert (quote["status"], quote["amount"], quote["currency"]) == ("draft", "9500.50", "EUR")
    early = client.patch(f"/api/v1/quotes/{quote['id']}", headers=auth, json={"status": "accepted"})
    assert early.status_code == 422 and early.json()["errors"][0]["field"] == "status"
    sent = client.patch(f"/api/v1/quotes/{quote['id']}", headers=auth, json={"status": "sent",
                                                                             "sent_on": "2026-03-01"}).json()
    assert sent["sent_on"] == "2026-03-01" and sent["decided_on"] is None
    before = client.patch(f"/api/v1/quotes/{quote['id']}", headers=auth,
                          json={"status": "accepted", "decided_on": "2026-02-01"})
    assert before.status_code == 422 and before.json()["errors"][0]["field"] == "decided_on"
    done = client.patch(f"/api/v1/quotes/{quote['id']}", headers=auth, json={"status": "accepted",
                                                                             "decided_on": "2026-03-04"}).json()
    assert (done["status"], done["decided_on"]) == ("accepted", "2026-03-04")
    assert [t for t, _ in _topics(factory) if t == "quote.changed"] == ["quote.changed"] * 3
    other = client.post(f"/api/v1/leads/{lead_id}/quotes", headers=auth, json={"amount": "=1+1", "currency": "USD"})
    assert other.status_code == 422 and other.json()["errors"][0]["field"] == "amount"

    exported = client.get("/api/v1/quotes", headers=auth, params={"format": "csv"})
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert [(r["id"], r["status"], r["amount"], r["sent_on"], r["decided_on"]) for r in rows] == [
        (str(quote["id"]), "accepted", "9500.50", "2026-03-01", "2026-03-04")]
    rep = person(factory, "sales_rep")
    assert client.get(f"/api/v1/quotes/{quote['id']}", headers=rep.headers).status_code == 404
    assert client.patch(f"/api/v1/quotes/{quote['id']}", headers=rep.headers,
                        json={"status": "expired"}).status_code == 404


def test_competitors_are_made_once_by_folded_name_and_noted_on_the_timeline(client, auth, factory):
    lead_id = lead(client, auth)
    first = client.post(f"/api/v1/leads/{lead_id}/competitors", headers=auth, json={"name": "Acme  Corp"})
    second = client.post(f"/api/v1/leads/{lead_id}/competitors", headers=auth, json={"name": "ACME corp",
                                                                                      "note": "cheaper"})
    assert first.status_code == second.status_code == 201, second.text
    assert first.json()["competitor_id"] == second.json()["competitor_id"]
    assert [c["name"] for c in client.get("/api/v1/competitors", headers=auth).json()] == ["Acme Corp"]
    mentions = client.get(f"/api/v1/leads/{lead_id}/competitors", headers=auth).json()
    assert [m["note"] for m in mentions] == ["cheaper", ""]
    assert client.post(f"/api/v1/leads/{lead_id}/competitors", headers=auth, json={}).status_code == 422
    assert [t for t, _ in _topics(factory) if t == "competitor.noted"] == ["competitor.noted"] * 2
    timeline = client.get(f"/api/v1/leads/{lead_id}/activities", headers=auth).json()
    assert any(a["summary"] == "Competitor in play: Acme Corp (cheaper)" for a in timeline)


def test_the_weighted_pipeline_by_month_owner_and_team_in_two_currencies(client, auth, factory):
    """Hand-computed: Ann (team North) has 10,000 EUR in March at qualification (10%) = 1,000, and 2,000 USD in
    March at proposal with her own 40% = 800 USD; Bob (no team) has 4,000 EUR in April won (x1) = 4,000 and 3,000 EUR
    in March lost (x0) = 0."""
    team(factory, "North")
    ann, bob = person(factory, "sales_rep", team="North"), person(factory, "sales_rep")
    a1 = _opportunity(client, auth, lead(client, auth, owner=ann), value="10000", expected_close="2026-03-10")
    _opportunity(client, auth, lead(client, auth, owner=ann), value="2000", currency="USD",
                 expected_close="2026-03-20", stage="proposal", probability=40)
    won = _opportunity(client, auth, lead(client, auth, owner=bob), value="4000", expected_close="2026-02-01")
    lost = _opportunity(client, auth, lead(client, auth, owner=bob), value="3000", expected_close="2026-05-01")
    try:
        clock.set_clock(lambda: datetime.fromisoformat("2026-04-03T10:00:00+00:00"))
        assert client.post(f"/api/v1/opportunities/{won['id']}/won", headers=auth,
                           json={"reason": "price"}).status_code == 200
        clock.set_clock(lambda: datetime.fromisoformat("2026-03-03T10:00:00+00:00"))
        assert client.post(f"/api/v1/opportunities/{lost['id']}/lost", headers=auth,
                           json={"reason": "price"}).status_code == 200
    finally:
        clock.set_clock(None)
    assert a1["owner_id"] == ann.id and a1["team"] == "North"

    def lines(group):
        body = client.get("/api/v1/pipeline/forecast", headers=auth, params={"group": group}).json()
        return ({(x["label"], x["currency"]): (x["count"], x["value"], x["weighted"], x["won"]) for x in body["lines"]},
                {t["currency"]: (t["count"], t["value"], t["weighted"], t["won"]) for t in body["totals"]})

    by_month, totals = lines("month")
    assert by_month == {("2026-03", "EUR"): (2, "13000.00", "1000.00", "0.00"),
                        ("2026-03", "USD"): (1, "2000.00", "800.00", "0.00"),
                        ("2026-04", "EUR"): (1, "4000.00", "4000.00", "4000.00")}
    assert totals == {"EUR": (3, "17000.00", "5000.00", "4000.00"), "USD": (1, "2000.00", "800.00", "0.00")}
    by_owner, _ = lines("owner")
    names = {x["owner_id"]: x["owner"] for x in client.get("/api/v1/opportunities", headers=auth).json()}
    assert by_owner == {(names[ann.id], "EUR"): (1, "10000.00", "1000.00", "0.00"),
                        (names[ann.id], "USD"): (1, "2000.00", "800.00", "0.00"),
                        (names[bob.id], "EUR"): (2, "7000.00", "4000.00", "4000.00")}
    by_team, _ = lines("team")
    assert by_team == {("North", "EUR"): (1, "10000.00", "1000.00", "0.00"),
                       ("North", "USD"): (1, "2000.00", "800.00", "0.00"),
                       ("No team", "EUR"): (2, "7000.00", "4000.00", "4000.00")}
    # a rep's forecast is their own
    own = client.get("/api/v1/pipeline/forecast", headers=bob.headers, params={"group": "owner"}).json()
    assert {x["label"] for x in own["lines"]} == {names[bob.id]}
    march = client.get("/api/v1/opportunities", headers=auth, params={"close_month": "2026-03"}).json()
    assert len(march) == 3


def test_the_opportunities_export_as_csv_with_their_weighted_values(client, auth):
    lead_id = lead(client, auth, first_name="=cmd")
    _opportunity(client, auth, lead_id, value="1234.50", probability=20)
    r = client.get("/api/v1/opportunities", headers=auth, params={"format": "csv"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    (row,) = list(csv.DictReader(io.StringIO(r.text)))
    assert (row["value"], row["probability"], row["probability_source"], row["weighted_value"]) == (
        "1234.50", "20", "rep", "246.90")
    assert row["lead"].startswith("'=")  # never a formula in a spreadsheet


def test_the_managed_lists_are_read_by_all_who_see_the_pipeline(client, auth, factory):
    stages = client.get("/api/v1/pipeline/stages", headers=auth).json()
    assert [(s["key"], s["probability"]) for s in stages] == [
        ("qualification", 10), ("needs_analysis", 25), ("proposal", 50), ("negotiation", 75), ("won", 100),
        ("lost", 0)]
    recycle = client.get("/api/v1/close-reasons", headers=auth, params={"kind": "recycle"}).json()
    assert recycle and {r["kind"] for r in recycle} == {"recycle"}
    telemarketer = person(factory, "telemarketer")
    assert client.get("/api/v1/pipeline/stages", headers=telemarketer.headers).status_code == 403
