"""Business outcomes per variant: the leads that became SQLs and the revenue won within the send's window (what
happened before the send or after the window does not count), the hold-out compared, the verdict on revenue."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from leadflow import clock, worker
from leadflow.email import experiments as ex
from tests.integration.analytics.story import Story
from tests.integration.email.sends_helpers import campaign_with_leads, experiment, send, templates

T0 = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)
DAY = timedelta(days=1)


def test_sqls_and_won_revenue_count_per_variant_within_the_window(client, auth, factory):
    story = Story(client, auth)
    try:
        story.at(T0 - 2 * DAY)
        a, b = templates(factory, "Outcome A", "Outcome B")
        campaign_id, lead_ids = campaign_with_leads(factory, 80, code="outcomes")
        test = experiment(client, auth, [a, b], metric="revenue", holdout_pct=20, window_days=14)
        groups: dict[str, list[int]] = {"A": [], "B": [], ex.HOLDOUT: []}
        for lead_id in lead_ids:
            groups[ex.assign(test["id"], lead_id, {"A": 50, "B": 50}, 20)].append(lead_id)
        assert len(groups["A"]) >= 6 and len(groups["B"]) >= 6 and len(groups[ex.HOLDOUT]) >= 2

        early = groups["A"][5]
        story.move(early, T0 - DAY, "sql")  # an SQL before the send: not the send's doing
        story.at(T0)
        made = send(client, auth, campaign_id=campaign_id, experiment_id=test["id"])
        worker.drain(factory)

        for lead_id in groups["A"][:2] + groups["B"][:6] + groups[ex.HOLDOUT][:1]:
            story.move(lead_id, T0 + 2 * DAY, "sql")
        story.won(story.opportunity(groups["A"][0], T0 + 3 * DAY, value="2000"), T0 + 5 * DAY)
        for lead_id in groups["B"][:3]:
            story.won(story.opportunity(lead_id, T0 + 3 * DAY, value="10000"), T0 + 5 * DAY)
        story.move(groups["A"][2], T0 + 20 * DAY, "sql")  # after the window
        story.won(story.opportunity(groups["A"][1], T0 + 15 * DAY, value="50000"), T0 + 20 * DAY)

        story.at(T0 + 21 * DAY)
        results = client.get(f"/api/v1/email/sends/{made['id']}", headers=auth).json()
        rows = {row["variant"]: row for row in results["variants"]}
        assert (rows["A"]["sqls"], rows["B"]["sqls"], rows[ex.HOLDOUT]["sqls"]) == (2, 6, 1)
        assert (rows["A"]["won_revenue"], rows["B"]["won_revenue"], rows[ex.HOLDOUT]["won_revenue"]) == (
            "2000.00", "30000.00", "0.00")
        assert results["currency"] == "EUR"
        assert results["window_end"].startswith((T0 + 14 * DAY).date().isoformat())
        assert rows["B"]["vs_holdout"] is not None and rows[ex.HOLDOUT]["vs_holdout"] is None
        assert float(rows["B"]["revenue_per_lead"]) == round(30000 / len(groups["B"]), 2)
        verdict = results["verdict"]
        assert verdict["leader"] == "B" and verdict["runner_up"] == "A"
        assert verdict["winner"] is None and verdict["words"].startswith("no winner yet: ")
        assert verdict["words"].endswith("confidence, below 95 %")
    finally:
        clock.set_clock(None)
