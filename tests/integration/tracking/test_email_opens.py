"""Email opens mean what they say: one scored open per message and lead; repeat loads and machine loads (privacy
proxies, scanners, no User-Agent, seconds after sending) are recorded, flagged with their reason, unscored."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import select

from leadflow import clock, db
from leadflow.tracking import email_service
from leadflow.tracking.models import Event
from tests.integration.live import LiveServer, run_async
from tests.integration.people.factories import lead

SECRET = "test-secret-" + "x" * 40
THUNDERBIRD = {"User-Agent": "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Thunderbird/128.3.0"}
GMAIL_PROXY = ("Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)")


def pixel(lead_id: int, message: str = "m-1", *, sent_minutes_ago: float = 60, secret: str = SECRET) -> str:
    """The open pixel's path of an email made `sent_minutes_ago` (its token carries when)."""
    clock.set_clock(lambda: datetime.now(UTC) - timedelta(minutes=sent_minutes_ago))
    try:
        return f"/t/o/{email_service.open_token(secret, lead_id, message_id=message)}.gif"
    finally:
        clock.set_clock(None)


def opens(session, lead_id: int) -> list[tuple[str, str | None]]:
    rows = session.scalars(select(Event).where(Event.lead_id == lead_id).order_by(Event.id)
                           .execution_options(populate_existing=True))
    return [(e.properties.get("message_id"), e.unscored) for e in rows]


def score(client, auth, lead_id: int) -> int:
    return client.get(f"/api/v1/leads/{lead_id}", headers=auth).json()["score"] or 0


def test_three_loads_of_one_open_pixel_score_one_open(client, auth, session):
    lead_id = lead(client, auth)
    for _ in range(3):
        r = client.get(pixel(lead_id), headers=THUNDERBIRD)
        assert r.status_code == 200 and r.content.startswith(b"GIF89a")
    assert score(client, auth, lead_id) == 1
    assert opens(session, lead_id) == [("m-1", None), ("m-1", "repeat open of the same email"),
                                       ("m-1", "repeat open of the same email")]
    body = client.get(f"/api/v1/leads/{lead_id}/events", headers=auth).json()["items"]
    assert sorted(e["unscored"] or "" for e in body) == ["", "repeat open of the same email",
                                                          "repeat open of the same email"]

    client.get(pixel(lead_id, "m-2"), headers=THUNDERBIRD)  # another email: its own open
    assert score(client, auth, lead_id) == 2


@pytest.mark.parametrize(("headers", "reason"), [
    ({"User-Agent": ""}, "machine open: no User-Agent"),
    ({"User-Agent": "Mozilla/5.0"}, "machine open: Apple Mail Privacy Protection"),
    ({"User-Agent": GMAIL_PROXY}, "machine open: Google Image Proxy"),
    ({"User-Agent": "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)"},
     "machine open: a crawler or link scanner"),
])
def test_machine_opens_are_recorded_flagged_and_unscored(client, auth, session, headers, reason):
    lead_id = lead(client, auth)
    for _ in range(3):
        assert client.get(pixel(lead_id), headers=headers).status_code == 200
    assert score(client, auth, lead_id) == 0
    assert opens(session, lead_id) == [("m-1", reason)] * 3

    client.get(pixel(lead_id), headers=THUNDERBIRD)  # the person reads it later: that open counts
    assert score(client, auth, lead_id) == 1
    assert opens(session, lead_id)[-1] == ("m-1", None)


def test_an_open_seconds_after_sending_is_a_scanners(client, auth, session):
    lead_id = lead(client, auth)
    client.get(pixel(lead_id, sent_minutes_ago=0), headers=THUNDERBIRD)
    assert opens(session, lead_id) == [("m-1", "machine open: within 20 seconds of sending")]
    assert score(client, auth, lead_id) == 0


def test_unscored_opens_stay_unscored_when_the_lead_is_rescored_from_its_history(client, auth, factory, session):
    from leadflow.scoring import service as scoring_service

    lead_id = lead(client, auth)
    client.get(pixel(lead_id), headers={"User-Agent": ""})
    for _ in range(2):
        client.get(pixel(lead_id), headers=THUNDERBIRD)
    assert score(client, auth, lead_id) == 1
    with factory() as own:
        assert scoring_service.rescore_leads([lead_id], session=own) == set()  # the history gives the same score
        own.commit()
    assert score(client, auth, lead_id) == 1


async def _load_all(server: LiveServer, path: str, times: int) -> list[httpx.Response]:
    async with httpx.AsyncClient(base_url=server.base, timeout=120, headers=THUNDERBIRD,
                                 limits=httpx.Limits(max_connections=times)) as client:
        return await asyncio.gather(*(client.get(path) for _ in range(times)))


def test_simultaneous_loads_of_one_pixel_score_once(fresh_database):
    with LiveServer(fresh_database.url) as server:
        created = httpx.post(server.base + "/api/v1/leads", headers=server.auth, timeout=30,
                             json={"email": "reader@example.com"})
        assert created.status_code == 201, created.text
        lead_id = created.json()["id"]
        responses = run_async(_load_all(server, pixel(lead_id, secret="live-test-" + "y" * 40), 8))
        assert [r.status_code for r in responses] == [200] * 8
        engine = db.make_engine(fresh_database.url)
        try:
            with db.make_sessionmaker(engine)() as session:
                found = opens(session, lead_id)
        finally:
            engine.dispose()
        assert sorted(found, key=lambda o: o[1] or "") == [("m-1", None)] + [("m-1", email_service.REPEAT_OPEN)] * 7
        assert httpx.get(f"{server.base}/api/v1/leads/{lead_id}", headers=server.auth).json()["score"] == 1
        log = server.log()
    assert "Traceback" not in log, log[-3000:]
