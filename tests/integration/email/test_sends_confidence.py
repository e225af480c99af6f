"""Confidence only where there is something to be confident about: right after an A/B send is queued, nothing sent
yet, each variant's comparison with the hold-out reads "not enough data" on the results page and in the API, never
"0.0 % confidence"."""

from __future__ import annotations

import re

from leadflow import worker
from leadflow.email import experiments as ex
from tests.integration.email.sends_helpers import campaign_with_leads, experiment, send, templates
from tests.integration.people.factories import person
from tests.integration.people.pages import sign_in


def test_a_variant_nothing_was_sent_to_reads_not_enough_data_instead_of_a_confidence(client, auth, factory):
    a, b = templates(factory, "Early A", "Early B")
    campaign_id, _ = campaign_with_leads(factory, 40, code="early")
    test = experiment(client, auth, [a, b], metric="click", holdout_pct=20)
    made = send(client, auth, campaign_id=campaign_id, experiment_id=test["id"])
    worker.drain(factory)  # queued; the sender has not run

    results = client.get(f"/api/v1/email/sends/{made['id']}", headers=auth).json()
    rows = {row["variant"]: row for row in results["variants"]}
    assert rows["A"]["audience"] > 0 and rows["A"]["sent"] == rows["B"]["sent"] == 0
    assert rows["A"]["vs_holdout_words"] == rows["B"]["vs_holdout_words"] == "not enough data"
    assert rows[ex.HOLDOUT]["vs_holdout_words"] is None

    assert sign_in(client, person(factory, "marketing").email).status_code == 303
    page = client.get(f"/email/sends/{made['id']}")
    assert page.status_code == 200
    cells = dict(re.findall(r'<tr data-variant="([^"]+)">.*?<td class="vs-holdout">(.*?)</td>', page.text, re.S))
    assert cells == {"A": "not enough data", "B": "not enough data", ex.HOLDOUT: "—"}
    assert "0.0 % confidence" not in page.text
