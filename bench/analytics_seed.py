"""The analytics benchmark's data, on top of bench/seed.py's leads: 200 campaigns in a tree (20 programs of 9
campaigns; channels, sources, media, offers; four programs spend in SEK), a cost entry per campaign and month (an
exchange rate SEK -> EUR that changes once), 200 reps in 20 teams with their managers, and for every lead: its
campaign, first touch, channel and creation time over the 24 months before the bench's moment (ids follow time, as in
life), its capture (15 % a second one from another campaign), its way through the funnel as stage changes (about
50 % reach MQL, 25 % SQL, 10 % opportunity, 2.5 % customer; others disqualified or put to nurture), an owner once it
is an SQL, its events (page views, some with the UTM parameters of a campaign, email opens and clicks, downloads,
forms) and, at the opportunity step, an opportunity (a quarter won; EUR and SEK) and mostly a quote.

Written in bulk: executemany on SQLite (the events table's indexes dropped while it fills), COPY on PostgreSQL; a
lead's own columns through a temporary table and one UPDATE ... FROM. A pure function of the plan (seeded random)."""

from __future__ import annotations

import json
import random
import sqlite3
import time
import uuid
from bisect import bisect
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from itertools import accumulate
from pathlib import Path

from sqlalchemy import select

from leadflow import db

from bench import seed
from bench.databases import BenchDatabase, copy_sqlite
from bench.inbox import seeded_sqlite

SEED_VERSION = "2"
MOMENT = datetime(2026, 12, 31, 12, 0, tzinfo=UTC)  # the bench's now: the clock is set to it for the whole run
START = datetime(2025, 1, 1, tzinfo=UTC)  # leads come in over the 24 months before it
SPAN = MOMENT - START
LAST = MOMENT - timedelta(minutes=5)  # nothing happens after this
BLOCK = 50_000  # leads generated and written per block
PROGRAMS, PER_PROGRAM = 20, 9  # 20 programs of 9 campaigns: 200 campaigns
REPS, TEAMS = 200, 20
SEK_PROGRAMS = 4  # the first four programs are Swedish: their costs (and their leads' deals, mostly) in SEK
RATES = ((date(2024, 1, 1), Decimal("0.08700000")), (date(2026, 1, 1), Decimal("0.09000000")))
MQL, SQL = 0.50, 0.25  # shares of leads that reach these steps; opportunity and customer come from the plan

CHANNELS = ("web", "email", "paid_search", "social", "trade_fair", "partner", "direct_mail", "print", "radio_tv",
            "telemarketing")
SOURCE = {"web": ("website", "organic"), "email": ("newsletter", "email"), "paid_search": ("google", "cpc"),
          "social": ("linkedin", "paid_social"), "trade_fair": ("trade_fair", "event"),
          "partner": ("partner", "referral"),
          "direct_mail": ("post", "mail"), "print": ("magazine", "print"), "radio_tv": ("radio", "broadcast"),
          "telemarketing": ("call_center", "phone")}
CAPTURE_CHANNEL = {"web": "form", "email": "form", "paid_search": "form", "social": "meta", "trade_fair": "import",
                   "partner": "api", "direct_mail": "form", "print": "form", "radio_tv": "form",
                   "telemarketing": "api"}
OFFERS = ("Demo", "Whitepaper", "Free trial", "Webinar", "Price list", "Consultation")
THEMES = ("Spring launch", "Summer deals", "Autumn push", "Winter sale", "Enterprise", "SMB", "Partners", "Retail",
          "Logistics", "Healthcare", "Finance", "Public sector", "Nordics", "DACH", "Benelux", "UK", "France",
          "Poland", "Brand", "Product")
URLS = ("https://acme.example/", "https://acme.example/pricing", "https://acme.example/demo",
        "https://acme.example/blog/post", "https://acme.example/careers", "https://acme.example/products/crm",
        "https://acme.example/products/analytics", "https://acme.example/docs")
OPEN_STAGES = ("qualification", "needs_analysis", "proposal", "negotiation")


# -- people, campaigns, costs, rates (a few thousand rows, through the ORM) -----------------------------------------

def _base(url: str) -> dict:
    """Settings, rates, ROI norms, an admin, 20 teams (a manager each) of 200 reps, the campaign tree and its costs.
    Returns what the per-lead generator needs."""
    from leadflow.analytics.models import AnalyticsSettings, ExchangeRate, RoiNorm
    from leadflow.campaigns.models import Campaign, CampaignCost
    from leadflow.people.models import Team, User

    rng = random.Random(31)
    engine = db.make_engine(url)
    factory = db.make_sessionmaker(engine)
    try:
        with factory() as session:
            settings = session.get(AnalyticsSettings, 1)  # the migration writes the one row
            if settings is None:
                settings = AnalyticsSettings(id=1, stop_after_leads=1000, stop_after_months=6)
                session.add(settings)
            settings.reporting_currency, settings.roi_norm, settings.updated_at = "EUR", Decimal("1.5"), MOMENT
            session.add_all(ExchangeRate(currency="SEK", valid_from=day, rate=rate, created_at=MOMENT)
                            for day, rate in RATES)
            session.add_all(RoiNorm(dimension="source", value=s, value_key=s, min_roi=Decimal("2"), created_at=MOMENT)
                            for s in ("google", "linkedin", "magazine"))
            session.add(User(email="admin@bench.example", name="Admin", role="admin", created_at=MOMENT))
            session.add(User(email="marketing@bench.example", name="Marketing", role="marketing", created_at=MOMENT))
            managers = [User(email=f"manager{t}@bench.example", name=f"Manager {t}", role="sales_manager",
                             created_at=MOMENT) for t in range(TEAMS)]
            session.add_all(managers)
            session.flush()
            teams = [Team(name=f"Team {t}", kind="sales", manager_id=managers[t].id, created_at=MOMENT)
                     for t in range(TEAMS)]
            session.add_all(teams)
            session.flush()
            for manager, team in zip(managers, teams, strict=True):
                manager.team_id = team.id
            reps = [User(email=f"rep{r}@bench.example", name=f"Rep {r}", role="sales_rep", created_at=MOMENT,
                         team_id=teams[r % TEAMS].id) for r in range(REPS)]
            session.add_all(reps)
            session.flush()
            leaves, costs = [], []
            for p in range(PROGRAMS):
                currency = "SEK" if p < SEK_PROGRAMS else "EUR"
                program = Campaign(name=f"Program {p:02d}: {THEMES[p]}", code=f"P{p:02d}", code_key=f"p{p:02d}",
                                   channel="other", currency=currency, starts_on=START.date(), created_at=MOMENT)
                session.add(program)
                session.flush()
                costs.append((program.id, currency, 1_000, 5_000))
                for k in range(PER_PROGRAM):
                    channel = CHANNELS[(p + k) % len(CHANNELS)]
                    source, medium = SOURCE[channel]
                    campaign = Campaign(name=f"{THEMES[p]} {channel.replace('_', ' ')} {k + 1}",
                                        code=f"C{p:02d}-{k + 1}", code_key=f"c{p:02d}-{k + 1}", channel=channel,
                                        source=source, medium=medium, offer=OFFERS[(p * 3 + k) % len(OFFERS)],
                                        currency=currency, parent_id=program.id, starts_on=START.date(),
                                        created_at=MOMENT)
                    session.add(campaign)
                    session.flush()
                    leaves.append((campaign.id, campaign.code, channel, source, medium, currency))
                    costs.append((campaign.id, currency, 500, 20_000))
            months = [date(START.year + (START.month - 1 + m) // 12, (START.month - 1 + m) % 12 + 1, 1)
                      for m in range(24)]
            session.add_all(CampaignCost(campaign_id=cid, spent_on=month, currency=currency, note="bench",
                                         amount=Decimal(rng.randrange(lo, hi)) * (10 if currency == "SEK" else 1),
                                         created_at=MOMENT)
                            for cid, currency, lo, hi in costs for month in months)
            session.commit()
            return {"reps": [(u.id, u.team_id) for u in reps], "leaves": leaves, "cost_rows": len(costs) * 24,
                    "campaigns": PROGRAMS + len(leaves)}
    finally:
        engine.dispose()


# -- writing in bulk -----------------------------------------------------------------------------------------------

class Writer:
    """Rows into tables: executemany on SQLite (raw sqlite3, no journal while seeding), COPY on PostgreSQL. Values
    are given as Python values and shaped for the database by t (a moment), j (JSON), m (money)."""

    def __init__(self, database: BenchDatabase):
        self.sqlite = database.dialect == "sqlite"
        if self.sqlite:
            self.conn = sqlite3.connect(database.path)
            for pragma in ("journal_mode=OFF", "synchronous=OFF", "cache_size=-1000000"):
                self.conn.execute(f"PRAGMA {pragma}")
            self.zone = ""  # SQLite keeps UTC as text without a zone (the app's UtcDateTime)
            self.m = str
            self.d = lambda day: day.isoformat() if day else None
        else:
            import psycopg

            self.conn = psycopg.connect(database.url.replace("postgresql+psycopg://", "postgresql://"))
            self.zone = "+00"
            self.m = self.d = lambda value: value
        self.j = json.dumps

    def t(self, moment: datetime | None) -> str | None:
        """A moment as the database reads it from text (isoformat: much faster than strftime or a dumper)."""
        if moment is None:
            return None
        return moment.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds") + self.zone

    def write(self, table: str, columns: tuple[str, ...], rows) -> int:
        count = 0
        if self.sqlite:
            sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
            chunk = []
            for row in rows:
                chunk.append(row)
                if len(chunk) == 100_000:
                    self.conn.executemany(sql, chunk)
                    count += len(chunk)
                    chunk = []
            self.conn.executemany(sql, chunk)
            return count + len(chunk)
        with self.conn.cursor() as cursor, cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
                count += 1
        return count

    def execute(self, sql: str) -> list:
        if self.sqlite:
            return self.conn.execute(sql).fetchall()
        with self.conn.cursor() as cursor:
            cursor.execute(sql)
            return cursor.fetchall() if cursor.description else []

    def commit(self) -> None:
        self.conn.commit()

    def close(self) -> None:
        self.conn.close()


def _index_definitions(writer: Writer, table: str) -> list[tuple[str, str]]:
    if writer.sqlite:
        return writer.execute(f"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = '{table}' "
                              "AND sql IS NOT NULL")
    return writer.execute(f"SELECT indexname, indexdef FROM pg_indexes WHERE tablename = '{table}' AND indexname NOT "
                          "IN (SELECT conname FROM pg_constraint)")


# -- the leads' lives ------------------------------------------------------------------------------------------------

LEAD_PLAN = ("id", "created_at", "stage", "owner_id", "campaign_id", "channel", "first_touch", "sales_ready_at")
STAGE_CHANGES = ("lead_id", "from_stage", "to_stage", "reason", "actor", "changed_at")
CAPTURES = ("channel", "received_at", "payload", "content_type", "client", "campaign_id", "attribution", "outcome",
            "reasons", "lead_id", "attempts")
OPPORTUNITIES = ("id", "lead_id", "name", "value", "currency", "expected_close", "stage", "status", "close_reason",
                 "owner_id", "team_id", "closed_at", "created_by", "created_at", "updated_at")
QUOTES = ("lead_id", "opportunity_id", "reference", "amount", "currency", "status", "sent_on", "decided_on", "note",
          "created_by", "created_at", "updated_at")
EVENTS = ("lead_id", "type", "occurred_at", "received_at", "source", "properties")


def _share(i: int) -> float:
    """Where lead i falls in [0, 1): a multiplicative hash, so each step's share is met almost exactly."""
    return ((i * 2654435761) & 0xFFFFFFFF) / 2 ** 32


class Lives:
    """Each lead's life, block by block, as rows of every table it touches."""

    def __init__(self, base: dict, plan, writer: Writer):
        self.rng = random.Random(77)
        self.plan, self.w = plan, writer
        self.reps = base["reps"]
        self.leaves = base["leaves"]
        # Some campaigns bring many more leads than others (1, 1/2, ... 1/9 within each program).
        self.cumulative = list(accumulate(1.0 / (1 + (k % PER_PROGRAM)) for k in range(len(self.leaves))))
        self.opportunity = plan.opportunities / plan.leads
        self.customer = self.opportunity / 4
        self.per_lead = plan.events / plan.leads
        self.next_opportunity = 1
        self.plain_views = [json.dumps({"url": u}) for u in URLS]
        self.utm_views = [[json.dumps({"url": u, "utm_source": s, "utm_medium": m, "utm_campaign": code})
                           for u in URLS] for _, code, _, s, m, _ in self.leaves]
        self.download = json.dumps({"name": "Guide", "url": URLS[2]})
        self.time = writer.t
        assert writer.t(START + timedelta(microseconds=1)).startswith("2025-01-01 00:00:00.000001")

    def _later(self, moment: datetime, low_hours: float, high_hours: float) -> datetime:
        return min(moment + timedelta(hours=self.rng.uniform(low_hours, high_hours)), LAST)

    def block(self, index: int, ids: list[int], count: int) -> dict[str, list]:
        rng, w, t = self.rng, self.w, self.time
        out = {name: [] for name in ("plan", "changes", "captures", "opportunities", "quotes", "events")}
        for offset, lead_id in enumerate(ids):
            i = index + offset
            created = START + SPAN * ((i + rng.random()) / count)
            leaf = bisect(self.cumulative, rng.random() * self.cumulative[-1]) if rng.random() < 0.85 else None
            if leaf is not None:
                cid, code, channel, source, medium, currency = self.leaves[leaf]
                capture_channel = CAPTURE_CHANNEL[channel]
                touch = {"channel": capture_channel, "utm_source": source, "utm_medium": medium,
                         "utm_campaign": code}
            else:
                cid, currency = None, "EUR"
                capture_channel = rng.choice(("form", "form", "api", "import"))
                touch = {"channel": capture_channel, "utm_source": "google", "utm_medium": "organic"} \
                    if rng.random() < 0.5 else {"channel": capture_channel}
            u = _share(i)
            stage, moments, owner, team = "new", [], None, None
            if u < MQL:
                moments.append(("mql", self._later(created, 1, 20 * 24)))
            if u < SQL:
                moments.append(("sql", self._later(moments[-1][1], 1, 15 * 24)))
                owner, team = self.reps[rng.randrange(len(self.reps))]
            if u < self.opportunity:
                moments.append(("opportunity", self._later(moments[-1][1], 24, 20 * 24)))
            if u < self.customer:
                moments.append(("customer", self._later(moments[-1][1], 7 * 24, 90 * 24)))
            v = rng.random()
            last_step = moments[-1][0] if moments else "new"
            ending = {"new": (0.85, 0.95), "mql": (0.5, 0.7), "sql": (0.6, 0.85), "opportunity": (0.55, 0.775),
                      "customer": (1.0, 1.0)}[last_step]
            if v >= ending[0]:
                moments.append(("disqualified" if v < ending[1] else "nurture",
                                self._later(moments[-1][1] if moments else created, 24, 60 * 24)))
            previous = "new"
            for to_stage, at in moments:
                reason = "sales_ready" if to_stage == "sql" else ("no_budget" if to_stage == "disqualified" else None)
                out["changes"].append((lead_id, previous, to_stage, reason, "bench", t(at)))
                previous = to_stage
            stage = previous
            reached = dict(moments)
            out["plan"].append((lead_id, t(created), stage, owner, cid, capture_channel, w.j(touch),
                                t(reached.get("sql"))))
            out["captures"].append((capture_channel, t(created), b"{}", "application/json", "bench", cid,
                                    w.j({k: v for k, v in touch.items() if k != "channel"}), "created", "[]",
                                    lead_id, 0))
            if rng.random() < 0.15:
                other = rng.randrange(len(self.leaves))
                ocid, ocode, ochannel, osource, omedium, _ = self.leaves[other]
                out["captures"].append((CAPTURE_CHANNEL[ochannel], t(self._later(created, 24, 120 * 24)), b"{}",
                                        "application/json", "bench", ocid,
                                        w.j({"utm_source": osource, "utm_medium": omedium, "utm_campaign": ocode}),
                                        "merged", "[]", lead_id, 0))
            if "opportunity" in reached:
                self._deal(out, lead_id, reached, owner, team, currency, stage)
            self._events(out["events"], i, lead_id, created, leaf)
        out["events"].sort(key=lambda row: row[2])  # written as they arrive: in time order within the block
        return out

    def _deal(self, out: dict, lead_id: int, reached: dict, owner, team, currency: str, stage: str) -> None:
        rng, t, d, m = self.rng, self.w.t, self.w.d, self.w.m
        opened = reached["opportunity"]
        if rng.random() < 0.2:
            currency = "SEK" if currency == "EUR" else "EUR"
        value = Decimal(rng.randrange(5_000, 80_000)) * (10 if currency == "SEK" else 1)
        if "customer" in reached:
            status, deal_stage, closed, reason = "won", "won", reached["customer"], "product_fit"
        elif stage in ("disqualified", "nurture"):
            status, deal_stage, closed, reason = "lost", "lost", reached[stage], "no_budget"
        else:
            status, deal_stage, closed, reason = "open", rng.choice(OPEN_STAGES), None, None
        oid = self.next_opportunity
        self.next_opportunity += 1
        expected = (opened + timedelta(days=rng.randrange(20, 120))).date()
        out["opportunities"].append((oid, lead_id, f"Deal {lead_id}", m(value), currency, d(expected), deal_stage,
                                     status, reason, owner, team, t(closed), "bench", t(opened), t(closed or opened)))
        if rng.random() < 0.8:
            sent = self._later(opened, 24, 10 * 24)
            quote_status = {"won": "accepted", "lost": "rejected", "open": "sent"}[status]
            out["quotes"].append((lead_id, oid, f"Q-{oid}", m(value), currency, quote_status, d(sent.date()),
                                  d(closed.date()) if closed else None, "", "bench", t(sent), t(closed or sent)))

    def _events(self, rows: list, i: int, lead_id: int, created: datetime, leaf: int | None) -> None:
        rng, zone, urls, leaves = self.rng, self.w.zone, len(URLS), len(self.leaves)
        per = self.per_lead
        count = int(round(per + ((i % 5) - 2) * (per / 4)))  # 10, 15, 20, 25, 30 around 20: the plan's mean
        low = created.replace(tzinfo=None) - timedelta(days=30)  # UTC, naive: formatted by hand below
        span = (min(created + timedelta(days=180), LAST) - created).total_seconds() + 30 * 86400
        for _ in range(count):
            at = (low + timedelta(seconds=rng.random() * span)).isoformat(" ", "microseconds") + zone
            kind = rng.random()
            if kind < 0.6:
                url = int(rng.random() * urls)
                if rng.random() < 0.15:
                    campaign = leaf if leaf is not None and rng.random() < 0.6 else int(rng.random() * leaves)
                    rows.append((lead_id, "page_view", at, at, "script", self.utm_views[campaign][url]))
                else:
                    rows.append((lead_id, "page_view", at, at, "script", self.plain_views[url]))
            elif kind < 0.8:
                rows.append((lead_id, "email_open", at, at, "email", "{}"))
            elif kind < 0.9:
                rows.append((lead_id, "email_click", at, at, "email", self.plain_views[0]))
            elif kind < 0.95:
                rows.append((lead_id, "download", at, at, "script", self.download))
            else:
                rows.append((lead_id, "form_submit", at, at, "form", "{}"))


def fill(database: BenchDatabase, plan) -> dict:
    """Everything but the leads themselves (bench/seed.py's, already there) and the facts (built by the bench)."""
    started = time.perf_counter()
    phases = {}

    def phase(name: str) -> None:
        nonlocal started
        phases[name] = round(time.perf_counter() - started, 1)
        started = time.perf_counter()

    base = _base(database.url)
    phase("people_campaigns_costs_s")
    writer = Writer(database)
    counts = {"campaigns": base["campaigns"], "campaign_costs": base["cost_rows"], "reps": REPS, "teams": TEAMS}
    try:
        ids = [row[0] for row in writer.execute("SELECT id FROM leads ORDER BY id")]
        if writer.sqlite:
            writer.execute("CREATE TEMP TABLE lead_plan (id INTEGER PRIMARY KEY, created_at, stage, owner_id, "
                           "campaign_id, channel, first_touch, sales_ready_at)")
        else:
            writer.execute("CREATE TEMP TABLE lead_plan (id bigint PRIMARY KEY, created_at timestamptz, stage text, "
                           "owner_id bigint, campaign_id bigint, channel text, first_touch json, "
                           "sales_ready_at timestamptz)")
        indexes = _index_definitions(writer, "events")
        for name, _ in indexes:
            writer.execute(f'DROP INDEX "{name}"')
        lives = Lives(base, plan, writer)
        tables = (("plan", "lead_plan", LEAD_PLAN), ("changes", "stage_changes", STAGE_CHANGES),
                  ("captures", "captures", CAPTURES), ("opportunities", "opportunities", OPPORTUNITIES),
                  ("quotes", "quotes", QUOTES), ("events", "events", EVENTS))
        for start in range(0, len(ids), BLOCK):
            rows = lives.block(start, ids[start:start + BLOCK], len(ids))
            for key, table, columns in tables:
                written = writer.write(table, columns, rows[key])
                counts[table] = counts.get(table, 0) + written
            writer.commit()
        phase("rows_s")
        del counts["lead_plan"]
        writer.execute(
            "UPDATE leads SET created_at = p.created_at, updated_at = p.created_at, stage = p.stage, "
            "owner_id = p.owner_id, assigned_at = p.sales_ready_at, campaign_id = p.campaign_id, "
            "last_campaign_id = p.campaign_id, channel = p.channel, first_touch = p.first_touch, "
            "last_touch = p.first_touch, sales_ready_at = p.sales_ready_at FROM lead_plan p WHERE leads.id = p.id")
        writer.execute("DROP TABLE lead_plan")
        writer.commit()
        phase("lead_update_s")
        for _, statement in indexes:
            writer.execute(statement)
        if not writer.sqlite:
            writer.execute("SELECT setval(pg_get_serial_sequence('opportunities', 'id'), "
                           "(SELECT max(id) FROM opportunities))")
        writer.commit()
        phase("event_indexes_s")
        if writer.sqlite:
            writer.execute("ANALYZE")
            writer.execute("PRAGMA journal_mode=WAL")
        else:
            writer.conn.autocommit = True
            writer.execute("VACUUM ANALYZE")  # as autovacuum would have left a live database after the UPDATE
        writer.commit()
        phase("analyze_s")
    finally:
        writer.close()
    counts["leads"] = len(ids)
    counts["seed_phases"] = phases
    return counts


def cached_sqlite(plan, folder: Path) -> tuple[Path, dict]:
    """bench/inbox.py's cached leads with this data added, cached by seed version, sizes and schema under
    bench/.cache/ (built in a private folder and moved in whole); the counts written beside it."""
    seed.CACHE.mkdir(exist_ok=True)
    stem = f"analytics-{plan.leads}-{plan.events}-{plan.opportunities}-{SEED_VERSION}-{seed.schema_key()}"
    path, counts_path = seed.CACHE / f"{stem}.db", seed.CACHE / f"{stem}.json"
    if path.exists() and path.stat().st_size and counts_path.exists():
        return path, json.loads(counts_path.read_text())
    for stale in seed.CACHE.glob(f"analytics-{plan.leads}-*"):
        stale.unlink()
    building = BenchDatabase.sqlite(folder, "analytics-seed")
    copy_sqlite(seeded_sqlite(plan.leads, folder), building.path)
    counts = fill(building, plan)
    part = path.with_suffix(f".{uuid.uuid4().hex[:8]}.part")
    copy_sqlite(building.path, part)
    building.drop()
    part.replace(path)
    counts_path.write_text(json.dumps(counts))
    return path, counts


def lead_ids_at(url: str, stage: str) -> list[int]:
    from leadflow.leads.models import Lead

    engine = db.make_engine(url)
    try:
        with engine.connect() as conn:
            return list(conn.scalars(select(Lead.id).where(Lead.stage == stage).order_by(Lead.id)))
    finally:
        engine.dispose()
