"""A hosted form sent in is behaviour too: the lead gets one `form_submit` event per submission, scored at once, so
the default rule "Submitted a form" fires without the tracking script on the page."""

from __future__ import annotations

from sqlalchemy import select

from leadflow.tracking.models import Event

FORM = {"name": "Brochure", "slug": "brochure", "fields": [
    {"maps_to": "email", "required": True, "label": {"en": "Email"}},
    {"maps_to": "first_name", "label": {"en": "First name"}}]}


def _form_events(session, lead_id: int) -> list[Event]:
    return list(session.scalars(select(Event).where(Event.lead_id == lead_id, Event.type == "form_submit")
                                .order_by(Event.id).execution_options(populate_existing=True)))


def test_a_hosted_form_submission_scores_submitted_a_form(client, auth, session):
    assert client.post("/api/v1/forms", headers=auth, json=FORM).status_code == 201
    r = client.post("/f/brochure", data={"email": "kari@fjell.example", "first_name": "Kari",
                                         "landing_page": "https://www.fjell.example/brochure"})
    assert r.status_code == 200, r.text
    [lead] = client.get("/api/v1/leads", headers=auth, params={"email": "kari@fjell.example"}).json()["items"]
    [event] = _form_events(session, lead["id"])
    assert event.source == "form" and event.properties == {"form": "brochure",
                                                           "url": "https://www.fjell.example/brochure"}
    score = client.get(f"/api/v1/leads/{lead['id']}/score", headers=auth).json()
    assert [r["label"] for r in score["behaviour"]] == ["Submitted a form"]
    assert score["behaviour_points"] == 10
    assert client.get(f"/api/v1/leads/{lead['id']}", headers=auth).json()["score"] == score["score"]

    # the same person sends the form again: a second submission, a second event (the rule caps the points)
    assert client.post("/f/brochure", data={"email": "KARI@fjell.example"}).status_code == 200
    assert len(_form_events(session, lead["id"])) == 2
    assert client.get(f"/api/v1/leads/{lead['id']}/score", headers=auth).json()["behaviour_points"] == 20


def test_a_refused_or_spam_submission_is_no_behaviour(client, auth, session):
    assert client.post("/api/v1/forms", headers=auth, json=FORM).status_code == 201
    assert client.post("/f/brochure", data={"first_name": "No email"}).status_code == 422
    assert client.post("/f/brochure", data={"email": "bot@spam.example", "website_url": "x"}).status_code == 200
    assert session.scalars(select(Event).where(Event.type == "form_submit")).all() == []


def test_the_hosted_form_is_left_to_the_server_by_the_tracking_script(client, auth):
    """lf.js would count the same submission a second time: leadflow's own form carries data-lf-ignore."""
    assert client.post("/api/v1/forms", headers=auth, json=FORM).status_code == 201
    assert "data-lf-ignore" in client.get("/f/brochure").text
    assert "data-lf-ignore" in client.get("/f/brochure/definition").json()["html"]
