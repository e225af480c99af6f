"""The telemarketing claim: 20 agents (threads, a connection each) working one call list of 1,000,000 leads, each
claiming the next lead (calls.claim_next) and recording a quick outcome (calls.record) or releasing it, timed claim by
claim, beside a floor in the same run, database and threads: a bare indexed claim (one SELECT ... ORDER BY tier,
rank, lead_id LIMIT 1 FOR UPDATE SKIP LOCKED, one UPDATE, commit). Checked from what the threads saw: no lead held by
two agents at once. SQLite (WAL) and PostgreSQL."""

from __future__ import annotations

import os
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.databases import BenchDatabase, copy_sqlite, postgres_reachable
from bench.seed import cached_sqlite, seed_leads

AGENTS = 20
ADD_CHUNK = 50_000  # leads put on the list per transaction (add_leads works in its own chunks of 2,000 inside)
# The outcome of claim i of an agent, by i % 20: mostly nobody answers; a tenth released untouched (back in place,
# so another agent may claim the same lead next: what the check watches), a few call-backs and wrong numbers.
OUTCOMES = ["no_answer"] * 14 + ["busy"] * 2 + ["release"] * 2 + ["call_back", "wrong_number"]


def _env_int(name: str) -> int | None:
    value = os.environ.get(name)
    return int(value.replace("_", "")) if value else None


@dataclass
class Plan:
    # BENCH_TELEMARKETING_LEADS / _CLAIMS override the list's size and the claims each agent makes per phase;
    # BENCH_TELEMARKETING_ONLY=sqlite or postgresql: one database only.
    leads: int = field(default_factory=lambda: _env_int("BENCH_TELEMARKETING_LEADS") or 1_000_000)
    claims: int = field(default_factory=lambda: _env_int("BENCH_TELEMARKETING_CLAIMS") or 250)
    agents: int = AGENTS
    only: str | None = field(default_factory=lambda: os.environ.get("BENCH_TELEMARKETING_ONLY") or None)

    @classmethod
    def quick(cls) -> Plan:
        return cls(leads=_env_int("BENCH_TELEMARKETING_LEADS") or 20_000,
                   claims=_env_int("BENCH_TELEMARKETING_CLAIMS") or 50)

    def runs(self, dialect: str) -> bool:
        return self.only in (None, dialect)


# --- the database: leads, the list, its queue ------------------------------------------------------------------

def _leads_as_scored(url: str) -> dict:
    """Scores and bands on the seeded leads (hot, warm, cold, none, spread over the ids), then a few leads that
    asked not to be called and a few merged away, as happens after they were put on the list (not timed)."""
    from sqlalchemy import create_engine, text

    from leadflow import db

    engine = create_engine(db.normalize_url(url))
    try:
        with engine.begin() as conn:
            conn.execute(text(
                "UPDATE leads SET score = (id * 37) % 101, band = CASE WHEN (id * 37) % 101 >= 70 THEN 'hot' "
                "WHEN (id * 37) % 101 >= 40 THEN 'warm' WHEN (id * 37) % 101 >= 10 THEN 'cold' ELSE NULL END"))
        return {"bands": {band or "none": n for band, n in _rows(
            engine, "SELECT band, count(*) FROM leads GROUP BY band")}}
    finally:
        engine.dispose()


def _rows(engine, sql: str, **params) -> list:
    from sqlalchemy import text

    with engine.connect() as conn:
        return list(conn.execute(text(sql), params))


def _people(url: str, agents: int) -> dict:
    """A telemarketing team of `agents`, and the marketer who owns the list (not timed)."""
    from leadflow import db
    from leadflow.people import service as people_service

    engine = db.make_engine(url)
    factory = db.make_sessionmaker(engine)
    try:
        with factory() as session:
            team = people_service.create_team(session=session, name="Bench callers", kind="telemarketing")
            owner = people_service.create_user(session=session, email="owner@bench.example", role="marketing",
                                               name="List owner")
            users = [people_service.create_user(session=session, email=f"agent{n}@bench.example", role="telemarketer",
                                                name=f"Agent {n}", team="Bench callers") for n in range(agents)]
            session.commit()
            return {"team_id": team.id, "owner_id": owner.id, "agent_ids": [u.id for u in users]}
    finally:
        engine.dispose()


def _fill(url: str, people: dict) -> dict:
    """The list (calling hours all day, every day: the clock does not matter), every lead put on it through
    service.add_leads a chunk at a time, as the worker's build does (timed)."""
    from sqlalchemy import select

    from leadflow import db
    from leadflow.leads.models import Lead
    from leadflow.people.service import SYSTEM
    from leadflow.telemarketing import service as lists

    engine = db.make_engine(url)
    factory = db.make_sessionmaker(engine)
    try:
        with factory() as session:
            call_list = lists.create_list({"name": "Bench: a million to call", "owner_id": people["owner_id"],
                                           "team_id": people["team_id"], "hours_from": 0, "hours_to": 24 * 60,
                                           "days": "1234567"}, session=session, actor=SYSTEM)
            session.commit()
            list_id = call_list.id
        with factory() as session:
            ids = list(session.scalars(select(Lead.id).order_by(Lead.id)))
        added, skipped = 0, {}
        started = time.perf_counter()
        for start in range(0, len(ids), ADD_CHUNK):
            with factory() as session:
                done = lists.add_leads(lists.get_list(list_id, session=session), ids[start:start + ADD_CHUNK],
                                       session=session, why="bench")
                session.commit()
            added += done.added
            for reason, n in done.skipped.items():
                skipped[reason] = skipped.get(reason, 0) + n
        elapsed = time.perf_counter() - started
        return {"call_list_id": list_id, "entries": added, "skipped_at_add": skipped, "add_s": round(elapsed, 1),
                "add_per_s": round(added / elapsed) if elapsed else None, "add_path": "telemarketing.service.add_leads"}
    finally:
        engine.dispose()


def _due_and_gone(url: str, list_id: int, agent_ids: list[int], leads: int) -> dict:
    """Call-backs and retries written on entries the way calls.record leaves them (tier 0 or 1, ranked by the minute
    they fall due), half due now and half later; call-backs each an agent's own, some overdue past the grace another
    agent may take. Then leads that asked not to be called or were merged after being put on the list: still waiting
    in the queue, skipped by the claim's join. Not timed."""
    from sqlalchemy import bindparam, create_engine, text, update

    from leadflow import db
    from leadflow.telemarketing import calling
    from leadflow.telemarketing.models import CallEntry

    moment = datetime.now(UTC)
    callbacks, retries = max(40, leads // 500), max(60, leads // 330)
    engine = create_engine(db.normalize_url(url))
    table = CallEntry.__table__
    try:
        with engine.begin() as conn:
            ids = [r[0] for r in conn.execute(text(
                "SELECT lead_id FROM call_list_entries WHERE call_list_id = :l ORDER BY lead_id"), {"l": list_id})]
            stride = max(1, len(ids) // (callbacks + retries))
            chosen = ids[stride // 2::stride][:callbacks + retries]
            rows, counts = [], {"callbacks_due": 0, "callbacks_later": 0, "callbacks_past_grace": 0,
                                "retries_due": 0, "retries_later": 0}
            for n, lead_id in enumerate(chosen):
                callback = n < callbacks
                due_now = n % 2 == 0
                # due: up to 2 hours ago (a quarter of the call-backs past the 30-minute grace); later: up to a day
                offset = -timedelta(minutes=(n * 7) % 120 + 1) if due_now else timedelta(minutes=(n * 13) % 1440 + 5)
                due = moment + offset
                place = calling.due_place(calling.TIER_CALLBACK if callback else calling.TIER_RETRY, due)
                kind = "callbacks" if callback else "retries"
                counts[f"{kind}_{'due' if due_now else 'later'}"] += 1
                if callback and due_now and -offset > calling.CALLBACK_GRACE:
                    counts["callbacks_past_grace"] += 1
                rows.append({"l": list_id, "k": lead_id, "tier": place.tier, "rank": place.rank, "due_at": due,
                             "callback_user_id": agent_ids[n % len(agent_ids)] if callback else None,
                             "attempts": 1, "last_outcome": "call_back" if callback else "no_answer",
                             "why": "bench: " + ("call back" if callback else "no answer, tried again")})
            conn.execute(update(table).where(table.c.call_list_id == bindparam("l"),
                                             table.c.lead_id == bindparam("k")).values(
                tier=bindparam("tier"), rank=bindparam("rank"), due_at=bindparam("due_at"),
                callback_user_id=bindparam("callback_user_id"), attempts=bindparam("attempts"),
                last_outcome=bindparam("last_outcome"), why=bindparam("why")), rows)
            # 1 % do not contact, 0.2 % merged into their neighbour, spread over the queue
            counts["do_not_contact_waiting"] = conn.execute(text(
                "UPDATE leads SET do_not_contact = :t WHERE id % 100 = 7"), {"t": True}).rowcount
            counts["merged_waiting"] = conn.execute(text(
                "UPDATE leads SET merged_into_id = id + 1 WHERE id % 500 = 3 AND id < (SELECT max(id) FROM leads)"
            )).rowcount
            conn.exec_driver_sql("ANALYZE")
        return counts
    finally:
        engine.dispose()


# --- the agents ------------------------------------------------------------------------------------------------

@dataclass
class Seen:
    """What one agent's thread saw: claim latencies (s), outcome latencies, holds (lead, from, to)."""

    claims: list[float] = field(default_factory=list)
    outcomes: list[float] = field(default_factory=list)
    holds: list[tuple[int, int, float, float]] = field(default_factory=list)
    none: int = 0
    again: int = 0
    recorded: int = 0
    errors: list[str] = field(default_factory=list)


def _agents(engine, agents: int, work) -> tuple[float, list[Seen]]:
    """Run `work(n, connection, seen)` on `agents` threads, each with its own connection, started together."""
    seen = [Seen() for _ in range(agents)]
    start = threading.Barrier(agents + 1)

    def body(n: int) -> None:
        try:
            with engine.connect() as conn:
                start.wait()
                work(n, conn, seen[n])
        except Exception as error:  # noqa: BLE001 - a thread's failure is reported, not lost
            seen[n].errors.append(f"{type(error).__name__}: {error}")
            if not start.broken:
                start.abort()

    threads = [threading.Thread(target=body, args=(n,), name=f"agent-{n}") for n in range(agents)]
    for thread in threads:
        thread.start()
    try:
        start.wait()
    except threading.BrokenBarrierError:
        pass
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    return time.perf_counter() - began, seen


def _leadflow(url: str, list_id: int, agent_ids: list[int], claims: int) -> tuple[float, list[Seen]]:
    """Each agent: `claims` times the claim through calls.claim_next as the API makes it (the list looked up for
    the agent, claimed, committed: timed), then the outcome recorded through calls.record or the lead released
    (timed apart)."""
    from leadflow import db
    from leadflow.people.models import User
    from leadflow.people.service import actor_for
    from leadflow.telemarketing import calls
    from leadflow.telemarketing import service as lists

    engine = _engine(url, len(agent_ids))
    with db.make_sessionmaker(engine)() as session:
        actors = [actor_for(session.get(User, user_id)) for user_id in agent_ids]

    def work(n: int, conn, seen: Seen) -> None:
        factory = db.make_sessionmaker(conn)
        actor = actors[n]
        for i in range(claims):
            t0 = time.perf_counter()
            with factory() as session:
                found = calls.claim_next(lists.list_for(list_id, actor, session=session), actor, session=session)
                session.commit()
            t1 = time.perf_counter()
            seen.claims.append(t1 - t0)
            if not isinstance(found, calls.Claimed):
                seen.none += 1
                continue
            seen.again += found.again
            lead_id = found.entry.lead_id
            outcome = OUTCOMES[(i + n) % len(OUTCOMES)]
            t2 = time.perf_counter()
            with factory() as session:
                call_list = lists.list_for(list_id, actor, session=session)
                if outcome == "release":
                    calls.release(call_list, lead_id, actor, session=session)
                else:
                    calls.record(call_list, lead_id, actor, session=session, outcome=outcome,
                                 callback_at=datetime.now(UTC) + timedelta(days=1) if outcome == "call_back" else None)
                session.commit()
            seen.recorded += outcome != "release"
            seen.outcomes.append(time.perf_counter() - t2)
            seen.holds.append((lead_id, n, t1, t2))  # inside the hold for certain: from its commit to the outcome's start

    try:
        return _agents(engine, len(agent_ids), work)
    finally:
        engine.dispose()


def _floor(url: str, list_id: int, agent_ids: list[int], claims: int) -> tuple[float, list[Seen]]:
    """The bare indexed claim, same threads and engine: SELECT the first free waiting entry in queue order (FOR UPDATE
    SKIP LOCKED on PostgreSQL; on SQLite the engine's transaction is BEGIN IMMEDIATE), UPDATE it as claimed, commit
    (timed). Then, apart, the entry done (the floor's outcome: out of the queue)."""
    from sqlalchemy import bindparam, select, update

    from leadflow.telemarketing.models import CallEntry

    t = CallEntry.__table__
    engine = _engine(url, len(agent_ids))
    claim = (select(t.c.lead_id).where(t.c.call_list_id == list_id, t.c.state == "waiting",
                                        t.c.claimed_until.is_(None))
             .order_by(t.c.tier, t.c.rank, t.c.lead_id).limit(1).with_for_update(skip_locked=True))
    mark = update(t).where(t.c.call_list_id == list_id, t.c.lead_id == bindparam("k")).values(
        claimed_by=bindparam("u"), claimed_at=bindparam("m"), claimed_until=bindparam("until"))
    finish = update(t).where(t.c.call_list_id == list_id, t.c.lead_id == bindparam("k")).values(
        state="done", done_at=bindparam("m"), claimed_by=None, claimed_at=None, claimed_until=None)

    def work(n: int, conn, seen: Seen) -> None:
        for _ in range(claims):
            t0 = time.perf_counter()
            with conn.begin():
                lead_id = conn.execute(claim).scalar()
                if lead_id is not None:
                    moment = datetime.now(UTC)
                    conn.execute(mark, {"k": lead_id, "u": agent_ids[n], "m": moment,
                                        "until": moment + timedelta(minutes=15)})
            t1 = time.perf_counter()
            seen.claims.append(t1 - t0)
            if lead_id is None:
                seen.none += 1
                continue
            t2 = time.perf_counter()
            with conn.begin():
                conn.execute(finish, {"k": lead_id, "m": datetime.now(UTC)})
            seen.outcomes.append(time.perf_counter() - t2)
            seen.holds.append((lead_id, n, t1, t2))

    try:
        return _agents(engine, len(agent_ids), work)
    finally:
        engine.dispose()


def _engine(url: str, agents: int):
    """leadflow's engine, with a connection for each agent (on SQLite make_engine keeps SQLAlchemy's pool of 5 + 10)."""
    from leadflow import db

    engine = db.make_engine(url, pool_size=agents)
    if engine.dialect.name == "sqlite":
        engine.pool._max_overflow = max(engine.pool._max_overflow, agents)
    return engine


def _overlaps(seen: list[Seen]) -> list[dict]:
    """Leads two agents held at the same moment (each hold taken from inside: claim committed to outcome begun)."""
    by_lead: dict[int, list[tuple[float, float, int]]] = {}
    for agent in seen:
        for lead_id, n, began, ended in agent.holds:
            by_lead.setdefault(lead_id, []).append((began, ended, n))
    found = []
    for lead_id, holds in by_lead.items():
        holds.sort()
        for (b1, e1, n1), (b2, e2, n2) in zip(holds, holds[1:], strict=False):
            if b2 < e1:
                found.append({"lead_id": lead_id, "agents": [n1, n2]})
    return found


def _stats(seconds: list[float], wall: float) -> dict:
    ordered = sorted(seconds)
    if not ordered:
        return {"count": 0}

    def pct(p: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000, 2)

    return {"count": len(ordered), "p50_ms": pct(0.50), "p95_ms": pct(0.95), "p99_ms": pct(0.99),
            "max_ms": round(ordered[-1] * 1000, 2), "mean_ms": round(sum(ordered) / len(ordered) * 1000, 2),
            "per_s": round(len(ordered) / wall, 1) if wall else None}


def _phase(wall: float, seen: list[Seen]) -> dict:
    claims = [s for agent in seen for s in agent.claims]
    outcomes = [s for agent in seen for s in agent.outcomes]
    overlaps = _overlaps(seen)
    holds = [h for agent in seen for h in agent.holds]
    return {"wall_s": round(wall, 2), "claim": _stats(claims, wall), "outcome": _stats(outcomes, wall),
            "claimed": len(holds), "distinct_leads": len({h[0] for h in holds}),
            "none_to_claim": sum(a.none for a in seen), "held_already": sum(a.again for a in seen),
            "recorded": sum(a.recorded for a in seen),
            "held_by_two_at_once": overlaps[:20], "held_by_two_count": len(overlaps),
            "thread_errors": [e for a in seen for e in a.errors][:20]}


def _checks(url: str, list_id: int) -> dict:
    from sqlalchemy import create_engine

    from leadflow import db

    engine = create_engine(db.normalize_url(url))
    try:
        def one(sql: str) -> int:
            return _rows(engine, sql, l=list_id)[0][0]

        return {
            "calls": one("SELECT count(*) FROM calls WHERE call_list_id = :l"),
            "still_held": one("SELECT count(*) FROM call_list_entries WHERE call_list_id = :l AND claimed_by IS NOT "
                              "NULL AND state = 'waiting'"),
            "by_tier": {f"{state}:{tier}": n for state, tier, n in _rows(
                engine, "SELECT state, tier, count(*) FROM call_list_entries WHERE call_list_id = :l "
                        "GROUP BY state, tier ORDER BY state, tier", l=list_id)},
        }
    finally:
        engine.dispose()


def _one(database: BenchDatabase, plan: Plan, *, seeded: bool) -> dict:
    from leadflow import db
    from leadflow.settings import get_settings

    get_settings()  # read once, as a running server has (not part of any timing)
    if not seeded:
        db.upgrade(database.url)
        seed_leads(database, plan.leads)
    scored = _leads_as_scored(database.url)
    people = _people(database.url, plan.agents)
    filled = _fill(database.url, people)
    list_id = filled["call_list_id"]
    queued = _due_and_gone(database.url, list_id, people["agent_ids"], plan.leads)
    plans = explain(database.url, list_id, people["agent_ids"][0])
    wall, seen = _leadflow(database.url, list_id, people["agent_ids"], plan.claims)
    measured = _phase(wall, seen)
    checks = _checks(database.url, list_id)
    wall, seen = _floor(database.url, list_id, people["agent_ids"], plan.claims)
    floor = _phase(wall, seen)
    # One agent alone, for reference: the claim's own work, without 19 others to wait for (the lock, the GIL)
    solo = {"leadflow": _phase(*_leadflow(database.url, list_id, people["agent_ids"][:1], plan.claims)),
            "floor": _phase(*_floor(database.url, list_id, people["agent_ids"][:1], plan.claims))}
    errors = [f"lead {o['lead_id']} held by agents {o['agents']} at once" for o in
              measured["held_by_two_at_once"] + floor["held_by_two_at_once"]]
    errors += [e for phase in (measured, floor, solo["leadflow"], solo["floor"]) for e in phase["thread_errors"]]
    if checks["calls"] != measured["recorded"]:
        errors.append(f"{checks['calls']} calls in the database for {measured['recorded']} recorded")
    if checks["still_held"]:
        errors.append(f"{checks['still_held']} entries still held after every agent recorded or released")
    ratio = (round(measured["claim"]["p99_ms"] / floor["claim"]["p99_ms"], 2)
             if floor["claim"].get("p99_ms") else None)
    return {
        "dialect": database.dialect, "leads": plan.leads, "agents": plan.agents, "claims_per_agent": plan.claims,
        **scored, **filled, **queued, "leadflow": measured, "floor": floor, "after_leadflow": checks,
        "ratio_p99": ratio,
        "ratio_p50": (round(measured["claim"]["p50_ms"] / floor["claim"]["p50_ms"], 2)
                      if floor["claim"].get("p50_ms") else None),
        "one_agent": solo,
        "ratio_one_agent_p50": (round(solo["leadflow"]["claim"]["p50_ms"] / solo["floor"]["claim"]["p50_ms"], 2)
                                if solo["floor"]["claim"].get("p50_ms") else None),
        "plans": plans, "errors": errors,
    }


def explain(url: str, list_id: int, agent_id: int) -> dict:
    """The plan of each of the claim's three queries (call-backs, retries, fresh), as the database chose it."""
    from leadflow import db
    from leadflow.telemarketing import calls

    engine = db.make_engine(url)
    try:
        with db.make_sessionmaker(engine)() as session:
            moment = datetime.now(UTC)
            postgres = engine.dialect.name == "postgresql"
            found = {}
            for name, query in zip(("callbacks", "retries", "fresh"),
                                   calls.claim_queries(list_id, agent_id, None, moment, postgres=postgres),
                                   strict=True):
                compiled = query.compile(dialect=engine.dialect)
                prefix = "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " if postgres else "EXPLAIN QUERY PLAN "
                rows = session.connection().exec_driver_sql(prefix + str(compiled), _params(compiled, postgres))
                found[name] = [r[-1] if not postgres else r[0] for r in rows]
            session.rollback()
            return found
    finally:
        engine.dispose()


def _params(compiled, postgres: bool):
    values = compiled.construct_params()
    if postgres:
        return values
    return tuple(values[name] for name in compiled.positiontup)


def run(plan: Plan) -> dict:
    results = []
    with tempfile.TemporaryDirectory(prefix="leadflow-bench-telemarketing-") as tmp:
        folder = Path(tmp)
        if plan.runs("sqlite"):
            sqlite = BenchDatabase.sqlite(folder, "telemarketing")
            try:
                seeded = plan.leads >= 1_000_000
                if seeded:
                    copy_sqlite(cached_sqlite(plan.leads), sqlite.path)
                results.append(_one(sqlite, plan, seeded=seeded))
            finally:
                sqlite.drop()
        if plan.runs("postgresql") and postgres_reachable():
            database = BenchDatabase.postgres("telemarketing")
            try:
                results.append(_one(database, plan, seeded=False))
            finally:
                database.drop()
    return {"results": results}


def report(outcome: dict) -> str:
    lines = []
    for r in outcome["results"]:
        m, f = r["leadflow"], r["floor"]
        o, of = r["one_agent"]["leadflow"], r["one_agent"]["floor"]
        lines.append(
            f"{r['dialect']:<10} {r['entries']:,} entries ({r['add_s']} s through add_leads, {r['add_per_s']:,}/s), "
            f"{r['agents']} agents x {r['claims_per_agent']} claims\n"
            f"           claim_next: p50 {m['claim']['p50_ms']} ms, p95 {m['claim']['p95_ms']}, p99 "
            f"{m['claim']['p99_ms']}, max {m['claim']['max_ms']}; {m['claim']['per_s']} claims/s (with the outcomes: "
            f"record/release p50 {m['outcome']['p50_ms']} ms, p99 {m['outcome']['p99_ms']})\n"
            f"           floor:      p50 {f['claim']['p50_ms']} ms, p95 {f['claim']['p95_ms']}, p99 "
            f"{f['claim']['p99_ms']}, max {f['claim']['max_ms']}; {f['claim']['per_s']} claims/s\n"
            f"           ratio p99 {r['ratio_p99']}x, p50 {r['ratio_p50']}x; held by two at once: "
            f"{m['held_by_two_count']} (floor {f['held_by_two_count']}); none to claim {m['none_to_claim']}; "
            f"errors {len(r['errors'])}\n"
            f"           one agent alone: claim_next p50 {o['claim']['p50_ms']} ms, p99 {o['claim']['p99_ms']} "
            f"(record/release p50 {o['outcome']['p50_ms']}); floor p50 {of['claim']['p50_ms']}, p99 "
            f"{of['claim']['p99_ms']}; ratio p50 {r['ratio_one_agent_p50']}x")
    return "\n".join(lines)
