"""ROI alerts: per source and per campaign, over the stop rule's last months, what falls below its ROI norm
(`below_norm`) and what spent on many leads without one customer (`no_customers`: "1,000 leads and not one
customer in six months: stop it"). Each alert is raised once per thing, kind and ISO week (its key), as a
notification (the bell, and email by each person's choice) to everyone who holds analytics:digest and sees every
lead, with a link to the marketing dashboard narrowed to it. Run daily by the worker (`analytics.check`)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from urllib.parse import urlencode

from sqlalchemy.orm import Session

from leadflow import clock, db, events, outbox
from leadflow.analytics import queries
from leadflow.analytics.facts import settings_row
from leadflow.analytics.models import RoiAlert
from leadflow.people import notifications
from leadflow.people import queries as people_queries
from leadflow.people.service import SYSTEM

DIMENSIONS = ("source", "campaign")
PERMISSION = "analytics:digest"


@dataclass(frozen=True)
class Finding:
    kind: str  # below_norm, no_customers
    dimension: str
    value: str  # the source, or the campaign's id
    label: str
    leads: int
    customers: int
    revenue: Decimal
    cost: Decimal | None
    roi: Decimal | None
    norm: Decimal | None

    @property
    def link(self) -> str:
        return "/dashboards/marketing?" + urlencode({"group": self.dimension, self.dimension: self.value})

    def sentence(self, currency: str, months: int) -> str:
        spent = "" if self.cost is None else f"{self.cost:,.2f} {currency} spent, "
        if self.kind == "no_customers":
            return (f"{self.dimension.capitalize()} {self.label}: {self.leads:,} leads and not one customer in "
                    f"{months} months ({spent}no revenue): stop it or change it.")
        roi = "–" if self.roi is None else f"{(self.roi * 100).quantize(Decimal('0.1'))} %"
        norm = "–" if self.norm is None else f"{(self.norm * 100).quantize(Decimal('0.1'))} %"
        return (f"{self.dimension.capitalize()} {self.label}: ROI {roi} against a norm of {norm} over {months} months "
                f"({spent}{self.revenue:,.2f} {currency} revenue, {self.leads:,} leads, {self.customers:,} "
                "customers).")


def months_before(moment: datetime, months: int) -> datetime:
    """The same moment `months` calendar months earlier (the last day of a shorter month)."""
    index = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(index, 12)
    month += 1
    last = (date(year + month // 12, month % 12 + 1, 1) - date(year, month, 1)).days
    return moment.replace(year=year, month=month, day=min(moment.day, last))


def window(moment: datetime, months: int) -> queries.Filters:
    return queries.Filters(start=months_before(moment, months), end=moment)


def findings(report: queries.Report, *, stop_after_leads: int) -> list[Finding]:
    """What a report's rows say: below their norm, or the stop rule's leads without one customer."""
    found = []
    for row in report.rows:
        if row.key is None:
            continue
        f, d = row.figures, row.derived
        common = dict(dimension=report.group, value=str(row.key), label=row.label, leads=f.leads,
                      customers=f.customers, revenue=f.revenue, cost=f.cost, roi=d.roi if d else None, norm=row.norm)
        if row.no_customers and f.leads >= stop_after_leads:
            found.append(Finding(kind="no_customers", **common))
        elif row.below_norm:
            found.append(Finding(kind="below_norm", **common))
    return found


def iso_week(moment: datetime) -> str:
    year, week, _ = moment.isocalendar()
    return f"{year}-W{week:02d}"


@dataclass(frozen=True)
class Checked:
    findings: list[Finding]
    raised: list[Finding]
    notified: int


def check(*, session: Session, moment: datetime | None = None) -> Checked:
    """Look at every source and campaign now; raise what was not raised this week; notify for those."""
    moment = moment or clock.now()
    settings = settings_row(session=session)
    f = window(moment, settings.stop_after_months)
    found: list[Finding] = []
    currency = settings.reporting_currency
    for dimension in DIMENSIONS:
        report = queries.economics(SYSTEM, f, session=session, group=dimension)
        currency = report.currency
        found.extend(findings(report, stop_after_leads=settings.stop_after_leads))
    week = iso_week(moment)
    raised: list[tuple[Finding, str]] = []
    bind = session.get_bind()
    for item in found:
        thing = hashlib.sha256(item.value.casefold().encode()).hexdigest()[:24]  # any length of value: one key
        key = f"{item.kind}:{item.dimension}:{thing}:{week}"
        details = {"label": item.label, "leads": item.leads, "customers": item.customers,
                   "revenue": str(item.revenue), "cost": None if item.cost is None else str(item.cost),
                   "roi": None if item.roi is None else str(item.roi),
                   "norm": None if item.norm is None else str(item.norm), "week": week,
                   "months": settings.stop_after_months, "currency": currency}
        added = session.execute(db.insert_ignore(bind, RoiAlert, {
            "key": key, "kind": item.kind, "dimension": item.dimension, "value": item.value[:200],
            "details": details, "raised_at": moment}, ["key"]).returning(RoiAlert.id)).first()
        if added is not None:
            raised.append((item, key))
    notified = 0
    if raised:
        people = people_queries.users_holding(PERMISSION, session=session, sees_all=True)
        notices = []
        for item, key in raised:
            title = (f"Stop it? {item.label}: {item.leads:,} leads, no customer" if item.kind == "no_customers"
                     else f"Below the ROI norm: {item.label}")
            body = item.sentence(currency, settings.stop_after_months)
            for person in people:
                notices.append(notifications.Notice(
                    user_id=person.id, kind=f"analytics_{item.kind}", title=title, body=body, link=item.link,
                    key=f"analytics:{key}:{person.id}"))
        notified = notifications.notify_many(notices, session=session)
    session.flush()
    return Checked(findings=found, raised=[item for item, _ in raised], notified=notified)


def slot_after(moment: datetime, *, hour: int, weekday: int | None = None) -> datetime:
    """The first `hour`:00 UTC strictly after `moment` (on `weekday`, 0 Monday, when given)."""
    day = moment.astimezone(UTC).date()
    candidate = datetime(day.year, day.month, day.day, hour, tzinfo=UTC)
    while candidate <= moment or (weekday is not None and candidate.weekday() != weekday):
        candidate = datetime.fromordinal(candidate.toordinal() + 1).replace(hour=hour, tzinfo=UTC)
    return candidate


CHECK_HOUR = 7  # daily, 07:00 UTC


def schedule(*, session: Session, moment: datetime | None = None) -> bool:
    """Book the check at the first 07:00 UTC after `moment` (once per day whoever books it: the outbox key)."""
    at = slot_after(moment or clock.now(), hour=CHECK_HOUR)
    return outbox.publish_once(session, events.ANALYTICS_CHECK, {"at": at.isoformat()},
                               key=f"{events.ANALYTICS_CHECK}:{at.date().isoformat()}", available_at=at)
