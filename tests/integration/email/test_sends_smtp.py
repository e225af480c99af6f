"""A one-off A/B send to a live segment, end to end through a real SMTP server (aiosmtpd): every member queued once,
the hold-out never mailed, variant B's own subject and offer in its emails, a lead who withdrew consent skipped with
the reason, opens through tracking's signed pixel counted per variant, and the winner named with its confidence."""

from __future__ import annotations

import re
from collections import Counter
from datetime import timedelta

from sqlalchemy import select

from leadflow import worker
from leadflow.email import experiments as ex
from leadflow.email.models import EmailMessage
from leadflow.leads.models import Lead
from tests.integration.email.conftest import NOON, at, send_pass, template, withdraw
from tests.integration.people.factories import lead
from tests.integration.segments.helpers import drain, segment

OFFER_BODY = """<mjml><mj-body><mj-section><mj-column>
<mj-text>Hello {{ first_name | default("there") }}: {{ offer | default("our spring brochure") }}</mj-text>
<mj-button href="https://example.com/brochure">Get the brochure</mj-button>
</mj-column></mj-section></mj-body></mjml>"""
BROWSER = {"User-Agent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/120 Safari/537"}


def test_an_ab_send_to_a_segment_through_smtp_counts_opens_per_variant_and_names_the_winner(
        client, auth, session, factory, smtp):
    at(NOON)
    a = template(client, auth, name="Spring A", body=OFFER_BODY, subject='Spring news, {{ first_name }}')
    b = template(client, auth, name="Spring B", body=OFFER_BODY, subject="unused: B has its own subject")
    members = [lead(client, auth, first_name=f"Oulu{i}", city="Oulu", email=f"oulu{i}@example.com")
               for i in range(90)]
    outsider = lead(client, auth, first_name="Turku", city="Turku", email="turku@example.com")
    oulu = segment(client, auth, 'city == "Oulu"', name="Oulu")
    drain(factory)
    withdrawn = members[0]
    withdraw(session, withdrawn, "marketing")
    session.commit()

    test = client.post("/api/v1/email/experiments", headers=auth, json={
        "name": "Offer test", "holdout_pct": 20, "metric": "open", "split": {"A": 50, "B": 50},
        "variants": [{"key": "A", "template_id": a},
                     {"key": "B", "template_id": b, "subject": "{{ first_name }}, your brochure is waiting",
                      "offer": "10 % off this spring"}]})
    assert test.status_code == 201, test.text
    made = client.post("/api/v1/email/sends", headers=auth, json={
        "name": "Oulu spring", "segment_id": oulu, "experiment_id": test.json()["id"]})
    assert made.status_code == 201, made.text
    send_id = made.json()["id"]
    worker.drain(factory)
    send_pass(factory)
    send_pass(factory)  # a second pass sends nothing again

    with factory() as s:
        messages = list(s.scalars(select(EmailMessage).where(EmailMessage.send_id == send_id)))
        addresses = dict(s.execute(select(Lead.id, Lead.email).where(Lead.id.in_(members))).all())
    assert sorted(m.lead_id for m in messages) == sorted(members)  # each member once, the outsider never
    assert outsider not in {m.lead_id for m in messages}
    variant_of = {m.lead_id: m.variant for m in messages}
    assert variant_of == {lead_id: ex.assign(test.json()["id"], lead_id, {"A": 50, "B": 50}, 20)
                          for lead_id in members}
    held = {lead_id for lead_id, v in variant_of.items() if v == ex.HOLDOUT}
    assert held and all(m.status == "skipped" and m.reason == "hold-out" for m in messages if m.lead_id in held)

    received = Counter(rcpt for rcpts, _ in smtp.messages for rcpt in rcpts)
    should_get = {addresses[i] for i in members if i not in held and i != withdrawn}
    assert set(received) == should_get and set(received.values()) == {1}  # each once, the hold-out none
    by_address = {addresses[i]: i for i in members}
    mails = {by_address[rcpts[0]]: mime for rcpts, mime in smtp.messages}
    for lead_id, mime in mails.items():
        first_name = f"Oulu{members.index(lead_id)}"
        html = mime.get_body(("html",)).get_content()
        if variant_of[lead_id] == "B":
            assert mime["Subject"] == f"{first_name}, your brochure is waiting" and "10 % off this spring" in html
        else:
            assert mime["Subject"] == f"Spring news, {first_name}" and "our spring brochure" in html

    # Opens: two in three of B's readers, one in six of A's, through the signed pixel in each email.
    at(NOON + timedelta(hours=3))
    opened = Counter()
    for n, (lead_id, mime) in enumerate(sorted(mails.items())):
        variant = variant_of[lead_id]
        if (variant == "B" and n % 3 != 0) or (variant == "A" and n % 6 == 0):
            pixel = re.search(r'src="http://testserver(/t/o/[^"]+)"', mime.get_body(("html",)).get_content())
            assert client.get(pixel.group(1), headers=BROWSER).status_code == 200
            opened[variant] += 1
    worker.drain(factory)

    results = client.get(f"/api/v1/email/sends/{send_id}", headers=auth).json()
    rows = {row["variant"]: row for row in results["variants"]}
    counts = Counter(variant_of.values())
    withdrawn_variant = variant_of[withdrawn]
    for key in ("A", "B"):
        assert rows[key]["audience"] == counts[key]
        assert rows[key]["opened"] == opened[key]
        assert rows[key]["sent"] == rows[key]["delivered"] == counts[key] - (key == withdrawn_variant)
    if withdrawn_variant != ex.HOLDOUT:
        assert sum(rows[withdrawn_variant]["skipped_by_reason"].values()) == 1
    assert rows[ex.HOLDOUT]["sent"] == 0 and rows[ex.HOLDOUT]["skipped_by_reason"] == {"hold-out": len(held)}
    verdict = results["verdict"]
    assert verdict["winner"] == "B" and verdict["confidence"] > 0.99
    assert verdict["words"].startswith("B beats A on opens with ")
    assert results["send"]["status"] == "done" and results["send"]["audience"] == 90

    winner = client.post(f"/api/v1/email/experiments/{test.json()['id']}/winner", headers=auth)
    assert winner.status_code == 200 and winner.json()["winner"] == "B"
