"""Hosted forms: definitions through the API, the page at /f/{slug}, its post, the embed and cross-origin rules."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from leadflow import clock

ALLOWED = "https://www.example.com"


def definition(**overrides) -> dict:
    body = {
        "name": "Contact us", "slug": "contact", "default_language": "en", "languages": ["nl"],
        "title": {"en": "Talk to us", "nl": "Neem contact op"},
        "submit_label": {"en": "Send", "nl": "Versturen"},
        "fields": [
            {"maps_to": "email", "required": True, "label": {"en": "Email address", "nl": "E-mailadres"}},
            {"maps_to": "first_name", "label": {"en": "First name", "nl": "Voornaam"}},
            {"maps_to": "company", "label": {"en": "Company", "nl": "Bedrijf"}},
            {"maps_to": "custom_fields.budget", "type": "select", "label": {"en": "Budget", "nl": "Budget"},
             "options": [{"value": "small", "label": {"en": "Small", "nl": "Klein"}}, {"value": "large"}]},
            {"maps_to": "custom_fields.source", "type": "hidden", "value": "website"},
        ],
        "consents": [{"purpose": "newsletter", "required": True,
                      "text": {"en": "Send me the monthly newsletter.",
                               "nl": "Stuur mij de maandelijkse nieuwsbrief."}}],
        "thank_you": {"en": "Thanks, we will call you.", "nl": "Bedankt, we bellen je."},
        "allowed_origins": [ALLOWED],
    }
    body.update(overrides)
    return body


@pytest.fixture
def form(client, auth) -> dict:
    r = client.post("/api/v1/forms", headers=auth, json=definition())
    assert r.status_code == 201, r.text
    return r.json()


def lead_by_email(client, auth, email):
    items = client.get("/api/v1/leads", params={"email": email}, headers=auth).json()["items"]
    return items


def form_captures(client, auth, **params):
    return client.get("/api/v1/captures", params={"channel": "form", **params}, headers=auth).json()["items"]


def test_form_is_defined_through_the_api_with_its_embed_code(client, auth, form):
    assert form["slug"] == "contact"
    assert form["default_language"] == "en" and form["languages"] == ["en", "nl"]
    assert form["embed_code"] == '<script src="http://127.0.0.1:8000/f/contact/embed.js" async></script>'
    assert form["fields"][0]["type"] == "email"
    assert client.get(f"/api/v1/forms/{form['id']}", headers=auth).json()["name"] == "Contact us"
    assert [f["slug"] for f in client.get("/api/v1/forms", headers=auth).json()["items"]] == ["contact"]
    patched = client.patch(f"/api/v1/forms/{form['id']}", headers=auth, json={"name": "Contact", "active": False})
    assert patched.status_code == 200 and patched.json()["active"] is False
    assert patched.json()["fields"] == form["fields"]


def test_slug_comes_from_the_name_when_not_given(client, auth, form):
    r = client.post("/api/v1/forms", headers=auth, json=definition(slug=None, name="Contact"))
    assert r.status_code == 201
    assert r.json()["slug"] == "contact-2"


@pytest.mark.parametrize(("change", "field"), [
    ({"allowed_origins": ["https://*.example.com"]}, "allowed_origins.0"),
    ({"allowed_origins": ["http://www.example.com"]}, "allowed_origins.0"),
    ({"allowed_origins": ["https://www.example.com/contact"]}, "allowed_origins.0"),
    ({"redirect_url": "javascript:alert(1)"}, "redirect_url"),
    ({"fields": [{"maps_to": "email", "label": {"nl": "E-mail"}}]}, "fields.0.label"),
    ({"fields": [{"maps_to": "favourite_colour", "label": {"en": "Colour"}}]}, "fields.0.maps_to"),
    ({"fields": [{"maps_to": "email", "type": "essay", "label": {"en": "E"}}]}, "fields.0.type"),
    ({"fields": [{"maps_to": "email", "label": {"en": "E"}},
                 {"maps_to": "custom_fields.size", "type": "select", "label": {"en": "Size"}}]}, "fields.1.options"),
    ({"fields": [{"maps_to": "first_name", "label": {"en": "Name"}}]}, "fields"),
    ({"consents": [{"purpose": "newsletter", "text": {"nl": "Nieuwsbrief"}}]}, "consents.0.text"),
    ({"honeypot": "email"}, "honeypot"),
    ({"default_language": "klingon-language!"}, "default_language"),
    ({"campaign": "NO-SUCH-CODE"}, "campaign"),
    ({"slug": "Not A Slug"}, "slug"),
])
def test_bad_definition_is_422_naming_the_field(client, auth, change, field):
    r = client.post("/api/v1/forms", headers=auth, json=definition(**change))
    assert r.status_code == 422, r.text
    assert field in {e["field"] for e in r.json()["errors"]}


def test_taken_slug_and_bad_patch_are_422(client, auth, form):
    again = client.post("/api/v1/forms", headers=auth, json=definition())
    assert again.status_code == 422 and again.json()["errors"][0]["field"] == "slug"
    bad = client.patch(f"/api/v1/forms/{form['id']}", headers=auth, json={"redirect_url": "ftp://x.example/"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "redirect_url"
    assert client.get(f"/api/v1/forms/{form['id']}", headers=auth).json()["redirect_url"] is None


def test_form_api_needs_a_key(client, form):
    assert client.get("/api/v1/forms").status_code == 401
    assert client.post("/api/v1/forms", json=definition(slug="other")).status_code == 401


def test_page_shows_labels_and_consent_text_in_the_language_asked(client, form):
    english = client.get("/f/contact")
    assert english.status_code == 200
    assert english.headers["content-type"].startswith("text/html")
    assert '<html lang="en">' in english.text and "Email address" in english.text
    dutch = client.get("/f/contact", params={"lang": "nl"}).text
    assert '<html lang="nl">' in dutch
    assert "E-mailadres" in dutch and "Stuur mij de maandelijkse nieuwsbrief." in dutch
    assert "Voornaam" in dutch and "Versturen" in dutch
    by_browser = client.get("/f/contact", headers={"accept-language": "nl-BE,nl;q=0.9,en;q=0.5"}).text
    assert "E-mailadres" in by_browser


def test_page_is_accessible_markup(client, form):
    html = client.get("/f/contact").text
    email = re.search(r'<input type="email" id="([^"]+)" name="email"[^>]*>', html)
    assert email and 'required aria-required="true"' in email.group(0)
    assert f'<label for="{email.group(1)}">Email address' in html
    consent = re.search(r'<input type="checkbox" id="([^"]+)" name="consent.newsletter"[^>]*>', html)
    assert consent and f'<label for="{consent.group(1)}">Send me the monthly newsletter.' in html
    assert re.search(r'<div class="lf-hp" aria-hidden="true">.*?name="website_url"[^>]*tabindex="-1"', html, re.S)
    assert "http://" not in html.split("<body>")[0].replace("http://testserver", "")  # no asset from elsewhere


def test_label_with_markup_is_escaped(client, auth):
    body = definition(slug="xss", fields=[{"maps_to": "email", "label": {"en": "Mail <script>alert(1)</script>"}}],
                      consents=[])
    assert client.post("/api/v1/forms", headers=auth, json=body).status_code == 201
    html = client.get("/f/xss").text
    assert "<script>alert(1)</script>" not in html
    assert "Mail &lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_query_string_attribution_is_carried_in_hidden_inputs(client, form):
    html = client.get("/f/contact", params={"utm_source": "linkedin", "gclid": "G-7"}).text
    assert '<input type="hidden" name="utm_source" value="linkedin">' in html
    assert '<input type="hidden" name="gclid" value="G-7">' in html
    assert re.search(r'<input type="hidden" name="landing_page" value="http://testserver/f/contact\?[^"]*">', html)


def test_urlencoded_post_creates_the_lead_with_consent_text_and_campaign(client, auth):
    campaign = client.post("/api/v1/campaigns", headers=auth,
                           json={"name": "Spring webinar", "code": "WEB-SPRING", "channel": "web"}).json()
    assert client.post("/api/v1/forms", headers=auth, json=definition(campaign="web-spring")).status_code == 201
    r = client.post("/f/contact", data={"email": "Anna@Example.com", "first_name": "Anna",
                                        "custom_fields.budget": "small", "consent.newsletter": "yes", "_lang": "nl"})
    assert r.status_code == 200
    assert "Bedankt, we bellen je." in r.text and '<html lang="nl">' in r.text
    [lead] = lead_by_email(client, auth, "anna@example.com")
    assert lead["first_name"] == "Anna" and lead["channel"] == "form"
    assert lead["campaign_id"] == campaign["id"]
    assert lead["custom_fields"] == {"budget": "small", "source": "website"}
    consents = client.get(f"/api/v1/leads/{lead['id']}/consents", headers=auth).json()
    assert [(c["purpose"], c["granted"], c["text"]) for c in consents] == [
        ("newsletter", True, "Stuur mij de maandelijkse nieuwsbrief.")]
    [capture] = form_captures(client, auth, lead_id=lead["id"])
    assert capture["outcome"] == "created" and capture["client"] == "contact"
    detail = client.get(f"/api/v1/captures/{capture['id']}", headers=auth).json()
    assert detail["form_id"] is not None and "email=Anna%40Example.com" in detail["payload"]


def test_multipart_post_works(client, auth, form):
    r = client.post("/f/contact", files={"email": (None, "multi@example.com"), "consent.newsletter": (None, "yes"),
                                         "company": (None, "Multipart BV")})
    assert r.status_code == 200, r.text
    [lead] = lead_by_email(client, auth, "multi@example.com")
    assert lead["company"] == "Multipart BV"
    [capture] = form_captures(client, auth, lead_id=lead["id"])
    assert capture["content_type"].startswith("multipart/form-data")


def test_repeat_post_with_the_same_email_merges_into_one_lead(client, auth, form):
    first = client.post("/f/contact", data={"email": "twice@example.com", "consent.newsletter": "yes"})
    second = client.post("/f/contact", data={"email": "TWICE@example.com", "company": "Acme",
                                             "consent.newsletter": "yes"})
    assert first.status_code == 200 and second.status_code == 200
    [lead] = lead_by_email(client, auth, "twice@example.com")
    assert lead["company"] == "Acme"
    assert [c["outcome"] for c in form_captures(client, auth, lead_id=lead["id"])] == ["merged", "created"]


def test_filled_honeypot_is_answered_as_accepted_but_creates_no_lead(client, auth, form):
    data = {"email": "bot@example.com", "consent.newsletter": "yes", "website_url": "http://spam.example"}
    r = client.post("/f/contact", data=data)
    assert r.status_code == 200 and "Thanks, we will call you." in r.text
    as_json = client.post("/f/contact", data=data, headers={"accept": "application/json"})
    assert as_json.json() == {"ok": True, "message": "Thanks, we will call you.", "redirect_url": None}
    assert lead_by_email(client, auth, "bot@example.com") == []
    rejected = form_captures(client, auth, outcome="rejected")
    assert len(rejected) == 2 and all(c["reasons"][0]["field"] == "honeypot" for c in rejected)


def test_form_sent_back_faster_than_a_person_is_kept_as_rejected(client, auth, form):
    moment = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    clock.set_clock(lambda: moment)
    try:
        token = re.search(r'name="_ts" value="([^"]+)"', client.get("/f/contact").text).group(1)
        quick = client.post("/f/contact", data={"email": "fast@example.com", "consent.newsletter": "yes",
                                                "_ts": token})
        assert quick.status_code == 200 and "Thanks" in quick.text
        assert lead_by_email(client, auth, "fast@example.com") == []
        assert form_captures(client, auth, outcome="rejected")[0]["reasons"][0]["field"] == "timing"
        moment += timedelta(seconds=20)
        human = client.post("/f/contact", data={"email": "slow@example.com", "consent.newsletter": "yes",
                                                "_ts": token})
        assert human.status_code == 200
        assert len(lead_by_email(client, auth, "slow@example.com")) == 1
    finally:
        clock.set_clock(None)


def test_missing_required_fields_rerender_the_form_with_errors_and_values(client, auth, form):
    r = client.post("/f/contact", data={"first_name": "Kees <b>", "custom_fields.budget": "large", "_lang": "nl"})
    assert r.status_code == 422
    html = r.text
    assert "Dit veld is verplicht." in html and "Vink dit vakje aan om verder te gaan." in html
    email = re.search(r'<input type="email" id="([^"]+)" name="email"[^>]*>', html).group(0)
    assert 'aria-invalid="true"' in email
    ident = re.search(r'id="([^"]+)"', email).group(1)
    assert f'aria-describedby="{ident}-error"' in email and f'<p class="lf-error" id="{ident}-error">' in html
    assert 'value="Kees &lt;b&gt;"' in html
    assert '<option value="large" selected>' in html
    capture = client.get(f"/api/v1/captures/{r.headers['x-capture-id']}", headers=auth).json()
    assert capture["outcome"] == "rejected"
    assert {x["field"] for x in capture["reasons"]} == {"email", "consent.newsletter"}


def test_invalid_email_and_unknown_choice_are_named(client, auth, form):
    r = client.post("/f/contact", data={"email": "not-an-email", "consent.newsletter": "yes",
                                        "custom_fields.budget": "huge"}, headers={"accept": "application/json"})
    assert r.status_code == 422
    assert {e["field"] for e in r.json()["errors"]} == {"custom_fields.budget"}
    r = client.post("/f/contact", data={"email": "not-an-email", "consent.newsletter": "yes"},
                    headers={"accept": "application/json"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "email"


def test_json_answers_for_the_embed(client, auth, form):
    bad = client.post("/f/contact", data={"_lang": "nl"}, headers={"accept": "application/json"})
    assert bad.status_code == 422
    body = bad.json()
    assert body["ok"] is False and body["error"] == "invalid"
    errors = {e["field"]: e for e in body["errors"]}
    assert errors["email"]["reason"] == "is required" and errors["email"]["message"] == "Dit veld is verplicht."
    assert client.get(f"/api/v1/captures/{body['capture_id']}", headers=auth).json()["outcome"] == "rejected"
    good = client.post("/f/contact", data={"email": "json@example.com", "consent.newsletter": "yes"},
                       headers={"accept": "application/json"})
    assert good.status_code == 200
    assert good.json() == {"ok": True, "message": "Thanks, we will call you.", "redirect_url": None}


def test_redirect_url_answers_303(client, auth):
    body = definition(slug="redirecting", redirect_url="https://www.example.com/thanks?from=form")
    assert client.post("/api/v1/forms", headers=auth, json=body).status_code == 201
    r = client.post("/f/redirecting", data={"email": "r@example.com", "consent.newsletter": "yes"},
                    follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == "https://www.example.com/thanks?from=form"
    embed = client.post("/f/redirecting", data={"email": "r@example.com", "consent.newsletter": "yes"},
                        headers={"accept": "application/json"})
    assert embed.json()["redirect_url"] == "https://www.example.com/thanks?from=form"


def test_embed_script_is_served_as_javascript(client, form):
    r = client.get("/f/contact/embed.js")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/javascript")
    assert "max-age" in r.headers["cache-control"]
    assert "document.currentScript" in r.text and "/definition" in r.text
    assert client.get("/f/nope/embed.js").status_code == 404


def test_definition_gives_the_embed_its_form_with_cors_for_allowed_origins(client, form):
    r = client.get("/f/contact/definition", params={"lang": "nl"}, headers={"origin": ALLOWED})
    assert r.status_code == 200
    assert r.headers["access-control-allow-origin"] == ALLOWED and r.headers["vary"] == "Origin"
    body = r.json()
    assert body["language"] == "nl"
    assert 'action="http://127.0.0.1:8000/f/contact"' in body["html"] and "E-mailadres" in body["html"]
    other = client.get("/f/contact/definition", headers={"origin": "https://evil.example"})
    assert "access-control-allow-origin" not in other.headers


def test_preflight_allows_only_the_forms_origins(client, form):
    ok = client.options("/f/contact", headers={"origin": ALLOWED, "access-control-request-method": "POST"})
    assert ok.status_code == 204
    assert ok.headers["access-control-allow-origin"] == ALLOWED
    assert "POST" in ok.headers["access-control-allow-methods"] and ok.headers["vary"] == "Origin"
    denied = client.options("/f/contact", headers={"origin": "https://evil.example",
                                                   "access-control-request-method": "POST"})
    assert "access-control-allow-origin" not in denied.headers
    assert "access-control-allow-methods" not in denied.headers


def test_post_from_an_allowed_origin_gets_cors_headers(client, auth, form):
    r = client.post("/f/contact", data={"email": "cors@example.com", "consent.newsletter": "yes"},
                    headers={"origin": ALLOWED, "accept": "application/json"})
    assert r.status_code == 200 and r.json()["ok"] is True
    assert r.headers["access-control-allow-origin"] == ALLOWED
    assert len(lead_by_email(client, auth, "cors@example.com")) == 1


def test_post_from_a_disallowed_origin_is_403_and_kept_as_rejected(client, auth, form):
    r = client.post("/f/contact", data={"email": "evil@example.com", "consent.newsletter": "yes"},
                    headers={"origin": "https://evil.example", "accept": "application/json"})
    assert r.status_code == 403
    assert r.json()["error"] == "forbidden_origin" and r.json()["errors"][0]["field"] == "origin"
    assert "access-control-allow-origin" not in r.headers
    capture = client.get(f"/api/v1/captures/{r.json()['capture_id']}", headers=auth).json()
    assert capture["outcome"] == "rejected" and capture["reasons"][0]["field"] == "origin"
    assert lead_by_email(client, auth, "evil@example.com") == []


def test_post_from_leadflows_own_page_is_allowed(client, auth, form):
    r = client.post("/f/contact", data={"email": "own@example.com", "consent.newsletter": "yes"},
                    headers={"origin": "http://testserver"})
    assert r.status_code == 200
    assert len(lead_by_email(client, auth, "own@example.com")) == 1


def test_attribution_from_the_post_lands_in_first_touch(client, auth, form):
    r = client.post("/f/contact", data={
        "email": "utm@example.com", "consent.newsletter": "yes", "utm_source": "newsletter", "utm_medium": "email",
        "fbclid": "FB-1", "referrer": "https://news.example/article",
        "landing_page": "https://www.example.com/pricing?utm_campaign=q3-push"})
    assert r.status_code == 200
    [lead] = lead_by_email(client, auth, "utm@example.com")
    touch = lead["first_touch"]
    assert touch["utm_source"] == "newsletter" and touch["utm_medium"] == "email" and touch["fbclid"] == "FB-1"
    assert touch["referrer"] == "https://news.example/article"
    assert touch["landing_page"] == "https://www.example.com/pricing?utm_campaign=q3-push"
    assert touch["utm_campaign"] == "q3-push" and touch["channel"] == "form"


def test_unknown_or_inactive_form_is_404(client, auth, form):
    assert client.get("/f/no-such-form").status_code == 404
    r = client.post("/f/no-such-form", data={"email": "x@example.com"})
    assert r.status_code == 404
    assert client.get(f"/api/v1/captures/{r.json()['capture_id']}", headers=auth).json()["outcome"] == "rejected"
    client.patch(f"/api/v1/forms/{form['id']}", headers=auth, json={"active": False})
    assert client.get("/f/contact").status_code == 404
    assert client.post("/f/contact", data={"email": "x@example.com", "consent.newsletter": "yes"}).status_code == 404
    assert lead_by_email(client, auth, "x@example.com") == []


def test_other_content_types_are_415_and_kept(client, auth, form):
    r = client.post("/f/contact", json={"email": "j@example.com"})
    assert r.status_code == 415
    assert client.get(f"/api/v1/captures/{r.json()['capture_id']}", headers=auth).json()["outcome"] == "rejected"


def test_oversized_post_is_413_and_kept(client, auth, app, form):
    limit = app.state.settings.max_body_bytes
    r = client.post("/f/contact", content=b"email=a%40b.example&company=" + b"x" * (limit + 10),
                    headers={"content-type": "application/x-www-form-urlencoded"})
    assert r.status_code == 413
    assert client.get(f"/api/v1/captures/{r.json()['capture_id']}", headers=auth).json()["outcome"] == "rejected"


def test_posts_beyond_the_rate_limit_are_429(database, factory, auth, form):
    from fastapi.testclient import TestClient

    from leadflow.app import create_app
    from tests.conftest import make_settings

    app = create_app(make_settings(database.url, rate_limit_per_minute=2), sessionmaker=factory)
    with TestClient(app, raise_server_exceptions=False) as limited:
        answers = [limited.post("/f/contact", data={"email": f"r{i}@example.com",
                                                    "consent.newsletter": "yes"}).status_code for i in range(3)]
    assert answers == [200, 200, 429]
