"""Who acts, as FastAPI dependencies: the API key's actor (`ApiActor`, `permitted(permission)`) and the signed-in
user of a page (`PageActor`). The request's session and other plumbing are leadflow.http's, which knows no stage."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from leadflow.errors import Unauthorized
from leadflow.people import service as people_service
from leadflow.people import signin
from leadflow.people.service import Actor
from leadflow.web import csrf
from leadflow.web.pages import LoginRequired

# Declares the API key in the OpenAPI schema (its Authorize button in /docs); the check is api_actor's own, so a
# missing or malformed header gets leadflow's 401 with the reason.
BEARER = HTTPBearer(auto_error=False, scheme_name="apiKey", bearerFormat="API key",
                    description="An API key from `leadflow apikey create` or Settings, sent as "
                                "`Authorization: Bearer KEY`.")


def api_actor(request: Request, _declared: Annotated[HTTPAuthorizationCredentials | None, Depends(BEARER)] = None
              ) -> Actor:
    """The API key's actor, checked in a short session of its own (released before the endpoint runs)."""
    header = request.headers.get("authorization", "")
    scheme, _, key = header.partition(" ")
    if scheme.lower() != "bearer" or not key.strip():
        raise Unauthorized("send an API key as 'Authorization: Bearer KEY'")
    with request.app.state.read_sessionmaker() as session:
        actor, use_due = people_service.check_api_key(key.strip(), session=session)
    if use_due:
        with request.app.state.sessionmaker() as session:
            people_service.record_key_use(actor.id, session=session)
            session.commit()
    return actor


ApiActor = Annotated[Actor, Depends(api_actor)]


def permitted(permission: str):
    """A dependency: the API key's actor, when it holds this permission (403 with the reason otherwise)."""

    def check(actor: ApiActor) -> Actor:
        actor.require(permission)
        return actor

    return Depends(check)


def page_actor(request: Request) -> Actor:
    """The signed-in user of a page (from the session cookie), or a redirect to /login."""
    with request.app.state.read_sessionmaker() as session:
        user = signin.session_user(session, request.cookies.get(csrf.SESSION_COOKIE))
        if user is None:
            raise LoginRequired(request.url.path + (f"?{request.url.query}" if request.url.query else ""))
        session.expunge(user)
    request.state.user = user
    actor = people_service.actor_for(user)
    request.state.permissions = actor.permissions
    return actor


PageActor = Annotated[Actor, Depends(page_actor)]
