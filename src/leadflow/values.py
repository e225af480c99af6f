"""What a value from outside may hold before it is stored: text without control characters or lone surrogates, and
JSON of bounded depth and size with finite numbers. The same rule on SQLite and PostgreSQL (which refuses NUL).

Pure: standard library only; it returns the cleaned value and the problems with the path of each.
"""

from __future__ import annotations

import json
import math
import re

from leadflow.errors import FieldError

# C0 controls except tab, line feed and carriage return; DEL; C1 controls; and the bidirectional embeddings,
# overrides and isolates (U+202A-U+202E, U+2066-U+2069) that make a name read differently from what it holds.
# Stripped from every text (right-to-left text needs none of them; the marks U+200E and U+200F stay).
CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
SURROGATE = re.compile("[\ud800-\udfff]")
SURROGATE_REASON = ("holds a lone UTF-16 surrogate (such as \\ud800), which is not a character: send the text as "
                    "valid Unicode")
MAX_DEPTH = 10  # levels of objects and lists inside a free JSON field (custom fields, event properties)
MAX_JSON_BYTES = 64_000
MAX_ID = 2**63 - 1  # the largest id the database holds (BIGINT)
MIN_INT = -(2**63)  # the smallest whole number it holds: SQLite's INTEGER and PostgreSQL's BIGINT alike
RANGE_REASON = f"is out of range: a whole number from {MIN_INT} to {MAX_ID}"


def fits(value: object) -> bool:
    """Whether a whole number fits the database's integers (anything else is not this check's to refuse)."""
    return not isinstance(value, int) or isinstance(value, bool) or MIN_INT <= value <= MAX_ID


def clean(text: str) -> str:
    """The text without control characters (tab and line breaks kept)."""
    return CONTROL.sub("", text)


def has_surrogate(text: str) -> bool:
    return SURROGATE.search(text) is not None


def shown(text: object) -> str:
    """A text safe to store as metadata and to echo in an answer: controls dropped, lone surrogates written out."""
    value = clean(str(text))
    return SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", value) if has_surrogate(value) else value


def text_problem(text: str) -> str | None:
    return SURROGATE_REASON if has_surrogate(text) else None


def plain_json(value: object, path: str, *, max_depth: int = MAX_DEPTH,
               max_bytes: int | None = MAX_JSON_BYTES) -> tuple[object, list[FieldError]]:
    """A free JSON value checked and cleaned: every text (keys too) without controls, no lone surrogates, finite
    numbers only, at most `max_depth` levels and `max_bytes` of JSON. Returns the cleaned value and the problems."""
    problems: list[FieldError] = []
    cleaned = _walk(value, path, 0, max_depth, problems)
    if not problems and max_bytes is not None:
        size = len(json.dumps(cleaned, ensure_ascii=False, separators=(",", ":")).encode())
        if size > max_bytes:
            problems.append(FieldError(path, f"is larger than {max_bytes} bytes of JSON"))
    return cleaned, problems


def _walk(value: object, path: str, depth: int, max_depth: int, problems: list[FieldError]) -> object:
    if isinstance(value, str):
        if has_surrogate(value):
            problems.append(FieldError(shown(path), SURROGATE_REASON))
        return clean(value)
    if isinstance(value, bool) or value is None or isinstance(value, int):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            problems.append(FieldError(shown(path), "must be a finite number"))
        return value
    if isinstance(value, dict | list):
        if depth >= max_depth:
            problems.append(FieldError(shown(path), f"is nested more than {max_depth} levels deep"))
            return None
        if isinstance(value, list):
            return [_walk(item, f"{path}.{index}", depth + 1, max_depth, problems) for index, item in enumerate(value)]
        result = {}
        for key, item in value.items():
            if not isinstance(key, str):
                problems.append(FieldError(shown(path), "keys must be texts"))
                continue
            where = f"{path}.{key}" if path else key
            if has_surrogate(key):
                problems.append(FieldError(shown(where), SURROGATE_REASON))
            result[clean(key)] = _walk(item, where, depth + 1, max_depth, problems)
        return result
    problems.append(FieldError(shown(path), "must be a text, a number, true/false, a list or an object"))
    return None
