"""Comparisons of a value with the right side of a test, built on values.py: compiled once per node when the right
side is fixed (folded texts, numbers, dates, wildcards, word patterns), else made when evaluated.

Any comparison with an unknown value (absent, empty) is false, `!=` and `not in` included; only `is unknown` holds.

Pure: standard library only.
"""

from __future__ import annotations

from collections.abc import Callable

from leadflow.conditions import values

Test = Callable[[object], bool]
ORDER = ("<", "<=", ">", ">=")


def prepare(op: str, fixed: tuple | None, *, code: bool = False) -> Test | None:
    """The test of a left value against a fixed right side (its values: one, or a list's), or None when the right
    side names a field (`fixed` is None). `code`: the left side is a code such as a postal code (see `ordered`)."""
    if op in ("known", "unknown"):
        wanted = op == "known"
        return lambda value: values.is_known(value) is wanted
    if fixed is None:
        return None
    if op == "==":
        return equal_to(fixed[0])
    if op == "!=":
        same = equal_to(fixed[0])
        return lambda value: values.is_known(value) and not same(value)
    if op == "in":
        return member_of(fixed)
    if op == "not in":
        member = member_of(fixed)
        return lambda value: values.is_known(value) and not member(value)
    if op in ORDER:
        return ordered(op, fixed[0], code=code)
    if op == "contains":
        parts = tuple(values.fold(text) for text in fixed)
        return lambda value: values.is_known(value) and any(part in values.fold(value) for part in parts)
    if op == "like":
        patterns = tuple(values.wildcard(str(text)) for text in fixed)

        def like(value) -> bool:
            if not values.is_known(value):
                return False
            text = values.fold(value)
            return any(pattern.fullmatch(text) for pattern in patterns)
        return like
    if op == "has words":
        pattern = values.word_pattern(tuple(str(text) for text in fixed))
        if pattern is None:
            return lambda value: False
        return lambda value: values.is_known(value) and pattern.search(values.words(value)) is not None
    raise ValueError(f"unknown comparison {op!r}")


def equal_to(expected: object) -> Test:
    """Equality as people mean it: texts folded (case, diacritics, outer spaces); a number equals any value that
    says that number ("5,000" == 5000); true and false equal themselves and the words "true" and "false"."""
    if isinstance(expected, bool):
        word = "true" if expected else "false"
        return lambda value: value is expected or (isinstance(value, str) and value.strip().lower() == word)
    if isinstance(expected, int | float):
        number = float(expected)
        return lambda value: not isinstance(value, bool) and values.as_number(value) == number
    if expected is None:
        return lambda value: False
    text = values.fold(expected).strip()
    number = values.as_number(text) if _plain_number(text) else None

    def same(value) -> bool:
        if isinstance(value, str):
            return values.fold(value).strip() == text
        if value is None or isinstance(value, bool):
            return isinstance(value, bool) and text == ("true" if value else "false")
        if number is not None and values.as_number(value) is not None:
            return values.as_number(value) == number
        return values.is_known(value) and values.fold(value).strip() == text
    return same


def _plain_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def member_of(items: tuple) -> Test:
    texts = frozenset(values.fold(item).strip() for item in items if isinstance(item, str))
    others = tuple(equal_to(item) for item in items if not isinstance(item, str))
    as_text = tuple(equal_to(item) for item in items if isinstance(item, str))  # for a value that is not a text

    def member(value) -> bool:
        if not values.is_known(value):
            return False
        if isinstance(value, str):
            if values.fold(value).strip() in texts:
                return True
        elif any(test(value) for test in as_text):
            return True
        return any(test(value) for test in others)
    return member


def ordered(op: str, bound: object, *, code: bool = False) -> Test:
    """<, <=, >, >= against a fixed bound: a number compares with any value that says a number, an ISO date with
    dates, a text with texts (folded). A code (a postal code) says a number only when it starts with its digits:
    "90210-1234" is 90210, but "SW1A 1AA" is no number (not 1), so no range of numbers holds it."""
    if isinstance(bound, str) and values.is_iso_date(bound):
        when = values.as_date(bound)
        return lambda value: _holds(op, values.as_date(value), when)
    number = values.as_number(bound) if not isinstance(bound, str) or _plain_number(bound.strip()) else None
    if number is not None:
        read = _code_number if code else values.as_number
        return lambda value: _holds(op, read(value), number)
    if isinstance(bound, str):
        text = values.fold(bound)
        return lambda value: isinstance(value, str) and _holds(op, values.fold(value), text)
    return lambda value: False


def _code_number(value: object) -> float | None:
    if isinstance(value, str) and not value.strip()[:1].isdigit():
        return None
    return values.as_number(value)


def _holds(op: str, a, b) -> bool:
    if a is None or b is None:
        return False
    if op == ">=":
        return a >= b
    if op == "<=":
        return a <= b
    if op == ">":
        return a > b
    return a < b


def dynamic(op: str, left: object, right: object) -> bool:
    """A comparison whose right side was read from a field (or a list holding fields), made when evaluated."""
    if not values.is_known(left):
        return False
    if isinstance(right, tuple):
        test = prepare(op, tuple(item for item in right if values.is_known(item)))
    elif not values.is_known(right):
        return False
    else:
        test = prepare(op, (right,))
    return test(left)
