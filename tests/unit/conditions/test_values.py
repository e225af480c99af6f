"""How a condition reads values: numbers as people write them, folded text, dates, known and unknown."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from leadflow.conditions import values


@pytest.mark.parametrize(("text", "number"), [
    ("5,000 employees", 5000), ("1.500", 1500), ("1'000", 1000), ("1’000", 1000), ("1 200", 1200),
    ("1\u00a0200", 1200), ("5 000 000", 5_000_000), ("5000+", 5000), ("12,345,678", 12_345_678),
    ("1.500,50", 1500.5), ("1,500.50", 1500.5), ("2,5", 2.5), ("1.25", 1.25), ("-3", -3), ("200-499", 200),
    ("€2.5M", 2_500_000), ("10k", 10_000), ("3 mio", 3_000_000), ("1bn", 1_000_000_000), ("75", 75),
    ("about 40 people", 40), ("12 months", 12),
])
def test_numbers_are_read_as_people_write_them(text, number):
    assert values.as_number(text) == pytest.approx(number)


@pytest.mark.parametrize("value", [None, True, False, "", "many", "n/a", [], {}])
def test_values_that_say_no_number_have_none(value):
    assert values.as_number(value) is None


def test_numbers_and_decimals_are_themselves():
    assert values.as_number(5) == 5.0 and values.as_number(2.5) == 2.5 and values.as_number(Decimal("7.25")) == 7.25


def test_text_folds_case_and_diacritics_including_nordic_letters():
    assert values.fold("Geschäftsführer") == values.fold("GESCHAFTSFUHRER") == "geschaftsfuhrer"
    assert values.fold("Direktør") == "direktor" and values.fold("Økonomisjef") == "okonomisjef"
    assert values.fold("Straße") == "strasse"


def test_dates_from_iso_text_dates_and_times():
    assert values.as_date("2026-03-01") == datetime(2026, 3, 1, tzinfo=UTC)
    assert values.as_date("2026-03-01T10:00:00Z") == datetime(2026, 3, 1, 10, tzinfo=UTC)
    assert values.as_date(date(2026, 3, 1)) == datetime(2026, 3, 1, tzinfo=UTC)
    assert values.as_date("March 2026") is None and values.as_date("2026-13-45") is None


def test_unknown_is_absent_or_empty_and_false_is_known():
    assert [values.is_known(v) for v in (None, "", [], {}, False, 0, "no")] == [
        False, False, False, False, True, True, True]


def test_word_patterns_match_whole_words_phrases_and_word_endings():
    pattern = values.word_pattern(("head of", "*leiter", "ceo"))
    assert pattern.search(values.words("Head of Sales"))
    assert pattern.search(values.words("Vertriebsleiter DACH"))
    assert pattern.search(values.words("CEO & founder"))
    assert not pattern.search(values.words("Leiterwagen")) and not pattern.search(values.words("ceosomething"))
    assert values.wildcard("*/pricing*").fullmatch(values.fold("https://x.example/Pricing/team"))
