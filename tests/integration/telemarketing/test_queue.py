"""A list's queue through the API: leads put on it by hand (those that cannot be called counted by reason, a done
lead reopened) or by the worker from a segment, a condition or an import; the order agents get them in (due
call-backs, due retries, then hot, warm, cold by score); calling hours in each lead's zone; claims asked again,
released, renewed, expired."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import update

from leadflow.leads.models import Lead
from tests.integration.capture.test_imports_api import csv_bytes, upload
from tests.integration.segments.helpers import drain, segment
from tests.integration.telemarketing.conftest import MONDAY
from tests.integration.telemarketing.helpers import agents, call, callable_lead, claim, entry_of, make_list, put_on


def _score(factory, lead_id: int, band: str | None, score: int | None) -> None:
    """Scores come from scoring's rules over weeks of behaviour; a test sets the outcome."""
    with factory() as session:
        session.execute(update(Lead).where(Lead.id == lead_id).values(band=band, score=score))
        session.commit()


def test_leads_that_cannot_be_called_are_counted_by_reason_and_named(client, auth, factory, moment):
    _, (ann, _) = agents(factory)
    made = make_list(client, auth, owner_id=ann.id)
    fine = callable_lead(client, auth)
    no_phone = callable_lead(client, auth, phone=None)
    mobile_only = callable_lead(client, auth, phone=None, mobile="+358501234567")
    blocked = callable_lead(client, auth, do_not_contact=True)
    withdrawn = callable_lead(client, auth, consents=[{"purpose": "phone", "granted": False}])
    survivor, merged = callable_lead(client, auth), callable_lead(client, auth)
    r = client.post(f"/api/v1/leads/{survivor}/merge", headers=auth, json={"other_id": merged})
    assert r.status_code == 201, r.text
    dropped = callable_lead(client, auth)
    r = client.post(f"/api/v1/leads/{dropped}/stage", headers=auth, json={"to": "disqualified", "reason": "spam"})
    assert r.status_code == 200, r.text
    added = put_on(client, auth, made, [fine, no_phone, mobile_only, blocked, withdrawn, merged, dropped, 987654,
                                        fine])
    assert (added["added"], added["reopened"]) == (2, 0)
    assert added["skipped"] == {"no_phone": 1, "do_not_contact": 1, "withdrawn": 1, "gone": 2, "disqualified": 1}
    assert added["not_added"] == {str(no_phone): "no phone number", str(blocked): "do not contact",
                                  str(withdrawn): "phone consent withdrawn", str(merged): "not found or merged",
                                  str(dropped): "disqualified", "987654": "not found or merged"}
    listed = client.get(f"/api/v1/call-lists/{made['id']}", headers=auth).json()
    assert listed["added"] == 2 and listed["skipped"] == added["skipped"]
    assert listed["zones"] == ["Europe/Helsinki"]


def test_a_lead_on_the_list_stays_where_it_is_and_a_done_one_is_reopened(client, auth, factory, moment):
    _, (ann, _) = agents(factory)
    made = make_list(client, auth, owner_id=ann.id)
    first, second = callable_lead(client, auth), callable_lead(client, auth)
    put_on(client, auth, made, [first, second])
    assert claim(client, made, ann) == first
    assert call(client, made, ann, first, "wrong_number").status_code == 201
    assert claim(client, made, ann) == second
    assert call(client, made, ann, second, "no_answer").status_code == 201
    again = put_on(client, auth, made, [first, second])
    assert (again["added"], again["reopened"], again["skipped"]) == (0, 1, {})
    reopened = entry_of(client, auth, made, first)
    assert (reopened["state"], reopened["attempts"], reopened["last_outcome"]) == ("waiting", 0, "wrong_number")
    assert entry_of(client, auth, made, second)["attempts"] == 1  # waiting: left as it was
    assert claim(client, made, ann) == first


def test_a_lead_taken_off_the_list_is_not_called(client, auth, factory, moment):
    _, (ann, _) = agents(factory)
    made = make_list(client, auth, owner_id=ann.id)
    lead_id = callable_lead(client, auth)
    put_on(client, auth, made, [lead_id])
    assert client.delete(f"/api/v1/call-lists/{made['id']}/leads/{lead_id}", headers=auth).status_code == 204
    assert entry_of(client, auth, made, lead_id)["state"] == "done"
    assert claim(client, made, ann) is None
    assert client.delete(f"/api/v1/call-lists/{made['id']}/leads/987654", headers=auth).status_code == 404


def _built(client, auth, factory, made) -> dict:
    drain(factory)
    return client.get(f"/api/v1/call-lists/{made['id']}", headers=auth).json()


def test_a_list_is_filled_from_a_segment_by_the_worker(client, auth, factory, moment):
    _, (ann, _) = agents(factory)
    inside = [callable_lead(client, auth, city="Tampere") for _ in range(3)]
    callable_lead(client, auth, city="Turku")
    no_phone = callable_lead(client, auth, city="Tampere", phone=None)
    segment_id = segment(client, auth, 'city == "Tampere"')
    drain(factory)
    made = make_list(client, auth, owner_id=ann.id, source="segment", segment_id=segment_id)
    assert made["built"] is False
    built = _built(client, auth, factory, made)
    assert built["built"] is True and built["added"] == 3 and built["skipped"] == {"no_phone": 1}
    waiting = client.get(f"/api/v1/call-lists/{made['id']}/entries", headers=auth).json()
    assert sorted(e["lead_id"] for e in waiting) == sorted(inside)
    assert no_phone not in {e["lead_id"] for e in waiting}


def test_a_live_segment_list_takes_the_leads_that_come_into_the_segment(client, auth, factory, moment):
    _, (ann, _) = agents(factory)
    segment_id = segment(client, auth, 'city == "Vaasa"')
    made = make_list(client, auth, owner_id=ann.id, source="segment", segment_id=segment_id, live=True)
    assert _built(client, auth, factory, made)["added"] == 0
    newcomer = callable_lead(client, auth, city="Vaasa")
    drain(factory)
    assert entry_of(client, auth, made, newcomer)["state"] == "waiting"


def test_a_list_is_filled_from_a_condition_by_the_worker_and_refilled_when_it_changes(client, auth, factory,
                                                                                      moment):
    _, (ann, _) = agents(factory)
    espoo = [callable_lead(client, auth, city="Espoo") for _ in range(2)]
    oulu = callable_lead(client, auth, city="Oulu")
    made = make_list(client, auth, owner_id=ann.id, source="condition", condition='city == "Espoo"')
    built = _built(client, auth, factory, made)
    assert built["added"] == 2 and built["source"] == "condition"
    r = client.patch(f"/api/v1/call-lists/{made['id']}", headers=auth, json={"condition": 'city == "Oulu"'})
    assert r.status_code == 200 and r.json()["built"] is False
    assert _built(client, auth, factory, made)["added"] == 3
    waiting = {e["lead_id"] for e in client.get(f"/api/v1/call-lists/{made['id']}/entries", headers=auth).json()}
    assert waiting == {*espoo, oulu}  # a refill adds; it takes nobody off


def test_a_list_is_filled_from_an_import_by_the_worker(client, auth, factory, moment):
    _, (ann, _) = agents(factory)
    r = upload(client, auth, csv_bytes())
    assert r.status_code == 202, r.text
    drain(factory)
    made = make_list(client, auth, owner_id=ann.id, source="import", import_id=r.json()["id"])
    built = _built(client, auth, factory, made)
    # Anna has a phone; Piet and Kees have none; the empty row made no lead; Anna's second row merged into her.
    assert (built["added"], built["skipped"]) == (1, {"no_phone": 2})
    (only,) = client.get(f"/api/v1/call-lists/{made['id']}/entries", headers=auth).json()
    assert client.get(f"/api/v1/leads/{only['lead_id']}", headers=auth).json()["email"] == "anna@jansen.example"
    assert only["zone"] == "Europe/Amsterdam"


def test_agents_get_due_call_backs_then_due_retries_then_hot_warm_cold_by_score(client, auth, factory, moment):
    _, (ann, _) = agents(factory)
    made = make_list(client, auth, owner_id=ann.id, retry_minutes=5)
    retried, called_back = callable_lead(client, auth), callable_lead(client, auth)
    put_on(client, auth, made, [retried, called_back])
    assert claim(client, made, ann) == retried
    assert call(client, made, ann, retried, "no_answer").status_code == 201
    assert claim(client, made, ann) == called_back
    assert call(client, made, ann, called_back, "call_back",
                callback_at=(MONDAY + timedelta(minutes=6)).isoformat()).status_code == 201
    fresh = {}
    for name, band, score in (("cold 99", "cold", 99), ("none", None, None), ("warm 95", "warm", 95),
                              ("hot 60", "hot", 60), ("hot 90", "hot", 90)):
        fresh[name] = callable_lead(client, auth)
        _score(factory, fresh[name], band, score)
    put_on(client, auth, made, list(fresh.values()))
    assert claim(client, made, ann) == fresh["hot 90"]  # nothing is due yet
    client.delete(f"/api/v1/call-lists/{made['id']}/claims/{fresh['hot 90']}", headers=ann.headers)
    moment.forward(minutes=6)
    order = []
    while (lead_id := claim(client, made, ann)) is not None:
        order.append(lead_id)
        assert call(client, made, ann, lead_id, "wrong_number").status_code == 201
    assert order == [called_back, retried, fresh["hot 90"], fresh["hot 60"], fresh["warm 95"], fresh["cold 99"],
                     fresh["none"]]


def test_a_retry_comes_back_after_the_retry_time_until_the_attempts_are_used_up(client, auth, factory, moment):
    team_id, (ann, bob) = agents(factory)
    made = make_list(client, auth, team_id=team_id, owner_id=ann.id, retry_minutes=60, max_attempts=2)
    lead_id = callable_lead(client, auth)
    put_on(client, auth, made, [lead_id])
    assert claim(client, made, ann) == lead_id
    first = call(client, made, ann, lead_id, "no_answer").json()
    assert first["done"] is False and "attempt 1 of 2" in first["next_step"]
    none = client.post(f"/api/v1/call-lists/{made['id']}/claims", headers=bob.headers).json()
    assert none["claimed"] is False and none["reason"] == "nobody to call now"
    assert datetime.fromisoformat(none["next_at"]) == MONDAY + timedelta(hours=1)
    moment.forward(minutes=59)
    assert claim(client, made, bob) is None
    moment.forward(minutes=1)
    assert claim(client, made, bob) == lead_id  # a retry is anyone's
    second = call(client, made, bob, lead_id, "busy").json()
    assert second["done"] is True
    assert entry_of(client, auth, made, lead_id)["attempts"] == 2


def test_a_lead_outside_its_calling_hours_is_not_claimed_until_they_open(client, auth, factory, moment):
    team_id, (ann, bob) = agents(factory)
    made = make_list(client, auth, team_id=team_id, owner_id=ann.id, hours_from=9 * 60, hours_to=17 * 60, days="12345")
    new_york = callable_lead(client, auth, phone="+1 212 555 0147")
    put_on(client, auth, made, [new_york])
    r = client.post(f"/api/v1/call-lists/{made['id']}/claims", headers=ann.headers).json()
    assert r["claimed"] is False and "outside calling hours" in r["reason"]
    assert r["next_at"] == "2027-03-01T14:00:00Z"  # 09:00 in New York
    helsinki = callable_lead(client, auth)
    put_on(client, auth, made, [helsinki])
    assert claim(client, made, ann) == helsinki  # 11:00 there
    assert claim(client, made, bob) is None  # New York still sleeps
    moment.forward(hours=5)
    assert claim(client, made, bob) == new_york
    assert client.get(f"/api/v1/call-lists/{made['id']}", headers=auth).json()["zones"] == [
        "America/New_York", "Europe/Helsinki"]


def test_no_calls_at_the_weekend_on_a_weekday_list(client, auth, factory, moment):
    _, (ann, _) = agents(factory)
    made = make_list(client, auth, owner_id=ann.id, hours_from=9 * 60, hours_to=17 * 60, days="12345")
    put_on(client, auth, made, [callable_lead(client, auth)])
    moment.forward(days=5)  # Saturday, 11:00 in Helsinki
    r = client.post(f"/api/v1/call-lists/{made['id']}/claims", headers=ann.headers).json()
    assert r["claimed"] is False and r["next_at"] == "2027-03-08T07:00:00Z"  # Monday 09:00 in Helsinki


def test_a_claim_asked_again_is_the_same_lead_and_a_release_puts_it_back(client, auth, factory, moment):
    team_id, (ann, bob) = agents(factory)
    made = make_list(client, auth, team_id=team_id, owner_id=ann.id)
    first, second = callable_lead(client, auth), callable_lead(client, auth)
    put_on(client, auth, made, [first, second])
    url = f"/api/v1/call-lists/{made['id']}"
    held = client.post(url + "/claims", headers=ann.headers).json()
    assert held["lead"]["id"] == first and held["again"] is False
    again = client.post(url + "/claims", headers=ann.headers).json()
    assert again["lead"]["id"] == first and again["again"] is True
    assert claim(client, made, bob) == second
    listed = client.get(url, headers=auth).json()["counts"]
    assert (listed["waiting"], listed["held"]) == (2, 2)
    assert client.delete(url + f"/claims/{first}", headers=bob.headers).status_code == 404  # not Bob's to release
    assert client.delete(url + f"/claims/{first}", headers=ann.headers).status_code == 204
    assert client.delete(url + f"/claims/{first}", headers=ann.headers).status_code == 404
    assert client.post(url + f"/claims/{second}/renew", headers=bob.headers).status_code == 200
    assert call(client, made, bob, second, "wrong_number").status_code == 201
    assert claim(client, made, bob) == first  # released: back in its place


def test_a_claim_is_renewed_by_its_agent_only_and_lapses_to_another_when_it_expires(client, auth, factory, moment):
    team_id, (ann, bob) = agents(factory)
    made = make_list(client, auth, team_id=team_id, owner_id=ann.id, claim_minutes=10)
    lead_id = callable_lead(client, auth)
    put_on(client, auth, made, [lead_id])
    url = f"/api/v1/call-lists/{made['id']}"
    assert claim(client, made, ann) == lead_id
    assert client.post(url + f"/claims/{lead_id}/renew", headers=bob.headers).status_code == 409
    assert call(client, made, bob, lead_id, "no_answer").status_code == 409  # Ann holds it
    moment.forward(minutes=8)
    renewed = client.post(url + f"/claims/{lead_id}/renew", headers=ann.headers)
    assert renewed.status_code == 200 and renewed.json()["claimed_until"].startswith("2027-03-01T09:18")
    moment.forward(minutes=9)
    assert claim(client, made, bob) is None  # still Ann's
    moment.forward(minutes=2)
    assert claim(client, made, bob) == lead_id  # lapsed: Bob's now
    assert client.post(url + f"/claims/{lead_id}/renew", headers=ann.headers).status_code == 409
    assert call(client, made, ann, lead_id, "no_answer").status_code == 409
    assert call(client, made, bob, lead_id, "no_answer").status_code == 201
    assert client.post(url + f"/claims/{lead_id}/renew", headers=bob.headers).status_code == 409  # nothing held
    assert client.post(url + "/claims/987654/renew", headers=bob.headers).status_code == 404


@pytest.mark.parametrize("outcome", ["no_answer", "qualified"])
def test_a_call_is_recorded_on_a_lead_nobody_holds(client, auth, factory, moment, outcome):
    _, (ann, _) = agents(factory)
    made = make_list(client, auth, owner_id=ann.id)
    lead_id = callable_lead(client, auth)
    put_on(client, auth, made, [lead_id])
    r = call(client, made, ann, lead_id, outcome, seconds=95)
    assert r.status_code == 201, r.text
    assert r.json()["call"]["seconds"] == 95 and r.json()["call"]["user_id"] == ann.id
    assert call(client, made, ann, 987654, outcome).status_code == 404  # not on the list


def test_after_a_merge_the_survivor_waits_on_the_lists_the_merged_lead_waited_on(client, auth, factory, moment):
    _, (ann, _) = agents(factory)
    made = make_list(client, auth, owner_id=ann.id)
    survivor, merged = callable_lead(client, auth), callable_lead(client, auth)
    put_on(client, auth, made, [merged])
    assert call(client, made, ann, merged, "busy").status_code == 201
    r = client.post(f"/api/v1/leads/{survivor}/merge", headers=auth, json={"other_id": merged})
    assert r.status_code == 201, r.text
    drain(factory)
    assert entry_of(client, auth, made, merged)["state"] == "done"
    assert entry_of(client, auth, made, survivor)["state"] == "waiting"
    assert [c["lead_id"] for c in client.get(f"/api/v1/call-lists/{made['id']}/calls", headers=auth).json()] == [
        survivor]  # the call moved with the person
    assert claim(client, made, ann) == survivor
