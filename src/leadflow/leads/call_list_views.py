"""The call lists page: a telemarketer's lists (everyone's for those who make them), each lead with its number."""

from __future__ import annotations

from fastapi import Request

from leadflow.http import DbSession
from leadflow.leads import call_lists
from leadflow.leads.domain import readable_phone
from leadflow.leads.lifecycle import STAGE_LABELS
from leadflow.people.deps import PageActor
from leadflow.web.pages import page_router, render

router = page_router(tags=["pages"])


@router.get("/call-lists")
def call_lists_page(request: Request, session: DbSession, actor: PageActor):
    actor.require("call_lists:read")
    return render(request, "leads/call_lists.html", {
        "lists": call_lists.call_lists(session, actor), "stage_labels": STAGE_LABELS,
        "everyone": actor.can("call_lists:manage"), "readable_phone": readable_phone})
