"""A journey's send_email step naming an A/B test, on a database of its own (SQLite and PostgreSQL), with the worker's
ticks on a simulated clock and a real SMTP server (aiosmtpd): each of 200 leads gets its variant's template once,
variant B with its own subject and offer; the hold-out gets a skipped row and no email, and its runs go on as not
opened; a test that does not exist is the step's outcome; the test's results (API and page) count per variant."""

from __future__ import annotations

import re
from collections import Counter

from sqlalchemy import select

from leadflow.email import experiments as ex
from leadflow.email.models import EmailMessage
from leadflow.leads.models import Lead
from tests.integration.email.conftest import smtp, template  # noqa: F401 - smtp: the real SMTP server fixture
from tests.integration.journeys.test_engine_brochure import BROWSER, app_client, ticks  # noqa: F401 - a fixture
from tests.integration.people.factories import person
from tests.integration.people.pages import sign_in

OFFER_BODY = """<mjml><mj-body><mj-section><mj-column>
<mj-text>Hello {{ first_name | default("there") }}: {{ offer | default("our spring brochure") }}</mj-text>
<mj-button href="https://example.com/brochure">Get the brochure</mj-button>
</mj-column></mj-section></mj-body></mjml>"""
SPLIT = {"A": 50, "B": 50}
HOLDOUT = 20


def ab_journey(experiment_id: int) -> dict:
    return {"entry": [{"kind": "manual"}], "reentry": {"mode": "never"}, "start": "ab",
            "steps": [{"id": "ab", "type": "send_email", "experiment_id": experiment_id, "next": "day"},
                      {"id": "day", "type": "wait", "duration": "P1D", "next": "opened"},
                      {"id": "opened", "type": "branch",
                       "branches": [{"when": {"happened": "opened", "step": "ab"}, "next": "warm"}], "else": "cold"},
                      {"id": "warm", "type": "add_points", "points": 5, "reason": "opened the offer", "next": None},
                      {"id": "cold", "type": "set_field", "field": "custom.nurture", "value": "cold", "next": None}]}


def published(client, auth, name: str, definition: dict) -> int:
    made = client.post("/api/v1/journeys", headers=auth, json={"name": name, "definition": definition})
    assert made.status_code == 201, made.text
    journey_id = made.json()["id"]
    assert client.post(f"/api/v1/journeys/{journey_id}/publish", headers=auth).status_code == 200
    return journey_id


def test_a_journeys_ab_step_mails_each_lead_its_variant_once_and_holds_the_hold_out_back(
        world, app_client, smtp):  # noqa: F811
    client, auth, _ = app_client
    a = template(client, auth, name="Offer A", body=OFFER_BODY, subject="Spring news, {{ first_name }}")
    b = template(client, auth, name="Offer B", body=OFFER_BODY, subject="unused: B has its own subject")
    test = client.post("/api/v1/email/experiments", headers=auth, json={
        "name": "Journey offer", "holdout_pct": HOLDOUT, "metric": "open", "split": SPLIT, "window_days": 14,
        "variants": [{"key": "A", "template_id": a},
                     {"key": "B", "template_id": b, "subject": "{{ first_name }}, your brochure is waiting",
                      "offer": "10 % off this spring"}]})
    assert test.status_code == 201, test.text
    experiment_id = test.json()["id"]
    journey_id = published(client, auth, "Spring offer", ab_journey(experiment_id))
    missing_id = published(client, auth, "Lost test", ab_journey(987654))

    leads = world.leads(200, prefix="ab")
    strays = world.leads(2, prefix="stray")
    entered = client.post(f"/api/v1/journeys/{journey_id}/enrol", headers=auth, json={"lead_ids": leads})
    assert entered.status_code == 200 and sorted(entered.json()["entered"]) == sorted(leads)
    assert client.post(f"/api/v1/journeys/{missing_id}/enrol", headers=auth,
                       json={"lead_ids": strays}).status_code == 200
    ticks(world)
    ticks(world)

    variant_of = {lead_id: ex.assign(experiment_id, lead_id, SPLIT, HOLDOUT) for lead_id in leads}
    counts = Counter(variant_of.values())
    held = {lead_id for lead_id, v in variant_of.items() if v == ex.HOLDOUT}
    assert counts["A"] > 50 and counts["B"] > 50 and len(held) > 20
    with world.factory() as session:
        messages = list(session.scalars(select(EmailMessage).where(EmailMessage.lead_id.in_(leads + strays))))
        addresses = dict(session.execute(select(Lead.id, Lead.email).where(Lead.id.in_(leads))).all())
        first_names = dict(session.execute(select(Lead.id, Lead.first_name).where(Lead.id.in_(leads))).all())
    assert sorted(m.lead_id for m in messages) == sorted(leads)  # one each; the lost test's leads none
    template_of = {"A": a, "B": b}
    for m in messages:
        assert (m.variant, m.experiment_id) == (variant_of[m.lead_id], experiment_id)
        if m.lead_id in held:
            assert (m.status, m.reason, m.sent_at) == ("skipped", "hold-out", None)
        else:
            assert m.status == "sent" and m.template_id == template_of[m.variant]

    received = Counter(rcpt for rcpts, _ in smtp.messages for rcpt in rcpts)
    assert set(received) == {addresses[i] for i in leads if i not in held} and set(received.values()) == {1}
    by_address = {address: lead_id for lead_id, address in addresses.items()}
    mails = {by_address[rcpts[0]]: mime for rcpts, mime in smtp.messages}
    for lead_id, mime in mails.items():
        html = mime.get_body(("html",)).get_content()
        if variant_of[lead_id] == "B":
            assert mime["Subject"] == f"{first_names[lead_id]}, your brochure is waiting"
            assert "10 % off this spring" in html
        else:
            assert mime["Subject"] == f"Spring news, {first_names[lead_id]}" and "our spring brochure" in html

    steps = {(lead_id, step): outcome for lead_id, step, _, outcome, _ in world.steps(journey_id)}
    for lead_id in leads:
        expected = ("held out (A/B test Journey offer)" if lead_id in held
                    else f"queued: variant {variant_of[lead_id]} (A/B test Journey offer)")
        assert steps[(lead_id, "ab")] == expected
    lost = {(lead_id, step): outcome for lead_id, step, _, outcome, _ in world.steps(missing_id)}
    assert {lost[(lead_id, "ab")] for lead_id in strays} == {"not sent: no experiment 987654"}

    # Opens through the signed pixel: every third of B's readers, every sixth of A's; the hold-out has none.
    world.clock.forward(hours=3)
    opened = Counter()
    for n, (lead_id, mime) in enumerate(sorted(mails.items())):
        variant = variant_of[lead_id]
        if n % (3 if variant == "B" else 6) == 0:
            pixel = re.search(r'src="http://testserver(/t/o/[^"]+)"', mime.get_body(("html",)).get_content())
            assert client.get(pixel.group(1), headers=BROWSER).status_code == 200
            opened[variant] += 1
    ticks(world)  # the opens are heard
    world.clock.forward(days=1)
    ticks(world)
    ticks(world)
    runs = world.runs(journey_id)
    warm = {lead_id for lead_id in leads if runs[lead_id][:2] == ("done", "warm")}
    assert len(warm) == opened["A"] + opened["B"] and not warm & held
    assert all(runs[lead_id][:2] == ("done", "cold") for lead_id in held)  # the run went on, as not opened
    assert {world.runs(missing_id)[lead_id][:2] for lead_id in strays} == {("done", "cold")}
    ticks(world)
    assert len(smtp.messages) == len(leads) - len(held)  # nothing sent twice

    marketer = person(world.factory, "marketing")
    results = client.get(f"/api/v1/email/experiments/{experiment_id}/results", headers=marketer.headers)
    assert results.status_code == 200, results.text
    body = results.json()
    assert body["send"] is None and body["experiment"]["id"] == experiment_id and body["metric"] == "open"
    rows = {row["variant"]: row for row in body["variants"]}
    for key in ("A", "B"):
        assert rows[key]["audience"] == rows[key]["sent"] == rows[key]["delivered"] == counts[key]
        assert rows[key]["opened"] == opened[key]
    assert rows[ex.HOLDOUT]["audience"] == len(held) and rows[ex.HOLDOUT]["sent"] == 0
    assert rows[ex.HOLDOUT]["skipped_by_reason"] == {"hold-out": len(held)}
    assert body["verdict"]["leader"] == "B"
    assert client.get("/api/v1/email/experiments/987654/results", headers=marketer.headers).status_code == 404

    assert sign_in(client, marketer.email).status_code == 303
    listed = client.get("/email/experiments")
    assert f'href="/email/experiments/{experiment_id}"' in listed.text
    page = client.get(f"/email/experiments/{experiment_id}")
    assert page.status_code == 200 and 'id="send-results"' in page.text and 'id="verdict"' in page.text
    for key in ("A", "B", ex.HOLDOUT):
        audience = re.search(rf'<tr data-variant="{key}">.*?<td class="num">(\d+)</td>', page.text, re.S).group(1)
        assert int(audience) == (len(held) if key == ex.HOLDOUT else counts[key])
    assert "held out" in page.text and "No send has used this test" in page.text
