"""Each role lands on the page it works from, in a real browser; a telemarketer's call lists at desktop and
tablet width."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from leadflow import db
from leadflow.leads.models import Lead
from leadflow.people import service as people_service
from leadflow.telemarketing import service as telemarketing_service
from tests.browser.conftest import PASSWORD, TABLET, User, screenshot, sign_in

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def caller(site) -> User:
    """A telemarketer with a call list of twelve demo leads that have a phone number."""
    engine = db.make_engine(site.url)
    try:
        with db.make_sessionmaker(engine)() as session:  # writes: waits its turn beside the server's worker
            user = people_service.create_user(session=session, email="caller@browser.example", role="telemarketer",
                                              name="Tove Caller", password=PASSWORD)
            session.flush()
            ids = list(session.scalars(select(Lead.id).where(Lead.merged_into_id.is_(None),
                                                             Lead.phone.is_not(None)).order_by(Lead.id).limit(12)))
            listed = people_service.create_call_list(session=session, name="Trade fair follow-up", owner=user)
            telemarketing_service.add_leads(listed, ids, session=session, why="the trade fair's visitors")
            session.commit()
            return User(user.id, user.email, user.name, user.role)
    finally:
        engine.dispose()


@pytest.mark.parametrize(("who", "address", "heading"), [
    ("admin", r"/settings$", "Settings"), ("marketing", r"/campaigns$", "Campaigns"),
    ("rep", r"/my-day$", "My day"),
])
def test_each_role_lands_on_the_page_it_works_from(page, console, site, who, address, heading):
    sign_in(page, getattr(site, who))
    expect(page).to_have_url(re.compile(address))
    expect(page.get_by_role("heading", level=1)).to_contain_text(heading)
    assert console.take() == []


def test_a_telemarketer_lands_on_their_call_lists(browser, page, console, site, caller):
    sign_in(page, caller)
    expect(page).to_have_url(re.compile(r"/call-lists$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("My call lists")
    card = page.get_by_role("region", name="Trade fair follow-up")
    expect(card).to_contain_text(re.compile(r"\b\d+ waiting"))
    expect(card.get_by_role("link", name="Start calling Trade fair follow-up")).to_be_visible()
    screenshot(page, "call-lists.png")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert console.take() == []

    context = browser.new_context(base_url=site.base, viewport=TABLET, locale="en-GB", timezone_id="UTC")
    try:
        tablet = context.new_page()
        sign_in(tablet, caller)
        expect(tablet.get_by_role("link", name="Start calling Trade fair follow-up")).to_be_visible()
        screenshot(tablet, "call-lists-tablet.png")
        assert tablet.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    finally:
        context.close()
