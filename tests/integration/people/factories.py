"""People for tests: users with an API key of their own, teams and call lists (plain add-and-flush, then commit)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from leadflow.people import service as people_service
from leadflow.people.models import User

_numbers = itertools.count(1)
PASSWORD = "correct horse battery"


@dataclass
class Person:
    id: int
    email: str
    role: str
    headers: dict


def person(factory, role: str, *, team: str | None = None, scopes: list[str] | None = None,
           password: str = PASSWORD) -> Person:
    email = f"{role.replace('_', '.')}{next(_numbers)}@example.com"
    with factory() as session:
        user = people_service.create_user(session=session, email=email, role=role, name=f"{role} {email}", team=team,
                                          password=password)
        _, key = people_service.create_api_key(session=session, name=f"{role} key", user_id=user.id, scopes=scopes)
        session.commit()
        return Person(user.id, user.email, role, {"Authorization": f"Bearer {key}"})


def team(factory, name: str, *, kind: str = "sales", manager: str | None = None, shared: bool = False) -> str:
    with factory() as session:
        people_service.create_team(session=session, name=name, kind=kind, manager=manager,
                                   members_see_each_other=shared)
        session.commit()
    return name


def call_list(factory, owner: Person, lead_ids: list[int]) -> None:
    with factory() as session:
        listed = people_service.create_call_list(session=session, name="today", owner=session.get(User, owner.id))
        people_service.add_to_call_list(session=session, call_list=listed, lead_ids=lead_ids)
        session.commit()


def lead(client, auth, *, owner: Person | None = None, **fields) -> int:
    """A lead captured through the API (by the admin key), owned by `owner`."""
    fields.setdefault("email", f"lead{next(_numbers)}@example.com")
    r = client.post("/api/v1/leads", headers=auth, json=fields)
    assert r.status_code in (200, 201), r.text
    lead_id = r.json()["id"]
    if owner is not None:
        assert client.patch(f"/api/v1/leads/{lead_id}", headers=auth, json={"owner": owner.id}).status_code == 200
    return lead_id


def visible(client, who: Person) -> set[int]:
    r = client.get("/api/v1/leads", headers=who.headers, params={"limit": 500})
    assert r.status_code == 200, r.text
    return {item["id"] for item in r.json()["items"]}
