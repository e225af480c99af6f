"""The pipeline pages as their users work them: a rep's board with their own cards (the prediction beside the
probability), a card moved by its "Move to" form and refused to Won without a reason, the forecast page, the lead
page's panel (add an opportunity, a quote, a competitor, win it), and the settings page only for managers."""

from __future__ import annotations

from sqlalchemy import select

from leadflow.leads.models import Lead
from tests.integration.people.factories import lead, person
from tests.integration.people.pages import form_token, sign_in

HTMX = {"HX-Request": "true"}


def _opportunity(client, headers, lead_id, name, **fields) -> int:
    r = client.post("/api/v1/opportunities", headers=headers,
                    json={"lead_id": lead_id, "name": name, "value": "5000", **fields})
    assert r.status_code == 201, r.text
    return r.json()["id"]


def test_a_rep_sees_and_moves_only_their_own_cards_on_the_board(client, auth, factory):
    rep, other = person(factory, "sales_rep"), person(factory, "sales_rep")
    mine = lead(client, auth, owner=rep, first_name="Mia")
    with factory() as session:
        session.get(Lead, mine).predicted_probability = 0.61
        session.commit()
    card = _opportunity(client, rep.headers, mine, "<b>Mine</b>", expected_close="2026-05-02")
    theirs = _opportunity(client, other.headers, lead(client, auth, owner=other), "Theirs")
    sign_in(client, rep.email)
    page = client.get("/pipeline")
    assert page.status_code == 200
    assert "&lt;b&gt;Mine&lt;/b&gt;" in page.text and "<b>Mine</b>" not in page.text and "Theirs" not in page.text
    assert "61%" in page.text and "10%" in page.text  # the prediction beside the stage's probability
    assert 'href="/pipeline"' in page.text  # in the navigation
    token = form_token(client, "/pipeline")

    moved = client.post(f"/pipeline/{card}/move", headers=HTMX, data={"csrf_token": token, "stage": "proposal"})
    assert moved.status_code == 200 and "Moved “&lt;b&gt;Mine&lt;/b&gt;” to Proposal." in moved.text
    assert client.get(f"/api/v1/opportunities/{card}", headers=rep.headers).json()["stage"] == "proposal"
    refused = client.post(f"/pipeline/{card}/move", headers=HTMX, data={"csrf_token": token, "stage": "won"})
    assert refused.status_code == 422 and "a reason is required" in refused.text
    won = client.post(f"/pipeline/{card}/move", headers=HTMX, data={"csrf_token": token, "stage": "won",
                                                                    "reason": "price"})
    assert won.status_code == 200 and "Moved" in won.text
    assert client.get(f"/api/v1/leads/{mine}", headers=auth).json()["stage"] == "customer"
    not_mine = client.post(f"/pipeline/{theirs}/move", headers=HTMX, data={"csrf_token": token, "stage": "proposal"})
    assert not_mine.status_code == 404
    assert client.get(f"/api/v1/opportunities/{theirs}", headers=auth).json()["stage"] == "qualification"
    forbidden = client.post(f"/pipeline/{card}/move", headers=HTMX, data={"stage": "proposal"})
    assert forbidden.status_code in (400, 403)  # no CSRF token


def test_the_forecast_page_shows_month_owner_and_team_per_currency(client, auth, factory):
    rep = person(factory, "sales_rep")
    _opportunity(client, auth, lead(client, auth, owner=rep), "A", currency="SEK", expected_close="2026-06-01")
    sign_in(client, rep.email)
    page = client.get("/pipeline/forecast")
    assert page.status_code == 200
    assert "2026-06" in page.text and "SEK" in page.text and "500.00" in page.text
    bad = client.get("/pipeline/forecast", params={"month": "June"})
    assert bad.status_code == 422 and "The close month must be a month like 2026-03" in bad.text  # told, not a 500
    assert "a month like" in client.get("/pipeline/forecast", params={"month": "June"}).text


def test_the_lead_panel_adds_an_opportunity_a_quote_a_competitor_and_wins_it(client, auth, factory):
    rep = person(factory, "sales_rep")
    lead_id = lead(client, auth, owner=rep)
    sign_in(client, rep.email)
    detail = client.get(f"/leads/{lead_id}")
    assert f'hx-get="/leads/{lead_id}/pipeline"' in detail.text
    token = form_token(client, f"/leads/{lead_id}")
    base = f"/leads/{lead_id}/pipeline"
    bad = client.post(f"{base}/opportunities", headers=HTMX, data={"csrf_token": token, "name": "Deal",
                                                                   "value": "-3"})
    assert bad.status_code == 422 and "value: must be 0 or more" in bad.text
    added = client.post(f"{base}/opportunities", headers=HTMX, data={"csrf_token": token, "name": "Deal",
                                                                     "value": "2500", "currency": "eur"})
    assert added.status_code == 200 and "Deal" in added.text and "2,500.00 EUR" in added.text
    assert added.headers.get("HX-Trigger")  # the other panels reload
    (opportunity,) = client.get(f"/api/v1/leads/{lead_id}/opportunities", headers=auth).json()
    quote = client.post(f"{base}/quotes", headers=HTMX, data={"csrf_token": token, "amount": "2400",
                                                              "currency": "EUR", "reference": "Q-7"})
    assert quote.status_code == 200 and "Q-7" in quote.text
    (q,) = client.get(f"/api/v1/leads/{lead_id}/quotes", headers=auth).json()
    sent = client.post(f"{base}/quotes/{q['id']}", headers=HTMX, data={"csrf_token": token, "status": "sent"})
    assert sent.status_code == 200 and "Mark accepted" in sent.text
    competitor = client.post(f"{base}/competitors", headers=HTMX, data={"csrf_token": token, "name": "Rival Oy",
                                                                        "note": "cheaper"})
    assert competitor.status_code == 200 and "Rival Oy" in competitor.text
    no_reason = client.post(f"{base}/opportunities/{opportunity['id']}", headers=HTMX,
                            data={"csrf_token": token, "action": "won"})
    assert no_reason.status_code == 422 and "reason" in no_reason.text
    won = client.post(f"{base}/opportunities/{opportunity['id']}", headers=HTMX,
                      data={"csrf_token": token, "action": "won", "reason": "relationship"})
    assert won.status_code == 200 and "the lead is a customer" in won.text
    with factory() as session:
        assert session.scalar(select(Lead.stage).where(Lead.id == lead_id)) == "customer"


def test_the_settings_page_needs_pipeline_settings(client, auth, factory):
    rep, manager = person(factory, "sales_rep"), person(factory, "sales_manager")
    sign_in(client, rep.email)
    assert client.get("/settings/pipeline").status_code == 403
    token = form_token(client, "/pipeline")
    assert client.post("/settings/pipeline/stages", data={"csrf_token": token, "label": "Demo",
                                                          "probability": "30"}).status_code == 403
    sign_in(client, manager.email)
    token = form_token(client, "/settings/pipeline")
    r = client.post("/settings/pipeline/stages", data={"csrf_token": token, "label": "Demo done",
                                                       "probability": "30"}, follow_redirects=False)
    assert r.status_code == 303
    bad = client.post("/settings/pipeline/stages", data={"csrf_token": token, "label": "Odd", "probability": "130"},
                      follow_redirects=True)
    assert "probability" in bad.text
    stages = [s["key"] for s in client.get("/api/v1/pipeline/stages", headers=manager.headers).json()]
    assert stages == ["qualification", "needs_analysis", "proposal", "negotiation", "demo_done", "won", "lost"]
    client.post("/settings/pipeline/stages/demo_done", data={"csrf_token": token, "move": "up"})
    client.post("/settings/pipeline/stages/needs_analysis", data={"csrf_token": token, "active": "no"})
    stages = [s["key"] for s in client.get("/api/v1/pipeline/stages", headers=manager.headers).json()]
    assert stages == ["qualification", "proposal", "demo_done", "negotiation", "won", "lost"]
    client.post("/settings/pipeline/reasons", data={"csrf_token": token, "kind": "lost", "label": "Timing"})
    lost = client.get("/api/v1/close-reasons", headers=manager.headers, params={"kind": "lost"}).json()
    assert "timing" in [r["key"] for r in lost]
    page = client.get("/settings/pipeline")
    assert page.status_code == 200 and "Demo done" in page.text and "Timing" in page.text
