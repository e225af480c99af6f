"""The condition language: every scoring operator has a text form, unknown values, precedence, errors with their
position, explanations, and compiled evaluation agreeing with the explained one."""

from __future__ import annotations

import pytest

from leadflow.conditions import EVENT, FIT, SALES_READY, RuleError, compile_tree, evaluate, parse, render
from leadflow.conditions.syntax import Compare


def holds(text: str, scope: str = SALES_READY, **context) -> bool:
    context = {k.replace("__", "."): v for k, v in context.items()}
    rule = parse(text, scope)
    explained = evaluate(rule, context).matched
    assert compile_tree(rule.tree)(context) is explained  # the fast path and the explained one agree
    return explained


@pytest.mark.parametrize("size", ["5,000 employees", "1.500", "5000+", "1 200", "1'000", 5000, "€2.5M"])
def test_sizes_written_as_people_write_them_are_numbers(size):
    assert holds("employees >= 1000", employees=size)
    assert holds("custom.employees >= 1000", FIT, custom__employees=size)


def test_like_has_words_contains_with_one_text_or_a_list():
    assert holds('job_title like "*manager*"', job_title="Senior Marketing Manager")
    assert not holds('job_title like "manager*"', job_title="Senior Marketing Manager")
    assert holds('job_title like ("*vp*", "*head*")', job_title="Head of Sales")
    assert holds('job_title has words ("ceo", "*leiter")', job_title="Vertriebsleiter")
    assert holds('job_title has words "head of"', job_title="Head of Sales")
    assert not holds('job_title has words "ceo"', job_title="CEOs assistant")
    assert holds('job_title contains ("chief", "dir")', job_title="Sales Director")


def test_equality_folds_case_accents_and_spaces_and_numbers_compare_as_numbers():
    assert holds('job_title = "geschaftsfuhrer"', job_title=" Geschäftsführer ")
    assert holds("custom.seats == 75", custom__seats="75")
    assert holds('country in ("de", "AT")', country="DE")
    assert holds("do_not_contact = true", do_not_contact=True)
    assert not holds("do_not_contact = true", do_not_contact=False)


def test_any_comparison_with_an_unknown_value_is_false_but_not_of_it_holds():
    for text in ("country != 'US'", "country not in ('US')", "country like '*'", "employees >= 0",
                 "job_title has words 'ceo'", "job_title contains 'a'"):
        assert not holds(text, country=None, employees="", job_title=None)
    assert holds("not (country in ('US'))", country=None)
    assert holds("country is unknown and employees is not known", country="", employees=None)


def test_dates_compare_as_dates_and_texts_as_folded_texts():
    assert holds('custom.signed_on >= "2026-01-01"', custom__signed_on="2026-03-01")
    assert not holds('custom.signed_on >= "2026-01-01"', custom__signed_on="2025-12-31")
    assert holds('grade < "C"', grade="b")


def test_fields_compare_with_fields():
    assert holds("score > fit", score=50, fit=20)
    assert holds("country in (company.country, 'US')", country="NO", company__country="no")
    assert not holds("score > fit", score=50, fit=None)


def test_old_spellings_read_the_same_field():
    rule = parse("bant_known >= 3 and custom_fields.plan = 'pro'", FIT)
    assert rule.names == ("bant.known", "custom.plan")
    assert holds("bant_known >= 3", FIT, bant_known=3) and holds("bant.known >= 3", FIT, bant_known=3)
    assert holds("custom.plan = 'pro'", custom_fields__plan="Pro")


@pytest.mark.parametrize(("text", "scope", "position", "words"), [
    ("job_title like", SALES_READY, 14, "expected a text or a list of texts after 'like'"),
    ("job_title has wordz ('x')", SALES_READY, 14, "expected 'words' after 'has'"),
    ("job_title like (score)", SALES_READY, 16, "takes texts"),
    ("job_title like ()", SALES_READY, 16, "needs at least one text"),
    ("score >= 60", FIT, 0, "'score' cannot be used in a fit rule"),
    ("event.url like '*x*'", SALES_READY, 0, "cannot be used in the Sales Ready rule"),
    ("job_title = 'x'", EVENT, 0, "cannot be used in a behaviour rule"),
    ("custom.a.b = 1", SALES_READY, 0, "write custom.<name>"),
    ("company.wallet > 1", SALES_READY, 0, "unknown field 'company.wallet'"),
])
def test_errors_name_the_problem_and_where(text, scope, position, words):
    with pytest.raises(RuleError) as caught:
        parse(text, scope)
    assert caught.value.position == position and words in caught.value.message


def test_explanation_names_each_test_with_the_values_it_saw():
    outcome = evaluate(parse('employees >= 1000 and job_title has words ("ceo")'),
                       {"employees": "5,000 employees", "job_title": "Marketing lead"})
    assert not outcome.matched
    assert [(p.text, p.result, p.seen) for p in outcome.parts] == [
        ("employees >= 1000", True, {"employees": "5,000 employees"}),
        ('job_title has words ("ceo")', False, {"job_title": "Marketing lead"})]


@pytest.mark.parametrize("text", [
    'job_title has words ("ceo", "*leiter") or job_title like "*manager*"',
    "not (country in (\"US\", \"CA\")) and employees >= 1000.5",
    "bant.budget is known and bant.need is unknown and do_not_contact = false",
    'event.url contains "pricing"',
])
def test_a_tree_renders_to_text_that_parses_to_the_same_tree(text):
    scope = EVENT if text.startswith("event.") else SALES_READY
    tree = parse(text, scope).tree
    again = parse(render(tree), scope).tree
    assert render(again) == render(tree)


def test_patterns_are_compiled_once_on_the_node_not_per_evaluation():
    node = parse('job_title like "*manager*"').tree
    assert isinstance(node, Compare) and node.test is not None
    check = compile_tree(node)
    assert check({"job_title": "Manager"}) and not check({"job_title": "Clerk"})
