"""The shipped rule set through the API, in the markets leadflow serves first: a Norwegian managing director is
graded like a CEO, a Dutch pricing page scores like /pricing."""

from __future__ import annotations

from leadflow import worker
from tests.integration.people.factories import lead


def _score(client, auth, lead_id: int) -> dict:
    return client.get(f"/api/v1/leads/{lead_id}/score", headers=auth).json()


def test_daglig_leder_is_graded_and_scored_like_a_ceo(client, auth, factory):
    ids = {title: lead(client, auth, job_title=title, country="NO", custom_fields={"employees": "250"})
           for title in ("daglig leder", "CEO", "Administrerende Direktør", "toimitusjohtaja")}
    worker.drain(factory)
    ceo = _score(client, auth, ids["CEO"])
    assert (ceo["grade"], ceo["fit_points"]) == ("A", 25 + 10 + 5)  # A from 40 fit points
    for title, lead_id in ids.items():
        found = _score(client, auth, lead_id)
        assert (found["grade"], found["fit_points"], found["score"]) == (ceo["grade"], ceo["fit_points"],
                                                                         ceo["score"]), title
        assert [r["rule"] for r in found["fit"]] == [r["rule"] for r in ceo["fit"]]


def test_a_view_of_the_dutch_pricing_page_scores_like_pricing(client, auth):
    dutch, english = lead(client, auth), lead(client, auth)
    r = client.post("/api/v1/events", headers=auth, json={"events": [
        {"type": "page_view", "lead_id": dutch, "properties": {"url": "https://www.pompen.example/nl/prijzen"}},
        {"type": "page_view", "lead_id": english, "properties": {"url": "https://www.pumps.example/pricing"}}]})
    assert r.status_code == 200 and [i["outcome"] for i in r.json()["items"]] == ["accepted", "accepted"]
    found = [_score(client, auth, lead_id) for lead_id in (dutch, english)]
    assert found[0]["score"] == found[1]["score"] == 11
    assert [r["rule"] for r in found[0]["behaviour"]] == [r["rule"] for r in found[1]["behaviour"]] == [
        "pricing-page", "page-view"]
