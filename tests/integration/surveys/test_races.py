"""Answers sent at once against a real server (several threads, several connections) on either database: one
response per (survey, lead, message), every post answered, one brochure survey however many make it at once."""

from __future__ import annotations

from urllib.parse import urlsplit

import httpx

from tests.integration.live import LiveServer, at_once, run_cli
from tests.integration.surveys.helpers import QUESTIONS

CHOICES = [{"need": "high", "next_step": "quote"}, {"need": "low", "next_step": "nothing"}]


def test_the_same_link_sent_many_times_at_once_makes_one_response(fresh_database):
    with LiveServer(fresh_database.url) as server:
        made = httpx.post(server.base + "/api/v1/surveys", headers=server.auth, timeout=60,
                          json={"key": "race", "name": "Race", "questions": QUESTIONS})
        assert made.status_code == 201, made.text
        survey_id = made.json()["id"]
        paths = {}
        for i in range(4):
            lead = httpx.post(server.base + "/api/v1/leads", headers=server.auth, timeout=60,
                              json={"email": f"racer{i}@pumps.example"})
            assert lead.status_code == 201, lead.text
            url = httpx.post(server.base + f"/api/v1/surveys/{survey_id}/links", headers=server.auth, timeout=60,
                             json={"lead_id": lead.json()["id"], "message_id": 100 + i}).json()["url"]
            paths[lead.json()["id"]] = urlsplit(url).path

        def post(path, answers):
            return lambda: httpx.post(server.base + path, data=answers, timeout=120)

        calls = [post(path, CHOICES[n % 2]) for path in paths.values() for n in range(6)]
        answered = at_once(calls)
        assert [r.status_code for r in answered] == [200] * len(calls), [r.text[:300] for r in answered
                                                                        if r.status_code != 200]
        found = httpx.get(server.base + f"/api/v1/surveys/{survey_id}/responses", headers=server.auth,
                          timeout=60).json()["items"]
        assert sorted(r["lead_id"] for r in found) == sorted(paths)
        assert all(r["times"] == 6 and r["answers"] in CHOICES for r in found)
        for lead_id in paths:  # BANT holds the answer the response holds (the last one applied)
            bant = httpx.get(server.base + f"/api/v1/leads/{lead_id}/bant", headers=server.auth, timeout=60).json()
            response = next(r for r in found if r["lead_id"] == lead_id)
            assert bant["criteria"]["need"]["value"] == response["answers"]["need"]


def test_the_brochure_template_made_twice_at_once_is_one_survey(fresh_database):
    from leadflow import db

    db.upgrade(fresh_database.url)
    results = at_once([lambda: run_cli(fresh_database.url, "surveys", "template", "brochure") for _ in range(3)])
    assert all(r.returncode == 0 for r in results), [r.stderr for r in results]
    assert sorted(r.stdout.split()[-1] for r in results) == ["already", "already", "created"]
    listed = run_cli(fresh_database.url, "surveys", "list")
    assert listed.returncode == 0 and listed.stdout.count("brochure-followup") == 1
