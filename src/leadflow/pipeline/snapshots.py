"""The forecast remembered: a daily snapshot of the weighted pipeline per close month (this month and the next
twelve), owner and currency, taken in one grouped query and written once per day (a unique key and an upsert,
whoever takes it); and the forecast's accuracy on past months, read from the snapshots and the won opportunities."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import and_, case, delete, extract, func, or_, select
from sqlalchemy.orm import Session

from leadflow import clock, db, events, outbox
from leadflow.errors import FieldError, Invalid
from leadflow.people.service import Actor
from leadflow.pipeline import accuracy, queries
from leadflow.pipeline.models import ForecastSnapshot, ForecastSnapshotDay, Opportunity, OpportunityStage

CENT = Decimal("0.01")
SNAPSHOT_HOUR = 0  # the daily snapshot is booked at midnight UTC, a few minutes past
SNAPSHOT_MINUTE = 5


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


@dataclass(frozen=True)
class Taken:
    day: date
    rows: int
    months: tuple[str, str]  # the first and last close month covered


def _figures(day: date, *, session: Session) -> dict[tuple, dict]:
    """One grouped query over every opportunity: open ones expected to close from `day`'s month to twelve months
    on (value, count, and value per effective probability), won ones closed in those months by the end of `day`.
    Keyed (close month, owner id, currency)."""
    months = accuracy.covered_months(day)
    first, end = accuracy.month_start(months[0]), accuracy.month_start(accuracy.add_months(months[-1], 1))
    is_open = Opportunity.status == "open"
    inner = (select(
        case((is_open, extract("year", Opportunity.expected_close)),
             else_=extract("year", Opportunity.closed_at)).label("year"),
        case((is_open, extract("month", Opportunity.expected_close)),
             else_=extract("month", Opportunity.closed_at)).label("month"),
        Opportunity.owner_id.label("owner_id"), Opportunity.currency.label("currency"),
        Opportunity.status.label("status"),
        case((is_open, func.coalesce(Opportunity.probability, OpportunityStage.probability, 0)),
             else_=100).label("probability"),
        Opportunity.value.label("value"))
        .select_from(Opportunity)
        .outerjoin(OpportunityStage, OpportunityStage.key == Opportunity.stage)
        .where(or_(and_(is_open, Opportunity.expected_close >= first, Opportunity.expected_close < end),
                   and_(Opportunity.status == "won", Opportunity.closed_at >= _midnight(first),
                        Opportunity.closed_at < min(_midnight(end), _midnight(day + timedelta(days=1))))))
        .subquery())
    query = (select(inner.c.year, inner.c.month, inner.c.owner_id, inner.c.currency, inner.c.status,
                    inner.c.probability, func.count(), func.sum(inner.c.value))
             .group_by(inner.c.year, inner.c.month, inner.c.owner_id, inner.c.currency, inner.c.status,
                       inner.c.probability))
    found: dict[tuple, dict] = {}
    for year, month, owner_id, currency, status, probability, count, value in session.execute(query):
        key = (f"{int(year):04d}-{int(month):02d}", owner_id, currency)
        cell = found.setdefault(key, {"weighted": Decimal("0.00"), "open_value": Decimal("0.00"), "open_count": 0,
                                      "won_value": Decimal("0.00")})
        value = Decimal(value or 0).quantize(CENT)
        if status == "open":
            cell["open_count"] += count
            cell["open_value"] += value
            # The value per probability times that probability, rounded once to the cent (as the board's totals).
            cell["weighted"] += (value * Decimal(int(probability)) / 100).quantize(CENT, rounding=ROUND_HALF_UP)
        else:
            cell["won_value"] += value
    return found


def take(*, session: Session, on: date | None = None) -> Taken:
    """Snapshot the weighted pipeline as it is now, dated `on` (default today, UTC). Taking the same day again
    replaces that day's rows; two takes at once leave one row per key (serialized per day, and an upsert)."""
    moment = clock.now()
    day = on or moment.date()
    if day > moment.date():
        raise Invalid.one("on", "a snapshot cannot be dated after today")
    db.lock_keys([f"forecast_snapshot:{day.isoformat()}"], session=session)
    figures = _figures(day, session=session)
    rows = [{"taken_on": day, "close_month": month, "owner_id": owner_id, "owner_key": owner_id or 0,
             "currency": currency, "taken_at": moment, **cell}
            for (month, owner_id, currency), cell in sorted(figures.items(), key=lambda i: (i[0][0], i[0][1] or 0,
                                                                                             i[0][2]))]
    table = ForecastSnapshot.__table__
    if rows:
        insert = _insert(session)
        statement = insert(table)
        session.execute(statement.on_conflict_do_update(
            index_elements=["taken_on", "close_month", "owner_key", "currency"],
            set_={c: statement.excluded[c] for c in ("owner_id", "weighted", "open_value", "open_count", "won_value",
                                                     "taken_at")}), rows)
    keep = {(r["close_month"], r["owner_key"], r["currency"]) for r in rows}
    stale = [i for i, *key in session.execute(
        select(ForecastSnapshot.id, ForecastSnapshot.close_month, ForecastSnapshot.owner_key,
               ForecastSnapshot.currency).where(ForecastSnapshot.taken_on == day)) if tuple(key) not in keep]
    if stale:
        session.execute(delete(ForecastSnapshot).where(ForecastSnapshot.id.in_(stale)))
    insert = _insert(session)
    statement = insert(ForecastSnapshotDay.__table__).values(taken_on=day, taken_at=moment, rows=len(rows))
    session.execute(statement.on_conflict_do_update(
        index_elements=["taken_on"], set_={"taken_at": statement.excluded.taken_at,
                                           "rows": statement.excluded.rows}))
    session.flush()
    months = accuracy.covered_months(day)
    return Taken(day, len(rows), (months[0], months[-1]))


def _insert(session: Session):
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert


def record(rows: list[dict], *, session: Session) -> None:
    """Write snapshots made elsewhere (the demo's past months): each row as `take` writes it, and its day."""
    by_day: dict[date, int] = {}
    for row in rows:
        row.setdefault("owner_key", row.get("owner_id") or 0)
        by_day[row["taken_on"]] = by_day.get(row["taken_on"], 0) + 1
    if rows:
        db.insert_ignore_many(session, ForecastSnapshot.__table__, rows,
                              ["taken_on", "close_month", "owner_key", "currency"])
    moment = clock.now()
    db.insert_ignore_many(session, ForecastSnapshotDay.__table__,
                          [{"taken_on": d, "taken_at": min(moment, _midnight(d) + timedelta(minutes=5)), "rows": n}
                           for d, n in sorted(by_day.items())], ["taken_on"])


# --- the daily job --------------------------------------------------------------------------------------------------

def schedule(*, session: Session, day: date, at: datetime | None = None) -> bool:
    """Book the snapshot of `day` (at a few minutes past its midnight, or `at`): once per day whoever books it
    (the outbox key)."""
    when = at or _midnight(day) + timedelta(hours=SNAPSHOT_HOUR, minutes=SNAPSHOT_MINUTE)
    return outbox.publish_once(session, events.PIPELINE_SNAPSHOT, {"day": day.isoformat()},
                               key=f"{events.PIPELINE_SNAPSHOT}:{day.isoformat()}", available_at=when)


def taken_on(day: date, *, session: Session) -> bool:
    return session.get(ForecastSnapshotDay, day) is not None


# --- accuracy -------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Report:
    accuracy: accuracy.Accuracy
    months: list[str]
    lead_days: int
    group: str | None
    owners: dict[int, str]  # owner id -> name, when grouped by owner

    def label(self, group: object) -> str:
        if self.group != "owner":
            return "All"
        return (self.owners.get(group) or "A former user") if group else "Nobody"


def check(*, months: object, lead_days: object) -> None:
    problems = [(name, problem) for name, problem in (("months", accuracy.check_months(months)),
                                                      ("lead_days", accuracy.check_lead_days(lead_days))) if problem]
    if problems:
        raise Invalid([FieldError(name, problem) for name, problem in problems])


def report(actor: Actor, *, session: Session, months: int = 6, lead_days: int = 0, group: str | None = None,
           today: date | None = None) -> Report:
    """The accuracy of the last `months` full months as this actor sees them (their own figures, a manager their
    teams'): the forecast of each month as of the latest snapshot taken on or before its first day (less
    `lead_days`), against the value won with a close date in it, per currency (and owner, when grouped)."""
    check(months=months, lead_days=lead_days)
    if group not in (None, "owner"):
        raise Invalid.one("group", "empty or owner")
    today = today or clock.now().date()
    chosen = accuracy.past_months(today, months)
    used = _snapshot_days(chosen, lead_days, session=session)
    seen = queries.seen_owners(actor, ForecastSnapshot.owner_id)
    forecasts: dict[tuple, Decimal] = {}
    pairs = [(m, d) for m, d in used.items() if d is not None]
    if pairs:
        query = (select(ForecastSnapshot.close_month, ForecastSnapshot.taken_on, ForecastSnapshot.owner_id,
                        ForecastSnapshot.currency,
                        func.sum(ForecastSnapshot.weighted + ForecastSnapshot.won_value))
                 .where(or_(*(and_(ForecastSnapshot.close_month == m, ForecastSnapshot.taken_on == d)
                              for m, d in pairs)))
                 .group_by(ForecastSnapshot.close_month, ForecastSnapshot.taken_on, ForecastSnapshot.owner_id,
                           ForecastSnapshot.currency))
        if seen is not None:
            query = query.where(seen)
        for month, _, owner_id, currency, amount in session.execute(query):
            key = (month, owner_id if group == "owner" else None, currency)
            forecasts[key] = forecasts.get(key, Decimal("0")) + Decimal(amount or 0)
    actuals = _won(chosen, actor, group, session=session)
    owners: dict[int, str] = {}
    if group == "owner":
        from leadflow.leads import queries as leads_queries

        ids = {k[1] for k in (*forecasts, *actuals) if k[1]}
        owners = {i: (u.name or u.email) for i, u in leads_queries.users_by_id(ids, session=session).items()}
    return Report(accuracy.measure(chosen, used, forecasts, actuals), chosen, lead_days, group, owners)


def _snapshot_days(months: list[str], lead_days: int, *, session: Session) -> dict[str, date | None]:
    """Each month's snapshot day: the latest taken on or before its cutoff that covered it (taken at most twelve
    months before the month)."""
    if not months:
        return {}
    earliest = accuracy.month_start(accuracy.add_months(months[0], -accuracy.HORIZON_MONTHS))
    latest = accuracy.cutoff(months[-1], lead_days)
    days = list(session.scalars(select(ForecastSnapshotDay.taken_on).where(
        ForecastSnapshotDay.taken_on >= earliest, ForecastSnapshotDay.taken_on <= latest)
        .order_by(ForecastSnapshotDay.taken_on)))
    found: dict[str, date | None] = {}
    for month in months:
        limit = accuracy.cutoff(month, lead_days)
        candidates = [d for d in days if d <= limit and month in accuracy.covered_months(d)]
        found[month] = candidates[-1] if candidates else None
    return found


def _won(months: list[str], actor: Actor, group: str | None, *, session: Session) -> dict[tuple, Decimal]:
    """The value won with a close date in each month, per owner and currency (owners as the actor sees them)."""
    first = _midnight(accuracy.month_start(months[0]))
    end = _midnight(accuracy.month_start(accuracy.add_months(months[-1], 1)))
    year, month = extract("year", Opportunity.closed_at), extract("month", Opportunity.closed_at)
    inner = (select(year.label("year"), month.label("month"), Opportunity.owner_id.label("owner_id"),
                    Opportunity.currency.label("currency"), Opportunity.value.label("value"))
             .where(Opportunity.status == "won", Opportunity.closed_at >= first, Opportunity.closed_at < end))
    seen = queries.seen_owners(actor, Opportunity.owner_id)
    if seen is not None:
        inner = inner.where(seen)
    inner = inner.subquery()
    query = (select(inner.c.year, inner.c.month, inner.c.owner_id, inner.c.currency, func.sum(inner.c.value))
             .group_by(inner.c.year, inner.c.month, inner.c.owner_id, inner.c.currency))
    found: dict[tuple, Decimal] = {}
    for y, m, owner_id, currency, value in session.execute(query):
        key = (f"{int(y):04d}-{int(m):02d}", owner_id if group == "owner" else None, currency)
        found[key] = found.get(key, Decimal("0")) + Decimal(value or 0)
    return found


ACCURACY_COLUMNS = ("month", "owner", "currency", "snapshot_on", "forecast", "actual", "difference", "error_percent",
                    "note")


def csv_rows(found: Report) -> list[dict]:
    rows = []
    for month in found.accuracy.months:
        if not month.lines:
            rows.append({"month": month.month, "owner": "", "currency": "", "snapshot_on": _day(month.snapshot_on),
                         "forecast": "", "actual": "", "difference": "", "error_percent": "",
                         "note": month.note or ""})
        for x in month.lines:
            rows.append({"month": x.month, "owner": found.label(x.group) if found.group else "",
                         "currency": x.currency, "snapshot_on": _day(month.snapshot_on),
                         "forecast": _money(x.forecast), "actual": _money(x.actual),
                         "difference": _money(x.difference), "error_percent": "" if x.error is None else str(x.error),
                         "note": month.note or ""})
    return rows


def _day(day: date | None) -> str:
    return day.isoformat() if day else ""


def _money(value: Decimal | None) -> str:
    return "" if value is None else f"{value:.2f}"
