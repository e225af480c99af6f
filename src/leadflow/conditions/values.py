"""How a condition reads a value: text folded (case, diacritics), numbers as people write them ("5,000 employees",
"1.500", "1 200", "5000+", "€2.5M"), ISO dates, known or unknown, and the compiled patterns of `like` and `has words`.

Pure: standard library only; no database, no clock.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import lru_cache

# Letters NFKD leaves whole: folded by hand, so "Direktør" is "direktor" and "Økonomisjef" is "okonomisjef".
_LETTERS = str.maketrans({"ø": "o", "æ": "ae", "œ": "oe", "đ": "d", "ð": "d", "ł": "l", "þ": "th", "ı": "i"})
_WORD_SPLIT = re.compile(r"[\W_]+", re.UNICODE)
# Spaces people put between groups of digits: plain, no-break, narrow no-break, thin.
_DIGIT_SPACE = re.compile(r"(?<=\d)[ \u00a0\u202f\u2009](?=\d{3}(?!\d))")
_NUMBER = re.compile(r"(-?)(\d(?:[\d.,'’]*\d)?)(?:\s?(k|m|mn|mio|bn|mrd)(?![a-z]))?", re.IGNORECASE)
_SCALE = {"k": 1e3, "m": 1e6, "mn": 1e6, "mio": 1e6, "bn": 1e9, "mrd": 1e9}
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?")


def fold(value: object) -> str:
    """Text as conditions compare it: case folded and without diacritics ("Geschäftsführer", "GESCHAFTSFUHRER";
    "toimitusjohtaja", "Toimitusjohtaja"; "Direktør", "direktor" are each one)."""
    text = str(value).casefold()
    if text.isascii():
        return text
    text = unicodedata.normalize("NFKD", text.translate(_LETTERS))
    return "".join(c for c in text if not unicodedata.combining(c))


def is_known(value: object) -> bool:
    """Unknown: absent (None), empty text, an empty list or object. False, 0 and "no" are known."""
    return value is not None and value != "" and value != [] and value != {}


def as_number(value: object) -> float | None:
    """The number a value says, or None. Numbers are themselves; text gives its first number, read as people write
    it: thousands grouped by ',', '.', ''' or a space ("5,000 employees", "1.500", "1'000", "1 200": 5000, 1500,
    1000, 1200); a lone ',' or '.' before one, two or four-plus digits is the decimal mark ("2,5", "1.25"); a scale
    word right after it multiplies ("10k", "€2.5M", "3 mio", "1bn"; a lower-case "m" alone does not: BANT's
    timeline "3m" is 3 months); anything after it is ignored ("5000+", "200-499":
    5000, 200). True and False are not numbers."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, Decimal):
        return float(value)
    if not isinstance(value, str):
        return None
    return _text_number(value)


@lru_cache(maxsize=8192)
def _text_number(text: str) -> float | None:
    found = _NUMBER.search(_DIGIT_SPACE.sub("", text))
    if found is None:
        return None
    sign, run, scale = found.groups()
    number = float(sign + _digits(run))
    if scale == "m":  # a lone lower-case m is months as often as millions (BANT's timeline "3m"): neither
        return number
    return number * _SCALE[scale.lower()] if scale else number


def _digits(run: str) -> str:
    """A run of digits and separators as plain digits with at most one '.': the separator used between groups of
    three digits is a thousands separator; a different one after them, or a lone one otherwise, the decimal mark."""
    groups = re.split(r"[.,'’]", run)
    seps = re.findall(r"[.,'’]", run)
    if not seps:
        return run
    head, last = seps[:-1], seps[-1]
    grouped = len(groups[0]) <= 3 and all(len(g) == 3 for g in groups[1:-1])
    if grouped and len(set(seps)) == 1 and len(groups[-1]) == 3:
        return "".join(groups)
    if grouped and head and len(set(head)) == 1 and last != head[0] and last in ".,":
        return "".join(groups[:-1]) + "." + groups[-1]
    if len(seps) == 1 and last in ".,":
        return groups[0] + "." + groups[1]
    return groups[0]


def as_date(value: object) -> datetime | None:
    """A date or time (timezone-aware, UTC when none is given) from a date, a datetime or ISO text, else None."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    if isinstance(value, str) and _ISO_DATE.fullmatch(value.strip()):
        try:
            found = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            return None
        return found if found.tzinfo else found.replace(tzinfo=UTC)
    return None


def is_iso_date(text: str) -> bool:
    return bool(_ISO_DATE.fullmatch(text.strip())) and as_date(text) is not None


def words(value: object) -> str:
    """The value's words, folded, each between single spaces (" head of sales ")."""
    return " " + " ".join(w for w in _WORD_SPLIT.split(fold(value)) if w) + " "


def word_pattern(terms: tuple[str, ...]) -> re.Pattern | None:
    """One search over a value's `words` for every term: a whole word or phrase ("head of"), or, written "*leiter",
    any word ending so (the compound words of Nordic, Dutch and German titles: Vertriebsleiter, salgssjef)."""
    parts = []
    for term in terms:
        phrase = words(term)
        if not phrase.strip():
            continue
        suffix = term.strip().startswith("*")
        parts.append((" [^ ]*" + re.escape(phrase[1:])) if suffix else re.escape(phrase))
    return re.compile("|".join(parts)) if parts else None


def wildcard(pattern: str) -> re.Pattern:
    """A `like` pattern: `*` stands for any text, the rest is literal; matched against the whole folded value."""
    return re.compile(".*".join(re.escape(part) for part in fold(pattern).split("*")), re.DOTALL)
