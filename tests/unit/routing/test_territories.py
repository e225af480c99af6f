"""The routing scope of the condition language: postal code ranges and prefixes as territories, and the fields only
routing reads."""

from __future__ import annotations

import pytest

from leadflow.conditions import fields
from leadflow.conditions.evaluate import compile_tree, evaluate
from leadflow.conditions.syntax import RuleError, parse

WEST_COAST = 'postal_code >= "90000" and postal_code < "96000"'


def holds(text: str, **context) -> bool:
    rule = parse(text, fields.ROUTING)
    fast = compile_tree(rule.tree)(context)
    assert fast == evaluate(rule, context).matched  # compiled and explained alike
    return fast


@pytest.mark.parametrize(("code", "inside"), [
    ("90000", True), ("94107", True), ("95999", True), ("90210-1234", True), (" 94107 ", True), (94107, True),
    ("96000", False), ("89999", False), ("10001", False), ("00501", False), ("", False), (None, False),
])
def test_a_range_of_numeric_postal_codes_is_a_territory(code, inside):
    assert holds(WEST_COAST, postal_code=code) is inside
    assert holds("postal_code >= 90000 and postal_code < 96000", postal_code=code) is inside


@pytest.mark.parametrize("code", ["SW1A 1AA", "K1A 0B1", "D02 X285", "EC1A 1BB"])
def test_a_code_that_does_not_start_with_its_digits_is_in_no_range_of_numbers(code):
    # read as numbers they would be 1, 1, 2 and 1: inside any range starting at 0
    assert not holds('postal_code < "20000"', postal_code=code)
    assert not holds('postal_code >= "00000"', postal_code=code)
    assert not holds(WEST_COAST, postal_code=code)


def test_codes_with_letters_after_their_digits_read_their_number():
    assert holds('postal_code >= "1000" and postal_code < "1100"', postal_code="1012 AB")  # Amsterdam
    assert holds('postal_code >= 1000 and postal_code < 2000', postal_code="1000-001")  # Lisbon


def test_a_prefix_or_a_range_of_texts_is_a_territory_too():
    assert holds('postal_code like "SW1*"', postal_code="sw1a 1aa")
    assert not holds('postal_code like "SW1*"', postal_code="SE1 7PB")
    assert holds('postal_code like ("SW1*", "EC*")', postal_code="EC1A 1BB")
    assert holds('postal_code >= "SW1" and postal_code < "SW2"', postal_code="SW1A 1AA")
    assert holds('postal_code in ("00100", "00200")', postal_code="00100")
    assert not holds('postal_code == "00100"', postal_code="00101")


def test_other_text_fields_still_read_the_first_number_of_a_text():
    assert holds('employees >= "1000"', employees="about 5,000 people")
    assert holds("custom.zip >= 90000", **{"custom.zip": "CA 94107"})  # no code: the catalogue knows no such field


def test_the_routing_scope_reads_everything_the_sales_ready_rule_reads_and_where_the_lead_came_from():
    ready = set(fields.names(fields.SALES_READY))
    routing = set(fields.names(fields.ROUTING))
    assert ready <= routing
    assert routing - ready == {"postal_code", "campaign", "campaign_id", "source", "medium", "queue", "sales_ready"}
    assert holds('campaign like "Spring*" and campaign_id == 12 and source == "google" and medium = "cpc"',
                 campaign="Spring webinar", campaign_id=12, source="Google", medium="CPC")
    assert holds("sales_ready and queue is unknown and interests.crm >= 10",
                 sales_ready=True, **{"interests.crm": 12})
    assert not holds("sales_ready", sales_ready=False)
    with pytest.raises(RuleError, match="cannot be used in the Sales Ready rule"):
        parse('postal_code like "SW1*"', fields.SALES_READY)
    with pytest.raises(RuleError, match="cannot be used in a routing rule"):
        parse('event.url like "*pricing*"', fields.ROUTING)
