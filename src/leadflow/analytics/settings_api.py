"""Analytics settings' JSON routes: the settings (reporting currency, default ROI norm, stop rule), exchange rates,
ROI norms and revenue targets; PUT takes a list (each item added or replaced), a problem is named by its place
(`rates[1].rate`). Holders of analytics:settings (marketing, admins)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Query
from fastapi.responses import Response

from leadflow.analytics import settings_service
from leadflow.http import DbSession, retry_races
from leadflow.people.deps import permitted
from leadflow.people.service import Actor

router = APIRouter(prefix="/api/v1/analytics", tags=["analytics"])

Setter = Annotated[Actor, permitted("analytics:settings")]
Payload = Annotated[dict, Body(examples=[{"rates": [{"currency": "USD", "valid_from": "2026-01-01",
                                                     "rate": "0.92"}]}])]


@router.get("/settings")
def get_settings(session: DbSession, actor: Setter):
    """The reporting currency, the default ROI norm (a percentage: "150" is 150 %; null: none), and the stop rule
    (a source that brought at least stop_after_leads leads over stop_after_months months without one customer)."""
    return settings_service.current(session=session)


@router.put("/settings")
@retry_races
def put_settings(session: DbSession, actor: Setter, payload: Annotated[dict, Body()]):
    """Change any of the settings. A new reporting_currency replaces every exchange rate: give `rates` into it for
    each other currency (and the old reporting currency); every lead's figures are then rebuilt by the worker."""
    out = settings_service.update(payload, session=session)
    session.commit()
    return out


@router.get("/rates")
def get_rates(session: DbSession, actor: Setter):
    """Exchange rates: units of the reporting currency one unit of `currency` is worth from `valid_from` on."""
    return {"reporting_currency": settings_service.current(session=session)["reporting_currency"],
            "rates": settings_service.rates(session=session)}


@router.put("/rates")
@retry_races
def put_rates(session: DbSession, actor: Setter, payload: Payload):
    """Add or replace rates ({"rates": [{currency, valid_from, rate}]}: rate > 0, at most 8 decimals); every lead's
    revenue is then converted again by the worker."""
    out = settings_service.put_rates(payload, session=session)
    session.commit()
    return {"rates": out}


@router.delete("/rates", status_code=204)
@retry_races
def delete_rate(session: DbSession, actor: Setter, currency: Annotated[str, Query(max_length=10)],
                valid_from: Annotated[str, Query(max_length=20)]):
    settings_service.delete_rate(currency, valid_from, session=session)
    session.commit()
    return Response(status_code=204)


@router.get("/roi-norms")
def get_norms(session: DbSession, actor: Setter):
    """The least ROI (a percentage) per source, medium, channel or campaign (its id); the default applies to the
    others."""
    return {"default": settings_service.current(session=session)["roi_norm"],
            "norms": settings_service.norms(session=session)}


@router.put("/roi-norms")
@retry_races
def put_norms(session: DbSession, actor: Setter, payload: Annotated[dict, Body(examples=[
        {"norms": [{"dimension": "source", "value": "google", "min_roi": "150"}]}])]):
    out = settings_service.put_norms(payload, session=session)
    session.commit()
    return {"norms": out}


@router.delete("/roi-norms", status_code=204)
@retry_races
def delete_norm(session: DbSession, actor: Setter, dimension: Annotated[str, Query(max_length=20)],
                value: Annotated[str, Query(max_length=200)]):
    settings_service.delete_norm(dimension, value, session=session)
    session.commit()
    return Response(status_code=204)


@router.get("/targets")
def get_targets(session: DbSession, actor: Setter):
    """Revenue targets per month (and optionally team), in the reporting currency."""
    return {"currency": settings_service.current(session=session)["reporting_currency"],
            "targets": settings_service.targets(session=session)}


@router.put("/targets")
@retry_races
def put_targets(session: DbSession, actor: Setter, payload: Annotated[dict, Body(examples=[
        {"targets": [{"month": "2027-01", "team": None, "amount": "50000"}]}])]):
    out = settings_service.put_targets(payload, session=session)
    session.commit()
    return {"targets": out}


@router.delete("/targets", status_code=204)
@retry_races
def delete_target(session: DbSession, actor: Setter, month: Annotated[str, Query(max_length=10)],
                  team: Annotated[str | None, Query(max_length=20)] = None):
    settings_service.delete_target(month, team, session=session)
    session.commit()
    return Response(status_code=204)
