"""The weekly digest for the person asking: its PDF (`/dashboards/digest.pdf?week=`) and its figures as JSON
(`/api/v1/analytics/digest?week=`), as they may see them; a week is named by any of its days (none: the last whole
week)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from leadflow import clock
from leadflow.analytics import digest, digest_render
from leadflow.http import DbSession
from leadflow.people import queries as people_queries
from leadflow.people.deps import PageActor, permitted
from leadflow.people.service import Actor
from leadflow.web.pages import page_router

router = page_router(tags=["pages"])
api_router = APIRouter(prefix="/api/v1/analytics", tags=["analytics"])
Viewer = Annotated[Actor, permitted("analytics:read")]


def _digest(actor: Actor, week: str | None, session) -> digest_render.Digest:
    first = digest.parse_week(week, today=clock.now().date())
    names = people_queries.user_names([actor.user_id], session=session) if actor.user_id else {}
    return digest.build(actor, first, session=session, recipient=names.get(actor.user_id, actor.label))


@api_router.get("/digest")
def digest_json(session: DbSession, actor: Viewer, week: Annotated[str | None, Query(max_length=20)] = None):
    """The week's figures against the week before, the sources that changed most and the norms missed, as the
    weekly digest tells them to the caller."""
    return digest_render.as_dict(_digest(actor, week, session))


@router.get("/dashboards/digest.pdf")
def digest_pdf(request: Request, session: DbSession, actor: PageActor):
    actor.require("analytics:read")
    d = _digest(actor, request.query_params.get("week"), session)
    return Response(digest.pdf_of(d), media_type="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{digest.file_name(d.week)}"'})
