"""A template's `survey_link("key")` and the survey it names: a survey a template links cannot be deleted (409 naming
the templates, the same refusal on the survey's page), one no template links is deleted as before; a template whose
survey's key cannot change while a template links it (422 on `key`); a template whose key names no survey is a 422
preview naming `body_mjml`, and its messages are skipped with the reason while the rest of the pass is sent."""

from __future__ import annotations

import re

from tests.integration.email.conftest import BODY, NOON, at, lead, message, queue, send_pass, template
from tests.integration.people.factories import person
from tests.integration.people.pages import form_token, sign_in
from tests.integration.surveys.helpers import make_survey

LINKED = BODY.replace('<mj-button href="https://example.com/brochure?x=1&amp;y=2">',
                      """<mj-button href="{{ survey_link('pumps-check') }}">""")
IN_SUBJECT = 'Tell us {{ survey_link( "pumps-check" ) }}'


def test_a_survey_a_template_links_is_not_deleted_and_the_refusal_names_the_templates(client, auth, factory):
    survey = make_survey(client, auth, key="pumps-check")
    template(client, auth, name="Pumps follow-up", body=LINKED)
    template(client, auth, name="A reminder", subject=IN_SUBJECT)
    template(client, auth, name="Unrelated", body=BODY.replace("Hello", "Hello pumps-check readers"))
    r = client.delete(f"/api/v1/surveys/{survey['id']}", headers=auth)
    assert r.status_code == 409, r.text
    reason = r.json()["errors"][0]["reason"]
    assert "“A reminder”, “Pumps follow-up” link this survey" in reason and "Unrelated" not in reason
    assert client.get(f"/api/v1/surveys/{survey['id']}", headers=auth).status_code == 200

    unlinked = make_survey(client, auth, key="pumps-check-2")  # a key that starts like the linked one
    assert client.delete(f"/api/v1/surveys/{unlinked['id']}", headers=auth).status_code == 204
    assert client.get(f"/api/v1/surveys/{unlinked['id']}", headers=auth).status_code == 404


def test_the_survey_page_says_what_keeps_it_and_deletes_one_nothing_links(client, auth, factory):
    marketing = person(factory, "marketing")
    assert sign_in(client, marketing.email).status_code == 303
    linked = make_survey(client, auth, key="pumps-check")
    template(client, auth, name="Pumps follow-up", body=LINKED)
    assert f'href="/surveys/{linked["id"]}/delete"' in client.get(f"/surveys/{linked['id']}").text
    asked = client.get(f"/surveys/{linked['id']}/delete")
    assert asked.status_code == 200 and 'id="delete-refused"' in asked.text
    assert "“Pumps follow-up” links this survey" in asked.text and 'id="delete-survey"' not in asked.text

    token = form_token(client, f"/surveys/{linked['id']}")
    refused = client.post(f"/surveys/{linked['id']}/delete", data={"csrf_token": token}, follow_redirects=False)
    assert refused.status_code == 303 and refused.headers["location"] == f"/surveys/{linked['id']}"
    shown = client.get(refused.headers["location"]).text
    assert re.search(r"Not deleted: the email template “Pumps follow-up” links this survey", shown)
    assert client.get(f"/api/v1/surveys/{linked['id']}", headers=auth).status_code == 200

    free = make_survey(client, auth, key="webinar-check")
    asked = client.get(f"/surveys/{free['id']}/delete")
    assert 'id="delete-survey"' in asked.text and "delete-refused" not in asked.text
    deleted = client.post(f"/surveys/{free['id']}/delete", data={"csrf_token": token}, follow_redirects=False)
    assert deleted.status_code == 303 and deleted.headers["location"] == "/surveys"
    assert "Deleted the survey “Survey webinar-check”." in client.get("/surveys").text
    assert client.get(f"/api/v1/surveys/{free['id']}", headers=auth).status_code == 404
    assert client.post(f"/surveys/{linked['id']}/delete", data={"csrf_token": "forged"}).status_code == 403


def test_a_template_whose_survey_is_gone_previews_as_a_422_and_its_messages_are_skipped(client, auth, factory,
                                                                                      session, smtp):
    at(NOON)
    survey = make_survey(client, auth, key="pumps-check")
    kept = template(client, auth, name="Pumps follow-up", body=LINKED)
    plain = template(client, auth, name="Newsletter")
    ok = client.get(f"/api/v1/email/templates/{kept}/preview", headers=auth)
    assert ok.status_code == 200 and "/s/preview-pumps-check" in ok.json()["html"]

    # The survey's key cannot change from under the template that links it.
    refused = client.patch(f"/api/v1/surveys/{survey['id']}", headers=auth, json={"key": "pumps-survey"})
    assert refused.status_code == 422, refused.text
    assert refused.json()["errors"][0]["field"] == "key"
    assert "“Pumps follow-up” links this survey" in refused.json()["errors"][0]["reason"]

    # A template saved with a key no survey has (a typo, or a survey of another instance) links no survey.
    linked = template(client, auth, name="Pumps typo", body=LINKED.replace("pumps-check", "pumps-chek"))
    r = client.get(f"/api/v1/email/templates/{linked}/preview", headers=auth)
    assert r.status_code == 422, r.text
    assert r.json()["errors"] == [{"field": "body_mjml", "reason": "survey_link('pumps-chek') names no survey: it "
                                   "was deleted or its key changed; link an existing survey's key"}]
    marketing = person(factory, "marketing")
    assert sign_in(client, marketing.email).status_code == 303
    frame = client.get(f"/email/templates/{linked}/preview")
    assert frame.status_code == 422 and "<b>body_mjml</b>: survey_link(&#x27;pumps-chek&#x27;) names no survey" in (
        frame.text)
    token = form_token(client, "/email/templates/new")
    draft = client.post("/email/templates/preview", data={"csrf_token": token, "name": "x", "subject": "s",
                                                          "body_mjml": LINKED.replace("pumps-check", "pumps-chek"),
                                                          "purpose": "marketing",
                                                          "preheader": ""})
    assert draft.status_code == 422 and "names no survey" in draft.text
    test_send = client.post(f"/api/v1/email/templates/{linked}/test", headers=auth, json={"to": "me@example.com"})
    assert test_send.status_code == 422 and test_send.json()["errors"][0]["field"] == "body_mjml"

    broken = queue(client, auth, lead(session), linked)
    fine = queue(client, auth, lead(session), plain)
    send_pass(factory)
    assert message(client, auth, broken)["status"] == "skipped"
    assert message(client, auth, broken)["reason"].startswith("survey_link('pumps-chek') names no survey")
    assert message(client, auth, fine)["status"] == "sent" and len(smtp.messages) == 1

    # With a survey of that key, the template's emails carry the lead's own signed link.
    make_survey(client, auth, key="pumps-chek")
    again = queue(client, auth, lead(session), linked)
    send_pass(factory)
    assert message(client, auth, again)["status"] == "sent"
    assert re.search(r"http://testserver/s/[A-Za-z0-9_.-]+", smtp.messages[-1][1].get_body(("plain",)).get_content())
