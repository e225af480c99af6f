"""One-off sends and A/B tests, the reads: a send's audience (a segment's members now, or a campaign's leads), the
list of sends, and a send's results per variant: the audience, sent, skipped by reason, delivered, bounced, opened,
clicked, and what the leads did within the window after the send: SQLs (the leads' stage history, read through
leads.queries) and won revenue (pipeline.sales_figures); with the winner on the test's metric and its confidence.
The same over an A/B test's messages queued by journeys (`experiment_results`). No decisions are stored here:
`sends.declare_winner` records one."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from leadflow.clock import now
from leadflow.email import experiments as ex
from leadflow.email.models import EmailExperiment, EmailMessage, EmailSend, EmailTemplate
from leadflow.leads import queries as lead_queries
from leadflow.leads.lifecycle import PAST_SQL
from leadflow.leads.models import Lead
from leadflow.pipeline import sales_figures

_OUTCOME_CHUNK = 1000


def segment_exists(segment_id: int, *, session: Session) -> bool:
    from leadflow.errors import NotFound
    from leadflow.segments import queries as segment_queries

    try:
        segment_queries.get(segment_id, session=session)
    except NotFound:
        return False
    return True


def campaign_exists(campaign_id: int, *, session: Session) -> bool:
    return bool(lead_queries.campaigns_by_id({campaign_id}, session=session))


def audience_ids(send: EmailSend, *, after: int, limit: int, session: Session) -> list[int]:
    """The next lead ids of the audience above `after`, ascending: a segment's members as they are now (a lead
    that left the segment before its chunk is not mailed), or the leads a campaign brought (first or last touch;
    merged-away leads excepted)."""
    if send.segment_id is not None:
        from leadflow.segments import queries as segment_queries

        return segment_queries.member_ids(send.segment_id, session=session, after=after, limit=limit)
    return list(session.scalars(
        select(Lead.id).where(or_(Lead.campaign_id == send.campaign_id, Lead.last_campaign_id == send.campaign_id),
                              Lead.merged_into_id.is_(None), Lead.id > after)
        .order_by(Lead.id).limit(limit)))


def get_send(send_id: int, *, session: Session) -> EmailSend:
    from leadflow.errors import NotFound

    send = session.get(EmailSend, send_id)
    if send is None:
        raise NotFound("send", send_id)
    return send


def get_experiment(experiment_id: int, *, session: Session) -> EmailExperiment:
    from leadflow.errors import NotFound

    experiment = session.get(EmailExperiment, experiment_id)
    if experiment is None:
        raise NotFound("experiment", experiment_id)
    return experiment


def sends_page(*, session: Session, limit: int = 50, before: int | None = None) -> list[EmailSend]:
    query = select(EmailSend).order_by(EmailSend.id.desc()).limit(limit)
    if before is not None:
        query = query.where(EmailSend.id < before)
    return list(session.scalars(query))


def experiments_page(*, session: Session, limit: int = 100) -> list[EmailExperiment]:
    return list(session.scalars(select(EmailExperiment).order_by(EmailExperiment.id.desc()).limit(limit)))


def template_choices(*, session: Session) -> list[tuple[int, str]]:
    query = select(EmailTemplate.id, EmailTemplate.name).order_by(EmailTemplate.name)
    return [(template_id, name) for template_id, name in session.execute(query)]


def template_names(ids: set[int], *, session: Session) -> dict[int, str]:
    if not ids:
        return {}
    return dict(session.execute(select(EmailTemplate.id, EmailTemplate.name).where(EmailTemplate.id.in_(ids))).all())


# --- results ----------------------------------------------------------------------------------------------------

@dataclass
class VariantResult:
    key: str  # the variant's key, "hold-out", or "all" for a send of one template
    template_id: int | None = None
    subject: str | None = None
    offer: str | None = None
    audience: int = 0
    sent: int = 0
    delivered: int = 0
    bounced: int = 0
    waiting: int = 0  # queued or being sent
    failed: int = 0  # failed, or cut off mid-send (unconfirmed)
    skipped: Counter = field(default_factory=Counter)  # reason -> count
    opened: int = 0
    clicked: int = 0
    sqls: int = 0
    revenue: Decimal = Decimal("0")
    revenue_squares: float = 0.0
    vs_holdout: ex.Test | None = None
    vs_holdout_lift: float | None = None

    @property
    def skipped_total(self) -> int:
        return sum(self.skipped.values())

    @property
    def open_rate(self) -> float | None:
        return ex.rate(self.opened, self.delivered)

    @property
    def click_rate(self) -> float | None:
        return ex.rate(self.clicked, self.delivered)

    @property
    def sql_rate(self) -> float | None:
        return ex.rate(self.sqls, self.audience)

    @property
    def revenue_per_lead(self) -> Decimal | None:
        return None if not self.audience else (self.revenue / self.audience).quantize(Decimal("0.01"))

    def group(self, metric: str) -> ex.Group:
        if metric == "open":
            return ex.Group(self.key, self.delivered, successes=self.opened)
        if metric == "click":
            return ex.Group(self.key, self.delivered, successes=self.clicked)
        if metric == "sql":
            return ex.Group(self.key, self.audience, successes=self.sqls)
        return ex.Group(self.key, self.audience,
                        amount=ex.Summary.from_sums(self.audience, float(self.revenue), self.revenue_squares))

    def interval(self, metric: str) -> ex.Interval | None:
        g = self.group(metric)
        if g.amount is not None:
            return ex.mean_interval(g.amount)
        return ex.wilson_interval(g.successes, g.n)


@dataclass
class Results:
    """An A/B test's (or a plain send's) results per variant and the hold-out: of one send's messages, or of a test's
    messages queued by journeys (`send` None)."""

    send: EmailSend | None
    experiment: EmailExperiment | None
    metric: str
    variants: list[VariantResult]
    holdout: VariantResult | None
    verdict: ex.Verdict | None
    window_start: datetime | None
    window_end: datetime | None
    currency: str | None
    other_currencies: int = 0  # won opportunities in another currency than the one shown (not added)

    @property
    def rows(self) -> list[VariantResult]:
        return self.variants + ([self.holdout] if self.holdout else [])

    @property
    def window_open(self) -> bool:
        return self.window_end is not None and now() < self.window_end


# A message's window for SQLs and won revenue, (from, until), from its queue time.
Window = Callable[[datetime], tuple[datetime, datetime]]


def results(send_id: int, *, session: Session) -> Results:
    """A send's results: SQLs and won revenue count from the send's start for its window_days."""
    send = get_send(send_id, session=session)
    experiment = session.get(EmailExperiment, send.experiment_id) if send.experiment_id else None
    start = send.started_at
    end = start + timedelta(days=send.window_days) if start else None
    return _results(EmailMessage.send_id == send.id, experiment, send=send,
                    window=(lambda _queued: (start, end)) if start else None, span=(start, end), session=session)


def experiment_results(experiment_id: int, *, session: Session) -> Results:
    """An A/B test's results across the messages journeys queued for it (its sends have results of their own): SQLs
    and won revenue count from each message's queue time for the test's window_days."""
    experiment = get_experiment(experiment_id, session=session)
    where = and_(EmailMessage.experiment_id == experiment.id, EmailMessage.journey_run_id.is_not(None))
    days = timedelta(days=experiment.window_days)
    first, last = session.execute(select(func.min(EmailMessage.queued_at), func.max(EmailMessage.queued_at))
                                  .where(where)).one()
    span = (_aware(first), _aware(last) + days) if first is not None else (None, None)
    return _results(where, experiment, window=lambda queued: (queued, queued + days), span=span, session=session)


def experiment_sends(experiment_id: int, *, session: Session) -> list[EmailSend]:
    """The sends of an A/B test, newest first."""
    return list(session.scalars(select(EmailSend).where(EmailSend.experiment_id == experiment_id)
                                .order_by(EmailSend.id.desc())))


def _results(where, experiment: EmailExperiment | None, *, window: Window | None,
             span: tuple[datetime | None, datetime | None], session: Session, send: EmailSend | None = None) -> Results:
    """The figures per variant of the messages `where` selects, the hold-out compared, and the winner judged."""
    metric = experiment.metric if experiment else "click"
    by_key: dict[str, VariantResult] = {}
    if experiment is not None:
        for v in experiment.variants:
            by_key[v["key"]] = VariantResult(v["key"], v["template_id"], v.get("subject"), v.get("offer"))
        if experiment.holdout_pct:
            by_key[ex.HOLDOUT] = VariantResult(ex.HOLDOUT)
    else:
        by_key["all"] = VariantResult("all", send.template_id if send else None)
    for variant, status, reason, count, opened, clicked in session.execute(
            select(EmailMessage.variant, EmailMessage.status, EmailMessage.reason, func.count(),
                   func.count(EmailMessage.opened_at), func.count(EmailMessage.clicked_at))
            .where(where).group_by(EmailMessage.variant, EmailMessage.status, EmailMessage.reason)):
        row = by_key.setdefault(variant or "all", VariantResult(variant or "all"))
        row.audience += count
        row.opened += opened
        row.clicked += clicked
        if status == "sent":
            row.sent += count
            row.delivered += count
        elif status == "bounced":
            row.sent += count
            row.bounced += count
        elif status in ("queued", "sending"):
            row.waiting += count
        elif status in ("failed", "unconfirmed"):
            row.failed += count
        else:
            row.skipped[reason or "skipped"] += count
    currency, others = _business_outcomes(where, by_key, window, session=session)
    holdout = by_key.pop(ex.HOLDOUT, None)
    variants = list(by_key.values())
    verdict = None
    if experiment is not None:
        verdict = ex.judge(metric, [v.group(metric) for v in variants])
        if holdout is not None and holdout.audience:
            for v in variants:
                comparison_metric = metric if metric in ("sql", "revenue") else "sql"
                v.vs_holdout = ex.compare(comparison_metric, holdout.group(comparison_metric),
                                          v.group(comparison_metric))
                base, value = holdout.group(comparison_metric).value, v.group(comparison_metric).value
                v.vs_holdout_lift = ex.lift(base, value)
    return Results(send, experiment, metric, variants, holdout, verdict, span[0], span[1], currency, others)


def experiment_verdict(experiment: EmailExperiment, *, session: Session) -> ex.Verdict | None:
    """The verdict of the experiment's latest send, else of its journeys' messages (None: not sent yet)."""
    send_id = session.scalar(select(EmailSend.id).where(EmailSend.experiment_id == experiment.id,
                                                         EmailSend.started_at.is_not(None))
                             .order_by(EmailSend.id.desc()).limit(1))
    if send_id is not None:
        return results(send_id, session=session).verdict
    in_journeys = session.scalar(select(EmailMessage.id).where(EmailMessage.experiment_id == experiment.id,
                                                                EmailMessage.journey_run_id.is_not(None)).limit(1))
    return None if in_journeys is None else experiment_results(experiment.id, session=session).verdict


def _business_outcomes(where, by_key: dict[str, VariantResult], window: Window | None, *,
                       session: Session) -> tuple[str | None, int]:
    """SQLs and won revenue of the messages' leads within each message's window, per variant (the hold-out too):
    a message counts an SQL when its lead moved to SQL or beyond in the window; won revenue is the lead's
    opportunities won in the window, in the currency most of them are in (others are counted, not added). No window
    (a send not started): nothing counts yet."""
    if window is None:
        return None, 0
    last_id = 0
    won: list[tuple[str, int, Decimal, str]] = []
    while True:
        chunk = list(session.execute(
            select(EmailMessage.id, EmailMessage.lead_id, EmailMessage.variant, EmailMessage.queued_at)
            .where(where, EmailMessage.id > last_id).order_by(EmailMessage.id).limit(_OUTCOME_CHUNK)))
        if not chunk:
            break
        last_id = chunk[-1][0]
        windows = {message_id: window(_aware(queued_at)) for message_id, _, _, queued_at in chunk}
        lead_ids = sorted({lead_id for _, lead_id, _, _ in chunk})
        became_sql: dict[int, list[datetime]] = {}
        for lead_id, to_stage, changed_at in lead_queries.stage_history(lead_ids, session=session):
            if to_stage in PAST_SQL:
                became_sql.setdefault(lead_id, []).append(_aware(changed_at))
        _, _, won_rows = sales_figures.lead_sales(lead_ids, session=session)
        for message_id, lead_id, variant, _ in chunk:
            start, end = windows[message_id]
            key = variant or "all"
            if any(start <= at < end for at in became_sql.get(lead_id, ())):
                by_key[key].sqls += 1
            for value, row_currency, closed_at in won_rows.get(lead_id, ()):
                if closed_at is not None and start <= _aware(closed_at) < end and value is not None:
                    won.append((key, message_id, Decimal(value), row_currency))
    if not won:
        return None, 0
    currency = Counter(c for *_, c in won).most_common(1)[0][0]
    per_message: dict[tuple[str, int], Decimal] = {}
    for key, message_id, value, row_currency in won:
        if row_currency == currency:
            per_message[(key, message_id)] = per_message.get((key, message_id), Decimal("0")) + value
    for (key, _), value in per_message.items():
        by_key[key].revenue += value
        by_key[key].revenue_squares += float(value) ** 2
    return currency, sum(1 for *_, c in won if c != currency)


def _aware(moment: datetime) -> datetime:
    from datetime import UTC

    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


# --- what the sender asks: an A/B test variant's own subject and offer -------------------------------------------

@dataclass
class VariantOverrides:
    """For the messages of a sender's chunk: the subject and offer their A/B test variant gives them (by message id)."""

    by_message: dict[int, dict]

    def template(self, message, template):
        """The template as this message renders it: with the variant's subject (itself personalised) if it has one."""
        subject = self.by_message.get(message.id, {}).get("subject")
        if not subject:
            return template
        return SimpleNamespace(id=template.id, version=template.version, subject=subject,
                               preheader=template.preheader, body_mjml=template.body_mjml, purpose=template.purpose)

    def context(self, message, context: dict) -> dict:
        """The personalisation names with `offer` (the variant's offer) added when it has one."""
        offer = self.by_message.get(message.id, {}).get("offer")
        return {**context, "offer": offer} if offer else context


def variant_overrides(messages, *, session: Session) -> VariantOverrides:
    """Each variant message's A/B test by the message's own experiment_id (journeys' and sends' messages), else by
    its send's (messages queued before they kept it)."""
    wanted = [m for m in messages if m.variant and (m.experiment_id is not None or m.send_id is not None)]
    if not wanted:
        return VariantOverrides({})
    experiment_ids = {m.experiment_id for m in wanted if m.experiment_id is not None}
    send_ids = {m.send_id for m in wanted if m.experiment_id is None}
    of_send: dict[int, int] = {}
    if send_ids:
        of_send = dict(session.execute(select(EmailSend.id, EmailSend.experiment_id)
                                       .where(EmailSend.id.in_(send_ids), EmailSend.experiment_id.is_not(None))).all())
        experiment_ids |= set(of_send.values())
    variants = dict(session.execute(select(EmailExperiment.id, EmailExperiment.variants)
                                    .where(EmailExperiment.id.in_(experiment_ids))).all()) if experiment_ids else {}
    by_message = {}
    for m in wanted:
        experiment_id = m.experiment_id if m.experiment_id is not None else of_send.get(m.send_id)
        for variant in variants.get(experiment_id) or ():
            if variant.get("key") == m.variant and (variant.get("subject") or variant.get("offer")):
                by_message[m.id] = {"subject": variant.get("subject"), "offer": variant.get("offer")}
    return VariantOverrides(by_message)
