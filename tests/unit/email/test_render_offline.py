"""A rendered email asks no other site for anything: MJML's web-font stylesheets (its default Ubuntu, or a font a
template names) are left out; the font stack falls back to the fonts on the reader's device."""

from __future__ import annotations

import re

import pytest

from leadflow.email import render


@pytest.mark.parametrize("font", [None, "Lato, Helvetica, sans-serif", "Roboto"])
def test_no_stylesheet_from_another_site_whatever_font_the_template_names(font):
    attribute = f' font-family="{font}"' if font else ""
    template = type("T", (), {"id": 0, "version": hash(font) % 1000, "subject": "Hi", "preheader": "",
                              "body_mjml": "<mjml><mj-body><mj-section><mj-column>"
                                           f"<mj-text{attribute}>Hello</mj-text></mj-column></mj-section>"
                                           "</mj-body></mjml>"})()
    page = render.render(template, {}).html
    assert "Hello" in page
    assert not re.search(r"<link[^>]+https?://|@import url\(https?://", page)
