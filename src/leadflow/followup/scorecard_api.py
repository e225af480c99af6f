"""The scorecard's JSON routes: the figures per rep, team, source or campaign over a period (JSON or CSV), and the
norms they are held to (read by anyone who sees the scorecard, set with followup:policies)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from leadflow import clock
from leadflow import periods
from leadflow.errors import NotFound
from leadflow.followup import scorecard
from leadflow.http import DbSession, retry_races
from leadflow.inputs import Id
from leadflow.people.deps import permitted
from leadflow.people.service import Actor

router = APIRouter(prefix="/api/v1", tags=["scorecard"])

Viewer = Annotated[Actor, permitted("followup:scorecard")]
Setter = Annotated[Actor, permitted("followup:policies")]


class NormChange(BaseModel):
    model_config = ConfigDict(extra="forbid")
    key: str = Field(max_length=40)
    value: str | float | int = Field(union_mode="left_to_right")
    currency: str | None = Field(default=None, max_length=3)


class NormsUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    norms: list[NormChange] = Field(min_length=1, max_length=20)


def load(actor: Actor, session, *, group: str, period: str | None, start: str | None, end: str | None,
         owner: int | None) -> scorecard.Scorecard:
    first, after, _ = periods.period(period, start, end, today=clock.now().date())
    if owner is not None and not scorecard.may_see_owner(actor, owner, session=session):
        raise NotFound("salesperson (among those whose figures you see)")
    return scorecard.scorecard(actor, session=session, group=group, start=first, end=after, owner=owner)


@router.get("/scorecard")
def get_scorecard(session: DbSession, actor: Viewer,
                  group: Annotated[Literal["rep", "team", "source", "campaign"], Query()] = "rep",
                  period: Annotated[Literal["this_month", "last_month", "quarter", "custom"] | None, Query()] = None,
                  start: Annotated[str | None, Query(alias="from", max_length=40)] = None,
                  end: Annotated[str | None, Query(alias="to", max_length=40)] = None,
                  owner: Annotated[Id | None, Query(ge=1)] = None,
                  format: Annotated[Literal["json", "csv"], Query()] = "json"):
    """Each row's hand-overs in [from, to] (dates, `to` included; or a named period, this month by default) with
    every figure against its norm and the money table. A salesperson sees only their own row."""
    card = load(actor, session, group=group, period=period, start=start, end=end, owner=owner)
    if format == "csv":
        name = f"scorecard-{group}-{card.start.date().isoformat()}.csv"
        return Response(scorecard.csv_text(card), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})
    return scorecard.card_dict(card)


@router.get("/scorecard/norms")
def get_norms(session: DbSession, actor: Viewer):
    return scorecard.norms_list(scorecard.norms(session=session))


@router.put("/scorecard/norms")
@retry_races
def put_norms(body: NormsUpdate, session: DbSession, actor: Setter):
    """Set some norms (the others keep theirs): `{"norms": [{"key": "followed_up_pct", "value": "85"}, {"key":
    "average_order", "value": "15000", "currency": "EUR"}]}`; 422 names each problem (`norms[1].value`)."""
    current = scorecard.set_norms([(n.key, str(n.value), n.currency) for n in body.norms], session=session,
                                  actor=actor.label)
    session.commit()
    return scorecard.norms_list(current)
