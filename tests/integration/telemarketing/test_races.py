"""Agents working one call list at once against a real server (many threads, SQLite or PostgreSQL): no lead is held
by two agents at once, every lead is called once and ends as its outcome says, no 500s and no deadlocks; two
managers putting the same leads on a list at once; a list filled by the worker while agents claim from it."""

from __future__ import annotations

import threading
import time
from collections import Counter

import httpx
import pytest

from leadflow import db, worker
from leadflow.people import service as people_service
from leadflow.telemarketing import service as lists_service
from tests.integration.live import LiveServer, at_once
from tests.integration.telemarketing.helpers import KIND

LEADS = 60
ALWAYS = {"hours_from": 0, "hours_to": 1440, "days": "1234567"}


def _team(url: str, agents: int) -> tuple[int, list[tuple[int, dict]]]:
    """A team of telemarketers, each with an API key of their own: (team id, [(user id, headers)])."""
    engine = db.make_engine(url)
    try:
        with db.make_sessionmaker(engine)() as session:
            team = people_service.create_team(session=session, name="Callers", kind=KIND)
            found = []
            for i in range(agents):
                user = people_service.create_user(session=session, email=f"agent{i}@example.com", role="telemarketer",
                                                  name=f"Agent {i}", team="Callers", password="correct horse battery")
                _, key = people_service.create_api_key(session=session, name=f"agent {i}", user_id=user.id)
                found.append((user.id, {"Authorization": f"Bearer {key}"}))
            session.commit()
            return team.id, found
    finally:
        engine.dispose()


def _leads(server: LiveServer, count: int, prefix: str = "callee") -> list[int]:
    ids = []
    with httpx.Client(base_url=server.base, headers=server.auth, timeout=120) as http:
        for i in range(count):
            r = http.post("/api/v1/leads", json={"email": f"{prefix}{i}@pumps.example", "first_name": f"P{i}",
                                                 "phone": f"+35840{2000000 + i}", "country": "FI"})
            assert r.status_code in (200, 201), r.text
            ids.append(r.json()["id"])
    return ids


def _list(server: LiveServer, team_id: int, owner_id: int, **fields) -> int:
    r = httpx.post(server.base + "/api/v1/call-lists", headers=server.auth, timeout=120,
                   json={"name": fields.pop("name", "Race"), "team_id": team_id, "owner_id": owner_id, **ALWAYS,
                         **fields})
    assert r.status_code == 201, r.text
    return r.json()["id"]


def _outcome(lead_id: int) -> str:
    return "not_interested" if lead_id % 2 else "no_answer"


class Holds:
    """Who holds which lead now, as the agents' responses tell it: a claim of a lead someone else holds is noted."""

    def __init__(self):
        self.lock = threading.Lock()
        self.holder: dict[int, int] = {}
        self.clashes: list[tuple[int, int, int]] = []

    def claimed(self, lead_id: int, agent: int) -> None:
        with self.lock:
            other = self.holder.get(lead_id)
            if other is not None and other != agent:
                self.clashes.append((lead_id, other, agent))
            self.holder[lead_id] = agent

    def let_go(self, lead_id: int, agent: int) -> None:
        with self.lock:
            if self.holder.get(lead_id) == agent:
                del self.holder[lead_id]


def _agent(base: str, call_list_id: int, user_id: int, headers: dict, holds: Holds, *,
           keep_going=lambda: False) -> list[tuple]:
    """Claim, record, claim again until nobody is left to call (while `keep_going`, wait for more): every answer
    as (what, lead, status)."""
    done = []
    with httpx.Client(base_url=base, headers=headers, timeout=120) as http:
        while True:
            more_to_come = keep_going()  # asked before the claim: once it is false, every lead is on the list
            r = http.post(f"/api/v1/call-lists/{call_list_id}/claims")
            if r.status_code != 200:
                done.append(("claim", None, r.status_code, r.text[:300]))
                return done
            body = r.json()
            if not body["claimed"]:
                if more_to_come:
                    time.sleep(0.05)
                    continue
                return done
            lead_id = body["lead"]["id"]
            holds.claimed(lead_id, user_id)
            again = http.post(f"/api/v1/call-lists/{call_list_id}/claims")  # asking again: the same lead
            done.append(("again", lead_id, again.status_code, again.json()["lead"]["id"] if again.status_code == 200
                         and again.json()["claimed"] else None))
            holds.let_go(lead_id, user_id)  # let go before the outcome commits: a later claim by another is a clash
            r = http.post(f"/api/v1/call-lists/{call_list_id}/calls",
                          json={"lead_id": lead_id, "outcome": _outcome(lead_id)})
            done.append(("call", lead_id, r.status_code, r.text[:300] if r.status_code != 201 else ""))


def _entries(server: LiveServer, call_list_id: int, state: str) -> dict[int, dict]:
    r = httpx.get(server.base + f"/api/v1/call-lists/{call_list_id}/entries", headers=server.auth, timeout=120,
                  params={"state": state, "limit": 500})
    assert r.status_code == 200, r.text
    return {e["lead_id"]: e for e in r.json()}


def _calls(server: LiveServer, call_list_id: int) -> list[dict]:
    r = httpx.get(server.base + f"/api/v1/call-lists/{call_list_id}/calls", headers=server.auth, timeout=120,
                  params={"limit": 500})
    assert r.status_code == 200, r.text
    return r.json()


def _no_server_errors(server: LiveServer) -> None:
    log = server.log()
    assert "Traceback" not in log and "deadlock" not in log.lower(), log[-4000:]


def _assert_called_once_each(server, call_list_id, lead_ids, results, agents):
    answers = [a for agent_answers in results for a in agent_answers]
    assert [a for a in answers if a[0] == "claim"] == []  # every claim answered 200
    assert [a for a in answers if a[0] == "call" and a[2] != 201] == []  # no 409, no 500
    assert [a for a in answers if a[0] == "again" and a[3] != a[1]] == []  # asking again: the lead one holds
    called = Counter(a[1] for a in answers if a[0] == "call")
    assert set(called) == set(lead_ids) and set(called.values()) == {1}
    by_agent = [{a[1] for a in agent_answers if a[0] == "call"} for agent_answers in results]
    assert sum(len(leads) for leads in by_agent) == len(lead_ids)  # disjoint: no lead went to two agents
    calls = _calls(server, call_list_id)
    assert sorted(c["lead_id"] for c in calls) == sorted(lead_ids)
    who = {c["lead_id"]: c["user_id"] for c in calls}
    for (user_id, _), leads in zip(agents, by_agent, strict=True):
        assert {lead for lead in leads if who[lead] != user_id} == set()
    assert all(c["outcome"] == _outcome(c["lead_id"]) for c in calls)
    waiting, done = _entries(server, call_list_id, "waiting"), _entries(server, call_list_id, "done")
    assert set(done) == {i for i in lead_ids if _outcome(i) == "not_interested"}
    assert set(waiting) == {i for i in lead_ids if _outcome(i) == "no_answer"}
    assert all(e["attempts"] == 1 and e["last_outcome"] == "no_answer" and e["tier"] == 1 and e["claimed_by"] is None
               for e in waiting.values())  # tried again later, not now


@pytest.mark.parametrize("agent_count", [2, 10])
def test_agents_claiming_at_once_never_get_the_same_lead(fresh_database, agent_count):
    db.upgrade(fresh_database.url)
    team_id, agents = _team(fresh_database.url, agent_count)
    with LiveServer(fresh_database.url) as server:
        lead_ids = _leads(server, LEADS)
        call_list_id = _list(server, team_id, agents[0][0])
        r = httpx.post(server.base + f"/api/v1/call-lists/{call_list_id}/leads", headers=server.auth, timeout=120,
                       json={"lead_ids": lead_ids})
        assert r.status_code == 200 and r.json()["added"] == LEADS, r.text
        holds = Holds()
        results = at_once([lambda u=u, h=h: _agent(server.base, call_list_id, u, h, holds) for u, h in agents])
        assert holds.clashes == []
        _assert_called_once_each(server, call_list_id, lead_ids, results, agents)
        assert all(results)  # each agent got some of the leads
        _no_server_errors(server)


def test_two_managers_adding_the_same_leads_at_once_put_each_on_the_list_once(fresh_database):
    db.upgrade(fresh_database.url)
    team_id, agents = _team(fresh_database.url, 1)
    with LiveServer(fresh_database.url) as server:
        lead_ids = _leads(server, LEADS)
        call_list_id = _list(server, team_id, agents[0][0])

        def add(ids):
            return lambda: httpx.post(server.base + f"/api/v1/call-lists/{call_list_id}/leads", headers=server.auth,
                                      timeout=120, json={"lead_ids": ids})

        answers = at_once([add(lead_ids), add(list(reversed(lead_ids))), add(lead_ids[::2]), add(lead_ids[1::2])])
        assert [a.status_code for a in answers] == [200] * 4, [a.text[:300] for a in answers]
        assert sum(a.json()["added"] for a in answers) == LEADS
        assert all(a.json()["reopened"] == 0 and a.json()["skipped"] == {} for a in answers)
        assert sorted(_entries(server, call_list_id, "waiting")) == sorted(lead_ids)
        listed = httpx.get(server.base + f"/api/v1/call-lists/{call_list_id}", headers=server.auth, timeout=120)
        assert listed.json()["added"] == LEADS and listed.json()["counts"]["waiting"] == LEADS
        _no_server_errors(server)


def test_agents_claim_from_a_list_while_the_worker_fills_it(fresh_database, monkeypatch):
    db.upgrade(fresh_database.url)
    team_id, agents = _team(fresh_database.url, 4)
    monkeypatch.setattr(lists_service, "CHUNK", 7)  # many small steps, each a transaction of its own
    engine = db.make_engine(fresh_database.url)
    factory = db.make_sessionmaker(engine)
    try:
        with LiveServer(fresh_database.url) as server:
            lead_ids = _leads(server, LEADS)
            call_list_id = _list(server, team_id, agents[0][0], source="condition", condition='country == "FI"')
            filling = threading.Event()
            filling.set()

            def fill():
                try:
                    worker.drain(factory)
                finally:
                    filling.clear()

            holds = Holds()
            filler = threading.Thread(target=fill)
            filler.start()
            results = at_once([lambda u=u, h=h: _agent(server.base, call_list_id, u, h, holds,
                                                        keep_going=filling.is_set) for u, h in agents])
            filler.join()
            worker.drain(factory)
            assert holds.clashes == []
            made = httpx.get(server.base + f"/api/v1/call-lists/{call_list_id}", headers=server.auth, timeout=120)
            assert made.json()["built"] is True and made.json()["added"] == LEADS
            _assert_called_once_each(server, call_list_id, lead_ids, results, agents)
            _no_server_errors(server)
    finally:
        engine.dispose()


def test_a_person_on_two_lists_turned_down_from_both_at_once_is_recorded_once(fresh_database):
    db.upgrade(fresh_database.url)
    team_id, agents = _team(fresh_database.url, 8)
    with LiveServer(fresh_database.url) as server:
        lead_ids = _leads(server, 12)
        lists = [_list(server, team_id, agents[0][0], name=name) for name in ("North", "South")]
        for call_list_id in lists:
            r = httpx.post(server.base + f"/api/v1/call-lists/{call_list_id}/leads", headers=server.auth,
                           timeout=120, json={"lead_ids": lead_ids})
            assert r.status_code == 200 and r.json()["added"] == 12, r.text

        def turn_down(call_list_id, headers, outcome):
            def run():
                answers = []
                with httpx.Client(base_url=server.base, headers=headers, timeout=120) as http:
                    for lead_id in lead_ids:  # each agent reports on every lead: most are taken by then
                        r = http.post(f"/api/v1/call-lists/{call_list_id}/calls",
                                      json={"lead_id": lead_id, "outcome": outcome})
                        answers.append((lead_id, r.status_code, r.text[:200]))
                return answers
            return run

        runs = [turn_down(lists[n % 2], headers, ("not_interested", "do_not_call")[n % 4 // 2])
                for n, (_, headers) in enumerate(agents)]
        answers = [a for run in at_once(runs) for a in run]
        assert {status for _, status, _ in answers} <= {201, 409}, [a for a in answers if a[1] not in (201, 409)]
        recorded = Counter(lead_id for lead_id, status, _ in answers if status == 201)
        assert recorded == Counter({lead_id: 1 for lead_id in lead_ids})  # once, on one list: done everywhere
        for call_list_id in lists:
            assert _entries(server, call_list_id, "waiting") == {}
        _no_server_errors(server)
