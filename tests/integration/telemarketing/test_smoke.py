from tests.integration.telemarketing.helpers import agents, callable_lead, make_list


def test_an_agent_claims_calls_and_the_call_back_waits_on_their_list(client, auth, factory):
    team_id, (ann, bob) = agents(factory)
    made = make_list(client, auth, team_id=team_id, owner_id=ann.id)
    ids = [callable_lead(client, auth) for _ in range(3)]
    r = client.post(f"/api/v1/call-lists/{made['id']}/leads", headers=auth, json={"lead_ids": ids})
    assert r.status_code == 200, r.text
    assert r.json()["added"] == 3
    first = client.post(f"/api/v1/call-lists/{made['id']}/claims", headers=ann.headers)
    assert first.status_code == 200, first.text
    second = client.post(f"/api/v1/call-lists/{made['id']}/claims", headers=bob.headers)
    assert first.json()["lead"]["id"] != second.json()["lead"]["id"]
    done = client.post(f"/api/v1/call-lists/{made['id']}/calls", headers=ann.headers,
                       json={"lead_id": first.json()["lead"]["id"], "outcome": "not_interested"})
    assert done.status_code == 201, done.text
    assert done.json()["done"] is True
    print(done.json())
