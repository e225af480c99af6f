"""The weekly digest: for each person holding analytics:digest (marketing, sales managers, admins), last week's
figures against the week before, the sources that changed most and the norms missed (ROI norms, the stop rule, the
follow-up scorecard's norms), each as that person may see them; emailed once per person and week (text, HTML and
the PDF attached) by the worker's `analytics.digest` job, Mondays 06:00 UTC, for the week that ended."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import update
from sqlalchemy.orm import Session

from leadflow import clock, db, events, mail, outbox
from leadflow.analytics import alerts, digest_render, pdf, queries
from leadflow.analytics.models import AnalyticsSettings, DigestSent
from leadflow.errors import Invalid
from leadflow.followup import kpis
from leadflow.followup import scorecard as followup_scorecard
from leadflow.people import queries as people_queries
from leadflow.people.service import Actor, actor_for
from leadflow.settings import get_settings

PERMISSION = "analytics:digest"
HOUR, WEEKDAY = 6, 0  # Mondays 06:00 UTC


def monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def last_week(today: date) -> date:
    """The Monday of the last whole week before `today`."""
    return monday(today) - timedelta(days=7)


def parse_week(text: str | None, *, today: date) -> date:
    """A week named by any of its days (YYYY-MM-DD); none: the last whole week. A week not over yet is refused."""
    if text in (None, ""):
        return last_week(today)
    try:
        day = date.fromisoformat(str(text).strip()[:10]) if len(str(text).strip()) == 10 else None
    except ValueError:
        day = None
    if day is None:
        raise Invalid.one("week", "a day of the week as YYYY-MM-DD (its Monday, say)")
    week = monday(day)
    if week > last_week(today):
        raise Invalid.one("week", f"the week of {week} is not over yet (the last whole week began {last_week(today)})")
    return week


def _start(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def _totals(row: queries.Row, shown: bool) -> digest_render.Totals:
    f = row.figures
    return digest_render.Totals(leads=f.leads, mqls=f.mqls, sqls=f.sqls, customers=f.customers,
                                revenue=f.revenue, cost=f.cost if shown else None,
                                roi=row.derived.roi if shown and row.derived else None)


def _by_source(report: queries.Report) -> dict[str, tuple[int, Decimal]]:
    return {row.label: (row.figures.leads, row.figures.revenue) for row in report.rows}


def _stop_rule(*, session: Session) -> tuple[int, int]:
    row = session.get(AnalyticsSettings, 1)
    return (row.stop_after_leads, row.stop_after_months) if row else (1000, 6)


def _roi_misses(actor: Actor, end: datetime, *, session: Session) -> list[digest_render.Miss]:
    leads, months = _stop_rule(session=session)
    found = []
    for dimension in alerts.DIMENSIONS:
        report = queries.economics(actor, alerts.window(end, months), session=session, group=dimension)
        if not report.costs_shown:
            return []
        for item in alerts.findings(report, stop_after_leads=leads):
            what = f"{dimension.capitalize()} {item.label}"
            if item.kind == "no_customers":
                found.append(digest_render.Miss("stop_rule", what, f"Customers in {months} months", "0",
                                                f"at least 1 from {item.leads:,} leads"))
            else:
                found.append(digest_render.Miss("roi", what, f"ROI over {months} months",
                                                digest_render.pct(item.roi), digest_render.pct(item.norm)))
    return found


def _scorecard_misses(actor: Actor, start: datetime, end: datetime, *, session: Session) -> list[digest_render.Miss]:
    if not actor.can("followup:scorecard"):
        return []
    card = followup_scorecard.scorecard(actor, session=session, group="rep", start=start, end=end)
    found = []
    for row in card.rows:
        for key, check in row.checks.items():
            if not check.short:
                continue
            spec = kpis.SPECS.get(key)
            unit = f" {spec.unit}" if spec and spec.unit not in ("money",) else ""
            norm = check.norm.value if check.norm else None
            bound = "at least" if spec and spec.direction == ">=" else "at most"
            found.append(digest_render.Miss(
                "follow_up", row.label, spec.label if spec else key,
                "–" if check.value is None else f"{check.value}{unit}",
                "–" if norm is None else f"{bound} {norm}{unit}"))
    return found


def build(actor: Actor, week: date, *, session: Session, recipient: str) -> digest_render.Digest:
    """The digest of the week starting on Monday `week`, as `actor` may see it."""
    start = _start(week)
    end, before = start + timedelta(days=7), start - timedelta(days=7)
    now_report = queries.economics(actor, queries.Filters(start=start, end=end), session=session, group="source")
    before_report = queries.economics(actor, queries.Filters(start=before, end=start), session=session,
                                      group="source")
    shown = now_report.costs_shown
    missed = _roi_misses(actor, end, session=session) + _scorecard_misses(actor, start, end, session=session)
    return digest_render.Digest(
        recipient=recipient, week=week, currency=now_report.currency, now=_totals(now_report.total, shown),
        before=_totals(before_report.total, shown),
        changes=digest_render.top_changes(_by_source(before_report), _by_source(now_report)), missed=missed,
        costs_shown=shown, dashboard_url=get_settings().base_url.rstrip("/") + "/dashboards/marketing")


def pdf_of(d: digest_render.Digest) -> bytes:
    return pdf.render(digest_render.content(d), title=digest_render.title(d))


def file_name(week: date) -> str:
    return f"leadflow-digest-{week.isoformat()}.pdf"


@dataclass(frozen=True)
class Sent:
    week: date
    sent: int  # digests made (emailed, or recorded when no SMTP server is set)
    emailed: int
    skipped: int  # sent before


def send(week: date, *, session: Session, moment: datetime | None = None) -> Sent:
    """Each person's digest of the week, once: the DigestSent row is inserted first (a second run or worker finds
    it and skips), then the email is queued in the same transaction."""
    moment = moment or clock.now()
    mailing = bool(get_settings().smtp_host)
    bind = session.get_bind()
    sent = emailed = skipped = 0
    for user in people_queries.users_holding(PERMISSION, session=session):
        added = session.execute(db.insert_ignore(bind, DigestSent, {
            "user_id": user.id, "week": week, "sent_at": moment, "figures": {}, "emailed": mailing,
            "note": None if mailing else "no SMTP server set: not emailed (download it from /dashboards/digest.pdf)"},
            ["user_id", "week"]).returning(DigestSent.id)).first()
        if added is None:
            skipped += 1
            continue
        d = build(actor_for(user), week, session=session, recipient=user.name or user.email)
        session.execute(update(DigestSent).where(DigestSent.id == added[0]).values(figures=digest_render.as_dict(d)))
        sent += 1
        if mailing:
            mail.queue(session, to=user.email, subject=digest_render.subject(d), text=digest_render.text(d),
                       html=digest_render.html(d), key=f"digest:{user.id}:{week.isoformat()}",
                       attachments=[mail.attachment(file_name(week), "application/pdf", pdf_of(d))])
            emailed += 1
    session.flush()
    return Sent(week=week, sent=sent, emailed=emailed, skipped=skipped)


def schedule(*, session: Session, moment: datetime | None = None) -> bool:
    """Book the digest at the first Monday 06:00 UTC after `moment` (once per slot: the outbox key)."""
    at = alerts.slot_after(moment or clock.now(), hour=HOUR, weekday=WEEKDAY)
    return outbox.publish_once(session, events.ANALYTICS_DIGEST, {"at": at.isoformat()},
                               key=f"{events.ANALYTICS_DIGEST}:{at.date().isoformat()}", available_at=at)
