"""Settings: users, teams and API keys (a new key shown once)."""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import Form, Request

from leadflow.errors import Conflict, Invalid, NotFound
from leadflow.http import DbSession
from leadflow.people import roles
from leadflow.people import service as people_service
from leadflow.people.deps import PageActor
from leadflow.web.pages import page_router, redirect, render

router = page_router(tags=["pages"])
log = logging.getLogger(__name__)

ROLE_LABELS = {role: role.replace("_", " ").capitalize() for role in roles.ROLES}
SCOPE_LABELS = {
    "leads:read": "Read leads, companies and captures",
    "leads:write": "Capture, edit, assign and merge leads; edit companies",
    "campaigns:read": "Read campaigns, forms and imports",
    "campaigns:write": "Create and edit campaigns and forms",
    "imports:write": "Run imports",
    "admin": "Manage users, survivorship rules and call lists",
}


def _words(reason: str) -> str:
    reason = reason.strip()
    return (reason[:1].upper() + reason[1:]).rstrip(".") + "."


def _manager(actor) -> None:
    actor.require("users:manage")


@router.get("/settings")
def settings_home(request: Request, actor: PageActor, session: DbSession):
    _manager(actor)
    return render(request, "people/settings_home.html", {
        "users": len(people_service.list_users(session=session)),
        "teams": len(people_service.list_teams(session=session)),
        "keys": sum(1 for k in people_service.list_api_keys(session=session) if k.revoked_at is None)})


# Users ------------------------------------------------------------------------------------------------------------

def _users_page(request: Request, session, *, values: dict | None = None, errors: dict | None = None,
                status_code: int = 200):
    return render(request, "people/settings_users.html", {
        "users": people_service.list_users(session=session), "teams": people_service.list_teams(session=session),
        "roles": ROLE_LABELS, "values": values or {"role": roles.SALES_REP}, "errors": errors or {}},
        status_code=status_code)


@router.get("/settings/users")
def users(request: Request, actor: PageActor, session: DbSession):
    _manager(actor)
    return _users_page(request, session)


@router.post("/settings/users")
def create_user(request: Request, actor: PageActor, session: DbSession, email: Annotated[str, Form()] = "",
                name: Annotated[str, Form()] = "", role: Annotated[str, Form()] = "",
                team: Annotated[str, Form()] = ""):
    """The generated password is shown on the answer to this post, once (as `leadflow user create` prints it)."""
    _manager(actor)
    values = {"email": email[:320], "name": name[:200], "role": role, "team": team}
    errors: dict[str, str] = {}
    if not email.strip():
        errors["email"] = "Required."
    password = people_service.generate_password()
    if not errors:
        try:
            team_name = people_service.get_team(int(team), session=session).name if team.isdecimal() else None
            user = people_service.create_user(session=session, email=email[:320], role=role, name=name[:200],
                                              team=team_name, password=password)
        except Invalid as exc:
            errors = {e.field: _words(e.reason) for e in exc.errors}
        except Conflict as exc:
            errors = {"email": _words(str(exc))}
        except NotFound:
            errors = {"team": "No such team."}
    if errors:
        session.rollback()
        return _users_page(request, session, values=values, errors=errors, status_code=422)
    session.commit()
    log.info("user %s created by %s", user.id, actor.label)
    return render(request, "people/settings_user_created.html", {
        "created": user, "password": password, "role_label": ROLE_LABELS[user.role]}, status_code=201)


@router.post("/settings/users/{user_id:int}")
def change_user(request: Request, user_id: int, actor: PageActor, session: DbSession,
                role: Annotated[str, Form()] = "", team: Annotated[str, Form()] = ""):
    _manager(actor)
    user = people_service.get_user(user_id, session=session)
    try:
        people_service.change_user(user, session=session, role=role, team_id=int(team) if team.isdecimal() else None)
    except (Invalid, Conflict) as exc:
        session.rollback()
        reason = exc.errors[0].reason if isinstance(exc, Invalid) else str(exc)
        return redirect(request, "/settings/users", message=f"{user.email} was not changed: {reason}.",
                        kind="error")
    session.commit()
    return redirect(request, "/settings/users", message=f"{user.email} saved.", kind="ok")


@router.post("/settings/users/{user_id:int}/deactivate")
def deactivate(request: Request, user_id: int, actor: PageActor, session: DbSession):
    _manager(actor)
    user = people_service.get_user(user_id, session=session)
    try:
        people_service.deactivate_by(user, session=session, actor=actor)
    except Conflict as exc:
        session.rollback()
        return redirect(request, "/settings/users", message=f"{_words(str(exc))}", kind="error")
    session.commit()
    return redirect(request, "/settings/users", kind="ok",
                    message=f"{user.email} is deactivated: they cannot sign in and their API keys stop working.")


@router.post("/settings/users/{user_id:int}/reactivate")
def reactivate(request: Request, user_id: int, actor: PageActor, session: DbSession):
    _manager(actor)
    user = people_service.reactivate_user(people_service.get_user(user_id, session=session), session=session)
    session.commit()
    return redirect(request, "/settings/users", message=f"{user.email} can sign in again.", kind="ok")


# Teams ------------------------------------------------------------------------------------------------------------

def _team_values(name: str, kind: str, manager: str, shared: str) -> dict:
    return {"name": name[:200], "kind": kind, "manager": manager, "shared": bool(shared)}


def _team_errors(session, exc: Exception) -> dict[str, str]:
    if isinstance(exc, Invalid):
        return {e.field: _words(e.reason) for e in exc.errors}
    if isinstance(exc, NotFound):
        return {"manager": "No such user."}
    return {"name": _words(str(exc))}


def _teams_page(request: Request, session, *, values: dict | None = None, errors: dict | None = None,
                status_code: int = 200):
    members: dict[int, int] = {}
    users_list = people_service.list_users(session=session)
    for user in users_list:
        if user.team_id:
            members[user.team_id] = members.get(user.team_id, 0) + 1
    return render(request, "people/settings_teams.html", {
        "teams": people_service.list_teams(session=session), "users": {u.id: u for u in users_list},
        "members": members, "kinds": roles.TEAM_KINDS, "values": values or {"kind": "sales"},
        "errors": errors or {}}, status_code=status_code)


@router.get("/settings/teams")
def teams(request: Request, actor: PageActor, session: DbSession):
    _manager(actor)
    return _teams_page(request, session)


@router.post("/settings/teams")
def create_team(request: Request, actor: PageActor, session: DbSession, name: Annotated[str, Form()] = "",
                kind: Annotated[str, Form()] = "", manager: Annotated[str, Form()] = "",
                shared: Annotated[str, Form()] = ""):
    _manager(actor)
    values = _team_values(name, kind, manager, shared)
    try:
        manager_email = people_service.get_user(int(manager), session=session).email if manager.isdecimal() else None
        team = people_service.create_team(session=session, name=values["name"], kind=kind, manager=manager_email,
                                          members_see_each_other=values["shared"])
    except (Invalid, Conflict, NotFound) as exc:
        session.rollback()
        return _teams_page(request, session, values=values, errors=_team_errors(session, exc), status_code=422)
    session.commit()
    return redirect(request, "/settings/teams", message=f"Team {team.name} created. Add people to it on the "
                                                        "Users page.", kind="ok")


def _team_page(request: Request, session, team, *, values: dict, errors: dict | None = None, status_code=200):
    return render(request, "people/settings_team.html", {
        "team": team, "values": values, "errors": errors or {}, "kinds": roles.TEAM_KINDS,
        "users": people_service.list_users(session=session)}, status_code=status_code)


@router.get("/settings/teams/{team_id:int}")
def team(request: Request, team_id: int, actor: PageActor, session: DbSession):
    _manager(actor)
    found = people_service.get_team(team_id, session=session)
    return _team_page(request, session, found, values={
        "name": found.name, "kind": found.kind, "manager": str(found.manager_id or ""),
        "shared": found.members_see_each_other})


@router.post("/settings/teams/{team_id:int}")
def change_team(request: Request, team_id: int, actor: PageActor, session: DbSession,
                name: Annotated[str, Form()] = "", kind: Annotated[str, Form()] = "",
                manager: Annotated[str, Form()] = "", shared: Annotated[str, Form()] = ""):
    _manager(actor)
    found = people_service.get_team(team_id, session=session)
    values = _team_values(name, kind, manager, shared)
    try:
        people_service.update_team(found, session=session, name=values["name"], kind=kind,
                                   manager_id=int(manager) if manager.isdecimal() else None,
                                   members_see_each_other=values["shared"])
    except (Invalid, Conflict) as exc:
        session.rollback()
        found = people_service.get_team(team_id, session=session)
        return _team_page(request, session, found, values=values, errors=_team_errors(session, exc),
                          status_code=422)
    session.commit()
    return redirect(request, "/settings/teams", message=f"Team {found.name} saved.", kind="ok")


# API keys ---------------------------------------------------------------------------------------------------------

def _keys_page(request: Request, session, *, values: dict | None = None, errors: dict | None = None,
               status_code: int = 200):
    return render(request, "people/settings_api_keys.html", {
        "keys": people_service.list_api_keys(session=session), "users": people_service.list_users(session=session),
        "scopes": SCOPE_LABELS, "values": values or {"scopes": []}, "errors": errors or {}},
        status_code=status_code)


@router.get("/settings/api-keys")
def api_keys(request: Request, actor: PageActor, session: DbSession):
    _manager(actor)
    return _keys_page(request, session)


@router.post("/settings/api-keys")
async def create_api_key(request: Request, actor: PageActor, session: DbSession):
    """The key itself is on this answer only (no-store); the database keeps its SHA-256."""
    _manager(actor)
    form = await request.form()
    name = str(form.get("name") or "").strip()[:200]
    user_field = str(form.get("user") or "")
    scopes = [str(s) for s in form.getlist("scopes")]
    values = {"name": name, "user": user_field, "scopes": scopes}
    errors: dict[str, str] = {}
    if not name:
        errors["name"] = "Required: say what the key is for, e.g. “Website form”."
    owner = None
    if user_field.isdecimal():
        try:
            owner = people_service.get_user(int(user_field), session=session)
        except NotFound:
            errors["user"] = "No such user."
        else:
            if not owner.is_active:
                errors["user"] = f"{owner.email} is deactivated."
    elif not errors:
        errors["user"] = "Choose the user the key acts as."
    if not errors:
        try:
            record, key = people_service.create_api_key(session=session, name=name, user_id=owner.id, scopes=scopes)
        except Invalid as exc:
            errors = {"scopes": _words(exc.errors[0].reason)}
    if errors:
        session.rollback()
        return _keys_page(request, session, values=values, errors=errors, status_code=422)
    session.commit()
    log.info("API key %s created by %s", record.id, actor.label)
    return render(request, "people/settings_api_key_created.html", {
        "record": record, "key": key, "owner": owner}, status_code=201)


@router.post("/settings/api-keys/{key_id:int}/revoke")
def revoke_api_key(request: Request, key_id: int, actor: PageActor, session: DbSession):
    _manager(actor)
    record = people_service.revoke_api_key(key_id, session=session)
    session.commit()
    return redirect(request, "/settings/api-keys", message=f"API key “{record.name}” is revoked: it no longer works.",
                    kind="ok")
