"""Tracking's speed tricks, each behind the benchmark that justifies it: the full rescore's read of every scored
event straight from the driver's cursor (no result objects per row, a server-side cursor on PostgreSQL:
bench/rescore.py), and the beacons' allowed origins cached per process for a minute (bench/events.py)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

from sqlalchemy import literal_column
from sqlalchemy.orm import Session

STREAM_BATCH = 10_000


def epoch_seconds(*, session: Session):
    """occurred_at as seconds since the epoch, computed by the database (no datetime objects per event) and equal to
    the float live scoring gets from `datetime.timestamp()`: whole microseconds divided by 10**6."""
    if session.get_bind().dialect.name == "postgresql":
        return literal_column("extract(epoch from occurred_at)::float8")
    # SQLite stores 'YYYY-MM-DD HH:MM:SS.ffffff': whole seconds, then the microseconds (strftime alone would round
    # to milliseconds, and .9995 up to the next second); anything else written by hand falls back to julianday
    return literal_column(
        "CASE WHEN length(occurred_at) = 26 AND substr(occurred_at, 20, 1) = '.' THEN "
        "(CAST(strftime('%s', substr(occurred_at, 1, 19)) AS INTEGER) * 1000000 "
        "+ CAST(substr(occurred_at, 21, 6) AS INTEGER))"
        " / 1000000.0 WHEN length(occurred_at) = 19 THEN CAST(strftime('%s', occurred_at) AS REAL) "
        "ELSE (julianday(occurred_at) - 2440587.5) * 86400.0 END")


def scored_history_by_range(low: int, high: int, property_types: list[str] | None,
                            *, session: Session) -> Iterator[tuple]:
    """`queries.scored_history` for the lead id range [low, high], the same tuples, from the raw cursor."""
    raw = session.connection().connection.dbapi_connection
    if session.get_bind().dialect.name == "postgresql":
        mark, epoch, as_text, cursor = "%s", "extract(epoch from occurred_at)::float8", "properties::text", \
            raw.cursor(name=f"leadflow_rescore_{low}")
    else:
        mark, as_text, cursor = "?", "CAST(properties AS TEXT)", raw.cursor()
        epoch = str(epoch_seconds(session=session))
    if property_types is None:
        properties, params = as_text, []
    elif property_types:
        properties = f"CASE WHEN type IN ({', '.join([mark] * len(property_types))}) THEN {as_text} END"
        params = list(property_types)
    else:
        properties, params = "NULL", []
    cursor.execute(f"SELECT lead_id, id, type, {epoch}, {properties} FROM events WHERE lead_id >= {mark} "
                   f"AND lead_id <= {mark} AND unscored IS NULL ORDER BY lead_id, occurred_at, id",
                   (*params, low, high))
    try:
        while rows := cursor.fetchmany(STREAM_BATCH):
            yield from rows
    finally:
        cursor.close()


_origins: dict[str, tuple[float, frozenset[str]]] = {}


def origins_for(key: str, read: Callable[[], frozenset[str]], *, ttl: float) -> frozenset[str]:
    """The origins that may send beacons, read at most once per `ttl` seconds per process: every /t/collect beacon
    asks (bench/events.py)."""
    cached = _origins.get(key)
    if cached and time.monotonic() - cached[0] < ttl:
        return cached[1]
    result = read()
    _origins[key] = (time.monotonic(), result)
    return result


def forget_origins() -> None:
    _origins.clear()
