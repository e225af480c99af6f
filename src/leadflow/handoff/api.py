"""JSON routes of handoff under /api/v1/webhooks: endpoints (list, create, read, change, remove), their delivery
log, and replay. Only holders of webhooks:manage (admins) reach them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from leadflow.errors import Invalid
from leadflow.handoff import payloads
from leadflow.handoff import queries as handoff_queries
from leadflow.handoff import service as handoff_service
from leadflow.handoff.schemas import (
    DeliveryRead,
    EndpointCreate,
    EndpointCreated,
    EndpointRead,
    EndpointUpdate,
)
from leadflow.http import DbSession
from leadflow.inputs import Id
from leadflow.people.deps import permitted
from leadflow.people.service import Actor

router = APIRouter(prefix="/api/v1/webhooks", tags=["webhooks"])

Manager = Annotated[Actor, permitted("webhooks:manage")]


def _secret_of(kind: str, secret: str | None, token: str | None) -> str | None:
    if kind == payloads.WEBHOOK and token is not None:
        raise Invalid.one("token", "a webhook has a secret, not a token")
    if kind != payloads.WEBHOOK and secret is not None:
        raise Invalid.one("secret", "a connector has a token, not a secret")
    return secret if kind == payloads.WEBHOOK else token


@router.get("", response_model=list[EndpointRead])
def list_endpoints(session: DbSession, actor: Manager):
    counts = handoff_queries.counts(session=session)
    return [EndpointRead.of(e, counts.get(e.id)) for e in handoff_queries.endpoints(session=session)]


@router.post("", status_code=201, response_model=EndpointCreated)
def create_endpoint(body: EndpointCreate, session: DbSession, actor: Manager):
    endpoint, generated = handoff_service.create_endpoint(
        session=session, url=body.url, events=body.events, kind=body.kind, name=body.name,
        secret=_secret_of(body.kind, body.secret, body.token), options=body.options, active=body.active,
        actor=actor.label)
    session.commit()
    return EndpointCreated(**EndpointRead.of(endpoint).model_dump(), generated_secret=generated)


@router.get("/deliveries", response_model=list[DeliveryRead])
def list_deliveries(session: DbSession, actor: Manager,
                    status: Annotated[str | None, Query(description="pending, failed, delivered or dead")] = None,
                    endpoint_id: Id | None = None, lead_id: Id | None = None, before: Id | None = None,
                    limit: Annotated[int, Query(ge=1, le=500)] = 50):
    if status is not None and status not in payloads.STATUSES:
        raise Invalid.one("status", f"must be one of {', '.join(payloads.STATUSES)}")
    return [DeliveryRead.of(d) for d in handoff_queries.deliveries(
        session=session, endpoint_id=endpoint_id, status=status, lead_id=lead_id, before=before, limit=limit)]


@router.get("/deliveries/{delivery_id}", response_model=DeliveryRead)
def get_delivery(delivery_id: str, session: DbSession, actor: Manager):
    return DeliveryRead.of(handoff_service.get_delivery(delivery_id, session=session), with_body=True)


@router.post("/deliveries/{delivery_id}/replay", response_model=DeliveryRead)
def replay_delivery(delivery_id: str, session: DbSession, actor: Manager):
    delivery = handoff_service.replay(delivery_id, session=session)
    session.commit()
    return DeliveryRead.of(delivery)


@router.get("/{endpoint_id}", response_model=EndpointRead)
def get_endpoint(endpoint_id: Id, session: DbSession, actor: Manager):
    endpoint = handoff_service.get_endpoint(endpoint_id, session=session)
    return EndpointRead.of(endpoint, handoff_queries.counts(session=session).get(endpoint.id))


@router.patch("/{endpoint_id}", response_model=EndpointRead)
def patch_endpoint(endpoint_id: Id, body: EndpointUpdate, session: DbSession, actor: Manager):
    endpoint = handoff_service.get_endpoint(endpoint_id, session=session)
    values = body.model_dump(exclude_unset=True)
    secret, token = values.pop("secret", None), values.pop("token", None)
    if secret is not None or token is not None:
        values["secret"] = _secret_of(endpoint.kind, secret, token)
    handoff_service.update_endpoint(session=session, endpoint=endpoint, values=values)
    session.commit()
    return EndpointRead.of(endpoint)


@router.delete("/{endpoint_id}", status_code=204)
def delete_endpoint(endpoint_id: Id, session: DbSession, actor: Manager):
    handoff_service.delete_endpoint(session=session, endpoint=handoff_service.get_endpoint(endpoint_id,
                                                                                          session=session))
    session.commit()
    return Response(status_code=204)
