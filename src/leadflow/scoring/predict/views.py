"""The lead page's prediction panel: the probability of converting and the features that moved it."""

from __future__ import annotations

from fastapi import Request

from leadflow.http import AppSettings, DbSession
from leadflow.leads import queries as leads_queries
from leadflow.people.deps import PageActor
from leadflow.scoring.predict import service as predict_service
from leadflow.web.pages import page_router, render

router = page_router(tags=["pages"])


@router.get("/leads/{lead_id:int}/prediction")
def lead_prediction(lead_id: int, request: Request, session: DbSession, actor: PageActor, settings: AppSettings):
    """An htmx fragment for the lead page, or a page of its own without JavaScript. A model below the quality bar
    (LEADFLOW_PREDICT_MIN_AUC) says so instead of showing a number."""
    actor.require("leads:read")
    lead = leads_queries.visible_lead(actor, lead_id, session=session)
    prediction, model = predict_service.prediction(lead.id, session=session)
    judged = predict_service.quality(model, min_auc=settings.predict_min_auc)
    drivers = prediction.drivers if prediction and judged.usable else []
    context = {"lead": lead, "prediction": prediction, "model": model, "quality": judged,
               "up": [d for d in drivers if d.get("effect", 0) > 0],
               "down": [d for d in drivers if d.get("effect", 0) < 0]}
    fragment = request.headers.get("hx-request") == "true"
    return render(request, "scoring/_prediction.html" if fragment else "scoring/prediction.html", context)
