"""One-off sends' and A/B tests' pages: /email/sends (the sends and a new send's form), /email/sends/{id} (the
results per variant: a chart and its table, the winner with its confidence), /email/experiments (the tests and a new
test's form), /email/experiments/{id} (a test's results across its journeys' messages, the same chart and table).
Seeing needs email:read, making and canceling email:manage."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import Request

from leadflow import mail
from leadflow.email import experiments as ex
from leadflow.email import sends, sends_queries
from leadflow.errors import Invalid
from leadflow.http import DbSession
from leadflow.leads import queries as lead_queries
from leadflow.people.deps import PageActor
from leadflow.web.pages import page_router, redirect, render

router = page_router(tags=["pages"])

METRIC_LABELS = {"open": "Opens", "click": "Clicks", "sql": "SQLs", "revenue": "Won revenue per lead"}
VARIANT_ROWS = 3


def _sentence(reason: str) -> str:
    return reason[:1].upper() + reason[1:] + ("" if reason.endswith(".") else ".")


def _segment_choices(session) -> list[tuple[int, str]]:
    from leadflow.segments import queries as segment_queries

    return segment_queries.choices(session=session)


def _sends_page(request: Request, session, *, values: dict, errors: dict, status_code: int = 200):
    items = sends_queries.sends_page(session=session, limit=100)
    names = sends_queries.template_names({s.template_id for s in items if s.template_id}, session=session)
    experiments = sends_queries.experiments_page(session=session)
    return render(request, "email/sends.html", {
        "sends": items, "template_names": names, "experiment_names": {e.id: e.name for e in experiments},
        "segments": _segment_choices(session), "campaigns": lead_queries.campaign_choices(session=session),
        "templates": sends_queries.template_choices(session=session), "experiments": experiments,
        "values": values, "errors": errors,
    }, status_code=status_code)


@router.get("/email/sends")
def sends_page(request: Request, actor: PageActor, session: DbSession):
    actor.require("email:read")
    return _sends_page(request, session, values={"window_days": "14"}, errors={})


def _choice(value: str, kinds: tuple[str, str]) -> tuple[int | None, int | None]:
    kind, _, ident = (value or "").partition(":")
    if kind not in kinds or not ident.isdecimal():
        return None, None
    return (int(ident), None) if kind == kinds[0] else (None, int(ident))


@router.post("/email/sends")
async def create_send(request: Request, actor: PageActor, session: DbSession):
    actor.require("email:manage")
    form = await request.form()
    values = {k: str(form.get(k) or "").strip() for k in ("name", "audience", "content", "scheduled_at",
                                                           "window_days")}
    errors: dict[str, str] = {}
    segment_id, campaign_id = _choice(values["audience"], ("segment", "campaign"))
    template_id, experiment_id = _choice(values["content"], ("template", "experiment"))
    if segment_id is None and campaign_id is None:
        errors["audience"] = "Choose a segment or a campaign."
    if template_id is None and experiment_id is None:
        errors["content"] = "Choose a template or an A/B test."
    scheduled_at = None
    if values["scheduled_at"]:
        try:
            scheduled_at = datetime.fromisoformat(values["scheduled_at"])
            scheduled_at = scheduled_at if scheduled_at.tzinfo else scheduled_at.replace(tzinfo=UTC)
        except ValueError:
            errors["scheduled_at"] = "Give a date and time (UTC), or leave it empty to send now."
    window = values["window_days"] or "14"
    if not window.isdecimal():
        errors["window_days"] = "A whole number of days from 1 to 365."
    if not errors:
        try:
            send = sends.create_send(session=session, name=values["name"], segment_id=segment_id,
                                     campaign_id=campaign_id, template_id=template_id, experiment_id=experiment_id,
                                     scheduled_at=scheduled_at, window_days=int(window), created_by=actor.user_id)
        except Invalid as exc:
            session.rollback()
            field_of = {"segment_id": "audience", "campaign_id": "audience", "template_id": "content",
                        "experiment_id": "content"}
            errors = {field_of.get(e.field, e.field): _sentence(e.reason) for e in exc.errors}
        else:
            session.commit()
            when = f"at {send.scheduled_at:%Y-%m-%d %H:%M} UTC" if send.status == "scheduled" else "now"
            return redirect(request, f"/email/sends/{send.id}", kind="ok",
                            message=f"{send.name} goes out {when}: the worker queues it a thousand leads at a time.")
    return _sends_page(request, session, values=values, errors=errors, status_code=422)


def results_context(r: sends_queries.Results, *, session) -> dict:
    """What email/_results.html reads besides `r`: the chart's labels and values, the winner's bar, the names."""
    labels = [row.key for row in r.rows]
    if r.metric in ("open", "click"):
        unit, values = "percent", [None if (v := (row.open_rate if r.metric == "open" else row.click_rate)) is None
                                   else v * 100 for row in r.rows]
    elif r.metric == "sql":
        unit, values = "percent", [None if row.sql_rate is None else row.sql_rate * 100 for row in r.rows]
    else:
        unit, values = "money", [None if row.revenue_per_lead is None else float(row.revenue_per_lead)
                                 for row in r.rows]
    winner = [labels.index(r.verdict.winner)] if r.verdict and r.verdict.winner in labels else []
    template_ids = {row.template_id for row in r.rows if row.template_id}
    return {"r": r, "labels": labels, "chart_values": values, "unit": unit, "winner_index": winner,
            "metric_label": METRIC_LABELS.get(r.metric, r.metric), "holdout": ex.HOLDOUT,
            "metric_words": ex.METRIC_WORDS.get(r.metric, r.metric),
            "template_names": sends_queries.template_names(template_ids, session=session),
            "comparison_words": ex.comparison_words, "not_enough": ex.NOT_ENOUGH}


@router.get("/email/sends/{send_id}")
def send_page(request: Request, send_id: int, actor: PageActor, session: DbSession):
    actor.require("email:read")
    r = sends_queries.results(send_id, session=session)
    return render(request, "email/sends_results.html", {**results_context(r, session=session),
                                                         "smtp_missing": mail.smtp_server() is None})


@router.post("/email/sends/{send_id}/cancel")
def cancel_send(request: Request, send_id: int, actor: PageActor, session: DbSession):
    actor.require("email:manage")
    try:
        send = sends.cancel_send(send_id, session=session)
    except Invalid as exc:
        session.rollback()
        return redirect(request, f"/email/sends/{send_id}", kind="error", message=_sentence(exc.errors[0].reason))
    session.commit()
    return redirect(request, f"/email/sends/{send_id}", kind="ok", message=f"{send.name} is canceled.")


def _experiments_page(request: Request, session, *, values: dict, errors: dict, status_code: int = 200):
    return render(request, "email/sends_experiments.html", {
        "experiments": sends_queries.experiments_page(session=session),
        "templates": sends_queries.template_choices(session=session), "metrics": METRIC_LABELS,
        "rows": range(VARIANT_ROWS), "values": values, "errors": errors,
    }, status_code=status_code)


@router.get("/email/experiments")
def experiments_page(request: Request, actor: PageActor, session: DbSession):
    actor.require("email:read")
    return _experiments_page(request, session, values={"metric": "click", "holdout_pct": "10",
                                                       "window_days": "14"}, errors={})


@router.get("/email/experiments/{experiment_id}")
def experiment_page(request: Request, experiment_id: int, actor: PageActor, session: DbSession):
    """An A/B test: its results across the messages journeys queued for it, and its sends (each with its own)."""
    actor.require("email:read")
    r = sends_queries.experiment_results(experiment_id, session=session)
    return render(request, "email/experiment.html", {
        **results_context(r, session=session),
        "sends": sends_queries.experiment_sends(experiment_id, session=session)})


@router.post("/email/experiments")
async def create_experiment(request: Request, actor: PageActor, session: DbSession):
    actor.require("email:manage")
    form = await request.form()
    values = {k: str(v).strip() for k, v in form.items() if k != "csrf_token" and isinstance(v, str)}
    errors: dict[str, str] = {}
    variants, split = [], {}
    for i in range(VARIANT_ROWS):
        key, template = values.get(f"key_{i}", ""), values.get(f"template_{i}", "")
        if not key and not template:
            continue
        if not template.isdecimal():
            errors[f"template_{i}"] = "Choose the variant's template."
            continue
        share = values.get(f"share_{i}", "")
        if share and not share.isdecimal():
            errors[f"share_{i}"] = "A whole percent."
        variants.append({"key": key, "template_id": int(template), "subject": values.get(f"subject_{i}"),
                         "offer": values.get(f"offer_{i}")})
        split[key] = int(share) if share.isdecimal() else None
    numbers = {}
    for name in ("holdout_pct", "window_days"):
        if not values.get(name, "0").isdecimal():
            errors[name] = "A whole number."
        numbers[name] = int(values.get(name) or 0) if values.get(name, "0").isdecimal() else 0
    if not errors:
        shares = None if all(v is None for v in split.values()) else {k: v or 0 for k, v in split.items()}
        try:
            made = sends.create_experiment(session=session, name=values.get("name", ""), variants=variants,
                                           split=shares, holdout_pct=numbers["holdout_pct"],
                                           metric=values.get("metric", "click"),
                                           window_days=numbers["window_days"], created_by=actor.user_id)
        except Invalid as exc:
            session.rollback()
            for e in exc.errors:
                parts = e.field.split(".")
                field_name = f"{parts[2]}_{parts[1]}" if len(parts) == 3 and parts[0] == "variants" else e.field
                errors[field_name.replace("template_id", "template")] = _sentence(e.reason)
        else:
            session.commit()
            return redirect(request, "/email/sends", kind="ok",
                            message=f"A/B test {made.name} is ready: choose it as a new send's content.")
    return _experiments_page(request, session, values=values, errors=errors, status_code=422)
