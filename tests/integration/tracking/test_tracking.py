"""Tracking: the script, beacons, email opens and clicks, server-side events, identification and the lead's panel."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from leadflow.tracking import domain, email_service
from leadflow.tracking import service as tracking_service
from leadflow.tracking.models import Event, Visitor
from tests.integration.people.factories import lead, person
from tests.integration.people.pages import sign_in

BROWSER = {"User-Agent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
                         "Chrome/126.0 Safari/537.36"}
PAGE = {**BROWSER, "Origin": "http://testserver"}  # a page on leadflow's own address (its hosted forms)
SITE = "https://www.example.com"
VISITOR = "vis_0123456789abcdef"
SECRET = "test-secret-" + "x" * 40


def beacon(*events, visitor=VISITOR):
    return {"visitor": visitor, "events": list(events)}


def events_of(session, **where):
    query = select(Event).order_by(Event.id)
    for name, value in where.items():
        query = query.where(getattr(Event, name) == value)
    return list(session.scalars(query.execution_options(populate_existing=True)))


@pytest.fixture
def site_form(client, auth):
    r = client.post("/api/v1/forms", headers=auth, json={
        "name": "Brochure", "slug": "brochure", "default_language": "en", "title": {"en": "Get the brochure"},
        "fields": [{"maps_to": "email", "required": True, "label": {"en": "Email"}}],
        "allowed_origins": [SITE]})
    assert r.status_code == 201, r.text
    tracking_service.forget_origins()
    yield r.json()
    tracking_service.forget_origins()


def test_script_is_served_as_cacheable_javascript_with_dnt_and_consent(client):
    r = client.get("/t/lf.js")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/javascript")
    assert "max-age=3600" in r.headers["cache-control"] and r.headers["x-content-type-options"] == "nosniff"
    assert len(r.content) < 8000
    for needle in ("doNotTrack", "globalPrivacyControl", "leadflowConsent", "lf_vid", "sendBeacon", "SameSite=Lax",
                   "/t/collect"):
        assert needle in r.text


def test_collect_stores_page_views_of_an_anonymous_visitor(client, session, site_form):
    seen_at = int((datetime.now(UTC) - timedelta(seconds=30)).timestamp() * 1000)  # the browser's time, believed
    r = client.post("/t/collect", headers={**BROWSER, "Origin": SITE, "Content-Type": "text/plain"}, json=beacon(
        {"type": "page_view", "url": "https://www.example.com/pricing?utm_source=news", "title": "Pricing",
         "utm_source": "news", "at": seen_at},
        {"type": "download", "url": "https://www.example.com/files/guide.pdf", "name": "guide.pdf"}))
    assert r.status_code == 204, r.text
    assert r.headers["access-control-allow-origin"] == SITE
    stored = events_of(session, visitor_id=VISITOR)
    assert [(e.type, e.lead_id, e.source) for e in stored] == [("page_view", None, "script"),
                                                               ("download", None, "script")]
    assert stored[0].properties["path"] == "/pricing" and stored[0].properties["utm_source"] == "news"
    assert stored[0].occurred_at == datetime.fromtimestamp(seen_at / 1000, tz=UTC)
    assert "client_at" not in stored[0].properties
    assert session.get(Visitor, VISITOR) is not None


def test_bot_beacons_are_answered_but_not_stored(client, session):
    r = client.post("/t/collect", headers={"Origin": "http://testserver",
                                           "User-Agent": "Mozilla/5.0 (compatible; Googlebot/2.1; "
                                                         "+http://www.google.com/bot.html)"},
                    json=beacon({"type": "page_view", "url": "https://www.example.com/"}))
    assert r.status_code == 204 and r.headers["x-leadflow-bot"] == "1"
    assert events_of(session, visitor_id=VISITOR) == []


def test_collect_answers_only_allowed_origins(client, session, site_form):
    event = {"type": "page_view", "url": "https://evil.example/"}
    r = client.post("/t/collect", headers={**BROWSER, "Origin": "https://evil.example"}, json=beacon(event))
    assert r.status_code == 403 and "access-control-allow-origin" not in r.headers
    assert r.json()["errors"][0]["field"] == "origin"
    preflight = client.options("/t/collect", headers={"Origin": "https://evil.example"})
    assert preflight.status_code == 403
    allowed = client.options("/t/collect", headers={"Origin": SITE, "Access-Control-Request-Method": "POST"})
    assert allowed.status_code == 204 and allowed.headers["access-control-allow-origin"] == SITE
    assert events_of(session, visitor_id=VISITOR) == []


@pytest.mark.parametrize("body, field", [
    ({"visitor": "x", "events": [{"type": "page_view"}]}, "visitor"),
    ({"visitor": VISITOR, "events": []}, "events"),
    ({"visitor": VISITOR, "events": [{"type": "email_open"}]}, "events.0.type"),
    ({"visitor": VISITOR, "events": [{"type": "page_view", "url": "javascript:alert(1)"}]}, "events.0.url"),
    ({"visitor": VISITOR, "events": [{"type": "page_view", "at": "yesterday"}]}, "events.0.at"),
    ({"visitor": VISITOR, "events": [{"type": "page_view", "at": "2026-11-25T10:00:00"}]}, "events.0.at"),
    ({"visitor": VISITOR, "events": [{"type": "page_view"}] * 51}, "events"),
])
def test_bad_beacons_are_422_naming_the_field(client, session, body, field):
    r = client.post("/t/collect", headers=PAGE, json=body)
    assert r.status_code == 422, r.text
    assert r.json()["errors"][0]["field"] == field
    assert events_of(session, visitor_id=VISITOR) == []


def test_malformed_beacon_is_400(client):
    r = client.post("/t/collect", headers={**PAGE, "Content-Type": "text/plain"}, content=b"{not json")
    assert r.status_code == 400 and r.json()["error"] == "malformed"


def test_anonymous_events_join_the_lead_after_a_form_submit_with_the_visitor_and_are_scored(client, auth, session,
                                                                                           site_form):
    client.post("/t/collect", headers=PAGE, json=beacon(
        {"type": "page_view", "url": "https://www.example.com/pricing"},
        {"type": "download", "url": "https://www.example.com/files/guide.pdf"}))
    r = client.post("/f/brochure", data={"email": "visitor@example.com", "lf_vid": VISITOR})
    assert r.status_code == 200, r.text
    [found] = client.get("/api/v1/leads", params={"email": "visitor@example.com"}, headers=auth).json()["items"]
    joined = events_of(session, visitor_id=VISITOR)
    assert {e.lead_id for e in joined} == {found["id"]} and len(joined) == 2
    visitor = session.scalars(select(Visitor).where(Visitor.id == VISITOR)
                              .execution_options(populate_existing=True)).one()
    assert visitor.lead_id == found["id"] and visitor.identified_by == "form_submit"
    scored = client.get(f"/api/v1/leads/{found['id']}", headers=auth).json()
    assert scored["score"] is not None and scored["score"] > 0
    # Later beacons of the same visitor belong to the lead at once.
    client.post("/t/collect", headers=PAGE, json=beacon({"type": "page_view", "url": "https://www.example.com/demo"}))
    assert [e.lead_id for e in events_of(session, visitor_id=VISITOR)][-1] == found["id"]


def test_open_pixel_records_an_email_open(client, auth, session):
    lead_id = lead(client, auth)
    token = email_service.open_token(SECRET, lead_id, campaign_id=None, message_id="m-1")
    r = client.get(f"/t/o/{token}.gif")
    assert r.status_code == 200 and r.headers["content-type"] == "image/gif" and r.content.startswith(b"GIF89a")
    [opened] = events_of(session, lead_id=lead_id)
    assert opened.type == "email_open" and opened.properties == {"message_id": "m-1"} and opened.source == "email"


def test_a_bad_open_token_still_answers_the_gif_but_records_nothing(client, auth, session):
    lead_id = lead(client, auth)
    token = email_service.open_token("another-secret-" + "y" * 40, lead_id)
    r = client.get(f"/t/o/{token}.gif")
    assert r.status_code == 200 and r.content.startswith(b"GIF89a")
    assert events_of(session, lead_id=lead_id) == []


def test_signed_click_lands_and_redirects_to_the_exact_target(client, auth, session):
    lead_id = lead(client, auth)
    target = "https://www.example.com/offer?x=1&y=%C3%A9#top"
    url = email_service.click_url("http://testserver", SECRET, lead_id, target, message_id="m-2")
    r = client.get(url, headers=BROWSER, follow_redirects=False)
    assert r.status_code == 302
    [click] = events_of(session, lead_id=lead_id)
    assert click.type == "email_click" and click.properties["url"] == target
    # The exact target, with a token of the click (not of the person) for lf.js on the website to hand back.
    landing, _, fragment = r.headers["location"].partition("#")
    address, _, token = landing.partition("&lf_t=")
    assert (address, fragment) == ("https://www.example.com/offer?x=1&y=%C3%A9", "top")
    assert email_service.read_visit_token(SECRET, token) == (click.id, None)


@pytest.mark.parametrize("tamper", ["forged", "altered"])
def test_forged_or_altered_click_token_is_refused_without_redirect(client, auth, session, tamper):
    lead_id = lead(client, auth)
    if tamper == "forged":
        token = email_service.click_token("another-secret-" + "y" * 40, lead_id, "https://evil.example/")
    else:
        good = email_service.click_token(SECRET, lead_id, "https://www.example.com/")
        _payload, _, signature = good.partition(".")
        evil = email_service.click_token(SECRET, lead_id, "https://evil.example/").partition(".")[0]
        token = f"{evil}.{signature}"
    r = client.get(f"/t/c/{token}", headers=BROWSER, follow_redirects=False)
    assert r.status_code == 400 and "location" not in r.headers
    assert "not valid" in r.text
    assert events_of(session, lead_id=lead_id) == []


def test_click_with_a_visitor_cookie_identifies_the_visitor(client, auth, session):
    lead_id = lead(client, auth)
    client.post("/t/collect", headers=PAGE, json=beacon({"type": "page_view", "url": "https://www.example.com/"}))
    url = email_service.click_url("http://testserver", SECRET, lead_id, "https://www.example.com/")
    client.cookies.set("lf_vid", VISITOR)
    assert client.get(url, headers=BROWSER, follow_redirects=False).status_code == 302
    client.cookies.clear()
    assert {e.type: e.lead_id for e in events_of(session, lead_id=lead_id)} == {
        "email_click": lead_id, "page_view": lead_id}


def test_events_api_answers_per_item_with_lead_by_id_email_or_visitor(client, auth, session):
    by_id = lead(client, auth)
    by_email = lead(client, auth, email="Webinar.Fan@example.com")
    r = client.post("/api/v1/events", headers=auth, json={"events": [
        {"type": "webinar_attended", "lead_id": by_id, "properties": {"webinar": "Q4 launch"}},
        {"type": "email_open", "email": "WEBINAR.FAN@example.com", "occurred_at": "2026-01-05T10:00:00Z"},
        {"type": "custom:trial_started", "visitor_id": "anon_visitor_123"},
        {"type": "page_view", "email": "nobody@example.com"},
        {"type": "Bad Type!", "lead_id": by_id},
        {"type": "page_view"},
    ]})
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["accepted"], body["duplicates"], body["rejected"]) == (3, 0, 3)
    outcomes = [(i["outcome"], i["lead_id"]) for i in body["items"]]
    assert outcomes[:3] == [("accepted", by_id), ("accepted", by_email), ("accepted", None)]
    assert body["items"][3]["errors"][0]["field"] == "email"
    assert body["items"][4]["errors"][0]["field"] == "type"
    assert body["items"][5]["errors"][0]["field"] == "lead_id"
    assert [e.type for e in events_of(session, lead_id=by_id)] == ["webinar_attended"]
    [opened] = events_of(session, lead_id=by_email)
    assert opened.occurred_at == datetime(2026, 1, 5, 10, tzinfo=UTC)
    assert events_of(session, visitor_id="anon_visitor_123")[0].lead_id is None
    assert client.get(f"/api/v1/leads/{by_id}", headers=auth).json()["score"] is not None


def test_events_api_is_idempotent_by_external_id(client, auth, session):
    lead_id = lead(client, auth)
    item = {"type": "download", "lead_id": lead_id, "external_id": "crm-42", "properties": {"name": "guide.pdf"}}
    first = client.post("/api/v1/events", headers=auth, json={"events": [item, item]}).json()
    assert [i["outcome"] for i in first["items"]] == ["accepted", "duplicate"]
    assert first["items"][1]["event_id"] == first["items"][0]["event_id"]
    again = client.post("/api/v1/events", headers=auth, json={"events": [item]}).json()
    assert again["items"][0]["outcome"] == "duplicate" and again["items"][0]["event_id"] == first["items"][0]["event_id"]
    assert len(events_of(session, lead_id=lead_id)) == 1


def test_events_api_refuses_future_times_big_batches_and_missing_keys(client, auth):
    lead_id = lead(client, auth)
    future = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    r = client.post("/api/v1/events", headers=auth, json={"events": [
        {"type": "page_view", "lead_id": lead_id, "occurred_at": future}]})
    assert r.json()["items"][0]["errors"] == [{"field": "occurred_at", "reason": "is in the future"}]
    big = client.post("/api/v1/events", headers=auth, json={"events": [{"type": "page_view", "lead_id": lead_id}] * 1001})
    assert big.status_code == 422 and big.json()["errors"][0]["field"] == "events"
    assert client.post("/api/v1/events", json={"events": []}).status_code == 401
    assert client.post("/api/v1/events", headers=auth, content=b"{oops").status_code == 400


def test_a_reps_key_cannot_post_events_for_leads_they_cannot_see(client, auth, factory, session):
    rep = person(factory, "sales_rep")
    other = person(factory, "sales_rep")
    mine = lead(client, auth, owner=rep)
    theirs = lead(client, auth, owner=other, email="theirs@example.com")
    r = client.post("/api/v1/events", headers=rep.headers, json={"events": [
        {"type": "call_outcome", "lead_id": mine, "properties": {"outcome": "reached"}},
        {"type": "call_outcome", "lead_id": theirs},
        {"type": "call_outcome", "email": "theirs@example.com"}]})
    assert r.status_code == 200, r.text
    items = r.json()["items"]
    assert [i["outcome"] for i in items] == ["accepted", "rejected", "rejected"]
    assert items[1]["errors"][0]["reason"].startswith("not found")
    assert events_of(session, lead_id=theirs) == []
    readonly = person(factory, "sales_rep", scopes=["leads:read"])
    assert client.post("/api/v1/events", headers=readonly.headers,
                       json={"events": [{"type": "page_view", "lead_id": mine}]}).status_code == 403


def test_lead_page_panel_shows_events_escaped_newest_first(client, auth, factory):
    admin = person(factory, "admin")
    lead_id = lead(client, auth)
    client.post("/api/v1/events", headers=auth, json={"events": [
        {"type": "page_view", "lead_id": lead_id, "occurred_at": "2026-01-01T09:00:00Z",
         "properties": {"url": "https://www.example.com/pricing", "title": "<script>alert(1)</script>"}},
        {"type": "webinar_attended", "lead_id": lead_id, "occurred_at": "2026-01-02T09:00:00Z",
         "properties": {"url": "javascript:alert(2)"}}]})
    assert sign_in(client, admin.email).status_code == 303
    page = client.get(f"/leads/{lead_id}")
    assert f'hx-get="/leads/{lead_id}/events"' in page.text
    r = client.get(f"/leads/{lead_id}/events", headers={"HX-Request": "true"})
    assert r.status_code == 200
    text = r.text
    assert text.index("Attended a webinar") < text.index("Viewed a page")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text and "<script>alert" not in text
    assert 'href="https://www.example.com/pricing"' in text and 'href="javascript:' not in text
    full = client.get(f"/leads/{lead_id}/events")
    assert full.status_code == 200 and "Back to the lead" in full.text


# Pictographs and symbols a browser draws only with an emoji font (Debian's Chromium has none: an empty box).
EMOJI = re.compile("[\U0001F000-\U0001FAFF\u2600-\u27BF\u2B00-\u2BFF\uFE0F]")


def test_lead_page_panel_draws_each_event_icon_as_svg_never_an_emoji(client, auth, factory):
    admin = person(factory, "admin")
    lead_id = lead(client, auth)
    types = [*domain.EVENT_TYPES, "custom:demo_booked"]
    r = client.post("/api/v1/events", headers=auth, json={"events": [
        {"type": t, "lead_id": lead_id, "occurred_at": f"2026-01-01T09:{i:02d}:00Z"} for i, t in enumerate(types)]})
    assert r.status_code == 200 and r.json()["accepted"] == len(types), r.text
    sign_in(client, admin.email)
    panel = client.get(f"/leads/{lead_id}/events", headers={"HX-Request": "true"}).text
    assert not EMOJI.findall(panel)
    rows = re.findall(r'<li class="event event-[^"]+">\s*<span class="event-icon"><svg class="icon icon-([a-z]+)"', panel)
    assert len(rows) == len(types)
    assert {"eye", "link", "mail", "dot"} <= set(rows)
    page = client.get(f"/leads/{lead_id}")
    qualification = client.get(f"/leads/{lead_id}/qualification", headers={"HX-Request": "true"})
    assert not EMOJI.findall(page.text) and not EMOJI.findall(qualification.text)


def test_lead_panel_pages_with_a_cursor_and_hides_leads_you_cannot_see(client, auth, factory):
    rep = person(factory, "sales_rep")
    lead_id = lead(client, auth)
    client.post("/api/v1/events", headers=auth, json={"events": [
        {"type": "page_view", "lead_id": lead_id, "occurred_at": f"2026-01-01T09:{m:02d}:00Z",
         "properties": {"url": f"https://www.example.com/p{m}"}} for m in range(30)]})
    admin = person(factory, "admin")
    sign_in(client, admin.email)
    first = client.get(f"/leads/{lead_id}/events", headers={"HX-Request": "true"}).text
    assert "/p29" in first and "/p4\"" not in first and "Older events" in first
    cursor = first.split("cursor=")[1].split('"')[0]
    older = client.get(f"/leads/{lead_id}/events?cursor={cursor}", headers={"HX-Request": "true"}).text
    assert "/p4\"" in older and "/p29" not in older and "Older events" not in older
    client.post("/logout")
    client.cookies.clear()
    sign_in(client, rep.email)
    assert client.get(f"/leads/{lead_id}/events").status_code == 404


def test_cli_prints_a_signed_click_link_and_open_pixel(monkeypatch, database):
    from typer.testing import CliRunner

    from leadflow.cli import app
    from leadflow.settings import get_settings

    monkeypatch.setenv("LEADFLOW_DATABASE_URL", database.url)
    monkeypatch.setenv("LEADFLOW_SECRET_KEY", SECRET)
    monkeypatch.setenv("LEADFLOW_BASE_URL", "https://leads.example")
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["tracking", "link", "--lead", "7", "--url", "https://www.example.com/x"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    click = result.output.split("click: ")[1].split()[0]
    assert click.startswith("https://leads.example/t/c/")
    claims = email_service.read_token(SECRET, click.rsplit("/", 1)[1], click=True)
    assert claims.lead_id == 7 and claims.url == "https://www.example.com/x"
    assert "https://leads.example/t/o/" in result.output
    bad = CliRunner().invoke(app, ["tracking", "link", "--lead", "7", "--url", "javascript:alert(1)"])
    assert bad.exit_code != 0
