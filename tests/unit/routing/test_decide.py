"""Who takes a lead: rules in order, a user's availability (absence, working hours in their own time zone,
capacity), fallthrough, routing at capture, the fallback queue, and the reasons each decision keeps."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

from leadflow.routing.decide import Member, Router
from leadflow.routing.rules import load

MONDAY_0700_UTC = datetime(2026, 12, 7, 7, 0, tzinfo=UTC)
OFFICE = {day: ["08:00-12:00", "13:00-17:00"] for day in ("mon", "tue", "wed", "thu", "fri")}


def router(rules: list[dict], *members: Member, teams: dict[str, list[Member]] | None = None,
           moment: datetime = MONDAY_0700_UTC, fallback: str = "Unassigned") -> Router:
    teams = teams or {}
    everyone = {m.email: m for m in members} | {m.email: m for team in teams.values() for m in team}
    return Router(load({"fallback_queue": fallback, "rules": rules}), users=everyone, teams=teams,
                  team_ids={name: i + 1 for i, name in enumerate(teams)}, cursors={}, moment=moment)


def oulu_router(**kwargs) -> tuple[Router, Member, list[Member]]:
    rep = Member(1, "oulu.rep@example.com", "Olli", **kwargs)
    finland = [Member(2, "aino@example.com"), Member(3, "eero@example.com")]
    return router([{"name": "Northern Finland", "when": 'city == "Oulu"', "to": "user:oulu.rep@example.com"},
                   {"name": "Rest of Finland", "when": 'country == "FI"', "to": "team:Finland"}],
                  rep, teams={"Finland": finland}), rep, finland


def test_a_lead_from_oulu_goes_to_the_oulu_rep_and_the_rest_of_finland_to_the_team():
    routing, rep, finland = oulu_router()
    decision = routing.route({"city": "Oulu", "country": "FI"})
    assert decision.owner is rep and decision.queue is None
    assert (decision.rule, decision.rule_index, decision.method) == ("Northern Finland", 0, "user")
    assert decision.explanation == ({"text": 'city == "Oulu"', "result": True, "seen": {"city": "Oulu"}},)
    assert rep.open_leads == 1 and rep.assigned_today == 1
    decision = routing.route({"city": "Espoo", "country": "fi"})
    assert decision.owner is finland[0] and (decision.rule, decision.method) == ("Rest of Finland", "round_robin")
    assert decision.considered == ({"rule": "Rest of Finland", "target": "team:Finland",
                                    "members": ["aino@example.com"]},)


def test_a_lead_no_rule_places_goes_to_the_fallback_queue():
    routing, _, _ = oulu_router()
    decision = routing.route({"city": "Stockholm", "country": "SE"})
    assert (decision.owner, decision.queue, decision.rule, decision.rule_index, decision.method) == (
        None, "Unassigned", None, None, "fallback")
    assert decision.considered == () and decision.explanation == ()
    assert "no rule matched" in decision.summary


def test_territories_by_postal_code_range_prefix_and_region():
    west, london, bavaria = Member(1, "west@example.com"), Member(2, "london@example.com"), Member(3, "by@example.com")
    routing = router([
        {"name": "US West", "when": 'country == "US" and postal_code >= "90000" and postal_code < "96000"',
         "to": "user:west@example.com"},
        {"name": "Westminster", "when": 'postal_code like ("SW1*", "WC*")', "to": "user:london@example.com"},
        {"name": "Bavaria", "when": 'country == "DE" and region in ("Bayern", "Bavaria")', "to": "user:by@example.com"},
    ], west, london, bavaria)
    assert routing.route({"country": "US", "postal_code": "94107"}).owner is west
    assert routing.route({"country": "US", "postal_code": "90210-1234"}).owner is west
    assert routing.route({"country": "US", "postal_code": "10001"}).queue == "Unassigned"
    assert routing.route({"country": "GB", "postal_code": "sw1a 1aa"}).owner is london
    assert routing.route({"country": "DE", "region": "BAYERN"}).owner is bavaria
    assert routing.route({"country": "DE", "region": "Hessen"}).queue == "Unassigned"


def test_an_absent_user_is_skipped_with_the_day_they_are_back_and_the_next_rule_takes_the_lead():
    holiday = ((datetime(2026, 12, 1, tzinfo=UTC), datetime(2026, 12, 24, tzinfo=UTC)),)
    routing, rep, finland = oulu_router(absences=holiday)
    decision = routing.route({"city": "Oulu", "country": "FI"})
    assert decision.owner is finland[0] and decision.rule == "Rest of Finland"
    assert [(s.email, s.reason) for s in decision.skipped] == [("oulu.rep@example.com", "absent until 2026-12-24")]
    assert [c["rule"] for c in decision.considered] == ["Northern Finland", "Rest of Finland"]
    assert rep.open_leads == 0


def test_absences_that_follow_each_other_give_the_day_of_return_and_an_ended_one_does_not_count():
    back_to_back = ((datetime(2026, 12, 1, tzinfo=UTC), datetime(2026, 12, 8, tzinfo=UTC)),
                    (datetime(2026, 12, 8, tzinfo=UTC), datetime(2026, 12, 10, 12, 0, tzinfo=UTC)),
                    (datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 11, 5, tzinfo=UTC)))
    routing, rep, _ = oulu_router(absences=back_to_back, timezone="Europe/Helsinki")
    assert routing.available(rep).reason == "absent until 2026-12-10 14:00 (Europe/Helsinki)"
    routing, rep, _ = oulu_router(absences=back_to_back[2:])
    assert routing.available(rep) is None


def test_working_hours_are_each_members_own_time_zones():
    helsinki = Member(1, "hki@example.com", timezone="Europe/Helsinki", working_hours=OFFICE)
    new_york = Member(2, "nyc@example.com", timezone="America/New_York", working_hours=OFFICE)
    routing = router([], helsinki, new_york)  # Monday 07:00 UTC: 09:00 in Helsinki, 02:00 in New York
    assert routing.available(helsinki) is None
    assert routing.available(new_york).reason == "outside working hours (America/New_York, Mon 02:00)"
    saturday = router([], helsinki, moment=datetime(2026, 12, 12, 21, 0, tzinfo=UTC))
    assert saturday.available(helsinki).reason == "outside working hours (Europe/Helsinki, Sat 23:00)"
    lunch = router([], helsinki, moment=datetime(2026, 12, 7, 10, 30, tzinfo=UTC))
    assert lunch.available(helsinki) is not None  # 12:30 local: between the day's two spans
    always = Member(3, "always@example.com", timezone="Asia/Tokyo")
    assert lunch.available(always) is None


def test_a_team_member_outside_hours_is_skipped_and_the_next_takes_the_lead():
    new_york = Member(1, "nyc@example.com", timezone="America/New_York", working_hours=OFFICE)
    helsinki = Member(2, "hki@example.com", timezone="Europe/Helsinki", working_hours=OFFICE)
    routing = router([{"name": "Global", "to": "team:Global"}], teams={"Global": [new_york, helsinki]})
    decision = routing.route({})
    assert decision.owner is helsinki
    assert decision.considered[0]["members"] == ["nyc@example.com", "hki@example.com"]
    assert decision.skipped[0].reason == "outside working hours (America/New_York, Mon 02:00)"


def test_capacity_open_leads_and_new_leads_a_day():
    routing, rep, finland = oulu_router(max_open=2)
    assert routing.route({"city": "Oulu"}).owner is rep
    assert routing.route({"city": "Oulu"}).owner is rep
    decision = routing.route({"city": "Oulu", "country": "FI"})
    assert decision.owner is finland[0]
    assert decision.skipped[0].reason == "at capacity: 2 open leads of 2"
    routing, rep, _ = oulu_router(max_per_day=5, assigned_today=5, open_leads=0)
    assert routing.available(rep).reason == "at capacity: 5 new leads today of 5"
    routing, rep, _ = oulu_router(active=False)
    assert routing.available(rep).reason == "inactive"


def test_a_rule_that_does_not_fall_through_sends_the_lead_to_the_fallback_queue():
    rep = Member(1, "rep@example.com", active=False)
    backup = Member(2, "backup@example.com")
    rules = [{"name": "Key accounts", "when": "employees >= 1000", "to": "user:rep@example.com"},
             {"name": "Anyone", "to": "user:backup@example.com"}]
    assert router(rules, rep, backup).route({"employees": "5,000"}).owner is backup
    rules[0]["fallthrough"] = False
    decision = router(rules, rep, backup, fallback="Key account desk").route({"employees": "5,000"})
    assert (decision.owner, decision.queue, decision.rule, decision.method) == (
        None, "Key account desk", None, "fallback")
    assert decision.skipped[0].reason == "inactive" and "does not fall through" in decision.summary
    assert router(rules, rep, backup).route({"employees": 50}).owner is backup


def test_a_queue_target_always_takes_the_lead():
    decision = router([{"name": "Partners", "when": 'channel == "partner"', "to": "queue:Partner desk"}]).route(
        {"channel": "Partner"})
    assert (decision.owner, decision.queue, decision.rule, decision.method) == (None, "Partner desk", "Partners",
                                                                                "queue")


def test_at_capture_only_rules_marked_on_capture_route_and_nothing_falls_back():
    owner = Member(1, "owner@example.com")
    rules = [{"name": "Sales Ready only", "to": "queue:Triage"},
             {"name": "Acme account", "when": 'email_domain == "acme.com"', "to": "user:owner@example.com",
              "on_capture": True}]
    routing = router(rules, owner)
    decision = routing.route({"email_domain": "acme.com"}, on_capture=True)
    assert decision.owner is owner and decision.rule == "Acme account"
    decision = routing.route({"email_domain": "other.com"}, on_capture=True)
    assert (decision.owner, decision.queue, decision.rule, decision.method) == (None, None, None, "none")
    assert routing.route({"email_domain": "acme.com"}).queue == "Triage"  # when Sales Ready, every rule in order
    owner.active = False
    decision = routing.route({"email_domain": "acme.com"}, on_capture=True)
    assert (decision.owner, decision.queue, decision.method) == (None, None, "none")
    assert decision.skipped[0].reason == "inactive"


def test_a_target_that_no_longer_exists_is_noted_and_passed():
    routing = router([{"name": "Gone", "to": "user:gone@example.com"}, {"name": "Empty", "to": "team:Nobody"}],
                     teams={"Empty team": []})
    decision = routing.route({})
    assert decision.method == "fallback"
    assert [c.get("note") for c in decision.considered] == ["no such user", "no such team"]


def test_the_reasons_are_json_safe():
    routing, _, _ = oulu_router()
    context = {"city": "Oulu", "revenue": Decimal("2.5E6"), "captured": datetime(2026, 1, 2, tzinfo=UTC)}
    decision = routing.route(context)
    reasons = json.loads(json.dumps(decision.as_dict()))
    assert reasons["owner"] == {"user_id": 1, "email": "oulu.rep@example.com", "name": "Olli"}
    assert reasons["rule"] == "Northern Finland" and reasons["method"] == "user"
    assert reasons["explanation"] == [{"text": 'city == "Oulu"', "result": True, "seen": {"city": "Oulu"}}]
    many = load({"rules": [{"name": "Big", "when": "revenue >= 1000000 and custom.signed >= '2026-01-01'",
                            "to": "queue:Big"}]})
    decision = Router(many, users={}, teams={}, team_ids={}, cursors={}, moment=MONDAY_0700_UTC).route(
        {"revenue": Decimal("2500000.50"), "custom.signed": datetime(2026, 2, 1, tzinfo=UTC)})
    seen = json.loads(json.dumps(decision.as_dict()))["explanation"]
    assert [part["seen"] for part in seen] == [{"revenue": "2500000.50"},
                                               {"custom.signed": "2026-02-01T00:00:00+00:00"}]


