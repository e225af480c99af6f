"""Benchmark data: a lead database of a given size (bulk-inserted, cached for SQLite) and an import file to match.

Person i is a pure function of i, so the import file can name leads the database already holds.
"""

from __future__ import annotations

import csv
import hashlib
import json
import random
import unicodedata
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path

from sqlalchemy import create_engine
from sqlalchemy.dialects import sqlite as sqlite_dialect

from leadflow import db
from leadflow.leads.domain import name_key
from leadflow.leads.models import Lead

from bench.databases import BenchDatabase, copy_sqlite

CACHE = Path(__file__).resolve().parent / ".cache"
SEED_VERSION = "1"
CSV_COLUMNS = ("first_name", "last_name", "email", "phone", "company", "job_title", "city", "country")
CHUNK = 50_000


@lru_cache
def pools() -> dict[str, list[str]]:
    from faker import Faker

    fake = Faker(["nl_NL", "de_DE", "en_GB", "fr_FR", "pl_PL"])
    fake.seed_instance(2026)
    return {
        "first": [fake.first_name() for _ in range(600)],
        "last": [fake.last_name() for _ in range(1_500)],
        "company": [fake.company() for _ in range(3_000)],
        "city": [fake.city() for _ in range(400)],
        "title": [fake.job() for _ in range(300)],
        "country": ["NL", "DE", "GB", "FR", "PL", "BE", "AT", "CH"],
    }


def _ascii(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(c for c in folded.lower() if c.isalnum())


def person(i: int) -> dict[str, str]:
    """Lead number i: unique email and mobile, names and companies from the pools."""
    p = pools()
    first = p["first"][(i * 7) % len(p["first"])]
    last = p["last"][(i * 13 + i // 600) % len(p["last"])]
    company = p["company"][(i * 31) % len(p["company"])]
    domain = _ascii(company)[:20] or "mail"
    return {
        "first_name": first, "last_name": last, "email": f"{_ascii(first)}.{_ascii(last)}.{i}@{domain}.example",
        "phone": f"+3161{i:07d}", "company": company, "job_title": p["title"][(i * 17) % len(p["title"])],
        "city": p["city"][(i * 3) % len(p["city"])], "country": p["country"][i % len(p["country"])],
    }


def schema_key() -> str:
    """Changes when a migration changes, so a cached database always has today's schema."""
    digest = hashlib.sha256(SEED_VERSION.encode())
    for path in sorted((db.MIGRATIONS_DIR / "versions").glob("*.py")):
        digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()[:12]


def _constants(dialect) -> dict[str, object]:
    """Every other column of `leads` at its model default, bound as the dialect stores it."""
    values = {"stage": "new", "channel": "import", "do_not_contact": False, "custom_fields": {}, "manual_fields": [],
              "first_touch": {"channel": "import"}, "last_touch": {"channel": "import"}}
    for column in Lead.__table__.columns:
        if column.primary_key or column.name in values or column.name in _VARYING:
            continue
        if column.default is not None and column.default.is_scalar:
            values[column.name] = column.default.arg
        elif column.default is not None and column.default.is_callable:
            values[column.name] = column.default.arg(None)
    return {name: _bind(name, value, dialect) for name, value in values.items()}


_VARYING = ("first_name", "last_name", "name_key", "email", "mobile", "company", "job_title", "city", "country",
            "created_at", "updated_at")


def _bind(name: str, value, dialect):
    column = Lead.__table__.c[name]
    if dialect is None:  # PostgreSQL COPY: JSON as text, the rest as Python values
        return json.dumps(value) if isinstance(value, dict | list) else value
    processor = column.type._cached_bind_processor(dialect)
    return processor(value) if processor else value


def lead_rows(count: int, dialect) -> Iterator[tuple]:
    constants = _constants(dialect)
    start = datetime(2023, 1, 1, tzinfo=UTC)
    moments = [_bind("created_at", start + timedelta(minutes=97 * k), dialect) for k in range(10_000)]
    for i in range(count):
        p = person(i)
        moment = moments[i % len(moments)]
        yield (p["first_name"], p["last_name"], name_key(p["first_name"], p["last_name"]), p["email"], p["phone"],
               p["company"], p["job_title"], p["city"], p["country"], moment, moment, *constants.values())


def seed_leads(database: BenchDatabase, count: int) -> None:
    """Bulk-insert `count` leads: SQLite with executemany in one transaction, PostgreSQL with COPY."""
    dialect = sqlite_dialect.dialect() if database.dialect == "sqlite" else None
    columns = (*_VARYING, *_constants(dialect).keys())
    engine = create_engine(db.normalize_url(database.url))
    try:
        raw = engine.raw_connection()
        try:
            cursor = raw.cursor()
            if database.dialect == "sqlite":
                sql = f"INSERT INTO leads ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
                rows = lead_rows(count, dialect)
                while chunk := [row for _, row in zip(range(CHUNK), rows, strict=False)]:
                    cursor.executemany(sql, chunk)
            else:
                with cursor.copy(f"COPY leads ({', '.join(columns)}) FROM STDIN") as copy:
                    for row in lead_rows(count, None):
                        copy.write_row(row)
            raw.commit()
            cursor.execute("ANALYZE")
            raw.commit()
        finally:
            raw.close()
    finally:
        engine.dispose()


def cached_sqlite(count: int) -> Path:
    """A migrated SQLite database holding `count` leads, built once per schema under bench/.cache/."""
    CACHE.mkdir(exist_ok=True)
    path = CACHE / f"leads-{count}-{schema_key()}.db"
    if path.exists():
        return path
    for stale in CACHE.glob(f"leads-{count}-*.db"):
        stale.unlink()
    building = BenchDatabase.sqlite(CACHE, f"building-{count}")
    building.drop()
    db.upgrade(building.url)
    seed_leads(building, count)
    copy_sqlite(building.path, path.with_suffix(".part"))
    building.drop()
    path.with_suffix(".part").replace(path)
    return path


def write_import_file(path: Path, *, rows: int, seeded: int, matching: float = 0.25, duplicates: float = 0.05,
                      bad: float = 0.01, seed: int = 7) -> dict[str, int]:
    """A trade-fair list: new people, people the database holds, repeats within the file and a few bad rows."""
    rng = random.Random(seed)
    counts = {"rows": rows, "matching": 0, "in_file_duplicates": 0, "bad": 0, "new": 0}
    written: list[int] = []
    fresh = seeded
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(CSV_COLUMNS)
        for _ in range(rows):
            draw = rng.random()
            if draw < bad:
                counts["bad"] += 1
                writer.writerow(["", "", "not-an-email", "12", "", "", "", ""])
                continue
            if draw < bad + duplicates and written:
                counts["in_file_duplicates"] += 1
                p = person(rng.choice(written))
                p["job_title"] = rng.choice(pools()["title"])
            elif draw < bad + duplicates + matching and seeded:
                counts["matching"] += 1
                p = person(rng.randrange(seeded))
                p["email"] = p["email"].upper() if rng.random() < 0.2 else p["email"]
            else:
                counts["new"] += 1
                written.append(fresh)
                p = person(fresh)
                fresh += 1
            p["phone"] = "+31 6 1" + p["phone"][5:]
            writer.writerow([p[name] for name in CSV_COLUMNS])
    return counts
