"""A single capture the matcher is unsure of queues a pair with every lead it is unsure of (an import chunk queues
the likeliest only): the one intake keeps what a capture always did."""

from __future__ import annotations


def test_a_capture_unsure_of_several_leads_queues_a_pair_with_each(client, auth):
    for i in range(40):
        r = client.post("/api/v1/leads", headers=auth, json={
            "first_name": f"Seed{chr(65 + i % 26)}{i}", "last_name": f"Person{i * 7919}",
            "email": f"seed{i}@seeded{i}.example"})
        assert r.status_code in (200, 201), r.text
    ids = []
    for city in ["Hamburg", "Munich", "Köln", "Bonn", "Berlin"]:
        r = client.post("/api/v1/leads", headers=auth, json={"first_name": "Anna", "last_name": "Schmidt",
                                                              "city": city})
        assert r.status_code in (200, 201), r.text
        ids.append(r.json()["id"])
    pairs = client.get("/api/v1/duplicates", headers=auth, params={"limit": 100}).json()["items"]
    anna = set(ids)
    among = {frozenset((p["lead"]["id"], p["other"]["id"])) for p in pairs
             if {p["lead"]["id"], p["other"]["id"]} <= anna}
    # each later Anna is unsure of every earlier one: 1 + 2 + 3 + 4 pairs (one per unsure lead, not the likeliest)
    assert len(among) == 10, sorted(tuple(sorted(p)) for p in among)
