"""Analytics settings as marketing and admins set them: the reporting currency, exchange rates, ROI norms (a
percentage in, a ratio stored), the default norm, the stop rule and revenue targets. Each list is saved under a
lock of its own (two admins saving at once serialize: no row lost, none doubled); new rates or a new reporting
currency queue a rebuild of every lead's facts (`analytics.rebuild`, a chunk at a time by the worker)."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from leadflow import clock, db, events, outbox
from leadflow.analytics.facts import settings_row
from leadflow.analytics.models import AnalyticsSettings, ExchangeRate, RevenueTarget, RoiNorm
from leadflow.errors import FieldError, Invalid, NotFound
from leadflow.people import queries as people_queries

DIMENSIONS = ("source", "medium", "channel", "campaign")
CURRENCY = re.compile(r"^[A-Z]{3}$")
MAX_RATE = Decimal("1e10")
MAX_PERCENT = Decimal("1000000")
MAX_AMOUNT = Decimal("1e16")
MAX_ITEMS = 500


# -- reading -------------------------------------------------------------------------------------------------------

def percent(ratio: Decimal | None) -> str | None:
    """A stored ratio as the percentage people type: 1.5 -> "150"."""
    if ratio is None:
        return None
    value = (Decimal(ratio) * 100).quantize(Decimal("0.01")).normalize()
    return format(value, "f")


def current(*, session: Session) -> dict:
    """The settings as the API and the page show them (reads only: the row is made by the migrations)."""
    row = session.get(AnalyticsSettings, 1)
    return {"reporting_currency": row.reporting_currency if row else "EUR",
            "roi_norm": percent(row.roi_norm) if row else None,
            "stop_after_leads": row.stop_after_leads if row else 1000,
            "stop_after_months": row.stop_after_months if row else 6}


def rates(*, session: Session) -> list[dict]:
    return [{"currency": r.currency, "valid_from": r.valid_from.isoformat(), "rate": _plain(r.rate)}
            for r in session.scalars(select(ExchangeRate).order_by(ExchangeRate.currency, ExchangeRate.valid_from))]


def norms(*, session: Session) -> list[dict]:
    return [{"dimension": n.dimension, "value": n.value, "min_roi": percent(n.min_roi)}
            for n in session.scalars(select(RoiNorm).order_by(RoiNorm.dimension, RoiNorm.value_key))]


def targets(*, session: Session) -> list[dict]:
    rows = list(session.scalars(select(RevenueTarget).order_by(RevenueTarget.month, RevenueTarget.team_key)))
    names = people_queries.team_names({r.team_id for r in rows if r.team_id is not None}, session=session)
    return [{"month": r.month.isoformat()[:7], "team": r.team_id, "team_name": names.get(r.team_id),
             "amount": str(Decimal(r.amount).quantize(Decimal("0.01")))} for r in rows]


def _plain(value: Decimal) -> str:
    return format(Decimal(value).normalize(), "f")


# -- parsing -------------------------------------------------------------------------------------------------------

def _decimal(errors: list, name: str, value, *, places: int, low: Decimal | None = None,
             high: Decimal | None = None, above: Decimal | None = None) -> Decimal | None:
    text = str(value).strip().replace(" ", "").replace("%", "") if value is not None else ""
    if not text or isinstance(value, bool):
        errors.append(FieldError(name, "a number is needed"))
        return None
    try:
        number = Decimal(text)
    except InvalidOperation:
        errors.append(FieldError(name, f"{text[:40]!r} is not a number (a point for decimals: 0.92)"))
        return None
    if not number.is_finite():
        errors.append(FieldError(name, "a finite number is needed"))
        return None
    if -number.as_tuple().exponent > places:
        errors.append(FieldError(name, f"at most {places} decimals"))
        return None
    if above is not None and number <= above:
        errors.append(FieldError(name, f"must be more than {above}"))
        return None
    if low is not None and number < low:
        errors.append(FieldError(name, f"must be at least {low}"))
        return None
    if high is not None and number >= high:
        errors.append(FieldError(name, f"must be below {high:,}"))
        return None
    return number


def _currency(errors: list, name: str, value) -> str | None:
    text = str(value or "").strip().upper()
    if not CURRENCY.match(text):
        errors.append(FieldError(name, "an ISO 4217 currency code: three letters (EUR, USD, GBP)"))
        return None
    return text


def _day(errors: list, name: str, value) -> date | None:
    text = str(value or "").strip()
    try:
        if len(text) == 10:
            return date.fromisoformat(text)
    except ValueError:
        pass
    errors.append(FieldError(name, "a day as YYYY-MM-DD"))
    return None


def _month(errors: list, name: str, value) -> date | None:
    text = str(value or "").strip()
    try:
        if len(text) == 7:
            return date.fromisoformat(text + "-01")
        day = date.fromisoformat(text) if len(text) == 10 else None
        if day is not None and day.day == 1:
            return day
    except ValueError:
        pass
    errors.append(FieldError(name, "a month as YYYY-MM"))
    return None


def _items(payload, name: str) -> list:
    items = payload.get(name) if isinstance(payload, dict) else payload
    if not isinstance(items, list):
        raise Invalid.one(name, "a list is needed")
    if len(items) > MAX_ITEMS:
        raise Invalid.one(name, f"at most {MAX_ITEMS} at once")
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            raise Invalid.one(f"{name}[{i}]", "an object is needed")
    return items


def _rebuild(*, session: Session) -> None:
    """Every lead's facts again, under the new rates (the worker walks them a chunk at a time)."""
    moment = clock.now()
    outbox.publish_once(session, events.ANALYTICS_REBUILD, {"after": 0},
                        key=f"{events.ANALYTICS_REBUILD}:settings:{moment.isoformat()}")


# -- the settings --------------------------------------------------------------------------------------------------

def parse_rates(payload, reporting: str, name: str = "rates") -> list[tuple[str, date, Decimal]]:
    errors: list[FieldError] = []
    found: dict[tuple[str, date], int] = {}
    out = []
    for i, item in enumerate(_items(payload, name)):
        where = f"{name}[{i}]"
        currency = _currency(errors, f"{where}.currency", item.get("currency"))
        day = _day(errors, f"{where}.valid_from", item.get("valid_from"))
        rate = _decimal(errors, f"{where}.rate", item.get("rate"), places=8, above=Decimal("0"), high=MAX_RATE)
        if currency and currency == reporting:
            errors.append(FieldError(f"{where}.currency", f"{currency} is the reporting currency (its rate is 1)"))
            continue
        if currency and day:
            if (currency, day) in found:
                errors.append(FieldError(f"{where}.valid_from",
                                         f"{currency} from {day} comes twice (also {name}[{found[(currency, day)]}])"))
                continue
            found[(currency, day)] = i
        if currency and day and rate is not None:
            out.append((currency, day, rate))
    if errors:
        raise Invalid(errors)
    return out


def update(payload: dict, *, session: Session) -> dict:
    """Change any of reporting_currency, roi_norm (a percentage, or null for none), stop_after_leads and
    stop_after_months. A new reporting currency replaces every exchange rate: `rates` must give one into it for
    each other currency that had one, and the old reporting currency."""
    if not isinstance(payload, dict):
        raise Invalid.one("body", "an object is needed")
    unknown = set(payload) - {"reporting_currency", "roi_norm", "stop_after_leads", "stop_after_months", "rates"}
    if unknown:
        raise Invalid([FieldError(k[:60], "not a setting") for k in sorted(unknown)])
    db.lock_keys(["analytics:settings", "analytics:rates"], session=session)
    row = settings_row(session=session)
    errors: list[FieldError] = []
    changes: dict = {}
    if "reporting_currency" in payload:
        changes["reporting_currency"] = _currency(errors, "reporting_currency", payload["reporting_currency"])
    if "roi_norm" in payload:
        value = payload["roi_norm"]
        if value is None or str(value).strip() == "":
            changes["roi_norm"] = None
        else:
            pct = _decimal(errors, "roi_norm", value, places=2, low=Decimal("-100"), high=MAX_PERCENT)
            changes["roi_norm"] = None if pct is None else pct / 100
    for name, low, high in (("stop_after_leads", 1, 10_000_000), ("stop_after_months", 1, 121)):
        if name in payload:
            value = payload[name]
            text = str(value).strip()
            if isinstance(value, bool) or not text.isdecimal() or not low <= int(text) < high:
                errors.append(FieldError(name, f"a whole number from {low} to {high - 1}"))
            else:
                changes[name] = int(text)
    if errors:
        raise Invalid(errors)
    new_currency = changes.get("reporting_currency")
    rebuild = False
    if new_currency and new_currency != row.reporting_currency:
        given = parse_rates(payload.get("rates") or [], new_currency)
        needed = {c for c in session.scalars(select(ExchangeRate.currency).distinct())} | {row.reporting_currency}
        needed.discard(new_currency)
        missing = sorted(needed - {c for c, _, _ in given})
        if missing:
            raise Invalid.one("rates", f"changing the reporting currency to {new_currency} needs a rate into it for "
                                       f"{', '.join(missing)} (every rate is replaced)")
        session.execute(delete(ExchangeRate))
        session.flush()
        for currency, day, rate in given:
            session.add(ExchangeRate(currency=currency, valid_from=day, rate=rate))
        rebuild = True
    elif payload.get("rates"):
        raise Invalid.one("rates", "rates come with a new reporting currency only (else PUT /api/v1/analytics/rates)")
    for name, value in changes.items():
        setattr(row, name, value)
    row.updated_at = clock.now()
    session.flush()
    if rebuild:
        _rebuild(session=session)
    return current(session=session)


# -- exchange rates ------------------------------------------------------------------------------------------------

def put_rates(payload, *, session: Session) -> list[dict]:
    """Add or replace each rate (one per currency and valid-from day); the facts are rebuilt."""
    db.lock_keys(["analytics:rates"], session=session)
    given = parse_rates(payload, settings_row(session=session).reporting_currency)
    for currency, day, rate in given:
        row = session.scalar(select(ExchangeRate).where(ExchangeRate.currency == currency,
                                                       ExchangeRate.valid_from == day))
        if row is None:
            session.add(ExchangeRate(currency=currency, valid_from=day, rate=rate))
        else:
            row.rate = rate
    session.flush()
    if given:
        _rebuild(session=session)
    return rates(session=session)


def delete_rate(currency: str, valid_from: str, *, session: Session) -> None:
    errors: list[FieldError] = []
    code = _currency(errors, "currency", currency)
    day = _day(errors, "valid_from", valid_from)
    if errors:
        raise Invalid(errors)
    db.lock_keys(["analytics:rates"], session=session)
    gone = session.execute(delete(ExchangeRate).where(ExchangeRate.currency == code,
                                                      ExchangeRate.valid_from == day)).rowcount
    if not gone:
        raise NotFound("exchange rate", f"{code} from {day}")
    _rebuild(session=session)


# -- ROI norms -----------------------------------------------------------------------------------------------------

def _norm_value(errors: list, name: str, dimension: str | None, value) -> str | None:
    text = " ".join(str(value or "").split())
    if not text:
        errors.append(FieldError(name, "the source, medium, channel or campaign the norm is for"))
        return None
    if len(text) > 200:
        errors.append(FieldError(name, "at most 200 characters"))
        return None
    if dimension == "campaign" and (not text.isdecimal() or len(text) > 18):
        errors.append(FieldError(name, "a campaign's id (a whole number)"))
        return None
    return text


def _dimension(errors: list, name: str, value) -> str | None:
    text = str(value or "").strip().lower()
    if text not in DIMENSIONS:
        errors.append(FieldError(name, f"one of {', '.join(DIMENSIONS)}"))
        return None
    return text


def put_norms(payload, *, session: Session) -> list[dict]:
    """Add or replace each norm: {dimension, value, min_roi} with min_roi a percentage ("150" is 150 %)."""
    errors: list[FieldError] = []
    found: dict[tuple[str, str], int] = {}
    given = []
    for i, item in enumerate(_items(payload, "norms")):
        where = f"norms[{i}]"
        dimension = _dimension(errors, f"{where}.dimension", item.get("dimension"))
        value = _norm_value(errors, f"{where}.value", dimension, item.get("value"))
        pct = _decimal(errors, f"{where}.min_roi", item.get("min_roi"), places=2, low=Decimal("-100"),
                       high=MAX_PERCENT)
        if dimension and value:
            key = (dimension, value.casefold())
            if key in found:
                errors.append(FieldError(f"{where}.value", f"{dimension} {value!r} comes twice (also "
                                                           f"norms[{found[key]}])"))
                continue
            found[key] = i
        if dimension and value and pct is not None:
            given.append((dimension, value, pct / 100))
    if errors:
        raise Invalid(errors)
    db.lock_keys(["analytics:norms"], session=session)
    for dimension, value, ratio in given:
        row = session.scalar(select(RoiNorm).where(RoiNorm.dimension == dimension,
                                                   RoiNorm.value_key == value.casefold()))
        if row is None:
            session.add(RoiNorm(dimension=dimension, value=value, value_key=value.casefold(), min_roi=ratio))
        else:
            row.value, row.min_roi = value, ratio
    session.flush()
    return norms(session=session)


def delete_norm(dimension: str, value: str, *, session: Session) -> None:
    errors: list[FieldError] = []
    dim = _dimension(errors, "dimension", dimension)
    text = _norm_value(errors, "value", dim, value)
    if errors:
        raise Invalid(errors)
    db.lock_keys(["analytics:norms"], session=session)
    gone = session.execute(delete(RoiNorm).where(RoiNorm.dimension == dim,
                                                 RoiNorm.value_key == text.casefold())).rowcount
    if not gone:
        raise NotFound("ROI norm", f"{dim} {text}")


# -- revenue targets -----------------------------------------------------------------------------------------------

def _team(errors: list, name: str, value, *, session: Session) -> int | None:
    if value in (None, "", 0, "0"):
        return None
    text = str(value).strip()
    if isinstance(value, bool) or not text.isdecimal() or len(text) > 18:
        errors.append(FieldError(name, "a team's id (a whole number), or none for the whole company"))
        return None
    if not people_queries.team_names([int(text)], session=session):
        errors.append(FieldError(name, f"no team {text}"))
        return None
    return int(text)


def put_targets(payload, *, session: Session) -> list[dict]:
    """Add or replace each target: {month: YYYY-MM, team: id or null (the whole company), amount} in the reporting
    currency."""
    errors: list[FieldError] = []
    found: dict[tuple[date, int], int] = {}
    given = []
    for i, item in enumerate(_items(payload, "targets")):
        where = f"targets[{i}]"
        month = _month(errors, f"{where}.month", item.get("month"))
        team = _team(errors, f"{where}.team", item.get("team"), session=session)
        amount = _decimal(errors, f"{where}.amount", item.get("amount"), places=2, low=Decimal("0"),
                          high=MAX_AMOUNT)
        if month and not any(e.field == f"{where}.team" for e in errors):
            key = (month, team or 0)
            if key in found:
                errors.append(FieldError(f"{where}.month", f"{month.isoformat()[:7]} comes twice for this team "
                                                           f"(also targets[{found[key]}])"))
                continue
            found[key] = i
            if amount is not None:
                given.append((month, team, amount))
    if errors:
        raise Invalid(errors)
    db.lock_keys(["analytics:targets"], session=session)
    moment = clock.now()
    for month, team, amount in given:
        row = session.scalar(select(RevenueTarget).where(RevenueTarget.month == month,
                                                         RevenueTarget.team_key == (team or 0)))
        if row is None:
            session.add(RevenueTarget(month=month, team_id=team, team_key=team or 0, amount=amount,
                                      updated_at=moment))
        else:
            row.amount, row.updated_at = amount, moment
    session.flush()
    return targets(session=session)


def delete_target(month: str, team: str | None, *, session: Session) -> None:
    errors: list[FieldError] = []
    first = _month(errors, "month", month)
    team_key = 0
    if team not in (None, "", "0"):
        if not str(team).isdecimal() or len(str(team)) > 18:
            errors.append(FieldError("team", "a team's id (a whole number)"))
        else:
            team_key = int(team)
    if errors:
        raise Invalid(errors)
    db.lock_keys(["analytics:targets"], session=session)
    gone = session.execute(delete(RevenueTarget).where(RevenueTarget.month == first,
                                                       RevenueTarget.team_key == team_key)).rowcount
    if not gone:
        raise NotFound("revenue target", f"{first.isoformat()[:7]} team {team_key or 'none'}")
