"""Each role lands on the page it works from; a telemarketer's is the list of their call lists."""

from __future__ import annotations

import re

import pytest

from leadflow import stages
from tests.integration.people.factories import call_list, lead, person
from tests.integration.people.pages import sign_in
from tests.integration.telemarketing.helpers import make_list


@pytest.mark.parametrize(("role", "start", "heading"), [
    ("admin", "/settings", "Settings"),
    ("marketing", "/campaigns", "Campaigns"),
    ("sales_manager", "/leads?sort=score", "Inbox"),
    ("sales_rep", "/my-day", "My day"),
    ("telemarketer", "/call-lists", "My call lists"),
])
def test_each_role_starts_on_the_page_it_works_from(client, factory, role, start, heading):
    who = person(factory, role)
    signed = sign_in(client, who.email)
    assert signed.status_code == 303 and signed.headers["location"] == "/"
    landing = client.get("/", follow_redirects=False)
    assert landing.status_code == 303 and landing.headers["location"] == start
    page = client.get(start)
    assert page.status_code == 200 and re.search(rf"<h1>\s*{heading}", page.text), page.text[:3000]


def test_a_sales_rep_starts_on_their_day_with_their_new_leads_and_their_own_leads_hottest_first(client, auth, factory):
    rep = person(factory, "sales_rep")
    mine_cold = lead(client, auth, owner=rep, first_name="Cold")
    mine_hot = lead(client, auth, owner=rep, first_name="Hot", job_title="CEO", country="NL")
    lead(client, auth, first_name="Nobodys")
    sign_in(client, rep.email)
    page = client.get("/").text
    new = page.split('id="day-new"')[1].split("</section>")[0]
    assert {int(i) for i in re.findall(r'<a class="day-lead" href="/leads/(\d+)">', new)} == {mine_hot, mine_cold}
    assert "Nobodys" not in page
    inbox = client.get("/leads?owner=me&sort=score").text
    shown = [int(i) for i in re.findall(r'<a href="/leads/(\d+)">', inbox)]
    assert shown == [mine_hot, mine_cold]


def test_a_telemarketer_sees_their_call_lists_with_numbers_to_call_and_nobody_elses(client, auth, factory):
    caller, other_caller = person(factory, "telemarketer"), person(factory, "telemarketer")
    hot = lead(client, auth, first_name="Hanne", job_title="CEO", country="NO", phone="+47 22 12 34 56")
    plain = lead(client, auth, first_name="Per", mobile="+47 912 34 567")
    quiet = lead(client, auth, first_name="Quiet", phone="+47 22 99 88 77")
    assert client.patch(f"/api/v1/leads/{quiet}", headers=auth, json={"do_not_contact": True}).status_code == 200
    secret = lead(client, auth, first_name="Secret", phone="+47 22 11 11 11")
    mine = make_list(client, auth, owner_id=caller.id, name="Calls for today")
    theirs = make_list(client, auth, owner_id=other_caller.id, name="Calls of another agent")
    added = client.post(f"/api/v1/call-lists/{mine['id']}/leads", headers=auth, json={"lead_ids": [plain, hot, quiet]})
    assert added.json()["added"] == 2 and added.json()["skipped"] == {"do_not_contact": 1}  # never dialled
    client.post(f"/api/v1/call-lists/{theirs['id']}/leads", headers=auth, json={"lead_ids": [secret]})
    sign_in(client, caller.email)
    page = client.get("/call-lists")
    assert page.status_code == 200
    assert "Calls for today" in page.text and "another agent" not in page.text
    assert f'href="/call-lists/{mine["id"]}/call"' in page.text
    assert '<a href="/call-lists"' in page.text  # in the navigation
    assert client.get(f"/call-lists/{theirs['id']}/call").status_code == 404
    screen = client.get(f"/call-lists/{mine['id']}/call").text  # the hottest first, its number to dial
    assert 'name="lead_id" value="%d"' % hot in screen
    assert '<a class="dial-link" href="tel:+4722123456" id="dial-phone"><span class="dial-kind">Phone</span> ' \
        '+47 22 12 34 56</a>' in screen
    assert "Secret" not in screen and "tel:+4722998877" not in screen


def test_call_lists_are_for_those_who_call_or_make_them(client, auth, factory):
    caller = person(factory, "telemarketer")
    call_list(factory, caller, [lead(client, auth, first_name="Listed")])
    rep = person(factory, "sales_rep")
    sign_in(client, rep.email)
    assert client.get("/call-lists").status_code == 403
    assert 'href="/call-lists"' not in client.get("/leads").text
    client.cookies.clear()
    sign_in(client, person(factory, "sales_manager").email)
    everyone = client.get("/call-lists").text
    assert "<h1>Call lists" in everyone and f"for telemarketer {caller.email}" in everyone


MAIN_NAV = re.compile(r'<nav class="main-nav" aria-label="Main">(.*?)</nav>', re.DOTALL)
CURRENT = re.compile(r'<a href="([^"]+)" aria-current="page">([^<]+)</a>')


def test_the_navigation_marks_one_item_current_the_section_the_page_is_in(client, auth, factory):
    admin = person(factory, "admin")  # sees every item
    lead_id = lead(client, auth, first_name="Navi")
    sign_in(client, admin.email)
    pages = {"/leads": "Inbox", f"/leads/{lead_id}": "Inbox", "/call-lists": "Calls", "/leads/new": "Quick entry",
             "/duplicates": "Duplicates", "/campaigns": "Campaigns", "/forms": "Forms", "/imports": "Imports",
             "/imports/new": "Imports", "/companies": "Companies", "/scoring": "Scoring", "/scoring/new": "Scoring",
             "/settings/sales-ready": "Sales Ready", "/settings": "Settings", "/settings/users": "Settings",
             "/routing": "Routing", "/settings/webhooks": "Webhooks", "/my-day": "My day",
             "/settings/follow-up": "Follow-up", "/scorecard": "Scorecard", "/pipeline": "Pipeline",
             "/settings/pipeline": "Pipeline stages", "/dashboards/marketing": "Dashboards",
             "/settings/analytics": "Analytics", "/surveys": "Surveys", "/surveys/new": "Surveys",
             "/segments": "Segments", "/journeys": "Journeys", "/email/sends": "Email", "/email/messages": "Email",
             "/email/templates": "Email", "/email/experiments": "Email", "/settings/email": "Email settings"}
    assert set(pages.values()) == {entry.label for entry in stages.navigation()}  # every item of the navigation
    for path, label in pages.items():
        page = client.get(path)
        assert page.status_code == 200, (path, page.status_code)
        nav = MAIN_NAV.search(page.text).group(1)
        assert [name for _, name in CURRENT.findall(nav)] == [label], path
