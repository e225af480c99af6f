"""Possible duplicates: the review queue, a lead's duplicates panel, merge and "not the same"."""

from __future__ import annotations

from typing import Annotated

from fastapi import Form, Request

from leadflow.errors import Conflict, Invalid
from leadflow.http import DbSession
from leadflow.identity import merges, queries, review
from leadflow.leads import queries as leads_queries
from leadflow.leads.models import Lead
from leadflow.people.deps import PageActor
from leadflow.web.pages import error_page, page_router, redirect, render

router = page_router(tags=["pages"])

PAGE_SIZE = 20
EMPTY = ("No possible duplicates to review. leadflow merges sure matches itself; pairs it is unsure of appear "
         "here.")


def name_of(lead: Lead) -> str:
    name = " ".join(part for part in (lead.first_name, lead.last_name) if part)
    return f"{name or lead.email or 'Lead'} (#{lead.id})"


def _is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def _undo_offer(session, actor, merged_id: int | None) -> Lead | None:
    """The lead just merged away, when the actor may undo it (its survivor is visible to them)."""
    if merged_id is None or not actor.can("leads:merge"):
        return None
    return queries.merged_lead(actor, merged_id, session=session)


@router.get("/duplicates")
def queue(request: Request, session: DbSession, actor: PageActor, cursor: str | None = None,
          merged: int | None = None):
    actor.require("leads:merge")
    try:
        pairs, next_cursor = review.queue_page(session, actor, cursor=cursor, limit=PAGE_SIZE)
    except Invalid:
        return error_page(request, 400, "This page link is not valid",
                          "The list has moved on since this link was made. Start again from the first page.")
    undo = _undo_offer(session, actor, merged)
    return render(request, "identity/duplicates.html", {
        "pairs": pairs, "next_cursor": next_cursor, "first_page": cursor is None, "empty": EMPTY, "undo": undo,
        "undo_survivor": session.get(Lead, undo.merged_into_id) if undo else None, "name_of": name_of})


@router.get("/leads/{lead_id:int}/duplicates")
def lead_duplicates(lead_id: int, request: Request, session: DbSession, actor: PageActor):
    """The lead page's panel (an htmx fragment), or a page of its own without JavaScript."""
    actor.require("leads:merge")
    lead = leads_queries.visible_lead(actor, lead_id, session=session)
    context = {"lead": lead, "pairs": review.lead_pairs(session, actor, lead.id),
               "merged": review.merged_into(session, lead.id), "name_of": name_of}
    template = "identity/_lead_duplicates.html" if _is_htmx(request) else "identity/lead_duplicates.html"
    return render(request, template, context)


def _pair_visible(session, actor, pair) -> None:
    for lead_id in (pair.lead_id, pair.other_id):
        if queries.merged_lead(actor, lead_id, session=session) is None:
            leads_queries.visible_lead(actor, lead_id, session=session)


def _back(back: str, pair, lead_id: int | None = None) -> str:
    if back == "lead":
        return f"/leads/{lead_id or pair.lead_id}"
    return "/duplicates"


@router.post("/duplicates/{pair_id:int}/merge")
def merge_pair(pair_id: int, request: Request, session: DbSession, actor: PageActor,
               survivor_id: Annotated[int | None, Form()] = None, back: Annotated[str, Form()] = "queue",
               lead_id: Annotated[int | None, Form()] = None):
    actor.require("leads:merge")
    pair = merges.get_pair(session, pair_id)
    _pair_visible(session, actor, pair)
    try:
        record = merges.decide(session, pair=pair, verdict="merge", actor=actor.label, survivor_id=survivor_id)
    except (Conflict, Invalid) as exc:
        session.rollback()
        reason = exc.errors[0].reason if isinstance(exc, Invalid) else str(exc)
        return redirect(request, _back(back, pair, lead_id), message=f"Not merged: {reason}.", kind="error")
    survivor, gone = session.get(Lead, record.survivor_id), session.get(Lead, record.merged_id)
    message = f"Merged {name_of(gone)} into {name_of(survivor)}."
    session.commit()
    if back == "lead":
        return redirect(request, f"/leads/{survivor.id}?merged={gone.id}", message=message, kind="ok")
    return redirect(request, f"/duplicates?merged={gone.id}", message=message, kind="ok")


@router.post("/duplicates/{pair_id:int}/not-same")
def not_same(pair_id: int, request: Request, session: DbSession, actor: PageActor,
             back: Annotated[str, Form()] = "queue", lead_id: Annotated[int | None, Form()] = None):
    actor.require("leads:merge")
    pair = merges.get_pair(session, pair_id)
    _pair_visible(session, actor, pair)
    try:
        merges.decide(session, pair=pair, verdict="not_same", actor=actor.label)
    except Conflict as exc:
        session.rollback()
        return redirect(request, _back(back, pair, lead_id), message=f"Nothing changed: {exc}.", kind="error")
    leads = queries.leads_of([pair], session=session)
    message = (f"Marked {name_of(leads[pair.lead_id])} and {name_of(leads[pair.other_id])} as not the same "
               "person; leadflow will not suggest or merge them again.")
    session.commit()
    return redirect(request, _back(back, pair, lead_id), message=message, kind="ok")


@router.post("/leads/{lead_id:int}/unmerge")
def unmerge(lead_id: int, request: Request, session: DbSession, actor: PageActor,
            back: Annotated[str, Form()] = "lead"):
    """Undo the merge that folded this lead into another; it comes back on its own page."""
    actor.require("leads:merge")
    lead = queries.merged_lead(actor, lead_id, session=session)
    if lead is None:
        leads_queries.visible_lead(actor, lead_id, session=session)  # 404 when unknown or not the actor's
        return redirect(request, f"/leads/{lead_id}", message="This lead is not merged into another.", kind="error")
    survivor_id = lead.merged_into_id
    try:
        restored = merges.unmerge(session, merged=lead, actor=actor.label)
    except Conflict as exc:
        session.rollback()
        return redirect(request, f"/leads/{survivor_id}", message=f"Not undone: {exc}.", kind="error")
    message = (f"Merge undone: {name_of(restored)} is a lead of its own again; the two are remembered as not the "
               "same person.")
    session.commit()
    target = "/duplicates" if back == "queue" else f"/leads/{restored.id}"
    return redirect(request, target, message=message, kind="ok")
