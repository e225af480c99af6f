"""The Sales Ready expression language: parsing, precedence, errors with positions, evaluation with reasons."""

from __future__ import annotations

import pytest

from leadflow.qualification.salesready import (
    DEFAULT_RULE,
    BoolOp,
    Compare,
    Not,
    RuleError,
    evaluate,
    parse,
)


def matches(text: str, **context) -> bool:
    return evaluate(parse(text), {k.replace("__", "."): v for k, v in context.items()}).matched


def test_default_rule_matches_a_hot_grade_a_lead_with_three_answers():
    assert matches(DEFAULT_RULE, score=72, grade="A", bant__known=3)
    assert not matches(DEFAULT_RULE, score=59, grade="A", bant__known=4)
    assert not matches(DEFAULT_RULE, score=90, grade="C", bant__known=4)
    assert not matches(DEFAULT_RULE, score=90, grade="B", bant__known=2)


def test_and_binds_tighter_than_or_and_not_tighter_than_and():
    tree = parse("score > 1 or grade = 'A' and not band = 'hot'").tree
    assert isinstance(tree, BoolOp) and tree.op == "or"
    right = tree.operands[1]
    assert isinstance(right, BoolOp) and right.op == "and"
    assert isinstance(right.operands[1], Not)
    assert matches("score > 1 or grade = 'A' and band = 'hot'", score=5, grade="C", band="cold")
    assert not matches("(score > 1 or grade = 'A') and band = 'hot'", score=5, grade="C", band="cold")


def test_comparisons_in_lists_contains_and_known():
    assert matches("grade in ['a', 'B']", grade="A")  # text compares without case
    assert matches('country not in ("US", "CA")', country="DE")
    assert matches('job_title contains "director"', job_title="Sales Director EMEA")
    assert matches("bant.budget is known and bant.need is unknown", bant__budget="25k")
    assert matches("custom.seats >= 50", custom__seats="75")  # numbers in text compare as numbers
    assert matches("score != 3", score=4)
    assert matches("not stage in ('customer')", stage="new")


def test_a_comparison_with_an_unknown_value_is_false():
    assert not matches("score >= 0", score=None)
    assert not matches("score < 1000", grade="A")
    assert not matches("grade in ('A')", grade=None)
    assert matches("not score >= 0", score=None)


@pytest.mark.parametrize(("text", "position", "words"), [
    ("score >=", 8, "ends too early"),
    ("score >= 60 and", 15, "ends too early"),
    ("score >> 3", 7, "expected a value"),
    ("grade in 'A'", 9, "expected a list"),
    ('grade = "A', 8, "not closed"),
    ("score >= 60 grade", 12, "expected 'and', 'or'"),
    ("bant.wallet > 1", 0, "unknown field 'bant.wallet'"),
    ("(score > 1", 10, "expected ')'"),
    ("score ; 1", 6, "unexpected character ';'"),
    ("", 0, "empty"),
    ("grade is maybe", 9, "'known' or 'unknown'"),
])
def test_errors_name_the_problem_and_its_position(text, position, words):
    with pytest.raises(RuleError) as caught:
        parse(text)
    assert caught.value.position == position
    assert words in caught.value.message


@pytest.mark.parametrize("text", [
    '__import__("os").system("id")', "score.__class__ > 1", "exec('x')", "lambda: 1", "score if 1 else 2",
    "open('/etc/passwd')", "grade[0] == 'A'",
])
def test_python_is_never_run_only_refused(text):
    with pytest.raises(RuleError):
        parse(text)


def test_deep_nesting_is_refused_not_a_crash():
    with pytest.raises(RuleError, match="nests deeper"):
        parse("(" * 200 + "score > 1" + ")" * 200)
    with pytest.raises(RuleError, match="nests deeper"):
        parse("not " * 200 + "score > 1")


def test_explanation_lists_every_test_with_the_values_seen():
    outcome = evaluate(parse(DEFAULT_RULE), {"score": 72, "grade": "C", "bant.known": 3})
    assert not outcome.matched
    assert [(p.text, p.result, p.seen) for p in outcome.parts] == [
        ("score >= 60", True, {"score": 72}),
        ('grade in ("A", "B")', False, {"grade": "C"}),
        ("bant.known >= 3", True, {"bant.known": 3}),
    ]


def test_names_are_collected_for_what_the_rule_needs():
    rule = parse("score > 1 and (custom.plan = 'pro' or bant.known >= 2) and company.employees > 50")
    assert rule.names == ("score", "custom.plan", "bant.known", "company.employees")
    assert isinstance(rule.tree.operands[0], Compare)
