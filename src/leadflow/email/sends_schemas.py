"""One-off sends and A/B tests as JSON: what the API takes (a 422 names the field) and gives (the CLI's --json
too)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from leadflow.email import experiments as ex
from leadflow.inputs import Id


class VariantIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    key: str = Field(min_length=1, max_length=50, examples=["A"])
    template_id: Id
    subject: str | None = Field(default=None, max_length=300)
    offer: str | None = Field(default=None, max_length=500)


class ExperimentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=200)
    variants: list[VariantIn] = Field(min_length=1, max_length=10)
    split: dict[str, int] | None = Field(default=None, examples=[{"A": 50, "B": 50}])
    holdout_pct: int = Field(default=0, ge=0, le=99)
    metric: Literal["open", "click", "sql", "revenue"] = "click"
    window_days: int = Field(default=14, ge=1, le=365)


class SendIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=200)
    segment_id: Id | None = None
    campaign_id: Id | None = None
    template_id: Id | None = None
    experiment_id: Id | None = None
    scheduled_at: datetime | None = None
    window_days: int | None = Field(default=None, ge=1, le=365)
    draft: bool = False


def send_json(send) -> dict:
    return {"id": send.id, "name": send.name, "status": send.status, "segment_id": send.segment_id,
            "campaign_id": send.campaign_id, "template_id": send.template_id, "experiment_id": send.experiment_id,
            "scheduled_at": send.scheduled_at, "started_at": send.started_at, "finished_at": send.finished_at,
            "audience": send.audience, "queued": send.queued, "held_out": send.skipped,
            "window_days": send.window_days, "created_at": send.created_at}


def experiment_json(experiment) -> dict:
    return {"id": experiment.id, "name": experiment.name, "variants": experiment.variants, "split": experiment.split,
            "holdout_pct": experiment.holdout_pct, "metric": experiment.metric,
            "window_days": experiment.window_days, "winner": experiment.winner, "decided_at": experiment.decided_at}


def results_json(r) -> dict:
    """sends_queries.results(...) or .experiment_results(...) as JSON (`send` null for a test's journey messages)."""
    def test(t):
        return None if t is None else {"difference": t.difference, "statistic": t.statistic, "p_value": t.p_value,
                                       "confidence": t.confidence, "informative": t.informative}

    rows = []
    for v in r.rows:
        interval = v.interval(r.metric)
        rows.append({"variant": v.key, "template_id": v.template_id, "subject": v.subject, "offer": v.offer,
                     "audience": v.audience, "sent": v.sent, "delivered": v.delivered, "bounced": v.bounced,
                     "waiting": v.waiting, "failed": v.failed, "skipped": v.skipped_total,
                     "skipped_by_reason": dict(v.skipped), "opened": v.opened, "clicked": v.clicked,
                     "open_rate": v.open_rate, "click_rate": v.click_rate, "sqls": v.sqls, "sql_rate": v.sql_rate,
                     "won_revenue": str(v.revenue.quantize(Decimal("0.01"))), "revenue_per_lead": v.revenue_per_lead,
                     "interval": None if interval is None else [interval.low, interval.high],
                     "vs_holdout": test(v.vs_holdout), "vs_holdout_lift": v.vs_holdout_lift,
                     "vs_holdout_words": None if r.holdout is None or v is r.holdout
                     else ex.comparison_words(v.vs_holdout, sent=v.sent)})
    verdict = r.verdict
    return {"send": None if r.send is None else send_json(r.send),
            "experiment": None if r.experiment is None else experiment_json(r.experiment), "metric": r.metric,
            "currency": r.currency,
            "other_currencies": r.other_currencies, "window_start": r.window_start, "window_end": r.window_end,
            "variants": rows,
            "verdict": None if verdict is None else {
                "winner": verdict.winner, "leader": verdict.leader, "runner_up": verdict.runner_up,
                "confidence": verdict.confidence, "level": verdict.level, "lift": verdict.lift,
                "words": verdict.words}}
