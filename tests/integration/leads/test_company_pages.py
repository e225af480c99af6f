"""Company pages: the list with search and counts, a company with its group tree, edits and parent links."""

from __future__ import annotations

import re

from tests.integration.people.factories import lead, person
from tests.integration.people.pages import form_token, sign_in


def _company(client, auth, **values) -> int:
    r = client.post("/api/v1/companies", headers=auth, json=values)
    assert r.status_code == 201, r.text
    return r.json()["id"]


def _signed_in(client, factory, role="admin"):
    who = person(factory, role)
    assert sign_in(client, who.email).status_code == 303
    return who


def test_list_shows_companies_with_parent_and_counts_and_searches_by_name_and_domain(client, auth, factory):
    group = _company(client, auth, name="Nordic Steel Group", domain="nordicsteel.com", country="FI")
    _company(client, auth, name="Nordic Steel Oy", domain="nordicsteel.fi", country="FI", parent_id=group)
    _company(client, auth, name="Acme Tools", domain="acme.example", country="NL")
    lead(client, auth, email="anna@nordicsteel.com", company="Nordic Steel Group")
    _signed_in(client, factory)

    page = client.get("/companies")
    assert page.status_code == 200
    assert "Nordic Steel Oy" in page.text and "Acme Tools" in page.text
    row = re.search(r"<tr>\s*<td><a href=\"/companies/%d\">Nordic Steel Group</a>.*?</tr>" % group, page.text, re.S)
    assert row and re.findall(r'<td class="num">(\d+)</td>', row.group(0)) == ["1", "1"]

    found = client.get("/companies", params={"q": "steel"})
    assert "Nordic Steel Oy" in found.text and "Acme Tools" not in found.text
    by_domain = client.get("/companies", params={"q": "acme.example"})
    assert "Acme Tools" in by_domain.text and "Nordic Steel" not in by_domain.text
    none = client.get("/companies", params={"q": "<b>zzz</b>"})
    assert "No company matches" in none.text and "<b>zzz</b>" not in none.text


def test_list_pages_with_a_cursor(client, auth, factory):
    for n in range(55):
        _company(client, auth, name=f"Pager Company {n:02d}")
    _signed_in(client, factory)
    first = client.get("/companies", params={"q": "Pager Company"})
    assert "Pager Company 54" in first.text and "Pager Company 04" not in first.text
    cursor = re.search(r'cursor=([^&"]+)', first.text).group(1)
    second = client.get(f"/companies?cursor={cursor}&q=Pager+Company")
    assert "Pager Company 04" in second.text and "Pager Company 54" not in second.text
    assert client.get("/companies?cursor=garbage", follow_redirects=False).status_code == 303


def test_detail_shows_the_whole_group_as_a_tree_with_the_company_highlighted(client, auth, factory):
    group = _company(client, auth, name="Holding Group")
    mid = _company(client, auth, name="Holding Benelux", parent_id=group)
    leaf = _company(client, auth, name="Holding Nederland BV", parent_id=mid)
    other = _company(client, auth, name="Holding Suomi", parent_id=group)
    _signed_in(client, factory)
    page = client.get(f"/companies/{mid}")
    assert page.status_code == 200
    tree = page.text[page.text.index('<ul class="tree">'):]
    for company_id in (group, leaf, other):
        assert f'href="/companies/{company_id}"' in tree
    assert '<span class="current" aria-current="true">Holding Benelux</span>' in tree
    assert tree.index("Holding Group") < tree.index("Holding Benelux") < tree.index("Holding Nederland BV")
    assert client.get("/companies/999999").status_code == 404


def test_detail_lists_only_the_leads_the_actor_sees(client, auth, factory):
    company = _company(client, auth, name="Visible Oy")
    rep = person(factory, "sales_rep")
    mine = lead(client, auth, owner=rep, email="mine@visible.fi", company="Visible Oy", first_name="Mine")
    theirs = lead(client, auth, email="theirs@visible.fi", company="Visible Oy", first_name="Theirs")
    assert sign_in(client, rep.email).status_code == 303
    page = client.get(f"/companies/{company}")
    assert f'href="/leads/{mine}"' in page.text
    assert f'href="/leads/{theirs}"' not in page.text


def test_create_company_and_errors_beside_the_fields(client, auth, factory):
    _signed_in(client, factory, "sales_rep")
    token = form_token(client, "/companies/new")
    bad = client.post("/companies/new", data={"csrf_token": token, "name": "", "employees": "many",
                                              "country": "Atlantis"})
    assert bad.status_code == 422
    assert 'id="error-name"' in bad.text and 'id="error-employees"' in bad.text
    good = client.post("/companies/new", data={"csrf_token": token, "name": "Fresh BV",
                                               "domain": "https://www.fresh.nl/", "country": "Netherlands",
                                               "employees": "40"},
                       follow_redirects=False)
    assert good.status_code == 303
    company_id = int(good.headers["location"].rsplit("/", 1)[1])
    data = client.get(f"/api/v1/companies/{company_id}", headers=auth).json()
    assert (data["name"], data["domain"], data["country"], data["employees"]) == ("Fresh BV", "fresh.nl", "NL", 40)
    assert "Company Fresh BV created." in client.get(good.headers["location"]).text


def test_edit_company_in_place(client, auth, factory):
    company = _company(client, auth, name="Old Name AS", country="NO")
    _signed_in(client, factory)
    token = form_token(client, f"/companies/{company}")
    r = client.post(f"/companies/{company}", data={"csrf_token": token, "name": "New Name AS", "city": "Bergen",
                                                   "currency": "NOK", "domain": "", "country": "NO"})
    assert r.status_code == 200 and "Company saved." in r.text
    data = client.get(f"/api/v1/companies/{company}", headers=auth).json()
    assert (data["name"], data["city"], data["currency"]) == ("New Name AS", "Bergen", "NOK")
    blank = client.post(f"/companies/{company}", data={"csrf_token": token, "name": ""})
    assert blank.status_code == 422 and 'id="error-name"' in blank.text


def test_set_a_suggested_parent_and_a_cycle_is_refused(client, auth, factory):
    group = _company(client, auth, name="Kone Group", domain="kone.com")
    child = _company(client, auth, name="Kone Group Finland", domain="kone.fi")
    _signed_in(client, factory)
    page = client.get(f"/companies/{child}")
    assert "Set as parent" in page.text and f'value="{group}"' in page.text
    token = form_token(client, f"/companies/{child}")
    r = client.post(f"/companies/{child}/parent", data={"csrf_token": token, "parent_id": str(group)})
    assert r.status_code == 200 and "is now part of Kone Group" in r.text
    assert client.get(f"/api/v1/companies/{child}", headers=auth).json()["parent_id"] == group

    cycle = client.post(f"/companies/{group}/parent", data={"csrf_token": token, "parent_id": str(child)})
    assert cycle.status_code == 422
    assert "Would make the company its own ancestor." in cycle.text
    assert client.get(f"/api/v1/companies/{group}", headers=auth).json()["parent_id"] is None
    unknown = client.post(f"/companies/{child}/parent", data={"csrf_token": token, "parent_id": "999999"})
    assert unknown.status_code == 422 and "No such company" in unknown.text


def test_company_pages_need_a_sign_in_and_csrf(client, auth, factory):
    company = _company(client, auth, name="Guarded Ltd")
    assert client.get("/companies", follow_redirects=False).status_code == 303
    _signed_in(client, factory)
    assert client.post(f"/companies/{company}", data={"name": "x"}).status_code == 403
    assert client.post("/companies/new", data={"name": "x"}).status_code == 403
