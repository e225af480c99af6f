"""One-off sends and A/B tests, the JSON routes: /api/v1/email/sends (list, create, show with results, start,
cancel) and /api/v1/email/experiments (list, create, show with the latest verdict, the results of its journeys'
messages, declare the winner). Reading needs email:read, the rest email:manage (marketing, admins). A problem is
a 422 naming the field."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from leadflow.email import sends, sends_queries
from leadflow.email.sends_schemas import ExperimentIn, SendIn, experiment_json, results_json, send_json
from leadflow.http import DbSession, retry_races
from leadflow.inputs import Id
from leadflow.people.deps import permitted
from leadflow.people.service import Actor

router = APIRouter(prefix="/api/v1/email", tags=["email"])

Reader = Annotated[Actor, permitted("email:read")]
Manager = Annotated[Actor, permitted("email:manage")]


@router.get("/sends")
def list_sends(session: DbSession, actor: Reader, before: Annotated[int | None, Query(ge=1)] = None,
               limit: Annotated[int, Query(ge=1, le=200)] = 50):
    return {"sends": [send_json(s) for s in sends_queries.sends_page(session=session, limit=limit, before=before)]}


@router.post("/sends", status_code=201)
@retry_races
def create_send(session: DbSession, actor: Manager, payload: SendIn):
    """A send to a segment (its members when it goes out) or a campaign's leads, of a template or an A/B test;
    now, at `scheduled_at`, or a draft (`draft: true`) to start later."""
    send = sends.create_send(session=session, created_by=actor.user_id, **payload.model_dump())
    session.commit()
    return send_json(send)


@router.get("/sends/{send_id}")
def show_send(session: DbSession, actor: Reader, send_id: Id):
    """The send and its results per variant (the hold-out too), with the winner on the test's metric."""
    return results_json(sends_queries.results(send_id, session=session))


@router.post("/sends/{send_id}/start")
@retry_races
def start_send(session: DbSession, actor: Manager, send_id: Id):
    send = sends.start_send(send_id, session=session)
    session.commit()
    return send_json(send)


@router.post("/sends/{send_id}/cancel")
@retry_races
def cancel_send(session: DbSession, actor: Manager, send_id: Id):
    send = sends.cancel_send(send_id, session=session)
    session.commit()
    return send_json(send)


@router.get("/experiments")
def list_experiments(session: DbSession, actor: Reader):
    return {"experiments": [experiment_json(e) for e in sends_queries.experiments_page(session=session)]}


@router.post("/experiments", status_code=201)
@retry_races
def create_experiment(session: DbSession, actor: Manager, payload: ExperimentIn):
    """An A/B test: variants (a template each, optionally a subject or an offer of their own), the split in
    percent (equal shares when left out), the hold-out's percent, the metric (open, click, sql, revenue) and the
    days after the send that outcomes count."""
    data = payload.model_dump()
    experiment = sends.create_experiment(session=session, created_by=actor.user_id, **data)
    session.commit()
    return experiment_json(experiment)


@router.get("/experiments/{experiment_id}")
def show_experiment(session: DbSession, actor: Reader, experiment_id: Id):
    experiment = sends_queries.get_experiment(experiment_id, session=session)
    verdict = sends_queries.experiment_verdict(experiment, session=session)
    return {**experiment_json(experiment), "verdict": None if verdict is None else verdict.words}


@router.get("/experiments/{experiment_id}/results")
def experiment_results(session: DbSession, actor: Reader, experiment_id: Id):
    """The test's results across the messages journeys queued for it (each send's are at /sends/{id}): per
    variant and the hold-out, with the winner on the test's metric; SQLs and won revenue count from each message's
    queue time for the test's window_days."""
    return results_json(sends_queries.experiment_results(experiment_id, session=session))


@router.post("/experiments/{experiment_id}/winner")
@retry_races
def declare_winner(session: DbSession, actor: Manager, experiment_id: Id):
    """Record the winner the results show now (a 422 with the reason while there is none)."""
    experiment = sends.declare_winner(experiment_id, session=session)
    session.commit()
    return experiment_json(experiment)
