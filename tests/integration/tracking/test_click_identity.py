"""Beacons are believed only from allowed pages and only as far as the server's clock, and an email click identifies
the visitor on the company's website through a short-lived token of the click that lf.js hands back."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from leadflow import clock
from leadflow.clock import as_utc
from leadflow.tracking import email_service
from leadflow.tracking import service as tracking_service
from leadflow.tracking.models import Event, Visitor
from tests.integration.people.factories import lead

SECRET = "test-secret-" + "x" * 40
SITE = "https://www.example.com"
BROWSER = {"User-Agent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
                         "Chrome/126.0.0.0 Safari/537.36"}
PAGE = {**BROWSER, "Origin": SITE, "Content-Type": "text/plain"}


@pytest.fixture
def site(client, auth):
    r = client.post("/api/v1/forms", headers=auth, json={
        "name": "Contact", "slug": "contact", "default_language": "en", "title": {"en": "Contact us"},
        "fields": [{"maps_to": "email", "required": True, "label": {"en": "Email"}}], "allowed_origins": [SITE]})
    assert r.status_code == 201, r.text
    tracking_service.forget_origins()
    yield SITE
    tracking_service.forget_origins()


def events_of(session, **where) -> list[Event]:
    query = select(Event).order_by(Event.id).execution_options(populate_existing=True)
    for name, value in where.items():
        query = query.where(getattr(Event, name) == value)
    return list(session.scalars(query))


def page_view(path: str, **extra) -> dict:
    return {"type": "page_view", "url": SITE + path, **extra}


def test_a_beacon_without_an_origin_is_refused_and_nothing_stored(client, session, site):
    r = client.post("/t/collect", headers=BROWSER, json={"visitor": "vis_no_origin_1", "events": [
        page_view("/", at=946684800000)]})
    assert r.status_code == 403
    assert r.json()["errors"] == [{"field": "origin", "reason": "a beacon must come from a web page of an allowed "
                                                                "site (no Origin header)"}]
    assert events_of(session, visitor_id="vis_no_origin_1") == []


def test_browser_times_far_off_are_replaced_by_the_servers_and_the_claim_kept(client, session, site):
    before = datetime.now(UTC)
    r = client.post("/t/collect", headers=PAGE, json={"visitor": "vis_clock_off_1", "events": [
        page_view("/old", at=946684800000),  # 2000-01-01
        page_view("/ahead", at="2999-01-01T00:00:00Z"),
        page_view("/huge", at=10 ** 30)]})
    after = datetime.now(UTC)
    assert r.status_code == 204, r.text
    stored = events_of(session, visitor_id="vis_clock_off_1")
    assert [e.properties["path"] for e in stored] == ["/old", "/ahead", "/huge"]
    assert all(before <= as_utc(e.occurred_at) <= after for e in stored)
    assert [e.properties["client_at"] for e in stored] == ["2000-01-01T00:00:00+00:00", "2999-01-01T00:00:00+00:00",
                                                           str(10 ** 30)]


def test_events_through_the_api_keep_their_history_but_not_a_future(client, auth, session):
    lead_id = lead(client, auth)
    r = client.post("/api/v1/events", headers=auth, json={"events": [
        {"type": "webinar_attended", "lead_id": lead_id, "occurred_at": "2024-03-01T09:00:00Z"},
        {"type": "webinar_attended", "lead_id": lead_id, "occurred_at": "2999-01-01T00:00:00Z"}]})
    assert [i["outcome"] for i in r.json()["items"]] == ["accepted", "rejected"]
    assert r.json()["items"][1]["errors"] == [{"field": "occurred_at", "reason": "is in the future"}]
    [kept] = events_of(session, lead_id=lead_id)
    assert as_utc(kept.occurred_at) == datetime(2024, 3, 1, 9, tzinfo=UTC)


def _click(client, lead_id: int, target: str = SITE + "/offer?utm_source=mail") -> tuple[str, str]:
    url = email_service.click_url("http://testserver", SECRET, lead_id, target, message_id="m-7")
    r = client.get(url, headers=BROWSER, follow_redirects=False)
    assert r.status_code == 302
    location = r.headers["location"]
    assert location.startswith(target + "&lf_t=")
    return location, location.rsplit("lf_t=", 1)[1]


def test_an_email_click_identifies_the_visitor_on_the_companys_website(client, auth, session, site):
    lead_id = lead(client, auth, email="reader@pumps.example")
    location, token = _click(client, lead_id)
    assert "reader" not in location and "pumps" not in location
    assert base64.urlsafe_b64decode(token.split(".")[0] + "==") == str(events_of(session, lead_id=lead_id)[0].id
                                                                         ).encode()  # the click, not the person

    # lf.js on the website: its own visitor id, the landing page view, and the token handed back.
    r = client.post("/t/collect", headers=PAGE, json={"visitor": "vis_site_0001", "identify": token,
                                                      "events": [page_view("/offer?utm_source=mail")]})
    assert r.status_code == 204, r.text
    visitor = session.get(Visitor, "vis_site_0001", populate_existing=True)
    assert (visitor.lead_id, visitor.identified_by) == (lead_id, "email_click")
    client.post("/t/collect", headers=PAGE, json={"visitor": "vis_site_0001", "events": [page_view("/pricing")]})
    views = [(e.properties["path"], e.lead_id) for e in events_of(session, visitor_id="vis_site_0001")
             if e.type == "page_view"]
    assert views == [("/offer", lead_id), ("/pricing", lead_id)]
    assert client.get(f"/api/v1/leads/{lead_id}", headers=auth).json()["score"] == 4 + 1 + 1 + 10

    # The same browser handing it back again changes nothing; another browser is refused.
    again = client.post("/t/collect", headers=PAGE, json={"visitor": "vis_site_0001", "identify": token,
                                                          "events": [page_view("/offer")]})
    assert again.status_code == 204
    other = client.post("/t/collect", headers=PAGE, json={"visitor": "vis_forwarded_01", "identify": token,
                                                          "events": [page_view("/offer")]})
    assert other.status_code == 422 and other.headers["x-leadflow-accepted"] == "1"
    assert other.json()["errors"] == [{"field": "identify", "reason": "belongs to another browser's click"}]
    assert {e.lead_id for e in events_of(session, visitor_id="vis_forwarded_01")} == {None}


@pytest.mark.parametrize(("token", "reason"), [
    ("expired", "has expired: a click's token is good for 10 minutes"),
    ("forged", "is not a token of this installation"),
    ("x", "must be the lf_t token of an email click"),
])
def test_a_bad_or_late_click_token_identifies_nobody_but_the_page_view_is_kept(client, auth, session, site,
                                                                              token, reason):
    lead_id = lead(client, auth)
    if token == "expired":  # clicked eleven minutes ago
        clock.set_clock(lambda: datetime.now(UTC) - timedelta(minutes=11))
        try:
            token = _click(client, lead_id)[1]
        finally:
            clock.set_clock(None)
    elif token == "forged":
        token = email_service.visit_token("another-secret-" + "y" * 40, 1)
    r = client.post("/t/collect", headers=PAGE, json={"visitor": "vis_late_00001", "identify": token,
                                                      "events": [page_view("/offer")]})
    assert r.status_code == 422 and r.json()["errors"] == [{"field": "identify", "reason": reason}]
    assert [e.lead_id for e in events_of(session, visitor_id="vis_late_00001")] == [None]


def test_a_scanners_click_gets_no_token(client, auth, session):
    lead_id = lead(client, auth)
    url = email_service.click_url("http://testserver", SECRET, lead_id, SITE + "/offer")
    r = client.get(url, headers={"User-Agent": "Mozilla/5.0 (compatible; bingbot/2.0)"}, follow_redirects=False)
    assert r.status_code == 302 and r.headers["location"] == SITE + "/offer"
    assert events_of(session, lead_id=lead_id) == []
