"""Analytics over 1,000,000 leads, 20,000,000 events and 100,000 opportunities (bench/analytics_seed.py's data):

1. the first build of the facts (`analytics.facts.rebuild`, the real code: every lead's row of facts and its
   attribution credits, from its stage changes, captures, campaign visits, quotes and won deals), time and leads/s;
2. each dashboard query as the app runs it, as an admin and as the sales manager of one team: campaign economics
   (`analytics.queries.economics` and the API's JSON of it) grouped by campaign, source, channel, owner and month for
   the last 12 months, and the first page of the leads behind one campaign's SQLs (`queries.leads_behind`), beside
   the floor: the bare aggregate (or page) SQL over lead_facts for the same rows, timed in the same run. Median of
   N runs after a warm-up. Targets: under 1 s on PostgreSQL, 2 s on SQLite;
3. freshness: 10,000 leads moved from MQL to SQL (a stage change, the lead's stage and owner) and marked stale, then
   the worker's pass (`facts.run_pass`) timed beside a bare UPDATE of the same 10,000 fact rows. The pass runs every
   30 s, so a figure is never staler than a minute if a pass takes at most 30 s.

SQLite (cached under bench/.cache/) and PostgreSQL (a fresh database, COPY) when reachable."""

from __future__ import annotations

import statistics
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import bindparam, insert, text

from leadflow import clock, db
from leadflow.db import UtcDateTime

from bench import analytics_seed, seed
from bench.databases import BenchDatabase, copy_sqlite, postgres_reachable
from bench.machine import table, verdict

TARGETS_S = {"sqlite": 2.0, "postgresql": 1.0}
PASS_TARGET_S = 30.0  # a tick every 30 s plus the pass: never staler than a minute
GROUPS = ("campaign", "source", "channel", "owner", "month")
COLUMN = {"campaign": "campaign_id", "source": "source", "channel": "channel", "owner": "owner_id",
          "month": "created_month"}
PAGE = 100  # the API's default page of leads behind a figure


@dataclass
class Plan:
    leads: int = 1_000_000
    events: int = 20_000_000
    opportunities: int = 100_000
    stale: int = 10_000  # leads changed and marked stale for the worker's pass
    repeats: int = 5  # timed runs per case, after one warm-up

    @classmethod
    def quick(cls) -> Plan:
        return cls(leads=20_000, events=400_000, opportunities=2_000, stale=1_000, repeats=3)


def _timed(fn, repeats: int) -> tuple[float, object]:
    fn()  # warm-up
    times, result = [], None
    for _ in range(repeats):
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def _moments(sql: str):
    """A text query whose :s, :e and :t parameters are bound as the app binds moments."""
    statement = text(sql)
    names = [name for name in ("s", "e", "t") if f":{name}" in sql]
    return statement.bindparams(*(bindparam(name, type_=UtcDateTime()) for name in names))


# -- 1. the first build --------------------------------------------------------------------------------------------

def _build(engine, factory) -> dict:
    from leadflow.analytics import facts

    started = time.perf_counter()
    built = facts.rebuild(factory)
    elapsed = time.perf_counter() - started
    with engine.connect() as conn:
        one = lambda sql: conn.execute(text(sql)).scalar()  # noqa: E731
        funnel = {"leads": one("SELECT count(*) FROM lead_facts"), "mqls": one("SELECT count(mql_at) FROM lead_facts"),
                  "sqls": one("SELECT count(sql_at) FROM lead_facts"),
                  "opportunities": one("SELECT count(opportunity_at) FROM lead_facts"),
                  "quotes": one("SELECT count(quoted_at) FROM lead_facts"),
                  "customers": one("SELECT count(customer_at) FROM lead_facts"),
                  "disqualified": one("SELECT count(disqualified_at) FROM lead_facts"),
                  "nurture": one("SELECT count(nurture_at) FROM lead_facts"),
                  "revenue": f'{Decimal(str(one("SELECT sum(revenue) FROM lead_facts"))):.2f}'}
        credits = one("SELECT count(*) FROM lead_credits")
    analyze_s = None
    if engine.dialect.name == "postgresql":
        # What autovacuum does within a minute of the build's million inserts. Without it the planner takes the new
        # tables for empty: the attribution report's "converted with no credit" test then scans every SQL credit
        # once per lead (12 s at --quick's 20,000 leads). SQLite has no automatic statistics and the app runs no
        # ANALYZE: measured as it is.
        started = time.perf_counter()
        with engine.begin() as conn:
            conn.execute(text("ANALYZE lead_facts, lead_credits"))
        analyze_s = round(time.perf_counter() - started, 1)
    return {"leads": built, "build_s": round(elapsed, 1), "leads_per_s": round(built / elapsed) if elapsed else None,
            "credits": credits, "facts": funnel, "analyze_s": analyze_s}


# -- 2. the dashboards ---------------------------------------------------------------------------------------------

def _actors(engine) -> list[tuple[str, object, int | None]]:
    """An admin, and the manager of the team that owns the most leads (with that team's id, for the floor)."""
    from sqlalchemy import select

    from leadflow.people.models import Team, User
    from leadflow.people.service import actor_for

    with db.make_sessionmaker(engine)() as session:
        admin = session.scalar(select(User).where(User.role == "admin"))
        team_id = session.execute(text("SELECT team_id FROM lead_facts WHERE team_id IS NOT NULL GROUP BY team_id "
                                       "ORDER BY count(*) DESC, team_id LIMIT 1")).scalar()
        manager = session.get(User, session.get(Team, team_id).manager_id)
        return [("admin", actor_for(admin), None), ("sales manager", actor_for(manager), team_id)]


def _floor_economics(group: str, team_id: int | None) -> str:
    column = COLUMN[group]
    team = f" AND team_id = {int(team_id)}" if team_id is not None else ""
    return (f"SELECT {column}, count(*), count(mql_at), count(sql_at), count(opportunity_at), count(quoted_at), "
            f"count(customer_at), sum(orders), sum(revenue), sum(unconverted) FROM lead_facts "
            f"WHERE created_at >= :s AND created_at < :e{team} GROUP BY {column}")


def _floor_behind(campaign_id: int, team_id: int | None) -> str:
    team = f" AND team_id = {int(team_id)}" if team_id is not None else ""
    return (f"SELECT lead_id FROM lead_facts WHERE created_at >= :s AND created_at < :e AND campaign_id = "
            f"{int(campaign_id)} AND sql_at IS NOT NULL{team} ORDER BY created_at DESC, lead_id DESC "
            f"LIMIT {PAGE + 1}")


def _case(name: str, who: str, app, floor_sql: str, f, engine, plan: Plan, dialect: str, rows_of, same) -> dict:
    """One case: the floor's median, then the app's; `same(answer, floor_rows)` says whether both counted the same
    leads (the economics' total against the floor's summed counts; the page's ids against the floor's)."""
    with engine.connect() as conn:
        floor_s, floor_rows = _timed(lambda: conn.execute(_moments(floor_sql), {"s": f.start, "e": f.end}).all(),
                                     plan.repeats)
    app_s, answer = _timed(app, plan.repeats)
    target = TARGETS_S[dialect]
    return {"case": name, "as": who, "rows": rows_of(answer), "floor_rows": len(floor_rows),
            "same_leads": same(answer, floor_rows), "app_s": round(app_s, 3), "floor_s": round(floor_s, 4),
            "ratio": round(app_s / floor_s, 1) if floor_s else None, "target_s": target, "met": app_s < target}


def _dashboards(engine, plan: Plan, dialect: str) -> list[dict]:
    from leadflow.analytics import params, present, queries

    reading = db.make_sessionmaker(engine, reads_only=True)
    f = params.filters(period="last_12_months")  # as the dashboard's default, from the (set) clock
    cases = []
    for who, actor, team_id in _actors(engine):
        with engine.connect() as conn:  # the campaign with the most SQLs the actor sees: the fullest page
            team = f" AND team_id = {int(team_id)}" if team_id is not None else ""
            campaign_id = conn.execute(_moments(
                f"SELECT campaign_id FROM lead_facts WHERE created_at >= :s AND created_at < :e{team} AND campaign_id "
                "IS NOT NULL GROUP BY campaign_id ORDER BY count(sql_at) DESC, campaign_id LIMIT 1"),
                {"s": f.start, "e": f.end}).scalar()
        for group in GROUPS:
            def economics(actor=actor, group=group):
                with reading() as session:
                    return present.report_dict(queries.economics(actor, f, session=session, group=group))

            cases.append(_case(f"economics by {group}", who, economics, _floor_economics(group, team_id), f, engine,
                               plan, dialect, lambda answer: len(answer["rows"]),
                               lambda answer, rows: answer["total"]["leads"] == sum(row[1] for row in rows)))

        def behind(actor=actor):
            with reading() as session:
                return queries.leads_behind(actor, f, session=session, group="campaign", key=str(campaign_id),
                                            step="sqls", limit=PAGE)

        cases.append(_case(f"leads behind campaign {campaign_id}'s SQLs (page 1)", who, behind,
                           _floor_behind(campaign_id, team_id), f, engine, plan, dialect,
                           lambda answer: len(answer.lead_ids),
                           lambda answer, rows: answer.lead_ids == [row[0] for row in rows][:PAGE]))
        for name, app, floor_sql, rows_of, same in _funnel_cases(reading, actor, f, team_id):
            cases.append(_case(name, who, app, floor_sql, f, engine, plan, dialect, rows_of, same))
    return cases


def _funnel_cases(reading, actor, f, team_id: int | None) -> list[tuple]:
    """The funnel, the cohorts, the 25/25/50 split and the attribution report (analytics/funnel.py), each beside its
    bare aggregate; none when this checkout has no funnel yet."""
    import importlib.util

    if importlib.util.find_spec("leadflow.analytics.funnel") is None:
        return []
    from leadflow.analytics import funnel

    team = f" AND team_id = {int(team_id)}" if team_id is not None else ""
    period = f"created_at >= :s AND created_at < :e{team}"
    steps = "count(*), count(mql_at), count(sql_at), count(opportunity_at), count(customer_at)"

    def read(fn, **kwargs):
        def app():
            with reading() as session:
                return fn(actor, f, session=session, **kwargs)
        return app

    def split_total(answer) -> int:
        return sum(part["leads"] for part in answer.parts.values()) + answer.pending

    def credited(answer, rows) -> bool:
        return abs(sum(answer.total.conversions.values()) - sum(Decimal(str(row[2] or 0)) for row in rows)) < \
            Decimal("0.001")

    return [
        ("funnel", read(funnel.funnel), f"SELECT {steps} FROM lead_facts WHERE {period}",
         lambda answer: len(answer.steps), lambda answer, rows: answer.steps[0].count == rows[0][0]),
        ("cohorts by month", read(funnel.cohorts),
         f"SELECT created_month, {steps}, sum(orders), sum(revenue) FROM lead_facts WHERE {period} "
         "GROUP BY created_month",
         lambda answer: len(answer.cohorts),
         lambda answer, rows: sum(c.leads for c in answer.cohorts) == sum(row[1] for row in rows)),
        ("25/25/50 split", read(funnel.split),
         f"SELECT count(*), count(sales_ready_at), count(disqualified_at) FROM lead_facts WHERE {period}",
         lambda answer: len(answer.parts), lambda answer, rows: split_total(answer) == rows[0][0]),
        ("attribution of SQLs by campaign", read(funnel.attribution_report, goal="sql", group="campaign"),
         f"SELECT campaign_id, model, sum(weight) FROM lead_credits WHERE goal = 'sql' AND goal_at >= :s AND "
         f"goal_at < :e{team} GROUP BY campaign_id, model",
         lambda answer: len(answer.rows), credited),
    ]


# -- 3. freshness --------------------------------------------------------------------------------------------------

def _freshness(engine, factory, url: str, plan: Plan) -> dict:
    """Move `plan.stale` MQLs (spread over the ids) to SQL with an owner, mark them stale, time the worker's pass;
    then the floor: one bare UPDATE of the same fact rows. Checked: each fact row shows the SQL, nothing left stale."""
    from leadflow.analytics import facts
    from leadflow.leads.models import StageChange

    mqls = analytics_seed.lead_ids_at(url, "mql")
    step = max(1, len(mqls) // plan.stale)
    chosen = mqls[::step][:plan.stale]
    moment = clock.now() - timedelta(minutes=1)
    with factory() as session:
        reps = [row[0] for row in session.execute(text("SELECT id FROM users WHERE role = 'sales_rep' ORDER BY id"))]
        session.execute(insert(StageChange.__table__), [
            {"lead_id": i, "from_stage": "mql", "to_stage": "sql", "reason": "sales_ready", "actor": "bench",
             "changed_at": moment} for i in chosen])
        session.execute(_moments("UPDATE leads SET stage = 'sql', owner_id = :owner, sales_ready_at = :t, "
                                 "assigned_at = :t, updated_at = :t WHERE id = :id"),
                        [{"owner": reps[n % len(reps)], "t": moment, "id": i} for n, i in enumerate(chosen)])
        marked = facts.mark(chosen, session=session)
        session.commit()
    started = time.perf_counter()
    refreshed = facts.run_pass(factory)
    pass_s = time.perf_counter() - started
    listed = ", ".join(str(i) for i in chosen)
    with engine.connect() as conn:
        shown = conn.execute(text(f"SELECT count(*) FROM lead_facts WHERE stage = 'sql' AND sql_at IS NOT NULL AND "
                                  f"owner_id IS NOT NULL AND lead_id IN ({listed})")).scalar()
        left = conn.execute(text("SELECT count(*) FROM analytics_stale")).scalar()

    def floor():
        with engine.begin() as conn:
            conn.execute(_moments(f"UPDATE lead_facts SET stage = 'sql', sql_at = :t, refreshed_at = :t "
                                  f"WHERE lead_id IN ({listed})"), {"t": moment})

    floor_s, _ = _timed(floor, plan.repeats)
    errors = []
    if shown != len(chosen):
        errors.append(f"{len(chosen) - shown} of {len(chosen)} changed leads not shown as SQLs after the pass")
    if left:
        errors.append(f"{left} leads left stale after the pass")
    return {"changed": len(chosen), "marked": marked, "refreshed": refreshed, "pass_s": round(pass_s, 2),
            "leads_per_s": round(refreshed / pass_s) if pass_s else None, "floor_s": round(floor_s, 3),
            "ratio": round(pass_s / floor_s, 1) if floor_s else None, "shown_as_sql": shown, "left_stale": left,
            "target_s": PASS_TARGET_S, "met": pass_s < PASS_TARGET_S, "errors": errors}


# -- the run -------------------------------------------------------------------------------------------------------

def bench_database(database: BenchDatabase, plan: Plan, counts: dict) -> dict:
    engine = db.make_engine(database.url)
    factory = db.make_sessionmaker(engine)
    try:
        build = _build(engine, factory)
        cases = _dashboards(engine, plan, database.dialect)
        fresh = _freshness(engine, factory, database.url, plan)
    finally:
        engine.dispose()
    errors = [*fresh["errors"], *(f"{c['case']} as {c['as']}: the app and the floor counted different leads"
                                  for c in cases if not c["same_leads"])]
    return {"database": database.dialect, "leads": plan.leads, "rows": counts, "build": build, "cases": cases,
            "freshness": fresh, "errors": errors}


def run(plan: Plan) -> dict:
    results, skipped, timings = [], [], {}
    clock.set_clock(lambda: analytics_seed.MOMENT)  # the data's "now": the last 12 months are 2026
    try:
        with tempfile.TemporaryDirectory(prefix="leadflow-bench-") as tmp:
            folder = Path(tmp)
            started = time.perf_counter()
            cached, counts = analytics_seed.cached_sqlite(plan, folder)
            timings["sqlite_seed_s"] = round(time.perf_counter() - started, 1)
            database = BenchDatabase.sqlite(folder, "analytics")
            try:
                started = time.perf_counter()
                copy_sqlite(cached, database.path)
                timings["sqlite_copy_s"] = round(time.perf_counter() - started, 1)
                results.append(bench_database(database, plan, counts))
            finally:
                database.drop()
            if postgres_reachable():
                with BenchDatabase.postgres("analytics") as database:
                    started = time.perf_counter()
                    db.upgrade(database.url)
                    seed.seed_leads(database, plan.leads)
                    timings["postgresql_leads_s"] = round(time.perf_counter() - started, 1)
                    counts = analytics_seed.fill(database, plan)
                    timings["postgresql_seed_s"] = round(time.perf_counter() - started, 1)
                    results.append(bench_database(database, plan, counts))
            else:
                skipped.append("postgresql: server not reachable")
    finally:
        clock.set_clock(None)
    return {"benchmark": "analytics", "plan": plan.__dict__, "moment": analytics_seed.MOMENT.astimezone(UTC),
            "results": results, "skipped": skipped, "timings": timings, "targets_s": TARGETS_S,
            "pass_target_s": PASS_TARGET_S}


def report(outcome: dict) -> str:
    lines = []
    for r in outcome["results"]:
        b, rows = r["build"], r["rows"]
        lines.append(f"{r['database']}: {rows['leads']:,} leads, {rows['events']:,} events, "
                     f"{rows['opportunities']:,} opportunities, {rows['quotes']:,} quotes, "
                     f"{rows['stage_changes']:,} stage changes, {rows['captures']:,} captures, "
                     f"{rows['campaigns']} campaigns")
        lines.append(f"  first build: {b['leads']:,} leads in {b['build_s']} s ({b['leads_per_s']:,} leads/s), "
                     f"{b['credits']:,} credits; facts {b['facts']}")
    rows = []
    for r in outcome["results"]:
        for c in r["cases"]:
            rows.append([r["database"], c["as"], c["case"], c["rows"], c["app_s"], c["floor_s"], c["ratio"],
                         f"{c['target_s']} s: {verdict(c['met'])}"])
    lines.append(table(["database", "as", "case", "rows", "app s", "floor s", "ratio", "target"], rows))
    for r in outcome["results"]:
        f = r["freshness"]
        lines.append(f"{r['database']}: freshness: {f['changed']:,} leads changed and marked; the pass refreshed "
                     f"{f['refreshed']:,} in {f['pass_s']} s ({f['leads_per_s']:,} leads/s); floor (bare UPDATE of "
                     f"the same fact rows) {f['floor_s']} s, ratio {f['ratio']}x; pass < {f['target_s']:.0f} s: "
                     f"{verdict(f['met'])}; shown as SQL {f['shown_as_sql']:,}, left stale {f['left_stale']}")
        for error in r.get("errors", []):
            lines.append(f"!!! {r['database']}: {error}")
    for note in outcome.get("skipped", []):
        lines.append(f"skipped: {note}")
    lines.append(f"seeding (not measured): {outcome.get('timings')}")
    return "\n".join(lines)
