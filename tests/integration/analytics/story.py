"""Building a lead's story for the figures through the API, at chosen moments: captures, stage moves, opportunities
won, page views; then the worker handles the messages and the analytics pass refreshes the facts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from leadflow import clock, worker
from leadflow.analytics import facts

DAY = timedelta(days=1)


def moment(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


class Story:
    """Moves the clock for each step it takes (set back to the real one by the `story` fixture)."""

    def __init__(self, client, auth):
        self.client, self.auth = client, auth

    def at(self, when: datetime) -> Story:
        clock.set_clock(lambda: when)
        return self

    def lead(self, when: datetime, **fields) -> int:
        self.at(when)
        r = self.client.post("/api/v1/leads", headers=self.auth, json=fields)
        assert r.status_code in (200, 201), r.text
        return r.json()["id"]

    def move(self, lead_id: int, when: datetime, to: str, reason: str | None = None) -> None:
        self.at(when)
        if reason is not None:
            r = self.client.post(f"/api/v1/leads/{lead_id}/stage", headers=self.auth, json={"to": to, "reason": reason})
        else:
            r = self.client.patch(f"/api/v1/leads/{lead_id}", headers=self.auth, json={"stage": to})
        assert r.status_code == 200, r.text

    def opportunity(self, lead_id: int, when: datetime, value: str = "10000", currency: str = "EUR") -> int:
        self.at(when)
        r = self.client.post("/api/v1/opportunities", headers=self.auth,
                             json={"lead_id": lead_id, "name": "Deal", "value": value, "currency": currency})
        assert r.status_code == 201, r.text
        return r.json()["id"]

    def won(self, opportunity_id: int, when: datetime) -> None:
        self.at(when)
        r = self.client.post(f"/api/v1/opportunities/{opportunity_id}/won", headers=self.auth,
                             json={"reason": "price"})
        assert r.status_code == 200, r.text

    def owner(self, lead_id: int, user_id: int) -> None:
        r = self.client.patch(f"/api/v1/leads/{lead_id}", headers=self.auth, json={"owner": user_id})
        assert r.status_code == 200, r.text

    def refresh(self, factory, now: datetime) -> None:
        """The worker handles every message (marking the leads stale), then the pass refreshes their facts; the
        clock is left at `now` for the figures' reads."""
        clock.set_clock(None)
        worker.drain(factory)
        facts.run_pass(factory)
        self.at(now)

    def get(self, path: str, headers: dict | None = None, **params):
        r = self.client.get(path, headers=headers or self.auth, params=params)
        return r
