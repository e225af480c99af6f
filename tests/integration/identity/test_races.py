"""Races at the identity layer against a live server: many clients capturing the same people at once, and merges
that cross each other. Every answer is final (no 'pending', no 5xx) and the data stays a forest of merges."""

from __future__ import annotations

import asyncio
import csv
import random

import httpx
import pytest
from faker import Faker
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError

from leadflow import db
from tests.integration.live import LiveServer, run_async

CLIENTS = 32


def _ascii(name: str) -> str:
    return "".join(c for c in name.lower() if "a" <= c <= "z") or "x"


def _people(count: int, seed: int) -> list[dict]:
    """Realistic captures: one in five repeats an earlier person (the same email, the same email with a +tag, or
    in other case), with a new job title; names and firms recur, as they do in real lists."""
    fake = Faker(["nl_NL", "no_NO", "fi_FI", "en_GB"])
    fake.seed_instance(seed)
    rng = random.Random(seed)
    firms = [fake.company() for _ in range(25)]
    bodies: list[dict] = []
    for i in range(count):
        if bodies and rng.random() < 0.2:
            earlier = dict(rng.choice(bodies))
            local, _, domain = earlier["email"].partition("@")
            earlier["email"] = rng.choice([earlier["email"], f"{local}+news@{domain}", earlier["email"].upper()])
            earlier["job_title"] = fake.job()[:100]
            bodies.append(earlier)
            continue
        first, last = fake.first_name(), fake.last_name()
        firm = rng.choice(firms)
        domain = "".join(c for c in firm.lower() if c.isalnum())[:20] + ".example"
        bodies.append({"first_name": first, "last_name": last, "company": firm, "city": fake.city(),
                       "email": f"{first}.{last}.{i}@{domain}".lower().replace(" ", ""),
                       "utm_source": rng.choice(["google", "linkedin", "newsletter"]),
                       "utm_campaign": rng.choice(["spring", "fair", None])})
    return bodies


async def _post_all(server: LiveServer, path: str, bodies: list[dict]) -> list[httpx.Response]:
    limits = httpx.Limits(max_connections=CLIENTS)
    semaphore = asyncio.Semaphore(CLIENTS)
    async with httpx.AsyncClient(base_url=server.base, headers=server.auth, timeout=120, limits=limits) as client:
        async def post(body: dict) -> httpx.Response:
            async with semaphore:
                return await client.post(path, json=body)
        return await asyncio.gather(*(post(body) for body in bodies))


def _surviving(server: LiveServer) -> list[dict]:
    items, cursor = [], None
    while True:
        params = {"limit": 200, **({"cursor": cursor} if cursor else {})}
        page = httpx.get(server.base + "/api/v1/leads", params=params, headers=server.auth, timeout=60).json()
        items += page["items"]
        cursor = page.get("next_cursor")
        if not cursor:
            return items


def test_many_clients_capturing_returning_people_at_once_leave_nothing_pending(fresh_database):
    bodies = _people(400, seed=11)
    people = {b["email"].lower().replace("+news", "") for b in bodies}
    with LiveServer(fresh_database.url) as server:
        responses = run_async(_post_all(server, "/api/v1/leads", bodies))
        problems = [(r.status_code, r.text[:200]) for r in responses if r.status_code not in (200, 201)]
        assert not problems, problems
        assert all("id" in r.json() for r in responses)   # a lead, never {"outcome": "pending"}
        pending = httpx.get(server.base + "/api/v1/captures", params={"outcome": "pending", "limit": 10},
                            headers=server.auth).json()["items"]
        assert pending == []
        leads = _surviving(server)
        assert len(leads) == len(people)
        for lead in leads:   # each person's every address is still theirs
            assert {lead["email"], *lead["other_emails"]} <= {b["email"].lower() for b in bodies}


async def _merge_at_once(server: LiveServer, pairs: list[tuple[int, int]]) -> list[httpx.Response]:
    async with httpx.AsyncClient(base_url=server.base, headers=server.auth, timeout=120,
                                 limits=httpx.Limits(max_connections=len(pairs))) as client:
        return await asyncio.gather(*(client.post(f"/api/v1/leads/{a}/merge", json={"other_id": b})
                                      for a, b in pairs))


def _new_leads(server: LiveServer, count: int, tag: str) -> list[int]:
    ids = []
    for i in range(count):
        response = httpx.post(server.base + "/api/v1/leads", headers=server.auth, json={
            "first_name": f"Person{tag}", "last_name": f"Ring{i}", "email": f"{tag}.{i}@ring{i}.example"})
        assert response.status_code == 201, response.text
        ids.append(response.json()["id"])
    return ids


def _root(server: LiveServer, lead_id: int) -> int:
    seen = set()
    while True:
        assert lead_id not in seen, f"a merge cycle through lead {lead_id}"
        seen.add(lead_id)
        merges = httpx.get(server.base + f"/api/v1/leads/{lead_id}/merges", headers=server.auth).json()
        live = [m for m in merges if m["merged_id"] == lead_id and m["undone_at"] is None]
        if not live:
            return lead_id
        lead_id = live[0]["survivor_id"]


def test_two_crossing_merges_give_one_merge_and_one_conflict(fresh_database):
    with LiveServer(fresh_database.url) as server:
        for round_ in range(8):
            a, b = _new_leads(server, 2, f"x{round_}")
            responses = run_async(_merge_at_once(server, [(a, b), (b, a)]))
            statuses = sorted(r.status_code for r in responses)
            assert statuses == [201, 409], [r.text for r in responses]
            survivor = next(r.json()["survivor_id"] for r in responses if r.status_code == 201)
            assert httpx.get(server.base + f"/api/v1/leads/{survivor}", headers=server.auth).status_code == 200
            assert {_root(server, a), _root(server, b)} == {survivor}


def test_merges_in_a_ring_never_make_a_cycle_and_each_can_be_undone(fresh_database):
    with LiveServer(fresh_database.url) as server:
        for round_ in range(5):
            a, b, c = _new_leads(server, 3, f"r{round_}")
            responses = run_async(_merge_at_once(server, [(a, b), (b, c), (c, a)]))
            assert all(r.status_code in (201, 409) for r in responses), [r.text for r in responses]
            assert any(r.status_code == 201 for r in responses)
            roots = {_root(server, x) for x in (a, b, c)}
            assert len(roots) <= 2
            # Undo every merge: a lead whose survivor was merged again waits (409) until that merge is undone.
            for _ in range(3):
                for x in (a, b, c):
                    merged = [m for m in httpx.get(server.base + f"/api/v1/leads/{x}/merges",
                                                   headers=server.auth).json()
                              if m["merged_id"] == x and m["undone_at"] is None]
                    if merged:
                        undo = httpx.post(server.base + f"/api/v1/leads/{x}/unmerge", headers=server.auth)
                        assert undo.status_code in (200, 409), undo.text
            for x in (a, b, c):
                assert httpx.get(server.base + f"/api/v1/leads/{x}", headers=server.auth).status_code == 200


def test_the_schema_refuses_a_merge_into_a_lead_that_is_merged_away(fresh_database):
    db.upgrade(fresh_database.url)
    engine = create_engine(db.normalize_url(fresh_database.url))
    try:
        with engine.begin() as conn:
            for lead_id in (1, 2, 3):
                conn.execute(text("INSERT INTO leads (id, custom_fields, stage, do_not_contact, manual_fields, "
                                  "first_touch, last_touch, score_explanation, interests, other_emails, other_phones, "
                                  "created_at, updated_at) VALUES (:id, '{}', 'new', false, '[]', '{}', '{}', '[]', "
                                  "'{}', '[]', '[]', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"), {"id": lead_id})
            conn.execute(text("UPDATE leads SET merged_into_id = 2 WHERE id = 1"))
        for statement in ("UPDATE leads SET merged_into_id = 1 WHERE id = 2",    # a cycle of two
                          "UPDATE leads SET merged_into_id = 1 WHERE id = 3",    # into a merged-away lead
                          "UPDATE leads SET merged_into_id = 3 WHERE id = 3"):   # into itself
            with pytest.raises(DBAPIError), engine.begin() as conn:
                conn.execute(text(statement))
        with engine.begin() as conn:   # chains through survivors stay possible
            conn.execute(text("UPDATE leads SET merged_into_id = 3 WHERE id = 2"))
    finally:
        engine.dispose()


def test_an_import_and_captures_of_the_same_people_at_once_keep_every_address(fresh_database, tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    from tests.integration.live import run_cli

    fake = Faker(["nl_NL", "no_NO", "fi_FI"])
    fake.seed_instance(5)
    people = []
    for i in range(600):
        first, last = fake.first_name(), fake.last_name()
        people.append({"first_name": first, "last_name": last, "company": f"{fake.company()} {i}",
                       "email": f"{_ascii(first)}.{_ascii(last)}@firm{i}.example",
                       "mobile": f"+31 6 {20000000 + i * 7}"})
    source = tmp_path / "people.csv"
    with source.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["First Name", "Last Name", "Company", "Email", "Mobile"])
        for p in people:
            writer.writerow([p["first_name"], p["last_name"], p["company"], p["email"], p["mobile"]])
    captures = [{**p, "email": p["email"].replace("@", "+events@")} for p in people[::2]]
    with LiveServer(fresh_database.url) as server, ThreadPoolExecutor(1) as pool:
        imported = pool.submit(run_cli, fresh_database.url, "import", str(source))
        responses = run_async(_post_all(server, "/api/v1/leads", captures))
        result = imported.result()
        assert result.returncode == 0 and "0 rejected" in result.stderr, result.stderr
        assert all(r.status_code in (200, 201) for r in responses), [r.text for r in responses if r.status_code > 201]
        leads = _surviving(server)
        person_of = {p["email"]: i for i, p in enumerate(people)}
        person_of.update({c["email"]: person_of[c["email"].replace("+events@", "@")] for c in captures})
        joined = [lead for lead in leads
                  if len({person_of.get(a) for a in (lead["email"], *lead["other_emails"])}) > 1]
        assert not joined, joined[:3]
        assert len(leads) == len(people)
        held = {address for lead in leads for address in (lead["email"], *lead["other_emails"])}
        assert {p["email"] for p in people} | {c["email"] for c in captures} <= held
