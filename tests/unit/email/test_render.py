"""Templates to emails: MJML compiled with the personalisation kept, safe defaults, escaping, the sandbox, links."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from leadflow.email import render
from leadflow.errors import Invalid

BODY = """<mjml><mj-body><mj-section><mj-column>
<mj-text>Hello {{ first_name | default("there") }}{% if custom.score > 50 %}, VIP{% endif %}.
{{ nothing.at.all }}</mj-text>
<mj-button href="https://example.com/a?b=1&amp;c=2">Go</mj-button>
<mj-text><a href="{{ unsubscribe_url }}">Unsubscribe</a></mj-text>
</mj-column></mj-section></mj-body></mjml>"""


def _template(body=BODY, subject='Hi {{ first_name | default("there") }}', version=1):
    return SimpleNamespace(id=1, version=version, subject=subject, preheader="Read {{ company }}", body_mjml=body)


def test_missing_values_take_the_default_and_unknown_names_print_nothing():
    rendered = render.render(_template(), render.context_of({"first_name": None, "custom": {"score": 70}}))
    assert rendered.subject == "Hi there"
    assert "Hello there, VIP." in rendered.html and "Hello there, VIP." in rendered.text
    without = render.render(_template(), render.context_of({"first_name": "Ann"}))  # no score: a comparison is false
    assert "Hello Ann." in without.text


def test_values_are_escaped_in_the_html():
    rendered = render.render(_template(), render.context_of({"first_name": "<script>alert(1)</script>"}))
    assert "<script>alert" not in rendered.html and "&lt;script&gt;" in rendered.html


def test_the_sandbox_refuses_to_reach_python_internals():
    evil = _template(body=BODY.replace("{{ nothing.at.all }}", "{{ ''.__class__.__mro__[1].__subclasses__() }}"),
                     version=2)
    with pytest.raises(render.RenderFailed, match="could not be personalised"):
        render.render(evil, render.context_of({}))


def test_links_become_tracked_except_the_unsubscribe_link_and_a_pixel_is_added():
    context = render.context_of({}, unsubscribe_url="https://crm.example/u/tok")
    rendered = render.render(_template(), context, click=lambda url: "https://crm.example/t/c/" + url,
                             pixel="https://crm.example/t/o/x.gif")
    assert 'href="https://crm.example/t/c/https://example.com/a?b=1&amp;c=2"' in rendered.html
    assert 'href="https://crm.example/u/tok"' in rendered.html
    assert '<img src="https://crm.example/t/o/x.gif"' in rendered.html


def test_a_template_that_does_not_compile_names_the_field_and_the_line():
    with pytest.raises(Invalid) as caught:
        render.check(subject="Hi {{ first_name", preheader="", body_mjml="<mjml><mj-body>\n\n{% if %}</mj-body></mjml>")
    reasons = {e.field: e.reason for e in caught.value.errors}
    assert reasons["subject"].startswith("line 1:") and reasons["body_mjml"].startswith("line 3:")
    with pytest.raises(Invalid, match="must be an MJML document"):
        render.check(subject="Hi", preheader="", body_mjml="<p>plain html</p>")


def test_the_layout_is_responsive_html():
    html = render.compile_layout(BODY)
    assert "@media only screen and (min-width:480px)" in html and "{{ unsubscribe_url }}" in html
