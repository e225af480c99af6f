"""Handoff's pages under /settings/webhooks: the endpoints and a form for a new one, an endpoint's page (its
settings and delivery log), the dead letters; replay buttons. Admins only (webhooks:manage)."""

from __future__ import annotations

from fastapi import Request

from leadflow.errors import Conflict, Invalid, NotFound
from leadflow.handoff import payloads, signing
from leadflow.handoff import queries as handoff_queries
from leadflow.handoff import service as handoff_service
from leadflow.http import DbSession
from leadflow.people.deps import PageActor
from leadflow.web.pages import local_path, page_router, redirect, render

router = page_router(tags=["pages"])
PERMISSION = "webhooks:manage"


async def _form(request: Request) -> tuple[dict[str, str], list[str]]:
    form = await request.form()
    return ({k: v for k, v in form.items() if isinstance(v, str)},
            [v for v in form.getlist("events") if isinstance(v, str)])


def _errors(exc: Invalid) -> dict[str, str]:
    return {e.field: e.reason[:1].upper() + e.reason[1:] for e in exc.errors}


def _common() -> dict:
    return {"kinds": payloads.KIND_LABELS, "event_names": payloads.EVENTS, "last4": signing.last4,
            "replayable": payloads.REPLAYABLE}


def _list_page(request: Request, session, *, values: dict | None = None, errors: dict | None = None,
               status_code: int = 200):
    return render(request, "handoff/endpoints.html", {
        **_common(), "endpoints": handoff_queries.endpoints(session=session),
        "counts": handoff_queries.counts(session=session), "values": values or {"kind": payloads.WEBHOOK},
        "errors": errors or {}}, status_code=status_code)


@router.get("/settings/webhooks")
def endpoints_page(request: Request, session: DbSession, actor: PageActor):
    actor.require(PERMISSION)
    return _list_page(request, session)


@router.post("/settings/webhooks")
async def create_endpoint(request: Request, session: DbSession, actor: PageActor):
    actor.require(PERMISSION)
    form, names = await _form(request)
    kind = form.get("kind") or payloads.WEBHOOK
    secret = (form.get("secret") or "").strip()[:payloads.MAX_SECRET] or None
    options = {k: form[k].strip() for k in ("api_version", "external_id_field")
               if kind == payloads.SALESFORCE and (form.get(k) or "").strip()}
    values = {"kind": kind, "name": form.get("name", "")[:200], "url": form.get("url", "")[:2000], "events": names,
              **options}
    try:
        endpoint, generated = handoff_service.create_endpoint(
            session=session, url=values["url"], events=names or None, kind=kind, name=values["name"], secret=secret,
            options=options, actor=actor.label)
    except Invalid as exc:
        session.rollback()
        return _list_page(request, session, values=values, errors=_errors(exc), status_code=422)
    session.commit()
    if generated:
        return render(request, "handoff/created.html", {**_common(), "endpoint": endpoint, "secret": generated})
    return redirect(request, f"/settings/webhooks/{endpoint.id}", message=f"Created “{endpoint.name}”.", kind="ok")


def _endpoint_page(request: Request, session, endpoint, *, errors: dict | None = None, status_code: int = 200,
                   status: str | None = None):
    return render(request, "handoff/endpoint.html", {
        **_common(), "endpoint": endpoint, "errors": errors or {},
        "deliveries": handoff_queries.deliveries(session=session, endpoint_id=endpoint.id, status=status or None),
        "counts": handoff_queries.counts(session=session).get(endpoint.id, {}), "status": status,
        "statuses": payloads.STATUSES}, status_code=status_code)


@router.get("/settings/webhooks/dead")
def dead_letters(request: Request, session: DbSession, actor: PageActor):
    actor.require(PERMISSION)
    return render(request, "handoff/dead.html", {
        **_common(), "deliveries": handoff_queries.deliveries(session=session, status="dead", limit=200),
        "names": handoff_queries.endpoint_names(session=session)})


@router.get("/settings/webhooks/{endpoint_id:int}")
def endpoint_page(endpoint_id: int, request: Request, session: DbSession, actor: PageActor, status: str = ""):
    actor.require(PERMISSION)
    endpoint = handoff_service.get_endpoint(endpoint_id, session=session)
    return _endpoint_page(request, session, endpoint, status=status if status in payloads.STATUSES else None)


@router.post("/settings/webhooks/{endpoint_id:int}")
async def update_endpoint(endpoint_id: int, request: Request, session: DbSession, actor: PageActor):
    actor.require(PERMISSION)
    endpoint = handoff_service.get_endpoint(endpoint_id, session=session)
    form, names = await _form(request)
    values: dict = {"name": form.get("name", "")[:200], "url": form.get("url", "")[:2000], "events": names,
                    "active": form.get("active") == "on"}
    secret = (form.get("secret") or "").strip()[:payloads.MAX_SECRET]
    if secret:
        values["secret"] = secret
    try:
        handoff_service.update_endpoint(session=session, endpoint=endpoint, values=values)
    except Invalid as exc:
        session.rollback()
        return _endpoint_page(request, session, endpoint, errors=_errors(exc), status_code=422)
    session.commit()
    return redirect(request, f"/settings/webhooks/{endpoint.id}", message="Saved.", kind="ok")


@router.post("/settings/webhooks/{endpoint_id:int}/delete")
def delete_endpoint(endpoint_id: int, request: Request, session: DbSession, actor: PageActor):
    actor.require(PERMISSION)
    endpoint = handoff_service.get_endpoint(endpoint_id, session=session)
    name = endpoint.name
    handoff_service.delete_endpoint(session=session, endpoint=endpoint)
    session.commit()
    return redirect(request, "/settings/webhooks", message=f"Removed “{name}” and its delivery log.", kind="ok")


@router.post("/settings/webhooks/deliveries/{delivery_id}/replay")
async def replay(delivery_id: str, request: Request, session: DbSession, actor: PageActor):
    actor.require(PERMISSION)
    form, _ = await _form(request)
    back = local_path(form.get("next"), "/settings/webhooks/dead")
    try:
        delivery = handoff_service.replay(delivery_id, session=session)
    except (Conflict, NotFound) as exc:
        session.rollback()
        return redirect(request, back, message=str(exc), kind="error")
    session.commit()
    return redirect(request, back, message=f"Delivery {delivery.delivery_id} queued again with the same id.",
                    kind="ok")
