"""Real concurrency against a live server: the same new person submitted at once is one lead."""

from __future__ import annotations

import asyncio

import httpx

from tests.integration.live import LiveServer, run_async


async def _submit_all(server: LiveServer, bodies: list[dict]) -> list[httpx.Response]:
    limits = httpx.Limits(max_connections=len(bodies))
    async with httpx.AsyncClient(base_url=server.base, headers=server.auth, timeout=60, limits=limits) as client:
        return await asyncio.gather(*(client.post("/api/v1/leads", json=body) for body in bodies))


def test_fifty_simultaneous_submissions_with_one_new_email_make_one_lead(fresh_database):
    with LiveServer(fresh_database.url) as server:
        bodies = [{"email": "Same.Person@Example.com" if i % 2 else " same.person@example.COM",
                   "first_name": "Same", "city": f"City {i}"} for i in range(50)]
        responses = run_async(_submit_all(server, bodies))
        statuses = sorted(r.status_code for r in responses)
        assert set(statuses) <= {200, 201}, [r.text for r in responses if r.status_code not in (200, 201)]
        assert statuses.count(201) == 1
        assert len({r.json()["id"] for r in responses}) == 1
        leads = httpx.get(server.base + "/api/v1/leads", params={"q": "same.person"}, headers=server.auth).json()
        assert len(leads["items"]) == 1
        captures = httpx.get(server.base + "/api/v1/captures", params={"limit": 100}, headers=server.auth).json()
        assert len(captures["items"]) == 50


def test_simultaneous_submissions_naming_one_new_campaign_make_one_campaign(fresh_database):
    with LiveServer(fresh_database.url) as server:
        bodies = [{"email": f"p{i}@example.com", "utm_campaign": "Launch-2026", "utm_medium": "email"}
                  for i in range(20)]
        responses = run_async(_submit_all(server, bodies))
        assert all(r.status_code == 201 for r in responses), [r.text for r in responses]
        campaigns = httpx.get(server.base + "/api/v1/campaigns", headers=server.auth).json()["items"]
        assert [c["code"] for c in campaigns] == ["Launch-2026"]
        assert len({r.json()["campaign_id"] for r in responses}) == 1
