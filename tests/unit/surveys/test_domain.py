"""Surveys' pure rules: questions checked, answers read by question, where answers go, the editor's form, links."""

from __future__ import annotations

from datetime import date

import pytest

from leadflow.errors import Invalid
from leadflow.surveys import domain, editor, links

TODAY = date(2026, 12, 6)


def _fields(exc: Invalid) -> dict[str, str]:
    return {e.field: e.reason for e in exc.errors}


def test_the_brochure_template_passes_its_own_checks():
    template = domain.brochure_template()
    checked = domain.check_questions(template["questions"], today=TODAY)
    assert [q["key"] for q in checked] == ["need", "timeline", "budget", "authority", "next_step"]
    assert checked == template["questions"]


@pytest.mark.parametrize(("question", "field", "words"), [
    ({"key": "1a", "label": "A", "kind": "text"}, "questions.0.key", "lower-case"),
    ({"key": "a", "label": " ", "kind": "text"}, "questions.0.label", "required"),
    ({"key": "a", "label": "A", "kind": "text", "options": [{"value": "x"}]}, "questions.0.options", "no options"),
    ({"key": "a", "label": "A", "kind": "single"}, "questions.0.options", "at least one"),
    ({"key": "a", "label": "A", "kind": "single", "maps_to": "bant.timeline", "options": [{"value": "soon"}]},
     "questions.0.options.0.value", "use one of 1m"),
    ({"key": "a", "label": "A", "kind": "text", "maps_to": "email"}, "questions.0.maps_to", "lead field"),
    ({"key": "a", "label": "A", "kind": "text", "maps_to": "custom.Bad Name"}, "questions.0.maps_to", "custom.NAME"),
    ({"key": "next_step", "label": "N", "kind": "multiple", "options": [{"value": "quote"}]},
     "questions.0.kind", "one choice"),
    ({"key": "a", "label": "A", "kind": "text", "required": "yes"}, "questions.0.required", "true or false"),
])
def test_a_wrong_question_is_named_with_its_field_and_why(question, field, words):
    with pytest.raises(Invalid) as caught:
        domain.check_questions([question], today=TODAY)
    assert words in _fields(caught.value)[field]


def test_two_questions_may_not_fill_the_same_place():
    with pytest.raises(Invalid) as caught:
        domain.check_questions([{"key": "a", "label": "A", "kind": "text", "maps_to": "job_title"},
                                {"key": "b", "label": "B", "kind": "text", "maps_to": "job_title"}], today=TODAY)
    assert _fields(caught.value) == {"questions.1.maps_to": "job_title is filled by another question"}


QUESTIONS = domain.check_questions([
    {"key": "need", "label": "Need", "kind": "single", "required": True, "maps_to": "bant.need",
     "options": [{"value": "high"}, {"value": "low"}]},
    {"key": "topics", "label": "Topics", "kind": "multiple", "options": [{"value": "a"}, {"value": "b"}],
     "maps_to": "custom.topics"},
    {"key": "staff", "label": "Staff", "kind": "number", "maps_to": "custom.staff"},
    {"key": "title", "label": "Title", "kind": "text", "maps_to": "job_title"},
], today=TODAY)


def test_answers_are_read_by_question_and_kind():
    answers, errors = domain.read_answers(QUESTIONS, {"need": ["high"], "topics": ["b", "a"], "staff": ["1 200"],
                                                      "title": ["  Head   of IT "], "other": ["kept raw"]})
    assert errors == []
    assert answers == {"need": "high", "topics": ["a", "b"], "staff": 1200, "title": "Head of IT"}
    assert domain.destinations(QUESTIONS, answers) == ({"need": "high"}, {"job_title": "Head of IT"},
                                                       {"topics": ["a", "b"], "staff": 1200})


def test_wrong_and_missing_answers_each_get_their_error():
    answers, errors = domain.read_answers(QUESTIONS, {"topics": ["c"], "staff": ["lots"], "need": [""]})
    assert answers == {}
    assert {e.field: e.reason for e in errors} == {"need": "choose an answer", "topics": "choose among a, b",
                                                   "staff": "must be a number"}


@pytest.mark.parametrize(("text", "number"), [("7", 7), ("1,200", 1200), ("1 200", 1200), ("2,5", 2.5),
                                              ("-3.25", -3.25), ("12k", None), ("", None), ("1,2,3", None)])
def test_numbers_are_read_as_people_write_them(text, number):
    assert domain.read_number(text) == number


def test_an_api_submission_reads_like_a_form():
    given, errors = domain.given_from_json({"need": "high", "topics": ["a", "b"], "staff": 12, "ok": True})
    assert errors == [] and given == {"need": ["high"], "topics": ["a", "b"], "staff": ["12"], "ok": ["true"]}
    assert domain.given_from_json(["x"])[1][0].field == "answers"
    assert domain.given_from_json({"need": {"deep": 1}})[1][0].field == "need"


def test_asking_for_a_quote_or_a_meeting_goes_to_sales():
    assert domain.asks_for_sales({"next_step": "meeting"}) and domain.asks_for_sales({"next_step": "quote"})
    assert not domain.asks_for_sales({"next_step": "call"}) and not domain.asks_for_sales({})


def test_the_editor_reads_options_one_a_line_and_moves_questions():
    assert editor.parse_options("high | Very much\nWithin a year\n<10k\n\n") == [
        {"value": "high", "label": "Very much"}, {"value": "within_a_year", "label": "Within a year"},
        {"value": "<10k", "label": "<10k"}]
    draft = editor.new_draft()
    assert editor.apply(draft, "add") and editor.apply(draft, "add_next_step")
    assert not editor.apply(draft, "add_next_step")  # there is one already
    assert [q["key"] for q in draft["questions"]] == ["q1", "q2", "next_step"]
    assert editor.apply(draft, "up:2") and [q["key"] for q in draft["questions"]] == ["q1", "next_step", "q2"]
    assert editor.apply(draft, "remove:0") and not editor.apply(draft, "down:1") and not editor.apply(draft, "x:9")
    values = editor.values_of({**draft, "name": "N", "key": "n"})
    assert values["questions"][0]["options"][0] == {"value": "quote", "label": "Send me a quote"}
    assert editor.input_errors(Invalid.one("questions.3.maps_to", "no such field").errors) == {
        "q3-target": "No such field"}


def test_a_link_names_its_survey_lead_and_message_and_cannot_be_altered():
    token = links.survey_token("k" * 40, 3, 17, 99)
    assert links.read_token("k" * 40, token) == links.LinkClaims(3, 17, 99)
    assert links.read_token("k" * 40, links.survey_token("k" * 40, 3, 17)) == links.LinkClaims(3, 17, None)
    assert links.read_token("other" * 10, token) is None
    assert links.read_token("k" * 40, token.replace(token[2], "x" if token[2] != "x" else "y", 1)) is None

    class Settings:
        base_url, secret_key = "https://lf.example/", "k" * 40

    assert links.survey_url(Settings, 3, 17).startswith("https://lf.example/s/")
    with pytest.raises(ValueError):
        links.survey_url(type("S", (), {"base_url": "x", "secret_key": None}), 1, 2)
