"""The main navigation is assembled from the stages' declarations: each role sees exactly the entries its
permissions allow, and each entry it sees answers 200 for it."""

from __future__ import annotations

import re

import pytest

from leadflow import stages
from leadflow.people import roles
from tests.integration.people.factories import person
from tests.integration.people.pages import sign_in

MAIN_NAV = re.compile(r'<nav class="main-nav" aria-label="Main">(.*?)</nav>', re.DOTALL)
LINK = re.compile(r'<a href="([^"]+)"')


@pytest.mark.parametrize("role", roles.ROLES)
def test_a_role_sees_the_entries_it_has_permission_for_and_each_answers(client, factory, role):
    who = person(factory, role)
    assert sign_in(client, who.email).status_code == 303
    allowed = roles.ROLE_PERMISSIONS[role]
    home = client.get(roles.HOME_PAGES[role])
    assert home.status_code == 200
    shown = LINK.findall(MAIN_NAV.search(home.text).group(1))
    assert shown == [e.path for e in stages.navigation() if e.permission in allowed]
    for path in shown:
        page = client.get(path)
        assert page.status_code == 200, (role, path, page.status_code)
        assert LINK.findall(MAIN_NAV.search(page.text).group(1)) == shown


def test_every_entry_is_shown_to_some_role_and_those_held_back_are_hidden_from_some():
    entries = stages.navigation()
    assert all(any(e.permission in roles.ROLE_PERMISSIONS[r] for r in roles.ROLES) for e in entries)
    held_back = [e for e in entries if not all(e.permission in roles.ROLE_PERMISSIONS[r] for r in roles.ROLES)]
    assert {e.label for e in held_back} >= {"Settings", "Scoring", "Forms", "Imports", "Duplicates", "Sales Ready"}
