"""leadflow.values: what a value from outside may hold (pure)."""

from __future__ import annotations

from leadflow import values


def test_control_characters_are_dropped_but_tabs_and_line_breaks_kept():
    assert values.clean("a\x00b\x07c\x1bd\x7fe\x85f\tg\nh\ri") == "abcdef\tg\nh\ri"


def test_a_lone_surrogate_is_written_out_when_shown():
    assert values.shown("k\udc00\x00") == "k\\udc00"
    assert values.has_surrogate("\ud800") and not values.has_surrogate("😀")


def test_plain_json_names_the_path_of_each_problem_and_cleans_the_rest():
    cleaned, problems = values.plain_json({"a": {"b\x00": "x\x00y", "n": float("nan")}, "s": "\ud800", "l": [1, "z"]},
                                          "custom_fields")
    assert cleaned["a"]["b"] == "xy" and cleaned["l"] == [1, "z"]
    assert [(p.field, p.reason.split(" ")[0]) for p in problems] == [("custom_fields.a.n", "must"),
                                                                     ("custom_fields.s", "holds")]


def test_plain_json_stops_at_the_depth_limit_without_recursing_further():
    value: dict = {"leaf": 1}
    for _ in range(5000):
        value = {"a": value}
    _, problems = values.plain_json(value, "custom_fields", max_depth=10)
    assert len(problems) == 1
    assert problems[0].field == "custom_fields" + ".a" * 10 and "nested more than 10 levels" in problems[0].reason


def test_plain_json_refuses_json_larger_than_its_limit():
    _, problems = values.plain_json({"k": "x" * 100}, "custom_fields", max_bytes=50)
    assert problems[0].field == "custom_fields" and "larger than 50 bytes" in problems[0].reason
