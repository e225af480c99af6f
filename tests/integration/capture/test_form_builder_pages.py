"""The form builder: build a form in the pages, a live preview of the unsaved definition, the embed code, the
public page then takes a post; errors beside their inputs; permissions and CSRF."""

from __future__ import annotations

import re

from leadflow import clock
from tests.integration.people.factories import person
from tests.integration.people.pages import form_token, sign_in

BASE = {"name": "Brochure request", "slug": "", "default_language": "en", "languages": "", "title": "Get the brochure",
        "submit_label": "Send it", "thank_you": "Thanks, it is on its way.", "redirect_url": "",
        "allowed_origins": "https://www.example.com\nhttps://Shop.Example.com:443/", "campaign_id": "",
        "active": "yes", "honeypot": "website_url",
        "f-0-target": "email", "f-0-type": "auto", "f-0-label": "Work email", "f-0-required": "yes",
        "f-1-target": "first_name", "f-1-type": "auto", "f-1-label": "First name",
        "f-2-target": "custom", "f-2-custom": "interest", "f-2-type": "select", "f-2-label": "Interest",
        "f-2-choices": "pumps = Pumps\nvalves",
        "c-0-purpose": "newsletter", "c-0-text": "Send me the monthly newsletter.", "op": "save"}


def _signed_in(client, factory, role="marketing"):
    who = person(factory, role)
    assert sign_in(client, who.email).status_code == 303
    return who


def _post(client, path="/forms/new", **changes):
    data = {**BASE, "csrf_token": form_token(client, path if path != "/forms/preview" else "/forms/new"), **changes}
    return client.post(path, data={k: v for k, v in data.items() if v is not None}, follow_redirects=False)


def test_a_form_built_in_the_pages_is_served_publicly_and_takes_a_submission(client, auth, factory):
    _signed_in(client, factory)
    campaign = client.post("/api/v1/campaigns", headers=auth, json={"name": "Brochures", "code": "BRO"}).json()
    r = _post(client, campaign_id=str(campaign["id"]))
    assert r.status_code == 303, r.text
    form_id = int(r.headers["location"].rsplit("/", 1)[1])
    api = client.get(f"/api/v1/forms/{form_id}", headers=auth).json()
    assert api["slug"] == "brochure-request" and api["campaign_id"] == campaign["id"]
    assert [f["maps_to"] for f in api["fields"]] == ["email", "first_name", "custom_fields.interest"]
    assert api["fields"][2]["options"] == [{"value": "pumps", "label": {"en": "Pumps"}},
                                           {"value": "valves", "label": {}}]
    assert api["allowed_origins"] == ["https://www.example.com", "https://shop.example.com"]
    assert api["consents"][0]["text"] == {"en": "Send me the monthly newsletter."}

    page = client.get(f"/forms/{form_id}")
    assert "Form “Brochure request” created" in page.text
    embed = re.search(r'<textarea id="embed-code"[^>]*>(.*?)</textarea>', page.text, re.S).group(1)
    assert "/f/brochure-request/embed.js" in embed and embed.startswith("&lt;script")
    assert 'data-copy="embed-code"' in page.text and "form-builder.js" in page.text
    assert 'id="lf-preview-f0"' in page.text

    listed = client.get("/forms")
    assert "Brochure request" in listed.text and 'href="/f/brochure-request"' in listed.text
    assert 'href="/forms/%d"' % form_id in client.get(f"/forms/by-campaign/{campaign['id']}").text

    client.cookies.clear()
    public = client.get("/f/brochure-request")
    assert public.status_code == 200 and "Work email" in public.text
    ts = re.search(r'name="_ts" value="([^"]+)"', public.text).group(1)
    state = {"now": clock.now()}
    clock.set_clock(lambda: state["now"])
    try:
        from datetime import timedelta
        state["now"] += timedelta(seconds=30)
        sent = client.post("/f/brochure-request", data={"email": "ella@example.com", "first_name": "Ella",
                                                        "custom_fields.interest": "pumps", "consent.newsletter": "yes",
                                                        "_ts": ts, "_lang": "en"})
    finally:
        clock.set_clock(None)
    assert sent.status_code == 200 and "Thanks, it is on its way." in sent.text
    lead = client.get("/api/v1/leads", params={"email": "ella@example.com"}, headers=auth).json()["items"][0]
    assert lead["custom_fields"] == {"interest": "pumps"} and lead["campaign_id"] == campaign["id"]
    _signed_in(client, factory)
    assert re.search(r'<td class="num">1</td>', client.get("/forms").text)


def test_the_preview_renders_the_unsaved_definition_with_the_hosted_template(client, factory):
    _signed_in(client, factory)
    r = _post(client, "/forms/preview", **{"f-1-label": "Your <em>first</em> name", "f-3-target": "phone",
                                           "f-3-type": "auto", "f-3-label": "Phone"})
    assert r.status_code == 200
    assert 'class="lf-form"' in r.text and "<fieldset disabled" in r.text
    assert "Your &lt;em&gt;first&lt;/em&gt; name" in r.text
    assert 'id="lf-preview-f3"' in r.text and 'type="tel"' in r.text
    assert "Send me the monthly newsletter." in r.text and ">Pumps</option>" in r.text
    half = _post(client, "/forms/preview", **{"f-1-label": "", "c-0-text": ""})
    assert half.status_code == 200 and "To fix before saving" in half.text and 'class="lf-form"' in half.text
    css = client.get("/forms/preview.css")
    assert css.status_code == 200 and ".lf-form" in css.text and "<style" not in css.text
    assert "hx-post=\"/forms/preview\"" in client.get("/forms/new").text


def test_fields_are_added_moved_and_removed_before_saving(client, auth, factory):
    _signed_in(client, factory)
    added = _post(client, op="add_field")
    assert added.status_code == 200 and 'id="f-3-target"' in added.text
    moved = _post(client, op="down_field:0")
    assert moved.status_code == 200
    assert re.search(r'id="f-0-label" name="f-0-label" value="First name"', moved.text)
    removed = _post(client, op="remove_field:1")
    assert 'value="First name"' not in removed.text
    assert client.get("/api/v1/forms", headers=auth).json()["items"] == []


def test_wrong_definitions_are_shown_beside_their_inputs(client, auth, factory):
    _signed_in(client, factory)
    r = _post(client, **{"allowed_origins": "http://www.example.com", "f-1-type": "checkbox",
                         "f-2-choices": "", "redirect_url": "ftp://x", "c-0-text": ""})
    assert r.status_code == 422
    for ident in ("form-origins-error", "f-1-type-error", "f-2-choices-error", "form-redirect-error",
                  "c-0-text-error"):
        assert f'id="{ident}"' in r.text, ident
    assert "Line 1 (http://www.example.com)" in r.text
    no_name = _post(client, name="")
    assert no_name.status_code == 422 and 'id="form-name-error"' in no_name.text
    assert client.get("/api/v1/forms", headers=auth).json()["items"] == []


def test_editing_keeps_translations_made_through_the_api(client, auth, factory):
    created = client.post("/api/v1/forms", headers=auth, json={
        "name": "Contact", "languages": ["nl"], "fields": [
            {"maps_to": "email", "required": True, "label": {"en": "Email", "nl": "E-mailadres"}}]}).json()
    _signed_in(client, factory)
    page = client.get(f"/forms/{created['id']}")
    assert 'value="Email"' in page.text and 'name="languages" value="nl"' in page.text
    data = {"csrf_token": form_token(client, f"/forms/{created['id']}"), "op": "save", "name": "Contact us",
            "slug": "contact", "default_language": "en", "languages": "nl", "active": "yes",
            "honeypot": "website_url", "f-0-target": "email", "f-0-type": "email", "f-0-label": "Work email",
            "f-0-required": "yes"}
    r = client.post(f"/forms/{created['id']}", data=data, follow_redirects=False)
    assert r.status_code == 303, r.text
    api = client.get(f"/api/v1/forms/{created['id']}", headers=auth).json()
    assert api["name"] == "Contact us"
    assert api["fields"][0]["label"] == {"en": "Work email", "nl": "E-mailadres"}


def test_a_sales_rep_cannot_build_forms_and_a_post_without_csrf_is_refused(client, auth, factory):
    _signed_in(client, factory, "sales_rep")
    assert client.get("/forms/new").status_code == 403
    client.cookies.clear()
    _signed_in(client, factory)
    r = client.post("/forms/new", data={k: v for k, v in BASE.items()})
    assert r.status_code == 403
    assert client.get("/api/v1/forms", headers=auth).json()["items"] == []


def test_the_empty_list_says_what_to_do_next(client, factory):
    _signed_in(client, factory)
    page = client.get("/forms")
    assert "No forms yet." in page.text and 'href="/forms/new"' in page.text
