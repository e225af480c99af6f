"""Pages: sign in, sign out, forgotten password and reset, and the start page of a signed-in user."""

from __future__ import annotations

from typing import Annotated

from fastapi import Form, Request

from leadflow.errors import Invalid
from leadflow.http import DbSession, PublicClient
from leadflow.people import roles, signin
from leadflow.people.deps import PageActor
from leadflow.people.models import Team
from leadflow.web import csrf
from leadflow.web.pages import local_path, page_router, redirect, render, set_cookie

router = page_router(tags=["pages"])

WRONG = "Wrong email or password."


def _locked(until) -> str:
    minutes = int(roles.LOCKOUT.total_seconds() // 60)
    return (f"Too many failed sign-ins: this account is locked for {minutes} minutes, until "
            f"{until:%H:%M} UTC. Try again then, or reset your password.")


@router.get("/")
def home(request: Request, actor: PageActor, session: DbSession):
    """The start page: each role lands on the page it works from (roles.HOME_PAGES); a user whose permissions do
    not reach it (an unknown role) sees who they are instead."""
    target = roles.HOME_PAGES.get(actor.role)
    if target is not None:
        return redirect(request, target)
    team = session.get(Team, actor.team_id) if actor.team_id else None
    return render(request, "people/home.html", {"team": team, "role_label": actor.role.replace("_", " ")})


@router.get("/login")
def login_page(request: Request, session: DbSession, next: str | None = None):
    if signin.session_user(session, request.cookies.get(csrf.SESSION_COOKIE)) is not None:
        return redirect(request, local_path(next))
    return render(request, "people/login.html", {"next": local_path(next), "email": ""})


@router.post("/login")
def login(request: Request, session: DbSession, _client: PublicClient, email: Annotated[str, Form()] = "",
          password: Annotated[str, Form()] = "", next: Annotated[str, Form()] = "/"):
    with request.app.state.read_sessionmaker() as reading:  # the slow check holds no write lock
        checked = signin.check_password(reading, email=email[:320], password=password[:1000])
    try:
        user = signin.sign_in(session, checked)
    except signin.SignInRefused as refused:
        session.commit()  # the failure counts
        context = {"next": local_path(next), "email": email[:320],
                   "error": _locked(refused.locked_until) if refused.locked_until else WRONG}
        return render(request, "people/login.html", context, status_code=429 if refused.locked_until else 401)
    signin.end_session(session, request.cookies.get(csrf.SESSION_COOKIE))
    token = signin.open_session(session, user)
    session.commit()
    response = redirect(request, local_path(next))
    set_cookie(request, response, csrf.SESSION_COOKIE, token, max_age=int(roles.SESSION_LIFETIME.total_seconds()))
    return response


@router.post("/logout")
def logout(request: Request, session: DbSession):
    signin.end_session(session, request.cookies.get(csrf.SESSION_COOKIE))
    session.commit()
    response = redirect(request, "/login", message="You have signed out.", kind="ok")
    response.delete_cookie(csrf.SESSION_COOKIE, path="/")
    return response


@router.get("/password/forgot")
def forgot_page(request: Request):
    return render(request, "people/forgot.html", {"email": ""})


@router.post("/password/forgot")
def forgot(request: Request, session: DbSession, _client: PublicClient, email: Annotated[str, Form()] = ""):
    """The same answer whether or not the address has an account; the email goes out through the outbox."""
    settings = request.app.state.settings
    signin.request_reset(session, email=email[:320], secret_key=request.app.state.secret_key,
                         base_url=settings.base_url)
    session.commit()
    return render(request, "people/forgot.html", {
        "sent": True, "email": email[:320], "minutes": int(roles.RESET_LIFETIME.total_seconds() // 60)})


def _expired(request: Request, exc: Invalid):
    return render(request, "error.html", {"title": "This link cannot be used",
                                          "message": exc.errors[0].reason}, status_code=400)


@router.get("/password/reset/{token}")
def reset_page(request: Request, token: str, session: DbSession):
    try:
        user = signin.reset_user(session, token=token, secret_key=request.app.state.secret_key)
    except Invalid as exc:
        return _expired(request, exc)
    return render(request, "people/reset.html", {"token": token, "account": user.email, "errors": {},
                                                 "min_length": roles.MIN_PASSWORD_LENGTH})


@router.post("/password/reset/{token}")
def reset(request: Request, token: str, session: DbSession, password: Annotated[str, Form()] = "",
          confirm: Annotated[str, Form()] = ""):
    secret = request.app.state.secret_key
    try:
        user = signin.reset_user(session, token=token, secret_key=secret)
    except Invalid as exc:
        return _expired(request, exc)
    errors = {}
    problem = roles.password_problem(password)
    if problem:
        errors["password"] = f"The password {problem}."
    elif password != confirm:
        errors["confirm"] = "The two passwords differ."
    if errors:
        return render(request, "people/reset.html", {"token": token, "account": user.email, "errors": errors,
                                                     "min_length": roles.MIN_PASSWORD_LENGTH}, status_code=422)
    signin.reset_password(session, token=token, password=password, secret_key=secret)
    session.commit()
    response = redirect(request, "/login", message="Your password is changed. Sign in with the new one.", kind="ok")
    response.delete_cookie(csrf.SESSION_COOKIE, path="/")
    return response
