"""The template sandbox bounds what `*` and `**` make: one expression must not hold a worker or take gigabytes."""

from __future__ import annotations

import pytest

from leadflow.email import render


@pytest.mark.parametrize("source", ["{{ 'x' * 10**9 }}", "{{ [1] * 10**8 }}", "{{ 9**1000000 }}",
                                    "{{ 9**100**100**100**100 }}", "{{ 10**9 * 'x' }}"])
def test_a_huge_product_or_power_is_refused_quickly(source):
    template = type("T", (), {"id": 0, "version": 1, "subject": source, "preheader": "",
                              "body_mjml": "<mjml><mj-body></mj-body></mjml>"})()
    with pytest.raises(render.RenderFailed, match="SecurityError"):
        render.render(template, {})


def test_ordinary_arithmetic_and_repetition_still_work():
    template = type("T", (), {"id": 0, "version": 2, "subject": "{{ 'ab' * 3 }} {{ 2**10 }} {{ 1.5 ** 2 }} {{ 3 * 4 }}",
                              "preheader": "", "body_mjml": "<mjml><mj-body></mj-body></mjml>"})()
    assert render.render(template, {}).subject == "ababab 1024 2.25 12"
