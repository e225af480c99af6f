"""JSON routes for leads: list with filters, read, edit by hand, timeline, consents, notes, captures."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query

from leadflow.errors import Invalid
from leadflow.http import AppSettings, DbSession
from leadflow.inputs import Id
from leadflow.leads import queries
from leadflow.leads import service as leads_service
from leadflow.leads.schemas import ActivityRead, ConsentRead, LeadPage, LeadRead, LeadUpdate, NoteCreate, Stage
from leadflow.people.deps import permitted
from leadflow.people.models import User
from leadflow.people.service import Actor

router = APIRouter(prefix="/api/v1/leads", tags=["leads"])

Reader = Annotated[Actor, permitted("leads:read")]
Writer = Annotated[Actor, permitted("leads:write")]


@router.get("", response_model=LeadPage)
def list_leads(
    session: DbSession, actor: Reader, settings: AppSettings,
    email: str | None = None, company: str | None = None, company_id: Id | None = None,
    campaign: Annotated[str | None, Query(description="campaign id or code")] = None,
    stage: Stage | None = None, owner: Id | None = None, channel: str | None = None,
    queued: Annotated[bool, Query(description="only leads waiting in a routing queue (nobody could take them)")]
    = False,
    new_for_me: Annotated[bool, Query(description="only my leads I have not opened since I got them")] = False,
    source: Annotated[str | None, Query(max_length=200, description="the source of the lead's campaign")] = None,
    country: str | None = None, created_after: datetime | None = None, created_before: datetime | None = None,
    q: Annotated[str | None, Query(max_length=200, description="words (as prefixes) in name, email, company, "
                                                              "phone or city; an exact email; or a phone number "
                                                              "as people type it (01144 960574, +44 114 ...)")] = None,
    band: Annotated[list[str] | None, Query(description="hot, warm or cold; repeat it or separate with commas "
                                                        "for any of several")] = None,
    grade: Annotated[list[str] | None, Query(description="A, B, C or D; repeat it or separate with commas")] = None,
    score_min: Annotated[int | None, Query(ge=0, le=1_000_000, description="a score of at least this")] = None,
    sort: Annotated[Literal["id", "score"], Query(description="id: newest first; score: highest first (dir=asc: "
                                                             "lowest first), unscored leads last")] = "id",
    direction: Annotated[Literal["asc", "desc"] | None, Query(alias="dir", description="with sort=score only")] = None,
    cursor: str | None = None, limit: Annotated[int, Query(ge=1, le=500)] = 50,
):
    if new_for_me:
        owner = actor.user_id if actor.user_id is not None else -1
    f = queries.LeadFilter(email=email, company=company, company_id=company_id, campaign=campaign, stage=stage,
                           owner=owner, queued=queued, unseen=new_for_me, source=source, channel=channel,
                           country=country,
                           created_after=created_after, created_before=created_before, q=q,
                           band=_listed("band", band, ("hot", "warm", "cold"), str.lower),
                           grade=_listed("grade", grade, ("A", "B", "C", "D"), str.upper), score_min=score_min,
                           default_country=settings.default_country)
    if sort == "score":
        page = queries.inbox_page(actor, f, session=session, sort="score", descending=direction != "asc", after=cursor,
                                  limit=limit)
        rows, next_cursor = page.leads, page.next_cursor
    elif direction is not None:
        raise Invalid.one("dir", "only with sort=score (the id order is newest first)")
    else:
        rows, next_cursor = queries.lead_page(actor, f, session=session, cursor=cursor, limit=limit)
    return LeadPage(items=queries.reads(rows, session=session), next_cursor=next_cursor)


def _listed(name: str, given: list[str] | None, allowed: tuple[str, ...], fold) -> tuple[str, ...]:
    values = tuple(dict.fromkeys(fold(v.strip()) for item in given or () for v in item.split(",") if v.strip()))
    unknown = [v for v in values if v not in allowed]
    if unknown:
        raise Invalid.one(name, f"unknown {name} {unknown[0]!r}: one of {', '.join(allowed)}")
    return values


@router.get("/{lead_id}", response_model=LeadRead)
def get_lead(lead_id: Id, session: DbSession, actor: Reader):
    return queries.read(queries.visible_lead(actor, lead_id, session=session), session=session)


@router.patch("/{lead_id}", response_model=LeadRead)
def update_lead(lead_id: Id, body: LeadUpdate, session: DbSession, actor: Writer, settings: AppSettings):
    lead = queries.visible_lead(actor, lead_id, session=session)
    values = body.model_dump(exclude_unset=True)
    if "owner" in values:
        actor.require("leads:assign")
        owner = values.pop("owner")
        if owner is not None and session.get(User, owner) is None:
            raise Invalid.one("owner", "no such user")
        values["owner_id"] = owner
    leads_service.edit(session=session, lead=lead, values=values, actor=actor.label,
                       default_country=settings.default_country)
    session.commit()
    return queries.read(lead, session=session)


@router.get("/{lead_id}/activities", response_model=list[ActivityRead])
def lead_activities(lead_id: Id, session: DbSession, actor: Reader,
                    limit: Annotated[int, Query(ge=1, le=1000)] = 200):
    lead = queries.visible_lead(actor, lead_id, session=session)
    return [ActivityRead.model_validate(a) for a in queries.timeline(lead.id, session=session, limit=limit)]


@router.post("/{lead_id}/notes", response_model=ActivityRead, status_code=201)
def add_note(lead_id: Id, body: NoteCreate, session: DbSession, actor: Writer):
    lead = queries.visible_lead(actor, lead_id, session=session)
    activity = leads_service.add_note(session=session, lead=lead, text=body.text, actor=actor.label)
    session.commit()
    return ActivityRead.model_validate(activity)


@router.get("/{lead_id}/consents", response_model=list[ConsentRead])
def lead_consents(lead_id: Id, session: DbSession, actor: Reader):
    lead = queries.visible_lead(actor, lead_id, session=session)
    return [ConsentRead.model_validate(c) for c in queries.consents(lead.id, session=session)]
