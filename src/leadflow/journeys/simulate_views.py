"""The simulator's page, /journeys/{id}/simulate: choose the sample leads (a segment's members or the latest N),
the rates (delivered, opened, clicked, surveys answered and how) and a seed; run: the counts per step on the same
flow drawing, how many went each way, and a few sample leads' paths with their virtual times. journeys:read (it
changes nothing)."""

from __future__ import annotations

from fastapi import Request

from leadflow.errors import Invalid
from leadflow.http import DbSession
from leadflow.journeys import choices, drawing, queries, simulation
from leadflow.journeys.views import READ, problems_by_field
from leadflow.people.deps import PageActor
from leadflow.web.pages import page_router, render

router = page_router(tags=["pages"])


@router.get("/journeys/{journey_id}/simulate")
def simulate_page(request: Request, session: DbSession, actor: PageActor, journey_id: int):
    actor.require(READ)
    journey = queries.get(journey_id, session=session)
    values = dict(request.query_params)
    result, problems, status = None, {}, 200
    try:
        inputs = simulation.read(values)
        if values.get("run"):
            result = simulation.run(journey_id, values, actor, session=session)
    except Invalid as exc:
        inputs = {**simulation.DEFAULTS, **values}
        problems, status = problems_by_field(exc), 422
    raw = result["definition"] if result else simulation.definition_of(journey_id, None, session=session)[0]
    picked = choices.pickers(session=session)
    return render(request, "journeys/simulate.html", {
        "journey": journey, "base": f"/journeys/{journey_id}", "inputs": inputs, "result": result,
        "problems": problems, "boxes": drawing.draw(raw, {}, choices.names(picked)), "versions": queries.versions(
            journey_id, session=session), "answers": list(simulation.ANSWER_FIELDS),
        "segments": picked["segments"]}, status_code=status)
