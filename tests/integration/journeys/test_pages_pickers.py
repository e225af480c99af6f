"""The editor's condition boxes and the segment pickers: a branch's condition, an event's condition and the goals
are monospace boxes of several lines (a condition over several lines is saved as written, a mistake still shown by
its field); enrolling a segment's members and the simulator's sample choose the segment by name."""

from __future__ import annotations

import re

from markupsafe import escape

from tests.integration.journeys.journeys import make
from tests.integration.journeys.test_pages import draft_of, post, signed_in
from tests.integration.segments.helpers import segment

LONG = 'survey.next_step in ("quote", "meeting")\r\n  or (score >= 50\r\n      and country == "FI")'


def _box(text: str, box_id: str) -> str:
    found = re.search(rf'<textarea id="{box_id}"(?:[^>"\']|"[^"]*"|\'[^\']*\')*>', text)
    assert found, f"no textarea {box_id}"
    return found.group(0)


def test_a_branch_condition_is_a_monospace_box_of_several_lines_saved_as_written(client, auth, factory):
    signed_in(client, factory)
    journey = make(client, auth)
    base = f"/journeys/{journey['id']}"
    page = client.get(base + "/steps/route")
    box = _box(page.text, "way-1-condition")
    assert 'class="code condition-text"' in box and 'rows="4"' in box and 'spellcheck="false"' in box
    assert 'aria-describedby="hint-way-1-condition"' in box and "aria-invalid" not in box
    assert '<input id="way-1-condition"' not in page.text
    assert page.text.split(box, 1)[1].startswith(str(escape('survey.next_step in ("quote", "meeting")')))

    saved = post(client, base + "/steps/route", {"way-1-kind": "condition", "way-1-condition": LONG,
                                                 "way-1-next": "sales"}, token_from=base + "/steps/route")
    assert saved.status_code == 303, saved.text
    written = draft_of(client, auth, journey["id"])["steps"][3]["branches"][1]["when"]["condition"]
    assert written == 'survey.next_step in ("quote", "meeting")\n  or (score >= 50\n      and country == "FI")'
    again = client.get(base + "/steps/route").text
    assert str(escape(written)) + "</textarea>" in again

    bad = post(client, base + "/steps/route", {"way-1-kind": "condition",
                                               "way-1-condition": 'score >= 50\r\nand contry == "FI"'},
               token_from=base + "/steps/route")
    assert bad.status_code == 422
    box = _box(bad.text, "way-1-condition")
    assert 'aria-invalid="true"' in box and 'aria-describedby="hint-way-1-condition error-way-1"' in box
    assert bad.text.split(box, 1)[1].startswith('score &gt;= 50\nand contry == &#34;FI&#34;</textarea>')  # as typed
    error = re.search(r'<p class="field-error" id="error-way-1">([^<]*)</p>', bad.text).group(1)
    assert "contry" in error and "column" in error
    assert draft_of(client, auth, journey["id"])["steps"][3]["branches"][1]["when"]["condition"] == written


def test_goals_and_an_events_condition_are_boxes_whose_long_conditions_go_on_over_indented_lines(client, auth,
                                                                                                  factory):
    signed_in(client, factory)
    journey = make(client, auth)
    base = f"/journeys/{journey['id']}"
    page = client.get(base + "/settings").text
    assert 'class="code condition-text goals-text"' in _box(page, "goals")
    assert 'class="code condition-text"' in _box(page, "event_condition")
    goals = 'Became an SQL: stage == "sql"\r\nBig buyer: score >= 80\r\n  and survey.budget >= 10000\r\n'
    ok = post(client, base + "/settings", {"name": "Brochure follow-up", "entry_kinds": ["manual", "event"],
                                           "event_topic": "lead.captured",
                                           "event_condition": 'country == "FI"\r\nand score >= 10',
                                           "reentry_mode": "never", "goals": goals}, token_from=base + "/settings")
    assert ok.status_code == 303, ok.text
    definition = draft_of(client, auth, journey["id"])
    assert definition["goals"] == [{"name": "Became an SQL", "condition": 'stage == "sql"'},
                                   {"name": "Big buyer", "condition": "score >= 80\nand survey.budget >= 10000"}]
    assert {"kind": "event", "topic": "lead.captured", "condition": 'country == "FI"\nand score >= 10'} in (
        definition["entry"])
    shown = client.get(base + "/settings").text
    assert "Big buyer: score &gt;= 80\n  and survey.budget &gt;= 10000" in shown

    bad = post(client, base + "/settings", {"name": "Brochure follow-up", "entry_kinds": "manual",
                                            "reentry_mode": "never", "goals": "Big buyer: score >=\nno colon here"},
               token_from=base + "/settings")
    assert bad.status_code == 422
    box = _box(bad.text, "goals")
    assert 'aria-invalid="true"' in box and "error-goals-1" in box
    assert re.search(r'<p class="field-error" id="error-goals-1">goals.1: Write a goal as', bad.text)


def test_enrolling_a_segment_and_the_simulator_choose_the_segment_by_name(client, auth, factory):
    signed_in(client, factory)
    finns = segment(client, auth, 'country == "FI"', name="Finnish leads")
    swedes = segment(client, auth, 'country == "SE"', name="Alpha Swedes")
    journey = make(client, auth)
    base = f"/journeys/{journey['id']}"
    assert post(client, base + "/publish", token_from=base).status_code == 303
    page = client.get(base).text
    picker = page[page.index('<select id="enrol-segment" name="segment_id"'):]
    picker = picker[:picker.index("</select>")]
    assert re.findall(r'<option value="(\d*)"[^>]*>([^<]*)</option>', picker) == [
        ("", "No segment"), (str(swedes), "Alpha Swedes"), (str(finns), "Finnish leads")]
    assert 'id="enrol-segment" name="segment_id" inputmode' not in page

    enrolled = post(client, base + "/enrol", {"segment_id": str(finns)}, token_from=base)
    assert enrolled.status_code == 303
    assert "Enrolling the segment" in client.get(enrolled.headers["location"]).text
    gone = post(client, base + "/enrol", {"segment_id": "424242"}, token_from=base)
    assert gone.status_code == 422
    assert 'id="error-enrol-segment">No segment has the number 424242' in gone.text
    assert re.search(r'<select id="enrol-segment" name="segment_id" aria-invalid="true"', gone.text)

    sim = client.get(base + "/simulate").text
    picker = sim[sim.index('<select id="sim-segment_id" name="segment_id"'):]
    picker = picker[:picker.index("</select>")]
    assert re.findall(r'<option value="(\d*)"[^>]*>([^<]*)</option>', picker) == [
        ("", "Choose a segment"), (str(swedes), "Alpha Swedes"), (str(finns), "Finnish leads")]
    ran = client.get(base + "/simulate", params={"run": "1", "source": "segment", "segment_id": str(swedes),
                                                 "latest": "50", "seed": "1"})
    assert ran.status_code == 200
    assert f'<option value="{swedes}" selected>Alpha Swedes</option>' in ran.text
    missing = client.get(base + "/simulate", params={"run": "1", "source": "segment", "segment_id": ""})
    assert missing.status_code == 422 and 'id="error-sim-segment_id">Choose a segment' in missing.text
