"""Who takes a lead: the rules in order, the first whose condition holds and whose target can take the lead wins;
a team's member by weighted round robin (a persisted cursor) or fewest open leads; members absent, out of their
working hours, inactive or at capacity are skipped with the reason; no rule placed it: the fallback queue. Every
decision keeps its reasons (docs/routing.md).

Pure: standard library only (and the pure working-hours rules of people.availability); time comes in as `moment`,
nothing is random, and it never touches the database.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal
from fractions import Fraction

from leadflow import clock
from leadflow.conditions.evaluate import evaluate
from leadflow.people import availability
from leadflow.routing.rules import RoutingRule, RuleSet

__all__ = ["DAYS", "Decision", "Member", "Router", "Skip", "cycle"]

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_SHOWN_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MAX_CYCLE = 10_000  # weights are scaled down past this many turns in one round


@dataclass
class Member:
    """A salesperson as routing sees them. Mutable: the Router counts what it assigns (open_leads, assigned_today)."""

    user_id: int
    email: str
    name: str = ""
    active: bool = True
    timezone: str = "UTC"
    working_hours: dict[str, list[str]] | None = None  # {"mon": ["08:00-12:00", "13:00-17:00"]}; None: always
    absences: tuple[tuple[datetime, datetime], ...] = ()  # [start, end), aware
    max_open: int | None = None
    max_per_day: int | None = None
    weight: int = 1
    open_leads: int = 0
    assigned_today: int = 0


@dataclass(frozen=True)
class Skip:
    """A member who could not take the lead, and why ("absent until 2026-12-24", "at capacity: 20 open leads of 20")."""

    user_id: int
    email: str
    reason: str

    def as_dict(self) -> dict:
        return {"user_id": self.user_id, "email": self.email, "reason": self.reason}


@dataclass(frozen=True)
class Decision:
    """Where a lead goes and why: an owner or a queue (at capture, possibly neither), the rule that placed it, the
    rules tried with the members each considered, who was skipped and why, and the rule's condition as evaluated."""

    owner: Member | None
    queue: str | None
    rule: str | None  # the rule that placed it; None: the fallback queue (or nothing, at capture)
    rule_index: int | None
    method: str  # user, round_robin, fewest_open, queue, fallback, none
    # per rule tried: {"rule", "target", "members": [emails in the order considered]}, with "note" when the target
    # has nobody ("no such team") and, for fewest open, "open_leads" {email: count} of the members ranked
    considered: tuple[dict, ...]
    skipped: tuple[Skip, ...]
    explanation: tuple[dict, ...]  # the matched rule's condition parts: {"text", "result", "seen"}
    summary: str = ""  # one sentence for people

    def as_dict(self) -> dict:
        """JSON-safe: what the service keeps as the assignment's reasons."""
        owner = None
        if self.owner is not None:
            owner = {"user_id": self.owner.user_id, "email": self.owner.email, "name": self.owner.name}
        return {"owner": owner, "queue": self.queue, "rule": self.rule, "rule_index": self.rule_index,
                "method": self.method, "summary": self.summary,
                "considered": [_plain(entry) for entry in self.considered],
                "skipped": [skip.as_dict() for skip in self.skipped],
                "explanation": [_plain(part) for part in self.explanation]}


class Router:
    """Routes leads one after another at one moment: members' counts and teams' cursors move with each lead, so a
    batch spreads fairly; `cursors` holds the positions to persist (team id -> position)."""

    def __init__(self, rule_set: RuleSet, *, users: Mapping[str, Member], teams: Mapping[str, Sequence[Member]],
                 team_ids: Mapping[str, int], cursors: Mapping[int, int], moment: datetime):
        self.rule_set = rule_set
        self.users = {email.lower(): member for email, member in users.items()}
        self.teams = dict(teams)
        self._folded_teams = {name.casefold(): name for name in teams}
        self.team_ids = dict(team_ids)
        self._folded_ids = {name.casefold(): ident for name, ident in team_ids.items()}
        self.cursors: dict[int, int] = dict(cursors)
        self.moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        self._copies: dict[int, list[Member]] = {}  # every object given for a user, kept counting alike
        for member in [*self.users.values(), *(m for team in self.teams.values() for m in team)]:
            copies = self._copies.setdefault(member.user_id, [])
            if not any(member is known for known in copies):
                copies.append(member)
        self._cycles: dict[str, tuple[Member, ...]] = {}
        self._unsaved: dict[str, int] = {}  # the positions of teams without an id (not persisted)
        self._excluded: frozenset[int] = frozenset()  # the lead being routed is not to go to these users

    def route(self, context: Mapping, *, on_capture: bool = False, exclude: frozenset[int] = frozenset()) -> Decision:
        """The decision for one lead (its condition context). At capture only rules marked on_capture are tried,
        and a lead none of them places stays unrouted (no fallback queue). `exclude`: user ids passed by, as if
        unavailable (an overdue lead taken from its owner never goes back to them)."""
        considered: list[dict] = []
        skipped: dict[int, Skip] = {}
        self._excluded = exclude
        for user_id in exclude:
            skipped[user_id] = Skip(user_id, next((m.email for m in self._copies.get(user_id, ())), ""),
                                    "had the lead and did not follow it up in time")
        for index, rule in enumerate(self.rule_set.rules):
            if on_capture and not rule.on_capture:
                continue
            if not rule.check(context):
                continue
            owner, queue, method, entry = self._place(rule, skipped)
            considered.append(entry)
            if owner is not None or queue is not None:
                explanation = tuple(evaluate(rule.condition, context).as_dict()["parts"]) if rule.condition else ()
                if owner is not None:
                    self._count(owner)
                    summary = f"rule '{rule.name}' gave the lead to {owner.email} ({_METHOD_WORDS[method]})"
                else:
                    summary = f"rule '{rule.name}' put the lead in the queue '{queue}'"
                return Decision(owner, queue, rule.name, index, method, tuple(considered),
                                tuple(skipped.values()), explanation, summary)
            if not rule.fallthrough:
                return self._unplaced(considered, skipped, on_capture,
                                      f"rule '{rule.name}' matched but nobody of {rule.to} could take the lead, "
                                      "and it does not fall through")
        return self._unplaced(considered, skipped, on_capture,
                              "no rule placed the lead" if considered else "no rule matched the lead")

    def available(self, member: Member) -> Skip | None:
        """Why a member cannot take a lead now, or None."""
        if not member.active:
            return Skip(member.user_id, member.email, "inactive")
        back = _absent_until(member.absences, self.moment)
        if back is not None:
            return Skip(member.user_id, member.email, f"absent until {_shown_until(back, member.timezone)}")
        zone = _zone(member.timezone)
        local = self.moment.astimezone(zone)
        if not availability.within_hours(member.working_hours, member.timezone, self.moment):
            shown = f"{_SHOWN_DAYS[local.weekday()]} {local:%H:%M}"
            return Skip(member.user_id, member.email, f"outside working hours ({member.timezone}, {shown})")
        if member.max_open is not None and member.open_leads >= member.max_open:
            return Skip(member.user_id, member.email,
                        f"at capacity: {member.open_leads} open leads of {member.max_open}")
        if member.max_per_day is not None and member.assigned_today >= member.max_per_day:
            return Skip(member.user_id, member.email,
                        f"at capacity: {member.assigned_today} new leads today of {member.max_per_day}")
        return None

    # -- placing with one rule

    def _place(self, rule: RoutingRule, skipped: dict[int, Skip]):
        """(owner, queue, method, considered entry) for one matching rule; owner and queue None when nobody of the
        target can take the lead."""
        target = rule.to
        entry: dict = {"rule": rule.name, "target": str(target), "members": []}
        if target.kind == "queue":
            return None, target.name, "queue", entry
        if target.kind == "user":
            member = self.users.get(target.name.lower())
            if member is None:
                entry["note"] = "no such user"
                return None, None, "user", entry
            entry["members"].append(member.email)
            if self._can_take(member, skipped):
                return member, None, "user", entry
            return None, None, "user", entry
        name = self._folded_teams.get(target.name.casefold())
        members = list(self.teams.get(name, ())) if name is not None else []
        if name is None:
            entry["note"] = "no such team"
        elif not members:
            entry["note"] = "the team has no members"
        if not members:
            return None, None, rule.method, entry
        if rule.method == "fewest_open":
            return self._fewest_open(members, skipped, entry), None, "fewest_open", entry
        return self._round_robin(name, members, skipped, entry), None, "round_robin", entry

    def _can_take(self, member: Member, skipped: dict[int, Skip]) -> bool:
        if member.user_id in self._excluded:
            return False
        skip = self.available(member)
        if skip is None:
            return True
        skipped.setdefault(member.user_id, skip)
        return False

    def _round_robin(self, team: str, members: list[Member], skipped: dict[int, Skip], entry: dict) -> Member | None:
        turns = self._cycles.get(team)
        if turns is None:
            turns = self._cycles[team] = cycle(members)
        if not turns:
            entry["note"] = "no member has a weight above 0"
            return None
        team_id = self.team_ids.get(team, self._folded_ids.get(team.casefold()))
        start = self.cursors.get(team_id, 0) if team_id is not None else self._unsaved.get(team, 0)
        tried: dict[int, bool] = {}
        for step in range(len(turns)):
            at = (start + step) % len(turns)
            member = turns[at]
            if member.user_id in tried:
                continue
            entry["members"].append(member.email)
            tried[member.user_id] = self._can_take(member, skipped)
            if tried[member.user_id]:
                if team_id is not None:
                    self.cursors[team_id] = (at + 1) % len(turns)
                else:
                    self._unsaved[team] = (at + 1) % len(turns)
                return member
            if len(tried) == len({m.user_id for m in turns}):
                break
        return None

    def _fewest_open(self, members: list[Member], skipped: dict[int, Skip], entry: dict) -> Member | None:
        ranked = sorted((m for m in _distinct(members) if m.weight > 0),
                        key=lambda m: (Fraction(m.open_leads, m.weight), m.assigned_today, m.user_id))
        entry["open_leads"] = {m.email: m.open_leads for m in ranked}
        for member in ranked:
            entry["members"].append(member.email)
            if self._can_take(member, skipped):
                return member
        if not ranked:
            entry["note"] = "no member has a weight above 0"
        return None

    def _count(self, member: Member) -> None:
        for copy in self._copies.get(member.user_id, [member]):
            copy.open_leads += 1
            copy.assigned_today += 1

    def _unplaced(self, considered: list[dict], skipped: dict[int, Skip], on_capture: bool, why: str) -> Decision:
        if on_capture:
            return Decision(None, None, None, None, "none", tuple(considered), tuple(skipped.values()), (),
                            f"{why}; at capture the lead stays unrouted")
        queue = self.rule_set.fallback_queue
        return Decision(None, queue, None, None, "fallback", tuple(considered), tuple(skipped.values()), (),
                        f"{why}: the fallback queue '{queue}'")


_METHOD_WORDS = {"user": "named by the rule", "round_robin": "round robin", "fewest_open": "fewest open leads"}


def cycle(members: Sequence[Member]) -> tuple[Member, ...]:
    """One round of a team's round robin: each member `weight` times, spread smoothly (weights A=2, B=1 give A, B, A),
    by smooth weighted round robin over the members in their order; members of weight 0 or less take no turn."""
    weighted = [(m, m.weight) for m in _distinct(members) if m.weight > 0]
    if not weighted:
        return ()
    divisor = math.gcd(*(w for _, w in weighted))
    weights = [w // divisor for _, w in weighted]
    total = sum(weights)
    if total > MAX_CYCLE:  # scaled down, each member keeping at least one turn
        weights = [max(1, w * MAX_CYCLE // total) for w in weights]
        total = sum(weights)
    current = [0] * len(weights)
    turns = []
    for _ in range(total):
        for i, w in enumerate(weights):
            current[i] += w
        best = max(range(len(current)), key=lambda i: (current[i], -i))
        current[best] -= total
        turns.append(weighted[best][0])
    return tuple(turns)


def _distinct(members: Sequence[Member]) -> list[Member]:
    seen: set[int] = set()
    found = []
    for member in members:
        if member.user_id not in seen:
            seen.add(member.user_id)
            found.append(member)
    return found


# -- availability


_zone = clock.zone
_aware = clock.as_utc


def _absent_until(absences, moment: datetime) -> datetime | None:
    """The end of the absence the moment falls in, following absences that continue it; None when present."""
    spans = sorted((_aware(start), _aware(end)) for start, end in absences)
    back = None
    for start, end in spans:
        if back is None:
            if start <= moment < end:
                back = end
        elif start <= back < end:
            back = end
    return back


def _shown_until(moment: datetime, zone_name: str) -> str:
    local = moment.astimezone(_zone(zone_name))
    if local.time() == time(0, 0):
        return f"{local:%Y-%m-%d}"
    return f"{local:%Y-%m-%d %H:%M} ({zone_name})"


def _plain(value: object):
    """A value as JSON can hold it: dates as ISO text, decimals as text, anything unknown as its text."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain(item) for item in value]
    return str(value)
