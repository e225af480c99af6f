"""A draft saved by several people at once on a live server: editors changing different steps all keep their
change (each change is applied to the draft as it is then), and whole drafts saved against the same revision give
one winner and a clear 409 for the others, nothing overwritten unseen."""

from __future__ import annotations

import re
import threading

import httpx

from leadflow import db
from leadflow.people import service as people_service
from tests.integration.journeys.journeys import brochure
from tests.integration.live import LiveServer
from tests.integration.people.factories import PASSWORD

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
STEPS = ("wait7", "survey", "answer", "discard", "sales", "call")


def _editors(url: str, count: int) -> list[str]:
    engine = db.make_engine(url)
    try:
        with db.make_sessionmaker(engine)() as session:
            emails = [people_service.create_user(session=session, email=f"editor{i}@example.com", role="marketing",
                                                 name=f"Editor {i}", password=PASSWORD).email for i in range(count)]
            session.commit()
        return emails
    finally:
        engine.dispose()


def _signed_in(server: LiveServer, email: str) -> httpx.Client:
    client = httpx.Client(base_url=server.base, timeout=120)
    token = TOKEN.search(client.get("/login").text).group(1)
    r = client.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": token, "next": "/"})
    assert r.status_code == 303, r.text
    return client


def _at_once(work, count: int) -> list:
    start = threading.Barrier(count)
    results: list = [None] * count

    def run(i: int) -> None:
        start.wait(timeout=120)
        try:
            results[i] = work(i)
        except BaseException as exc:  # noqa: BLE001  (asserted below)
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_editors_changing_different_steps_at_once_all_keep_their_change_and_stale_drafts_are_409s(fresh_database):
    with LiveServer(fresh_database.url) as server:
        made = httpx.post(server.base + "/api/v1/journeys", headers=server.auth, timeout=60,
                          json={"name": "Brochure follow-up", "definition": brochure()})
        assert made.status_code == 201, made.text
        journey = f"/journeys/{made.json()['id']}"
        clients = [_signed_in(server, email) for email in _editors(fresh_database.url, len(STEPS))]
        forms = [(c, TOKEN.search(c.get(f"{journey}/steps/{step}").text).group(1)) for c, step in zip(
            clients, STEPS, strict=True)]
        current = {s["id"]: s for s in brochure()["steps"]}

        def edit(i: int) -> int:
            client, token = forms[i]
            step = current[STEPS[i]]
            data = {"csrf_token": token, "name": f"Edited by {i}",
                    **{k: v if isinstance(v, list) else str(v) for k, v in step.items()
                       if k not in ("id", "type", "next") and v}}
            if "next" in step:
                data["next"] = step["next"] or ""
            return client.post(f"{journey}/steps/{STEPS[i]}", data=data).status_code

        assert _at_once(edit, len(STEPS)) == [303] * len(STEPS)
        api = f"/api/v1{journey}"
        draft = httpx.get(server.base + api, headers=server.auth, timeout=60).json()["draft"]
        names = {s["id"]: s.get("name") for s in draft["definition"]["steps"]}
        assert {step: names[step] for step in STEPS} == {step: f"Edited by {i}" for i, step in enumerate(STEPS)}

        seen = draft["revision"]

        def save(i: int) -> int:
            definition = draft["definition"]
            definition = {**definition, "steps": [{**s, "duration": f"P{i + 1}D"} if s["id"] == "wait7" else s
                                                  for s in definition["steps"]]}
            return httpx.put(server.base + api + "/draft", headers=server.auth, timeout=120,
                             json={"definition": definition, "revision": seen}).status_code

        codes = _at_once(save, 6)
        assert sorted(codes) == [200] + [409] * 5, codes
        winner = codes.index(200)
        final = httpx.get(server.base + api, headers=server.auth, timeout=60).json()["draft"]["definition"]
        assert final["steps"][0]["duration"] == f"P{winner + 1}D"
        for client in clients:
            client.close()
