"""Signing in and out in a real browser, and the skip link."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PASSWORD, sign_in

pytestmark = pytest.mark.browser


def test_wrong_password_shows_the_error_and_the_right_one_opens_the_start_page(page, console, site):
    page.goto("/leads")
    expect(page).to_have_url(re.compile(r"/login"))
    page.get_by_label("Email").fill(site.marketing.email)
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()

    error = page.locator("#signin-error")
    expect(error).to_be_visible()
    expect(page.get_by_label("Email")).to_have_value(site.marketing.email)
    expect(page.get_by_role("banner").get_by_role("button", name="Sign out")).to_have_count(0)

    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Password").press("Enter")
    expect(page.get_by_role("banner").get_by_role("button", name="Sign out")).to_be_visible()
    expect(page.locator("header.top")).to_contain_text(site.marketing.name)
    # Asked for the inbox before signing in: that is where sign-in leads.
    expect(page).to_have_url(re.compile(r"/leads$"))
    expect(page.get_by_role("heading", name="Inbox", level=1)).to_be_visible()
    assert console.take() == []


def test_signing_in_without_a_destination_opens_the_start_page(page, console, site):
    sign_in(page, site.rep)
    expect(page).to_have_url(re.compile(r"/my-day$"))  # a sales rep's day
    expect(page.get_by_role("navigation", name="Main")).to_contain_text("Inbox")
    assert console.take() == []


def test_signing_out_returns_to_login_and_protected_pages_ask_to_sign_in_again(page, console, site):
    sign_in(page, site.admin, next="/leads")
    page.get_by_role("banner").get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/login"))
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()

    page.goto("/settings/users")
    expect(page).to_have_url(re.compile(r"/login"))
    expect(page.get_by_role("banner").get_by_role("button", name="Sign out")).to_have_count(0)
    assert page.context.request.get("/leads", max_redirects=0).status in (302, 303, 307)
    assert console.take() == []


def test_skip_link_takes_the_keyboard_straight_to_the_content(page, console, site):
    sign_in(page, site.marketing, next="/leads")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to the content")
    expect(skip).to_be_focused()
    expect(skip).to_be_visible()
    page.keyboard.press("Enter")
    expect(page.locator("#main")).to_be_focused()
    # The next Tab goes into the page, not back through the navigation.
    page.keyboard.press("Tab")
    focused_in_main = page.evaluate("document.querySelector('#main').contains(document.activeElement)")
    assert focused_in_main
    assert console.take() == []
