"""The demo's measurement settings: an exchange rate for the second currency its sales use, a ROI norm for every
source and a tighter one for paid search, revenue targets a little above what the demo's sales won a month; then
every lead's facts built, so the dashboards show the demo at once (the worker keeps them current from then on)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from leadflow import db
from leadflow.analytics import facts
from leadflow.analytics.models import ExchangeRate, RevenueTarget, RoiNorm
from leadflow.pipeline import sales_figures

RATES = (("SEK", Decimal("0.0870")), ("USD", Decimal("0.9200")), ("GBP", Decimal("1.1600")))


def _month(day: date, shift: int) -> date:
    index = day.year * 12 + day.month - 1 + shift
    return date(index // 12, index % 12 + 1, 1)


def configure(session: Session, moment: datetime) -> None:
    today = moment.date()
    settings = facts.settings_row(session=session)
    settings.roi_norm = settings.roi_norm if settings.roi_norm is not None else Decimal("1.0")
    for currency, rate in RATES:
        session.execute(db.insert_ignore(session.get_bind(), ExchangeRate,
                                         {"currency": currency, "valid_from": _month(today, -24), "rate": rate,
                                          "created_at": moment}, ["currency", "valid_from"]))
    session.execute(db.insert_ignore(session.get_bind(), RoiNorm,
                                     {"dimension": "source", "value": "google", "value_key": "google",
                                      "min_roi": Decimal("3.0"), "created_at": moment}, ["dimension", "value_key"]))
    won = sales_figures.won().subquery()
    monthly: dict[date, Decimal] = defaultdict(Decimal)
    for value, currency, closed_at in session.execute(select(won.c.value, won.c.currency, won.c.closed_at)):
        if closed_at is not None and currency == "EUR":
            monthly[date(closed_at.year, closed_at.month, 1)] += Decimal(value)
    average = sum(monthly.values(), Decimal("0")) / max(len(monthly), 1)
    target = (average * Decimal("1.1")).quantize(Decimal("1000")) if average else Decimal("50000")
    for shift in range(-5, 7):  # the months the demo's sales ran, and half a year ahead
        session.execute(db.insert_ignore(session.get_bind(), RevenueTarget,
                                         {"month": _month(today, shift), "team_key": 0, "amount": target,
                                          "updated_at": moment}, ["month", "team_key"]))


def measure(factory: sessionmaker[Session], moment: datetime) -> int:
    with factory() as session:
        configure(session, moment)
        session.commit()
    return facts.rebuild(factory)
