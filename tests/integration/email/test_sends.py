"""One-off sends through the API and the worker: a campaign's leads get an A/B test's variants, each lead queued
once, a chunk at a time; the hold-out gets no email but a skipped row; scheduled and canceled sends; bad input and
permissions."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from sqlalchemy import select

from leadflow import clock, events, worker
from leadflow.email import experiments as ex
from leadflow.email import sends
from leadflow.email.models import EmailMessage
from leadflow.outbox import OutboxMessage
from tests.integration.email.sends_helpers import campaign_with_leads, experiment, send, templates
from tests.integration.people.factories import person


def _messages(factory, send_id: int) -> list[EmailMessage]:
    with factory() as session:
        return list(session.scalars(select(EmailMessage).where(EmailMessage.send_id == send_id)
                                    .order_by(EmailMessage.lead_id)))


def test_a_campaign_send_with_an_ab_split_queues_each_lead_once_a_chunk_at_a_time(client, auth, factory, monkeypatch):
    monkeypatch.setattr(sends, "CHUNK", 40)
    a, b = templates(factory, "Brochure A", "Brochure B")
    campaign_id, lead_ids = campaign_with_leads(factory, 150)
    test = experiment(client, auth, [a, b])
    made = send(client, auth, campaign_id=campaign_id, experiment_id=test["id"])
    assert made["status"] == "sending" and made["audience"] == 0
    worker.drain(factory)
    worker.drain(factory)  # nothing new: every chunk was handled once

    messages = _messages(factory, made["id"])
    assert [m.lead_id for m in messages] == sorted(lead_ids)  # every lead once
    expected = {lead_id: ex.assign(test["id"], lead_id, {"A": 50, "B": 50}, 20) for lead_id in lead_ids}
    assert {m.lead_id: m.variant for m in messages} == expected
    counts = Counter(expected.values())
    assert counts[ex.HOLDOUT] > 10 and counts["A"] > 40 and counts["B"] > 40
    for m in messages:
        if m.variant == ex.HOLDOUT:
            assert (m.status, m.reason) == ("skipped", "hold-out")
        else:
            assert m.status == "queued" and m.template_id == (a if m.variant == "A" else b)
            assert m.key == f"send:{made['id']}:lead:{m.lead_id}"
    with factory() as session:
        chunks = session.scalars(select(OutboxMessage.payload).where(
            OutboxMessage.topic == events.EMAIL_CAMPAIGN_SEND)).all()
    assert sorted(p["after"] for p in chunks) == [0, *sorted(lead_ids)[39:150:40]]

    shown = client.get(f"/api/v1/email/sends/{made['id']}", headers=auth).json()
    assert shown["send"]["status"] == "done"
    assert (shown["send"]["audience"], shown["send"]["queued"], shown["send"]["held_out"]) == (
        150, counts["A"] + counts["B"], counts[ex.HOLDOUT])
    rows = {row["variant"]: row for row in shown["variants"]}
    assert rows["A"]["audience"] == counts["A"] and rows["A"]["waiting"] == counts["A"]
    assert rows[ex.HOLDOUT]["skipped_by_reason"] == {"hold-out": counts[ex.HOLDOUT]}
    assert rows[ex.HOLDOUT]["sent"] == 0
    assert shown["verdict"]["words"] == "no winner yet: not enough results to compare"
    listed = client.get("/api/v1/email/sends", headers=auth).json()["sends"]
    assert listed[0]["id"] == made["id"]


def test_a_send_of_one_template_and_a_repeated_chunk_adds_nothing(client, auth, factory):
    (template,) = templates(factory, "Newsletter")
    campaign_id, lead_ids = campaign_with_leads(factory, 12, code="news")
    made = send(client, auth, campaign_id=campaign_id, template_id=template)
    worker.drain(factory)
    with factory() as session:
        assert sends.queue_chunk(made["id"], 0, session=session) == 0  # done: nothing more
        session.commit()
    messages = _messages(factory, made["id"])
    assert len(messages) == 12 and {m.variant for m in messages} == {None}
    shown = client.get(f"/api/v1/email/sends/{made['id']}", headers=auth).json()
    assert shown["verdict"] is None and [r["variant"] for r in shown["variants"]] == ["all"]
    assert shown["send"]["queued"] == 12


def test_a_scheduled_send_waits_for_its_time_and_a_canceled_one_sends_nothing(client, auth, factory):
    (template,) = templates(factory, "Later")
    campaign_id, _ = campaign_with_leads(factory, 5, code="later")
    start = clock.now()
    try:
        later = send(client, auth, campaign_id=campaign_id, template_id=template,
                     scheduled_at=(start + timedelta(hours=2)).isoformat())
        assert later["status"] == "scheduled"
        canceled = send(client, auth, name="Canceled", campaign_id=campaign_id, template_id=template,
                        scheduled_at=(start + timedelta(hours=1)).isoformat())
        r = client.post(f"/api/v1/email/sends/{canceled['id']}/cancel", headers=auth)
        assert r.status_code == 200 and r.json()["status"] == "canceled"
        again = client.post(f"/api/v1/email/sends/{canceled['id']}/cancel", headers=auth)
        assert again.status_code == 422 and "status" in again.text
        worker.drain(factory)
        assert _messages(factory, later["id"]) == []
        clock.set_clock(lambda: start + timedelta(hours=3))
        worker.drain(factory)
        assert len(_messages(factory, later["id"])) == 5
        assert _messages(factory, canceled["id"]) == []
        draft = send(client, auth, name="Draft", campaign_id=campaign_id, template_id=template, draft=True)
        assert draft["status"] == "draft"
        worker.drain(factory)
        assert _messages(factory, draft["id"]) == []
        started = client.post(f"/api/v1/email/sends/{draft['id']}/start", headers=auth)
        assert started.status_code == 200 and started.json()["status"] == "sending"
        worker.drain(factory)
        assert len(_messages(factory, draft["id"])) == 5
    finally:
        clock.set_clock(None)


def test_bad_input_is_a_422_naming_the_field(client, auth, factory):
    a, b = templates(factory, "Bad A", "Bad B")
    campaign_id, _ = campaign_with_leads(factory, 1, code="bad")

    def problem(path: str, body: dict) -> str:
        r = client.post(path, headers=auth, json=body)
        assert r.status_code == 422, r.text
        return r.text

    base = {"name": "T", "variants": [{"key": "A", "template_id": a}, {"key": "B", "template_id": b}]}
    assert "the shares add up to 90 %, not 100 %" in problem("/api/v1/email/experiments",
                                                              {**base, "split": {"A": 50, "B": 40}})
    assert "variants.1.template_id" in problem("/api/v1/email/experiments", {
        **base, "variants": [{"key": "A", "template_id": a}, {"key": "B", "template_id": 999999}]})
    assert "two variants are called A" in problem("/api/v1/email/experiments", {
        **base, "variants": [{"key": "A", "template_id": a}, {"key": "A", "template_id": b}]})
    assert "metric" in problem("/api/v1/email/experiments", {**base, "metric": "vibes"})
    assert "holdout_pct" in problem("/api/v1/email/experiments", {**base, "holdout_pct": 100})
    assert "choose the audience" in problem("/api/v1/email/sends", {"name": "S", "template_id": a})
    assert "choose the audience" in problem("/api/v1/email/sends", {"name": "S", "template_id": a,
                                                                     "campaign_id": campaign_id, "segment_id": 1})
    assert "no such campaign" in problem("/api/v1/email/sends", {"name": "S", "template_id": a,
                                                                  "campaign_id": 999999})
    assert "choose what to send" in problem("/api/v1/email/sends", {"name": "S", "campaign_id": campaign_id})
    assert "the time has passed" in problem("/api/v1/email/sends", {
        "name": "S", "campaign_id": campaign_id, "template_id": a, "scheduled_at": "2020-01-01T00:00:00Z"})
    assert "scheduled_at" in problem("/api/v1/email/sends", {
        "name": "S", "campaign_id": campaign_id, "template_id": a, "scheduled_at": "next tuesday"})
    assert client.get("/api/v1/email/sends/999999", headers=auth).status_code == 404
    made = experiment(client, auth, [a, b])
    r = client.post(f"/api/v1/email/experiments/{made['id']}/winner", headers=auth)
    assert r.status_code == 422 and "not been sent yet" in r.text


def test_only_marketing_and_admins_make_sends(client, auth, factory):
    (template,) = templates(factory, "Perm")
    campaign_id, _ = campaign_with_leads(factory, 1, code="perm")
    rep = person(factory, "sales_rep")
    marketer = person(factory, "marketing")
    assert client.get("/api/v1/email/sends", headers=rep.headers).status_code == 403
    body = {"name": "S", "campaign_id": campaign_id, "template_id": template}
    assert client.post("/api/v1/email/sends", headers=rep.headers, json=body).status_code == 403
    assert client.post("/api/v1/email/sends", headers=marketer.headers, json=body).status_code == 201
    assert client.get("/api/v1/email/sends").status_code == 401
