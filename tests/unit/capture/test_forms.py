"""capture/forms.py: definition rules, language choice, reading a post, the timing rule."""

from __future__ import annotations

import pytest

from leadflow.capture.forms import definition as forms
from leadflow.errors import Invalid


def definition(**overrides) -> dict:
    data = {
        "slug": "demo", "name": "Demo", "languages": ["en", "de"], "title": {"en": "Demo"},
        "fields": [
            {"maps_to": "email", "required": True, "label": {"en": "Email", "de": "E-Mail"}},
            {"maps_to": "custom_fields.size", "type": "select", "label": {"en": "Size"},
             "options": [{"value": "s"}, {"value": "m", "label": {"en": "Medium"}}]},
            {"maps_to": "custom_fields.partner", "type": "checkbox", "label": {"en": "I am a partner"}},
            {"maps_to": "custom_fields.event", "type": "hidden", "value": "fair-2026"},
        ],
        "consents": [{"purpose": "calls", "required": False, "text": {"en": "You may call me.", "de": "Anrufe ok."}}],
        "honeypot": "website_url", "allowed_origins": ["https://Shop.Example.com:443", "https://x.example:8443/"],
    }
    data.update(overrides)
    return forms.check_definition(data)


def fields_of(exc: pytest.ExceptionInfo) -> set[str]:
    return {e.field for e in exc.value.errors}


def test_definition_is_normalized():
    checked = definition()
    assert checked["allowed_origins"] == ["https://shop.example.com", "https://x.example:8443"]
    assert checked["fields"][0]["type"] == "email"
    assert checked["fields"][1]["options"][1] == {"value": "m", "label": {"en": "Medium"}}


@pytest.mark.parametrize("origin", ["*", "https://*.example.com", "http://shop.example.com", "https://a.example/x",
                                    "https://user@a.example", "shop.example.com"])
def test_origin_must_be_exact_https(origin):
    with pytest.raises(Invalid) as exc:
        definition(allowed_origins=[origin])
    assert fields_of(exc) == {"allowed_origins.0"}


def test_every_mistake_is_named_at_once():
    with pytest.raises(Invalid) as exc:
        definition(slug="Bad Slug", redirect_url="mailto:x@example.com", honeypot="_lang",
                   fields=[{"maps_to": "phone", "type": "checkbox", "label": {"en": "Phone"}},
                           {"maps_to": "phone", "label": {"en": "Phone again"}}])
    assert fields_of(exc) == {"slug", "redirect_url", "honeypot", "fields.0.type", "fields.1.maps_to"}


def test_label_in_a_language_the_form_does_not_have_is_refused():
    with pytest.raises(Invalid) as exc:
        definition(fields=[{"maps_to": "email", "label": {"en": "Email", "fr": "Courriel"}}])
    assert fields_of(exc) == {"fields.0.label.fr"}


def test_language_from_query_then_browser_then_default():
    checked = definition()
    assert forms.choose_language(checked, "de", "en") == "de"
    assert forms.choose_language(checked, "xx", "fr-FR,de-AT;q=0.8,en;q=0.5") == "de"
    assert forms.choose_language(checked, None, "fr") == "en"


def test_post_is_read_into_a_submission_with_the_consent_text_shown():
    submission, errors = forms.read_post(definition(), {
        "email": " a@b.example ", "custom_fields.size": "m", "custom_fields.partner": "yes", "consent.calls": "yes",
        "custom_fields.event": "forged", "utm_source": "fair", "unknown": "ignored"}, "de")
    assert errors == []
    assert submission.fields == {"email": "a@b.example"}
    assert submission.custom_fields == {"size": "m", "partner": True, "event": "fair-2026"}
    assert submission.consents == [{"purpose": "calls", "granted": True, "text": "Anrufe ok."}]
    assert submission.attribution == {"utm_source": "fair"}


def test_missing_required_and_unknown_choice_are_errors():
    _, errors = forms.read_post(definition(), {"custom_fields.size": "xl"}, "en")
    assert {(e.field, e.reason) for e in errors} == {("email", forms.REQUIRED),
                                                     ("custom_fields.size", forms.NOT_A_CHOICE)}
    assert forms.message_for(errors[0], "de").startswith("Dieses Feld")


def test_layout_binds_errors_to_fields_and_keeps_values():
    _, errors = forms.read_post(definition(), {"custom_fields.size": "s"}, "en")
    view = forms.layout(definition(), "en", values={"custom_fields.size": "s"}, errors=errors, id_prefix="p")
    email, size = view["fields"][0], view["fields"][1]
    assert email["error"] and email["id"] == "p-f0"
    assert [o["selected"] for o in size["options"]] == [True, False]
    assert view["summary"] == [{"target": "p-f0", "label": "Email", "message": "This field is required."}]
    assert [f["name"] for f in view["fields"]] == ["email", "custom_fields.size", "custom_fields.partner"]


def test_honeypot_and_timing():
    checked = definition()
    assert forms.is_spam(checked, {"website_url": "x"}) and not forms.is_spam(checked, {"website_url": " "})
    assert forms.filled_too_fast(100.0, 101.0)
    assert not forms.filled_too_fast(100.0, 100.0 + forms.MIN_FILL_SECONDS)
    assert not forms.filled_too_fast(None, 101.0)


def test_slug_from_any_name():
    assert forms.slugify("Café Zürich — Kontakt!") == "cafe-zurich-kontakt"
    assert forms.slugify("???") == "form"
