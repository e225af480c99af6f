"""The Oulu story end to end: a lead from Oulu becomes Sales Ready by the rule, is routed to the Oulu rep, who gets
one email (a real SMTP server) and one bell notice with the lead's summary, why it scores and what it did, while a
webhook receiver (a real HTTP server checking the signature) gets `lead.assigned` naming the owner by email. Also:
rules marked for capture route at once, the command line imports and exports, and a batch of leads is routed in a
constant number of statements."""

from __future__ import annotations

from sqlalchemy import event, select

from leadflow import worker
from leadflow.outbox import OutboxMessage
from tests.integration.handoff.conftest import SECRET, endpoint
from tests.integration.handoff.servers import Receiver
from tests.integration.live import run_cli
from tests.integration.people.factories import lead, person, team

RULES = """
rules:
  - name: Northern Finland
    when: city == "Oulu"
    to: user:{oulu}
  - name: Rest of Finland
    when: country == "FI"
    to: team:Finland
"""


def _rules(client, auth, text: str) -> None:
    r = client.post("/api/v1/routing/rule-sets", headers=auth, json={"text": text, "activate": True})
    assert r.status_code == 201, r.text


def test_the_oulu_lead_reaches_the_oulu_rep_by_email_bell_and_webhook_exactly_once(client, auth, factory, smtp):
    team(factory, "Finland")
    oulu = person(factory, "sales_rep")
    person(factory, "sales_rep", team="Finland")
    _rules(client, auth, RULES.format(oulu=oulu.email))
    assert client.put("/api/v1/sales-ready-rule", headers=auth,
                      json={"expression": 'grade = "B"'}).status_code == 200
    with Receiver(SECRET) as receiver:
        endpoint(client, auth, name="CRM bridge", url=receiver.url + "/hooks", events=["lead.assigned"],
                 secret=SECRET)
        lead_id = lead(client, auth, first_name="Outi", last_name="Virtanen", city="Oulu", country="FI",
                       company="Pohjola Oy", job_title="VP Sales", custom_fields={"employees": 5000})
        assert client.post("/api/v1/events", headers=auth, json={"events": [
            {"lead_id": lead_id, "type": "page_view", "properties": {"url": "https://example.com/pricing",
                                                                     "title": "Pricing"}}]}).status_code in (200, 202)
        worker.drain(factory)
        worker.drain(factory)  # everything is done: a second pass sends nothing more

        body = client.get(f"/api/v1/leads/{lead_id}", headers=auth).json()
        assert (body["stage"], body["owner"], body["owner_email"]) == ("sql", oulu.id, oulu.email)

        (recipients, message), = smtp.messages
        assert recipients == [oulu.email]
        text = message.get_content()
        assert "Outi Virtanen" in message["Subject"] and "Pohjola Oy" in text
        assert "Northern Finland" in text and "Why this score" in text and "Pricing" in text
        assert f"/leads/{lead_id}" in text

        notices = client.get("/api/v1/notifications", headers=oulu.headers).json()
        assert notices["unread"] == 1 and notices["items"][0]["link"] == f"/leads/{lead_id}"

        (request,) = [r for r in receiver.requests if r["headers"]["x-leadflow-event"] == "lead.assigned"]
        assert request["verified"]
        data = request["json"]["data"]
        assert data["lead_id"] == lead_id and data["owner_email"] == oulu.email and data["rule"] == "Northern Finland"


def test_a_rule_marked_for_capture_routes_the_lead_as_it_arrives(client, auth, factory):
    key_account = person(factory, "sales_rep")
    _rules(client, auth, f"""
rules:
  - name: Key account Pohjola
    when: email_domain == "pohjola.example"
    to: user:{key_account.email}
    on_capture: true
""")
    ours = lead(client, auth, email="matti@pohjola.example")
    other = lead(client, auth, email="someone@else.example")
    worker.drain(factory)
    assert client.get(f"/api/v1/leads/{ours}", headers=auth).json()["owner"] == key_account.id
    stranger = client.get(f"/api/v1/leads/{other}", headers=auth).json()
    assert (stranger["owner"], stranger["queue"]) == (None, None)  # no fallback queue at capture
    (assigned,) = client.get(f"/api/v1/leads/{ours}/assignments", headers=auth).json()
    assert assigned["trigger"] == "capture"


def test_a_burst_of_sales_ready_leads_is_routed_in_batches_once_each(client, auth, factory, connection):
    team(factory, "Finland")
    reps = [person(factory, "sales_rep", team="Finland") for _ in range(3)]
    _rules(client, auth, "rules:\n  - name: Everyone\n    to: team:Finland\n")
    leads = [lead(client, auth, city="Turku", country="FI") for _ in range(60)]
    worker.drain(factory)
    with factory() as session:
        for lead_id in leads:
            session.add(OutboxMessage(topic="lead.sales_ready", payload={"lead_id": lead_id}, attempts=0,
                                      key=f"test.ready:{lead_id}"))
        session.commit()
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(connection, "before_cursor_execute", listener)
    try:
        worker.run_once(factory)
    finally:
        event.remove(connection, "before_cursor_execute", listener)
    routing = [s for s in statements if "assignments" in s.lower()]
    assert 0 < len(routing) <= 6, routing  # one batch: the writes are not one per lead
    owners = [client.get(f"/api/v1/leads/{i}", headers=auth).json()["owner"] for i in leads]
    assert sorted(owners.count(rep.id) for rep in reps) == [20, 20, 20]
    with factory() as session:
        assert session.scalar(select(OutboxMessage.id).where(OutboxMessage.topic == "lead.sales_ready",
                                                             OutboxMessage.done_at.is_(None))) is None


def test_the_command_line_imports_previews_and_exports_the_rules(fresh_database, tmp_path):
    from leadflow import db

    url = fresh_database.url
    db.upgrade(url)
    assert run_cli(url, "user", "create", "--email", "oulu.rep@example.com", "--role", "sales_rep").returncode == 0
    rules = tmp_path / "routing.yaml"
    rules.write_text(RULES.format(oulu="oulu.rep@example.com").replace(
        "  - name: Rest of Finland\n    when: country == \"FI\"\n    to: team:Finland\n", ""), "utf-8")
    done = run_cli(url, "routing", "import", str(rules))
    assert done.returncode == 0, done.stderr
    assert "v1 saved (1 rules, active)" in done.stdout
    exported = run_cli(url, "routing", "export")
    assert exported.returncode == 0 and "user:oulu.rep@example.com" in exported.stdout
    preview = run_cli(url, "routing", "preview")
    assert preview.returncode == 0 and "0 open leads without an owner" in preview.stdout
    bad = tmp_path / "bad.yaml"
    bad.write_text("rules:\n  - name: X\n    to: team:Nowhere\n", "utf-8")
    refused = run_cli(url, "routing", "import", str(bad))
    assert refused.returncode == 1 and "rules[0].to: no team named 'Nowhere'" in refused.stderr
    assert run_cli(url, "routing", "capacity", "oulu.rep@example.com", "--max-open", "20").returncode == 0


def test_one_bad_message_in_a_batch_fails_alone_and_the_others_are_routed(client, auth, factory):
    rep = person(factory, "sales_rep")
    _rules(client, auth, f"rules:\n  - name: Everyone\n    to: user:{rep.email}\n")
    leads = [lead(client, auth, city="Turku", country="FI") for _ in range(3)]
    worker.drain(factory)
    with factory() as session:
        for n, payload in enumerate([{"lead_id": leads[0]}, {"no_lead": True}, {"lead_id": leads[1]},
                                     {"lead_id": leads[2]}]):
            session.add(OutboxMessage(topic="lead.sales_ready", payload=payload, attempts=0, key=f"test.bad:{n}"))
        session.commit()
    worker.run_once(factory)
    assert [client.get(f"/api/v1/leads/{i}", headers=auth).json()["owner"] for i in leads] == [rep.id] * 3
    with factory() as session:
        bad = session.scalars(select(OutboxMessage).where(OutboxMessage.key == "test.bad:1")).one()
        assert bad.done_at is None and "KeyError" in bad.last_error
        good = session.scalars(select(OutboxMessage).where(OutboxMessage.key.in_(
            ["test.bad:0", "test.bad:2", "test.bad:3"]))).all()
        assert all(m.done_at is not None and m.last_error is None for m in good)
