"""Companies: create, link leads by name, a hierarchy of any depth with descendants and root."""

from __future__ import annotations


def make(client, auth, **body):
    r = client.post("/api/v1/companies", headers=auth, json=body)
    assert r.status_code == 201, r.text
    return r.json()


def test_hierarchy_descendants_and_root(client, auth):
    group = make(client, auth, name="Nordic Group ASA", domain="https://www.nordicgroup.example/about")
    assert group["domain"] == "nordicgroup.example"
    se = make(client, auth, name="Nordic Sverige AB", parent_id=group["id"], country="Sverige")
    assert se["country"] == "SE"
    fi = make(client, auth, name="Nordic Suomi Oy", parent_id=group["id"])
    oulu = make(client, auth, name="Nordic Oulu", parent_id=fi["id"])
    tree = client.get(f"/api/v1/companies/{group['id']}/descendants", headers=auth).json()
    assert [(c["name"], c["depth"]) for c in tree] == [
        ("Nordic Suomi Oy", 1), ("Nordic Sverige AB", 1), ("Nordic Oulu", 2)]
    assert client.get(f"/api/v1/companies/{oulu['id']}/root", headers=auth).json()["id"] == group["id"]
    children = client.get("/api/v1/companies", headers=auth, params={"parent_id": group["id"]}).json()["items"]
    assert {c["id"] for c in children} == {se["id"], fi["id"]}


def test_a_company_cannot_become_its_own_ancestor(client, auth):
    a = make(client, auth, name="A Ltd")
    b = make(client, auth, name="B Ltd", parent_id=a["id"])
    r = client.patch(f"/api/v1/companies/{a['id']}", headers=auth, json={"parent_id": b["id"]})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "parent_id"
    assert client.patch(f"/api/v1/companies/{a['id']}", headers=auth, json={"parent_id": 987654}).status_code == 422


def test_leads_of_one_company_link_to_one_record_whatever_its_legal_form(client, auth):
    one = client.post("/api/v1/leads", headers=auth, json={"email": "a@acme.example", "company": "Acme B.V."}).json()
    two = client.post("/api/v1/leads", headers=auth, json={"email": "b@acme.example", "company": "ACME bv"}).json()
    assert one["company_id"] == two["company_id"] is not None
    company = client.get(f"/api/v1/companies/{one['company_id']}", headers=auth).json()
    assert company["domain"] == "acme.example"
    by_company = client.get("/api/v1/leads", headers=auth, params={"company_id": one["company_id"]}).json()
    assert len(by_company["items"]) == 2


def test_free_mail_domains_do_not_name_a_company(client, auth):
    lead = client.post("/api/v1/leads", headers=auth, json={"email": "x@gmail.com", "company": "Tiny Shop"}).json()
    assert client.get(f"/api/v1/companies/{lead['company_id']}", headers=auth).json()["domain"] is None


def test_bad_company_input_names_the_field(client, auth):
    r = client.post("/api/v1/companies", headers=auth, json={"name": "", "employees": -1})
    assert r.status_code == 422
    assert {e["field"] for e in r.json()["errors"]} == {"name", "employees"}
    assert client.get("/api/v1/companies/424242", headers=auth).status_code == 404


def test_a_lead_links_to_its_company_by_email_domain_but_never_by_free_mail(client, auth):
    company = make(client, auth, name="International Business Machines Corporation", domain="ibm.example")
    lead = client.post("/api/v1/leads", headers=auth, json={"email": "ann@ibm.example", "first_name": "Ann"}).json()
    assert lead["company_id"] == company["id"]
    named = client.post("/api/v1/leads", headers=auth, json={"email": "bo@ibm.example", "company": "IBM"}).json()
    assert named["company_id"] == company["id"]
    free = client.post("/api/v1/leads", headers=auth, json={"email": "cy@hotmail.com", "first_name": "Cy"}).json()
    assert free["company_id"] is None


def test_subsidiaries_are_suggested_by_name_and_domain(client, auth):
    group = make(client, auth, name="Acme Corporation", domain="acme.com")
    benelux = make(client, auth, name="Acme Benelux B.V.", domain="acme.nl")
    nordics = make(client, auth, name="Nordic Sales", domain="nordics.acme.com")
    for child in (benelux, nordics):
        hints = client.get(f"/api/v1/companies/{child['id']}/suggested-parents", headers=auth).json()
        assert [h["company"]["id"] for h in hints] == [group["id"]] and hints[0]["reason"]
    assert client.get(f"/api/v1/companies/{group['id']}/suggested-parents", headers=auth).json() == []


def test_a_named_company_is_never_joined_to_another_named_company_by_a_shared_domain(client, auth):
    builder = make(client, auth, name="Nordmann Bygg AS", domain="example.no")
    fjord = client.post("/api/v1/leads", headers=auth, json={"email": "asa@example.no", "company": "Fjord AS"}).json()
    assert fjord["company_id"] not in (None, builder["id"])
    company = client.get(f"/api/v1/companies/{fjord['company_id']}", headers=auth).json()
    assert company["name"] == "Fjord AS" and company["domain"] is None   # the domain stays with its holder
    # The name a domain stands for, or a part of the holder's name, is the holder.
    own = client.post("/api/v1/leads", headers=auth, json={"email": "bo@example.no", "company": "Nordmann Bygg Oslo"})
    assert own.json()["company_id"] == builder["id"]
    unnamed = client.post("/api/v1/leads", headers=auth, json={"email": "cy@example.no", "first_name": "Cy"}).json()
    assert unnamed["company_id"] == builder["id"]
