"""What a day's trial of the journeys pages found: a step's Remove form carries its token (and asks first, quietly
styled); a draft offers no enrol form, and a refusal to enrol is an error flash at the top, never a success; a new
send step keeps its title after a problem, says what is missing, and picks its A/B test by name; a branch's
condition shows its problem under its box, without the internal path."""

from __future__ import annotations

import re

from tests.integration.email.sends_helpers import experiment, templates
from tests.integration.journeys.journeys import make
from tests.integration.journeys.test_pages import draft_of, post, signed_in
from tests.integration.people.pages import TOKEN

FLASH = re.compile(r'<div class="flash flash-(\w+)"[^>]*>([^<]*)</div>')


def _flashes(client, location: str) -> list[tuple[str, str]]:
    return FLASH.findall(client.get(location).text)


def test_a_step_is_removed_with_the_token_its_own_form_carries_after_asking(client, auth, factory):
    signed_in(client, factory)
    journey = make(client, auth)
    base = f"/journeys/{journey['id']}"
    page = client.get(base).text
    form = re.search(rf'<form method="post" action="{base}/steps/wait7/remove"[^>]*>(.*?)</form>', page, re.S)
    assert form, "no Remove form for wait7"
    assert 'data-confirm="Remove the step Wait (wait7) from the draft?"' in form.group(0)
    token = TOKEN.search(form.group(1)).group(1)
    assert token  # not the empty value that made every Remove a 403
    assert 'class="small secondary danger"' in form.group(1)  # quieter than the page's main button
    gone = client.post(base + "/steps/wait7/remove", data={"csrf_token": token}, follow_redirects=False)
    assert gone.status_code == 303, gone.text
    assert ("ok", "Removed the step wait7 from the draft.") in _flashes(client, gone.headers["location"])
    assert all(s["id"] != "wait7" for s in draft_of(client, auth, journey["id"])["steps"])


def test_a_draft_offers_no_enrol_form_and_a_refusal_is_an_error_at_the_top(client, auth, factory):
    signed_in(client, factory)
    journey = make(client, auth)
    base = f"/journeys/{journey['id']}"
    page = client.get(base).text
    assert "Publish the journey to enrol leads." in page and f'action="{base}/enrol"' not in page
    refused = post(client, base + "/enrol", {"lead_id": "1"}, token_from=base)  # sent anyway (an old tab)
    assert refused.status_code == 303 and refused.headers["location"] == base
    shown = _flashes(client, refused.headers["location"])
    assert len(shown) == 1 and shown[0][0] == "error" and "is not live: publish it first" in shown[0][1]

    assert post(client, base + "/publish", token_from=base).status_code == 303
    page = client.get(base).text
    assert f'action="{base}/enrol"' in page and "Publish the journey to enrol leads." not in page
    nobody = post(client, base + "/enrol", {"lead_id": "987654"}, token_from=base)
    assert nobody.status_code == 303
    assert _flashes(client, nobody.headers["location"]) == [("error", "The lead did not enter: no such lead.")]
    bad = post(client, base + "/enrol", {"lead_id": "many"}, token_from=base)
    assert bad.status_code == 422 and 'id="error-enrol-lead"' in bad.text


def test_a_new_send_step_keeps_its_title_says_what_is_missing_and_picks_its_ab_test_by_name(client, auth, factory):
    signed_in(client, factory)
    journey = make(client, auth)
    base = f"/journeys/{journey['id']}"
    first, second = templates(factory, "Spring A", "Spring B")
    test = experiment(client, auth, [first, second], name="Spring subject test")
    token_from = base + "/steps/new?after=wait7&type=send_email"
    form = client.get(token_from).text
    picker = form[form.index('<select id="experiment_id" name="experiment_id"'):]
    picker = picker[:picker.index("</select>")]
    assert re.findall(r'<option value="(\d*)"[^>]*>([^<]*)</option>', picker) == [
        ("", "No A/B test"), (str(test["id"]), "Spring subject test")]

    neither = post(client, base + "/steps", {"type": "send_email", "after": "wait7"}, token_from=token_from)
    assert neither.status_code == 422
    assert "<title>Add a step · " in neither.text and "Edit a step" not in neither.text
    assert "Add a step: Send an email" in neither.text
    assert 'id="error-template_id">Give an email template or an A/B test<' in neither.text
    assert "not both" not in neither.text
    both = post(client, base + "/steps", {"type": "send_email", "after": "wait7", "template_id": str(first),
                                          "experiment_id": str(test["id"])}, token_from=token_from)
    assert both.status_code == 422 and "Give an email template or an A/B test, not both" in both.text
    assert f'<option value="{test["id"]}" selected>Spring subject test</option>' in both.text

    added = post(client, base + "/steps", {"type": "send_email", "after": "wait7",
                                           "experiment_id": str(test["id"])}, token_from=token_from)
    assert added.status_code == 303
    made = next(s for s in draft_of(client, auth, journey["id"])["steps"] if s.get("experiment_id"))
    assert made["experiment_id"] == test["id"] and made.get("template_id") is None
    edit = client.get(f"{base}/steps/{made['id']}").text
    assert "<title>Edit a step · " in edit
    assert f'<option value="{test["id"]}" selected>Spring subject test</option>' in edit


def test_a_branch_conditions_problem_is_under_its_box_without_the_internal_path(client, auth, factory):
    signed_in(client, factory)
    journey = make(client, auth)
    base = f"/journeys/{journey['id']}"
    bad = post(client, base + "/steps/route", {"way-1-kind": "condition", "way-1-condition": "contry == 'FI'"},
               token_from=base + "/steps/route")
    assert bad.status_code == 422
    assert "when.condition" not in bad.text
    way = bad.text[bad.text.index("<legend>Way 2</legend>"):bad.text.index("<legend>Way 3</legend>")]
    box_end = way.index("</textarea>")
    error = re.search(r'<p class="field-error" id="error-way-1">([^<]*)</p>', way)
    assert error and error.start() > box_end and "contry" in error.group(1)
    assert not error.group(1).startswith("when")
    assert 'error-way-1" aria-invalid="true">contry == &#39;FI&#39;</textarea>' in way
