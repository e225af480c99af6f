"""Campaign pages: the list, and a campaign with its cost entries and lead counts."""

from __future__ import annotations

from fastapi import Request
from pydantic import ValidationError

from leadflow.campaigns import queries
from leadflow.campaigns import service as campaigns_service
from leadflow.campaigns.domain import CHANNELS
from leadflow.campaigns.schemas import CampaignCreate, CampaignUpdate, CostCreate
from leadflow.errors import Conflict, Invalid
from leadflow.http import DbSession
from leadflow.people.deps import PageActor
from leadflow.web.pages import page_router, redirect, render

router = page_router(tags=["pages"])

PAGE_SIZE = 50
CAMPAIGN_FIELDS = ("name", "code", "channel", "source", "medium", "offer", "starts_on", "ends_on", "budget",
                   "currency", "parent_id", "description")
COST_FIELDS = ("date", "amount", "currency", "note")


def channel_label(channel: str) -> str:
    return channel.replace("_", " ").replace("radio tv", "radio / TV").capitalize()


def _messages(exc: ValidationError, rename: dict[str, str] | None = None) -> dict[str, str]:
    """Pydantic's errors as one plain sentence per form field."""
    errors: dict[str, str] = {}
    for error in exc.errors():
        name = str(error["loc"][0]) if error["loc"] else "form"
        name = (rename or {}).get(name, name)
        message = error["msg"].removeprefix("Value error, ")
        if error["type"] in ("missing", "not_null"):
            message = "Required."
        elif error["type"] == "string_pattern_mismatch" and "currency" in name:
            message = "Use a three-letter currency code such as EUR."
        elif error["type"] in ("date_from_datetime_parsing", "date_parsing"):
            message = "Enter a date as YYYY-MM-DD."
        elif error["type"] == "decimal_parsing":
            message = "Enter an amount such as 1250.00."
        elif error["type"] == "greater_than_equal":
            message = "Must not be negative."
        elif error["type"] == "literal_error" and name == "channel":
            message = "Choose one of the channels."
        errors.setdefault(name, message[:1].upper() + message[1:] + ("" if message.endswith(".") else "."))
    return errors


def _domain_messages(exc: Invalid) -> dict[str, str]:
    return {e.field: e.reason[:1].upper() + e.reason[1:] + "." for e in exc.errors}


def _form_values(form, names: tuple[str, ...]) -> dict[str, str]:
    return {name: str(form.get(name) or "").strip() for name in names}


def _campaign_input(values: dict[str, str]) -> dict:
    """The form's texts as the API's body: an empty input means no value."""
    return {name: (value or None) for name, value in values.items()}


def _edit_context(session, *, values: dict, errors: dict, campaign=None) -> dict:
    parents = [c for c in queries.choices(session=session) if campaign is None or c[0] != campaign.id]
    return {"values": values, "errors": errors, "campaign": campaign, "channels": CHANNELS,
            "channel_label": channel_label, "parents": parents}


@router.get("/campaigns")
def campaign_list(request: Request, actor: PageActor, session: DbSession, q: str = "", channel: str = "",
                  page: int = 1):
    actor.require("campaigns:read")
    page = max(1, min(page, 10_000))
    channel = channel if channel in CHANNELS else ""
    rows, more = queries.campaign_list(session=session, q=q[:200] or None, channel=channel or None,
                                       offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE)
    ids = [c.id for c in rows]
    leads: queries.CampaignLeads = request.app.state.campaign_leads
    return render(request, "campaigns/list.html", {
        "campaigns": rows, "totals": queries.total_costs(ids, session=session),
        "counts": leads.counts(actor, ids, session=session), "sees_all": leads.sees_all(actor),
        "q": q[:200], "channel": channel, "channels": CHANNELS, "channel_label": channel_label, "page": page,
        "more": more, "can_write": "campaigns:write" in actor.permissions,
    })


@router.get("/campaigns/new")
def new_campaign_page(request: Request, actor: PageActor, session: DbSession):
    actor.require("campaigns:write")
    values = {name: "" for name in CAMPAIGN_FIELDS} | {"channel": "other", "currency": "EUR"}
    return render(request, "campaigns/edit.html", _edit_context(session, values=values, errors={}))


@router.post("/campaigns/new")
async def create_campaign(request: Request, actor: PageActor, session: DbSession):
    actor.require("campaigns:write")
    values = _form_values(await request.form(), CAMPAIGN_FIELDS)
    try:
        body = CampaignCreate(**_campaign_input(values))
        data = body.model_dump()
        data["currency"] = data["currency"].upper()
        campaign = campaigns_service.create(session=session, values=data)
    except ValidationError as exc:
        errors = _messages(exc)
    except Invalid as exc:
        errors = _domain_messages(exc)
    except Conflict:
        errors = {"code": "Another campaign has this code already: choose another."}
    else:
        session.commit()
        return redirect(request, f"/campaigns/{campaign.id}", message=f"Campaign “{campaign.name}” created.",
                        kind="ok")
    return render(request, "campaigns/edit.html", _edit_context(session, values=values, errors=errors),
                  status_code=422)


@router.get("/campaigns/{campaign_id}/edit")
def edit_campaign_page(request: Request, campaign_id: int, actor: PageActor, session: DbSession):
    actor.require("campaigns:write")
    campaign = campaigns_service.get(campaign_id, session=session)
    values = {name: "" if getattr(campaign, name) is None else str(getattr(campaign, name))
              for name in CAMPAIGN_FIELDS}
    return render(request, "campaigns/edit.html", _edit_context(session, values=values, errors={},
                                                                campaign=campaign))


@router.post("/campaigns/{campaign_id}/edit")
async def update_campaign(request: Request, campaign_id: int, actor: PageActor, session: DbSession):
    actor.require("campaigns:write")
    campaign = campaigns_service.get(campaign_id, session=session)
    values = _form_values(await request.form(), CAMPAIGN_FIELDS)
    try:
        body = CampaignUpdate(**_campaign_input(values))
        data = body.model_dump()
        for required in ("name", "code", "channel", "currency"):
            if data[required] is None:
                raise Invalid.one(required, "is required")
        data["currency"] = data["currency"].upper()
        campaigns_service.update(session=session, campaign=campaign, values=data)
    except ValidationError as exc:
        errors = _messages(exc)
    except Invalid as exc:
        errors = _domain_messages(exc)
    except Conflict:
        errors = {"code": "Another campaign has this code already: choose another."}
    else:
        session.commit()
        return redirect(request, f"/campaigns/{campaign.id}", message="Campaign saved.", kind="ok")
    session.rollback()
    campaign = campaigns_service.get(campaign_id, session=session)
    return render(request, "campaigns/edit.html", _edit_context(session, values=values, errors=errors,
                                                                campaign=campaign), status_code=422)


def _detail(request: Request, actor, session, campaign, *, cost_values: dict | None = None,
            cost_errors: dict | None = None, status_code: int = 200):
    above, below = queries.programs(campaign, session=session)
    leads: queries.CampaignLeads = request.app.state.campaign_leads
    return render(request, "campaigns/detail.html", {
        "campaign": campaign, "above": above, "below": below, "costs": queries.costs(campaign.id, session=session),
        "total": queries.total_cost(campaign.id, session=session),
        "leads": leads.counts(actor, [campaign.id], session=session).get(campaign.id, 0),
        "sees_all": leads.sees_all(actor), "channel_label": channel_label,
        "can_write": "campaigns:write" in actor.permissions, "can_see_leads": "leads:read" in actor.permissions,
        "can_see_figures": "analytics:read" in actor.permissions,
        "can_see_forms": "forms:read" in actor.permissions,
        "cost": cost_values or {"date": "", "amount": "", "currency": campaign.currency, "note": ""},
        "cost_errors": cost_errors or {},
    }, status_code=status_code)


@router.get("/campaigns/{campaign_id}")
def campaign_detail(request: Request, campaign_id: int, actor: PageActor, session: DbSession):
    actor.require("campaigns:read")
    return _detail(request, actor, session, campaigns_service.get(campaign_id, session=session))


@router.post("/campaigns/{campaign_id}/costs")
async def add_cost(request: Request, campaign_id: int, actor: PageActor, session: DbSession):
    actor.require("campaigns:write")
    campaign = campaigns_service.get(campaign_id, session=session)
    values = _form_values(await request.form(), COST_FIELDS)
    values["currency"] = values["currency"] or campaign.currency
    try:
        body = CostCreate(**{k: v or None for k, v in values.items() if k != "currency"},
                          currency=values["currency"])
    except ValidationError as exc:
        return _detail(request, actor, session, campaign, cost_values=values, cost_errors=_messages(exc),
                       status_code=422)
    campaigns_service.add_cost(session=session, campaign=campaign, spent_on=body.spent_on, amount=body.amount,
                               currency=body.currency, note=body.note)
    session.commit()
    return redirect(request, f"/campaigns/{campaign.id}#costs",
                    message=f"Cost of {body.amount:.2f} {body.currency.upper()} added.", kind="ok")
