"""/my-day: a salesperson's day on one page: their new leads, follow-ups due and overdue (soonest first), tasks due
today or overdue, call-backs with their times, each a click from the lead and a click from done. A manager may open
a teammate's day."""

from __future__ import annotations

from fastapi import Request

from leadflow.errors import Invalid
from leadflow.followup import day, tasks
from leadflow.followup.outcomes import TASK_KINDS
from leadflow.http import DbSession, retry_races
from leadflow.leads import queries as leads_queries
from leadflow.people import queries as people_queries
from leadflow.people.deps import PageActor
from leadflow.web.pages import page_router, redirect, render

router = page_router(tags=["pages"])


@router.get("/my-day")
def my_day(request: Request, session: DbSession, actor: PageActor, user: str | None = None):
    actor.require("followup:work")
    user_id = actor.user_id
    team = leads_queries.assignable_owners(actor, session=session) if actor.can("leads:assign") else []
    if user and user.isdecimal() and int(user) in {u.id for u in team}:
        user_id = int(user)
    found = day.of(actor, user_id, session=session)
    names = people_queries.user_names([user_id], session=session) if user_id else {}
    return render(request, "followup/day.html", {
        "day": found, "team": team, "user_id": user_id, "own": user_id == actor.user_id,
        "who": names.get(user_id, ""), "task_kinds": TASK_KINDS, "local": found.local})


@router.post("/my-day/tasks/{task_id:int}/done")
@retry_races
def task_done(task_id: int, request: Request, session: DbSession, actor: PageActor):
    actor.require("followup:work")
    task = tasks.visible_task(actor, task_id, session=session)
    back = "/my-day" + (f"?user={task.owner_id}" if task.owner_id and task.owner_id != actor.user_id else "")
    try:
        won = tasks.finish(task, session=session, actor=actor.label)
    except Invalid as exc:
        return redirect(request, back, message=str(exc), kind="error")
    if not won:
        session.rollback()
        return redirect(request, back, message=f"\u201c{task.title}\u201d was {task.status} already.", kind="info")
    session.commit()
    return redirect(request, back, message=f"Done: {task.title}.", kind="ok")
