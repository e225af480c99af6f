"""A team's share of leads: weighted round robin, smooth and fair over time, its position carried across routers
(as the service persists it); fewest open leads by weight; unavailable members passed with the reason."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

from leadflow.routing.decide import Member, Router, cycle
from leadflow.routing.rules import load

MOMENT = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
TEAM_ID = 42


def team(*weights: int, **kwargs) -> list[Member]:
    return [Member(i + 1, f"{'abcdefgh'[i]}@example.com", weight=w, **kwargs) for i, w in enumerate(weights)]


def router(members: list[Member], *, method: str = "round_robin", cursors: dict[int, int] | None = None) -> Router:
    rules = load({"rules": [{"name": "Sales", "to": "team:Sales", "method": method}]})
    return Router(rules, users={m.email: m for m in members}, teams={"Sales": members}, team_ids={"Sales": TEAM_ID},
                  cursors=cursors or {}, moment=MOMENT)


def owners(routing: Router, leads: int) -> list[str]:
    return [routing.route({}).owner.email[0] for _ in range(leads)]


def test_weights_two_and_one_interleave_smoothly():
    assert [m.email[0] for m in cycle(team(2, 1))] == ["a", "b", "a"]
    assert [m.email[0] for m in cycle(team(1, 1, 1))] == ["a", "b", "c"]
    assert [m.email[0] for m in cycle(team(3, 1))] == ["a", "a", "b", "a"]
    assert [m.email[0] for m in cycle(team(4, 2))] == ["a", "b", "a"]  # a common factor changes nothing
    assert [m.email[0] for m in cycle(team(1, 0, 1))] == ["a", "c"]  # weight 0: no turn


def test_round_robin_over_three_thousand_leads_gives_each_member_their_weights_share():
    members = team(3, 2, 1)
    counts = Counter(owners(router(members), 3000))
    assert counts == {"a": 1500, "b": 1000, "c": 500}
    assert [m.open_leads for m in members] == [1500, 1000, 500]
    assert [m.assigned_today for m in members] == [1500, 1000, 500]


def test_the_persisted_cursor_continues_the_cycle_in_a_new_router():
    one_router = owners(router(team(2, 1, 1)), 10)
    first = router(team(2, 1, 1))
    before = owners(first, 4)
    assert first.cursors == {TEAM_ID: 4 % 4}
    second = router(team(2, 1, 1), cursors=dict(first.cursors))
    after_first_restart = owners(second, 3)
    third = router(team(2, 1, 1), cursors=dict(second.cursors))
    assert before + after_first_restart + owners(third, 3) == one_router
    assert second.cursors == {TEAM_ID: 3}


def test_fairness_holds_when_every_lead_has_a_router_of_its_own():
    cursors: dict[int, int] = {}
    counts: Counter = Counter()
    for _ in range(300):
        routing = router(team(2, 1), cursors=cursors)
        counts[routing.route({}).owner.email[0]] += 1
        cursors = routing.cursors
    assert counts == {"a": 200, "b": 100}


def test_an_unavailable_member_is_passed_and_recorded_and_the_cycle_goes_on_past_the_one_picked():
    members = team(1, 1, 1)
    members[1].active = False
    routing = router(members)
    picks = [routing.route({}) for _ in range(4)]
    assert [d.owner.email[0] for d in picks] == ["a", "c", "a", "c"]
    assert picks[1].considered[0]["members"] == ["b@example.com", "c@example.com"]
    assert [(s.email, s.reason) for s in picks[1].skipped] == [("b@example.com", "inactive")]
    assert picks[0].skipped == ()


def test_a_team_nobody_can_take_from_falls_to_the_next_rule_with_every_member_recorded():
    members = team(1, 2, max_open=0)
    rules = load({"rules": [{"name": "Sales", "to": "team:Sales"}, {"name": "Else", "to": "queue:Overflow"}]})
    routing = Router(rules, users={}, teams={"Sales": members}, team_ids={"Sales": TEAM_ID}, cursors={TEAM_ID: 1},
                     moment=MOMENT)
    decision = routing.route({})
    assert decision.queue == "Overflow" and decision.rule == "Else"
    assert decision.considered[0]["members"] == ["a@example.com", "b@example.com"]  # the cycle is b, a, b
    assert {s.reason for s in decision.skipped} == {"at capacity: 0 open leads of 0"}
    assert routing.cursors == {TEAM_ID: 1}  # nobody picked: the position stays


def test_fewest_open_picks_the_lowest_open_leads_for_the_weight():
    members = team(1, 2, 1)
    members[0].open_leads, members[1].open_leads, members[2].open_leads = 4, 6, 5  # 4/1, 6/2 = 3, 5/1
    routing = router(members, method="fewest_open")
    decision = routing.route({})
    assert decision.owner is members[1] and decision.method == "fewest_open"
    assert decision.considered[0]["open_leads"] == {"b@example.com": 6, "a@example.com": 4, "c@example.com": 5}
    assert members[1].open_leads == 7


def test_fewest_open_ties_go_to_fewer_new_today_then_the_lowest_user_id():
    members = team(1, 1, 1)
    members[0].assigned_today = 3
    routing = router(members, method="fewest_open")
    # all at 0 open: b and c have fewer new today than a (b's id is lower); then a has the fewest open;
    # then all at 1 open, and b has fewer new today than a
    assert [routing.route({}).owner.email[0] for _ in range(4)] == ["b", "c", "a", "b"]


def test_fewest_open_skips_whoever_cannot_take_a_lead():
    members = team(1, 1)
    members[0].absences = ((datetime(2026, 12, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC)),)
    members[1].open_leads = 10
    decision = router(members, method="fewest_open").route({})
    assert decision.owner is members[1]
    assert [(s.email, s.reason) for s in decision.skipped] == [("a@example.com", "absent until 2027-01-01")]


def test_the_same_person_given_twice_counts_once():
    anna = Member(1, "anna@example.com", max_open=1)
    anna_in_team = Member(1, "anna@example.com", max_open=1)
    rules = load({"rules": [{"name": "Anna", "when": "score > 50", "to": "user:anna@example.com"},
                            {"name": "Team", "to": "team:Sales"}]})
    routing = Router(rules, users={"Anna@Example.com": anna}, teams={"Sales": [anna_in_team]},
                     team_ids={"Sales": 1}, cursors={}, moment=MOMENT)
    assert routing.route({"score": 80}).owner is anna
    assert anna_in_team.open_leads == 1
    assert routing.route({"score": 10}).queue == "Unassigned"
