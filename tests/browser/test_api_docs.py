"""The API documentation renders in a browser that may reach no other origin than leadflow's (an offline server)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_the_api_docs_render_their_operations_with_every_other_origin_blocked(page, console, site):
    elsewhere: list[str] = []

    def only_leadflow(route):
        if route.request.url.startswith(site.base + "/"):
            route.continue_()
        else:
            elsewhere.append(route.request.url)
            route.abort()

    page.route("**/*", only_leadflow)
    page.goto("/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("leadflow")
    expect(page.locator(".opblock-summary-path").first).to_be_visible()
    # Swagger UI renders a long list of operations as the page scrolls to them: scroll to the end, noting each.
    seen: set[str] = set()
    last = -1.0
    while True:
        seen |= set(page.locator(".opblock-summary-path").all_inner_texts())
        page.mouse.wheel(0, 1200)
        page.wait_for_timeout(50)
        position = page.evaluate("window.scrollY")
        if position == last:
            break
        last = position
    seen |= set(page.locator(".opblock-summary-path").all_inner_texts())
    paths = {p.replace("\u200b", "") for p in seen}
    assert len(seen) > 60 and {"/api/v1/leads", "/api/v1/my-day", "/api/v1/analytics/economics"} <= paths, sorted(seen)
    assert elsewhere == []
    assert console.take() == []
