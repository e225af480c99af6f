"""The demo's people: users in every role and their teams, with one password to sign in as any of them.
"""

from __future__ import annotations

import random

from anyascii import anyascii
from sqlalchemy.orm import Session

from leadflow.demo.progress import Report
from leadflow.errors import NotFound
from leadflow.people import roles
from leadflow.people import service as people_service
from leadflow.people import signin
from leadflow.people.models import User


def hire_people(session: Session, rng: random.Random, fakers: dict, report: Report) -> dict[str, list[User]]:
    """Users in every role with one shared password (hashed once, before the write transaction needs it)."""
    password = people_service.generate_password()
    report.password = password
    hashed = signin.hash_password(password)
    plan = [  # role, locale, team
        (roles.ADMIN, "en_GB", None), (roles.MARKETING, "nl_NL", "Marketing"), (roles.MARKETING, "de_DE", "Marketing"),
        (roles.SALES_MANAGER, "no_NO", "Sales North"), (roles.SALES_MANAGER, "nl_NL", "Sales Central"),
        (roles.SALES_REP, "fi_FI", "Sales North"), (roles.SALES_REP, "no_NO", "Sales North"),
        (roles.SALES_REP, "en_GB", "Sales North"), (roles.SALES_REP, "nl_NL", "Sales Central"),
        (roles.SALES_REP, "de_DE", "Sales Central"), (roles.SALES_REP, "en_US", "Sales Central"),
        (roles.TELEMARKETER, "nl_NL", "Telemarketing"), (roles.TELEMARKETER, "de_DE", "Telemarketing"),
    ]
    teams = {"Sales North": ("sales", True), "Sales Central": ("sales", False), "Marketing": ("marketing", True),
             "Telemarketing": ("telemarketing", False)}
    for name, (kind, shared) in teams.items():
        try:
            people_service.team_by_name(name, session=session)
        except NotFound:
            people_service.create_team(session=session, name=name, kind=kind, members_see_each_other=shared)
    by_role: dict[str, list[User]] = {role: [] for role in roles.ROLES}
    for role, locale, team in plan:
        fake = fakers[locale]
        first, last = fake.first_name(), fake.last_name()
        email = f"{ascii_name(first)}.{ascii_name(last)}@demo.leadflow.example"
        try:
            user = people_service.user_by_email(email, session=session)
            user.password_hash = hashed  # a resumed demo prints a new password: the first may not have been seen
        except NotFound:
            user = people_service.create_user(session=session, email=email, role=role, name=f"{first} {last}",
                                              team=team)
            user.password_hash = hashed
        by_role[role].append(user)
        report.users.append((user.email, role, team or "-"))
    managers = {"Sales North": by_role[roles.SALES_MANAGER][0], "Sales Central": by_role[roles.SALES_MANAGER][1],
                "Marketing": by_role[roles.MARKETING][0], "Telemarketing": by_role[roles.MARKETING][1]}
    for name, user in managers.items():
        people_service.team_by_name(name, session=session).manager_id = user.id
    session.flush()
    return by_role


def ascii_name(text: str) -> str:
    return "".join(ch for ch in anyascii(text).lower() if ch.isalnum() or ch == "-") or "x"
