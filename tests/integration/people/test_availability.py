"""People's preferences and availability through HTTP: channels, the chat webhook kept secret, time zone, working
hours, out of office (set by oneself or one's sales manager), validation as 422 with the field; what routing reads."""

from __future__ import annotations

from datetime import timedelta

from leadflow import clock
from leadflow.people import queries as people_queries
from leadflow.people.models import Absence
from tests.integration.people.factories import person, team
from tests.integration.people.pages import form_token, sign_in

HOOK = "https://hooks.slack.com/services/T0001/B0001/verysecretpart"


def patch(client, who, **changes):
    return client.patch("/api/v1/me/preferences", headers=who.headers, json=changes)


def fields(answer) -> set[str]:
    assert answer.status_code == 422, answer.text
    return {e["field"] for e in answer.json()["errors"]}


def at(hours: float) -> str:
    return (clock.now() + timedelta(hours=hours)).isoformat()


def test_preferences_default_to_email_and_in_app_in_utc(client, factory):
    rep = person(factory, "sales_rep")
    assert client.get("/api/v1/me/preferences", headers=rep.headers).json() == {
        "notify_email": True, "notify_in_app": True, "chat_webhook": None, "chat_webhook_set": False,
        "timezone": "UTC", "working_hours": None, "holiday_country": None, "holiday_region": None}


def test_the_chat_webhook_is_never_shown_back_in_full(client, factory):
    rep = person(factory, "sales_rep")
    r = patch(client, rep, chat_webhook_url=HOOK)
    assert r.status_code == 200 and r.json()["chat_webhook"] == "https://hooks.slack.com/\u2026"
    assert "verysecretpart" not in client.get("/api/v1/me/preferences", headers=rep.headers).text
    assert sign_in(client, rep.email).status_code == 303
    page = client.get("/me/preferences")
    assert page.status_code == 200 and "hooks.slack.com" in page.text and "verysecretpart" not in page.text
    token = form_token(client, "/me/preferences")
    kept = client.post("/me/preferences", data={"csrf_token": token, "notify_email": "1", "timezone": "UTC",
                                                "chat_webhook_url": ""}, follow_redirects=False)
    assert kept.status_code == 303
    assert client.get("/api/v1/me/preferences", headers=rep.headers).json()["chat_webhook_set"] is True
    assert patch(client, rep, chat_webhook_url=None).json()["chat_webhook_set"] is False


def test_bad_input_is_422_with_the_field(client, factory):
    rep = person(factory, "sales_rep")
    assert fields(patch(client, rep, timezone="Mars/Olympus_Mons")) == {"timezone"}
    assert fields(patch(client, rep, working_hours={"mon": ["25:00-26:00"]})) == {"working_hours.mon"}
    assert fields(patch(client, rep, working_hours={"tue": ["17:00-09:00"], "someday": ["09:00-10:00"]})) == {
        "working_hours.tue", "working_hours.someday"}
    assert fields(patch(client, rep, working_hours={"wed": ["09:00-12:00", "11:00-13:00"]})) == {"working_hours.wed"}
    assert fields(patch(client, rep, chat_webhook_url="javascript:alert(1)")) == {"chat_webhook_url"}
    assert fields(patch(client, rep, notify_email=None)) == {"notify_email"}
    r = client.post(f"/api/v1/users/{rep.id}/absences", headers=rep.headers,
                    json={"starts_at": at(48), "ends_at": at(24)})
    assert fields(r) == {"ends_at"}
    assert client.get("/api/v1/me/preferences", headers=rep.headers).json()["timezone"] == "UTC"


def test_the_preferences_page_shows_errors_beside_their_fields(client, factory):
    rep = person(factory, "sales_rep")
    assert sign_in(client, rep.email).status_code == 303
    token = form_token(client, "/me/preferences")
    r = client.post("/me/preferences", data={"csrf_token": token, "timezone": "Nowhere/Land",
                                              "hours_mon": "25:00-26:00", "hours_set": "1"})
    assert r.status_code == 422
    assert 'id="error-timezone"' in r.text and 'id="error-hours_mon"' in r.text
    saved = client.post("/me/preferences", data={"csrf_token": token, "timezone": "Europe/Berlin",
                                                 "notify_in_app": "1", "hours_mon": "08:00-12:00, 13:00-17:00",
                                                 "hours_fri": "9:00-13:00", "hours_set": "1"},
                        follow_redirects=False)
    assert saved.status_code == 303
    assert client.get("/api/v1/me/preferences", headers=rep.headers).json() == {
        "notify_email": False, "notify_in_app": True, "chat_webhook": None, "chat_webhook_set": False,
        "timezone": "Europe/Berlin", "working_hours": {"mon": ["08:00-12:00", "13:00-17:00"], "fri": ["09:00-13:00"]},
        "holiday_country": None, "holiday_region": None}
    bad = client.post("/me/absences", data={"csrf_token": token, "starts_at": "2099-01-02T09:00",
                                            "ends_at": "2099-01-01T09:00"})
    assert bad.status_code == 422 and 'id="error-absence_ends_at"' in bad.text
    added = client.post("/me/absences", data={"csrf_token": token, "starts_at": "2099-01-01T09:00",
                                              "ends_at": "2099-01-02T09:00", "note": "Holiday"},
                        follow_redirects=False)
    assert added.status_code == 303
    (absence,) = client.get(f"/api/v1/users/{rep.id}/absences", headers=rep.headers).json()["items"]
    assert absence["starts_at"].startswith("2099-01-01T08:00")  # 09:00 in Berlin
    page = client.get("/me/preferences")
    assert "2099-01-01 09:00" in page.text and "Holiday" in page.text
    removed = client.post(f"/me/absences/{absence['id']}/delete", data={"csrf_token": token},
                          follow_redirects=False)
    assert removed.status_code == 303
    assert client.get(f"/api/v1/users/{rep.id}/absences", headers=rep.headers).json()["items"] == []


def test_availability_gives_time_zone_hours_and_only_absences_not_yet_ended(client, factory):
    rep, other = person(factory, "sales_rep"), person(factory, "sales_rep")
    hours = {"mon": ["08:00-16:00"], "tue": ["08:00-16:00"]}
    assert patch(client, rep, timezone="America/New_York", working_hours=hours).status_code == 200
    current = client.post(f"/api/v1/users/{rep.id}/absences", headers=rep.headers,
                          json={"starts_at": at(-2), "ends_at": at(3), "note": "Dentist"})
    future = client.post(f"/api/v1/users/{rep.id}/absences", headers=rep.headers,
                         json={"starts_at": at(24 * 7), "ends_at": at(24 * 14)})
    assert current.status_code == 201 and future.status_code == 201
    with factory() as session:
        session.add(Absence(user_id=rep.id, starts_at=clock.now() - timedelta(days=9),
                            ends_at=clock.now() - timedelta(days=8), note="past", created_by="test"))
        session.commit()
        found = people_queries.availability([rep.id, other.id], session=session)
    mine = found[rep.id]
    assert mine.timezone == "America/New_York" and mine.working_hours == hours
    assert len(mine.absences) == 2 and mine.absences[0][1] > clock.now() and mine.away(clock.now())
    assert not mine.working(clock.now())
    assert found[other.id].timezone == "UTC" and found[other.id].working_hours is None
    assert found[other.id].absences == () and found[other.id].working(clock.now())
    past = client.get(f"/api/v1/users/{rep.id}/absences?past=true", headers=rep.headers).json()["items"]
    assert [a["note"] for a in past] == ["past", "Dentist", ""]


def test_a_sales_manager_sets_their_team_members_absences_a_rep_only_their_own(client, factory):
    manager = person(factory, "sales_manager")
    team(factory, "East", manager=manager.email)
    rep = person(factory, "sales_rep", team="East")
    outsider = person(factory, "sales_rep")
    body = {"starts_at": at(1), "ends_at": at(30), "note": "Parental leave"}
    made = client.post(f"/api/v1/users/{rep.id}/absences", headers=manager.headers, json=body)
    assert made.status_code == 201 and made.json()["created_by"].startswith("api_key:")
    assert client.post(f"/api/v1/users/{outsider.id}/absences", headers=manager.headers, json=body).status_code == 403
    assert client.post(f"/api/v1/users/{rep.id}/absences", headers=outsider.headers, json=body).status_code == 403
    assert client.get(f"/api/v1/users/{rep.id}/absences", headers=outsider.headers).status_code == 403
    assert client.post("/api/v1/users/999999/absences", headers=manager.headers, json=body).status_code == 404
    absence_id = made.json()["id"]
    assert client.delete(f"/api/v1/users/{outsider.id}/absences/{absence_id}",
                         headers=outsider.headers).status_code == 404
    assert client.delete(f"/api/v1/users/{rep.id}/absences/{absence_id}", headers=rep.headers).status_code == 204
    admin = person(factory, "admin")
    assert client.post(f"/api/v1/users/{outsider.id}/absences", headers=admin.headers, json=body).status_code == 201


def test_a_sales_manager_records_their_teams_leave_on_the_out_of_office_page(client, factory):
    manager = person(factory, "sales_manager")
    team(factory, "West", manager=manager.email)
    rep = person(factory, "sales_rep", team="West")
    outsider = person(factory, "sales_rep")
    assert patch(client, rep, timezone="Asia/Tokyo").status_code == 200
    assert sign_in(client, manager.email).status_code == 303
    page = client.get("/out-of-office")
    assert page.status_code == 200 and rep.email in page.text and outsider.email not in page.text
    token = form_token(client, "/out-of-office")
    bad = client.post("/out-of-office", data={"csrf_token": token, "user": str(rep.id),
                                              "starts_at": "2099-03-02T09:00", "ends_at": "2099-03-01T09:00"})
    assert bad.status_code == 422 and 'id="error-ends_at"' in bad.text
    refused = client.post("/out-of-office", data={"csrf_token": token, "user": str(outsider.id),
                                                  "starts_at": "2099-03-01T09:00", "ends_at": "2099-03-02T09:00"})
    assert refused.status_code == 403
    added = client.post("/out-of-office", data={"csrf_token": token, "user": str(rep.id), "note": "Parental leave",
                                                "starts_at": "2099-03-01T09:00", "ends_at": "2099-03-02T09:00"},
                        follow_redirects=False)
    assert added.status_code == 303
    (absence,) = client.get(f"/api/v1/users/{rep.id}/absences", headers=rep.headers).json()["items"]
    assert absence["starts_at"].startswith("2099-03-01T00:00")  # 09:00 in Tokyo
    assert "2099-03-01 09:00" in client.get("/out-of-office").text
    removed = client.post(f"/out-of-office/{rep.id}/{absence['id']}/delete", data={"csrf_token": token},
                          follow_redirects=False)
    assert removed.status_code == 303
    assert client.get(f"/api/v1/users/{rep.id}/absences", headers=rep.headers).json()["items"] == []
