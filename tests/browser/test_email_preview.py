"""A marketing email looked at in Chromium: the template editor shows the preview in a sandboxed frame (no script,
no CSP violation on the page), and the email itself is responsive: at desktop width its column is centred at 600 px,
at phone width it fits the screen with no sideways scrolling. Screenshots docs/screenshots/email-editor.png,
email-preview-desktop.png and email-preview-phone.png."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import screenshot, sign_in

pytestmark = pytest.mark.browser

PHONE = {"width": 375, "height": 740}
FITS = "document.documentElement.scrollWidth <= window.innerWidth"
BODY = """<mjml>
  <mj-body background-color="#f4f4f4">
    <mj-section background-color="#1f6feb" padding="20px"><mj-column>
      <mj-text color="#ffffff" font-size="22px" font-weight="bold">
        Your brochure, {{ first_name | default("there") }}</mj-text>
    </mj-column></mj-section>
    <mj-section background-color="#ffffff" padding="20px">
      <mj-column><mj-text>Thank you for asking about our machines at {{ company | default("your company") }}.
        Here is a two-minute survey so we can send you what matters to you.</mj-text></mj-column>
      <mj-column>
        <mj-button href="https://example.com/survey" background-color="#1f6feb">Answer the survey</mj-button>
      </mj-column>
    </mj-section>
    <mj-section><mj-column><mj-text font-size="12px" color="#666666">
      <a href="{{ unsubscribe_url }}">Unsubscribe or choose which emails you get</a></mj-text></mj-column></mj-section>
  </mj-body>
</mjml>"""


@pytest.fixture(scope="module")
def template_id(site):
    with site.api() as api:
        response = api.post("/api/v1/email/templates", json={
            "name": "Brochure follow-up (browser)", "subject": "Your brochure, {{ first_name }}", "body_mjml": BODY,
            "preheader": "A two-minute survey", "purpose": "surveys"})
        assert response.status_code == 201, response.text
        return response.json()["id"]


def test_the_editor_shows_the_email_in_a_sandboxed_frame(page, console, site, template_id):
    sign_in(page, site.marketing, next=f"/email/templates/{template_id}")
    page.goto(f"/email/templates/{template_id}")
    frame_element = page.locator("iframe.email-preview")
    expect(frame_element).to_have_attribute("sandbox", "")
    frame = page.frame_locator("iframe.email-preview")
    expect(frame.get_by_text("Your brochure, Alex")).to_be_visible()
    expect(frame.get_by_role("link", name="Answer the survey")).to_be_visible()
    assert console.take() == []
    screenshot(page, "email-editor.png")

    page.get_by_label("Body (MJML)").fill(BODY.replace("Your brochure", "Our catalogue"))
    page.get_by_role("button", name="Preview the draft").click()
    expect(frame.get_by_text("Our catalogue, Alex")).to_be_visible()
    assert console.take() == []


@pytest.mark.parametrize("width", ["desktop", "phone"])
def test_the_email_is_responsive_at_desktop_and_phone_width(browser, site, template_id, width):
    context = browser.new_context(base_url=site.base, viewport=PHONE if width == "phone" else
                                  {"width": 1280, "height": 800}, locale="en-GB")
    try:
        page = context.new_page()
        sign_in(page, site.marketing)
        page.goto(f"/email/templates/{template_id}/preview")
        expect(page.get_by_text("Your brochure, Alex")).to_be_visible()
        assert page.evaluate(FITS)
        button = page.get_by_role("link", name="Answer the survey").bounding_box()
        text = page.get_by_text("Thank you for asking").bounding_box()
        if width == "phone":  # the two columns stack: the button below the text
            assert button["y"] > text["y"] + text["height"] - 1
            assert button["x"] + button["width"] <= PHONE["width"]
        else:  # side by side in the 600 px body
            assert abs(button["y"] - text["y"]) < 80 and button["x"] > text["x"] + text["width"] - 1
        screenshot(page, f"email-preview-{width}.png", full_page=True)
    finally:
        context.close()
