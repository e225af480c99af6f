"""The rules of a lead's fields: how each is cleaned and normalized, and which value survives a merge.

Pure: no database, no HTTP, no clock.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urlsplit

import phonenumbers
import pycountry
from anyascii import anyascii
from email_validator import EmailNotValidError, validate_email
from email_validator.syntax import validate_email_local_part

from leadflow import values as plain
from leadflow.errors import FieldError

LEAD_FIELDS = (
    "first_name", "last_name", "email", "phone", "mobile", "job_title", "company",
    "street", "postal_code", "city", "region", "country", "language",
)
MAX_LENGTH = {
    "first_name": 200, "last_name": 200, "email": 320, "phone": 64, "mobile": 64, "job_title": 300,
    "company": 300, "street": 300, "postal_code": 32, "city": 200, "region": 200, "country": 100,
    "language": 16,
}

# Local and common names ISO's English list does not hold.
COUNTRY_NAMES = {
    "uk": "GB", "england": "GB", "scotland": "GB", "wales": "GB", "great britain": "GB",
    "usa": "US", "america": "US", "holland": "NL", "nederland": "NL", "the netherlands": "NL",
    "belgie": "BE", "belgique": "BE", "deutschland": "DE", "osterreich": "AT", "schweiz": "CH",
    "suisse": "CH", "norge": "NO", "noreg": "NO", "suomi": "FI", "sverige": "SE", "danmark": "DK",
    "island": "IS", "espana": "ES", "italia": "IT", "polska": "PL", "eesti": "EE", "czechia": "CZ",
    "russia": "RU", "south korea": "KR", "korea": "KR", "vietnam": "VN", "iran": "IR",
    "turkey": "TR", "turkiye": "TR", "uae": "AE",
}


def clean_text(value: object) -> str | None:
    """One line of text: Unicode-composed, control characters dropped, runs of space folded."""
    if value is None:
        return None
    text = unicodedata.normalize("NFC", plain.clean(str(value)))
    text = " ".join(text.split())
    return text or None


def normalize_email(value: str) -> str:
    """Case, surrounding space and Unicode folded; raises ValueError with the reason."""
    text = unicodedata.normalize("NFC", value).strip()
    if text.lower().startswith("mailto:"):
        text = text[7:]
    local, at, domain = text.rpartition("@")
    try:
        if at and local and '"' not in local and "<" not in text and " " not in text:
            # The common case: the domain (most of email-validator's work) is checked once per domain.
            checked = validate_email_local_part(local, allow_smtputf8=True)
            return (checked["local_part"] + "@" + _email_domain(domain.lower())).lower()
        return validate_email(text, check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise ValueError(str(exc)) from None


@lru_cache(maxsize=65536)
def _email_domain(domain: str) -> str:
    return validate_email("postmaster@" + domain, check_deliverability=False).domain


def normalize_phone(value: str, region: str | None) -> str:
    """E.164; a national number needs the lead's country (or the default country)."""
    text = value.strip()
    if text.startswith("00"):
        text = "+" + text[2:]
    try:
        number = phonenumbers.parse(text, None if text.startswith("+") else region)
    except phonenumbers.NumberParseException as exc:
        if exc.error_type == phonenumbers.NumberParseException.INVALID_COUNTRY_CODE:
            raise ValueError("not an international number (+country code) and no country to read it by") from None
        raise ValueError("not a phone number") from None
    if not phonenumbers.is_possible_number(number):
        raise ValueError("not a possible phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


PHONE_QUERY = re.compile(r"(?:\+|00)?[\d\s().\-/]+")


def readable_phone(value: str | None) -> str:
    """An E.164 number as people read it (`+47 912 34 567`); anything else as it is."""
    if not value:
        return ""
    try:
        return phonenumbers.format_number(phonenumbers.parse(value, None), phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    except phonenumbers.NumberParseException:
        return value


def looks_like_phone(text: str) -> bool:
    """Digits (6 to 17) with the spaces, dashes, dots, slashes and parentheses people type, maybe + or 00 first."""
    text = text.strip()
    return bool(PHONE_QUERY.fullmatch(text)) and 6 <= sum(ch.isdigit() for ch in text) <= 17


def phone_candidates(text: str, regions: Iterable[str | None]) -> list[str]:
    """The E.164 numbers a phone number typed as people type it may be: international (`+44 1144 960574`,
    `0044 ...`), with its country code but no plus (`441144960574`), or national (`01144 960574`, `(0114) 496-0574`)
    read in each of `regions` (the default country, the countries of the data). Empty when it is no phone number."""
    text = text.strip()
    if not looks_like_phone(text):
        return []
    digits = "".join(ch for ch in text if ch.isdigit())
    international = text.startswith(("+", "00"))
    found = []
    for region in [None] if international else [r for r in dict.fromkeys(regions) if r]:
        try:
            number = phonenumbers.parse("+" + digits[2:] if text.startswith("00") else text, region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_possible_number(number):
            found.append(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))
    if not international:
        try:
            number = phonenumbers.parse("+" + digits, None)
            if phonenumbers.is_valid_number(number):
                found.append(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))
        except phonenumbers.NumberParseException:
            pass
    return list(dict.fromkeys(found))


def name_key(first_name: str | None, last_name: str | None) -> str | None:
    """'José  Pérez' and 'jose perez' give one key; None when there is no name."""
    text = " ".join(_fold(part) for part in (first_name, last_name) if part)
    text = " ".join(text.replace("-", " ").split())
    return text[:401] or None


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold().strip().rstrip(".")


@lru_cache(maxsize=4096)
def normalize_country(value: str) -> str:
    """ISO 3166 alpha-2 from a code, an English, official or common local name."""
    key = _fold(value)
    if key in COUNTRY_NAMES:
        return COUNTRY_NAMES[key]
    try:
        return pycountry.countries.lookup(value.strip()).alpha_2
    except LookupError:
        pass
    try:
        matches = pycountry.countries.search_fuzzy(value.strip())
    except LookupError:
        matches = []
    if len(matches) == 1:
        return matches[0].alpha_2
    raise ValueError("not a country (use ISO 3166, e.g. NL, or its name)")


LANGUAGE_RE = re.compile(r"^[a-z]{2,3}(-[a-z0-9]{2,8})*$")


@lru_cache(maxsize=1024)
def normalize_language(value: str) -> str:
    text = value.strip().replace("_", "-").lower()
    if LANGUAGE_RE.match(text):
        return text
    try:
        language = pycountry.languages.lookup(value.strip())
    except LookupError:
        raise ValueError("not a language (use an ISO 639 code such as en or nl-BE)") from None
    return getattr(language, "alpha_2", None) or language.alpha_3



def normalize_fields(raw: dict[str, object], *, default_country: str | None = None
                     ) -> tuple[dict[str, str], list[FieldError]]:
    """Clean every lead field present; returns the non-empty values and the errors, field by field."""
    errors: list[FieldError] = []
    values: dict[str, str] = {}
    for name in LEAD_FIELDS:
        if name not in raw:
            continue
        value = raw[name]
        if value is not None and not isinstance(value, str | int | float):
            errors.append(FieldError(name, "must be text"))
            continue
        if isinstance(value, str) and plain.has_surrogate(value):
            errors.append(FieldError(name, plain.SURROGATE_REASON))
            continue
        text = clean_text(value)
        if text is None:
            continue
        if len(text) > MAX_LENGTH[name]:
            errors.append(FieldError(name, f"longer than {MAX_LENGTH[name]} characters"))
            continue
        values[name] = text
    if "country" in values:
        try:
            values["country"] = normalize_country(values["country"])
        except ValueError as exc:
            errors.append(FieldError("country", str(exc)))
            del values["country"]
    if "language" in values:
        try:
            values["language"] = normalize_language(values["language"])
        except ValueError as exc:
            errors.append(FieldError("language", str(exc)))
            del values["language"]
    if "email" in values:
        try:
            values["email"] = normalize_email(values["email"])
        except ValueError as exc:
            errors.append(FieldError("email", str(exc)))
            del values["email"]
    region = values.get("country") or default_country
    for name in ("phone", "mobile"):
        if name in values:
            try:
                values[name] = normalize_phone(values[name], region)
            except ValueError as exc:
                errors.append(FieldError(name, str(exc)))
                del values[name]
    return values, errors


@dataclass
class FieldChange:
    field: str
    old: object
    new: object


def _spelling(text: str) -> tuple[int, bool]:
    """How much a spelling tells: its letters beyond ASCII, and whether it is written in mixed case."""
    return sum(1 for c in text if ord(c) > 127), text != text.upper() and text != text.lower()


def poorer_spelling(new: object, old: object) -> bool:
    """`new` is `old` with less written: the same text once accents and case are folded ("Odegard", "ODEGARD" for
    "Ødegård"), with fewer letters beyond ASCII or without its mixed case."""
    if not isinstance(new, str) or not isinstance(old, str) or not old:
        return False
    if " ".join(anyascii(new).casefold().split()) != " ".join(anyascii(old).casefold().split()):
        return False
    (new_letters, new_mixed), (old_letters, old_mixed) = _spelling(new), _spelling(old)
    return new_letters < old_letters or (new_letters == old_letters and old_mixed and not new_mixed)


def merge_changes(current: dict[str, object], incoming: dict[str, object],
                  manual_fields: list[str] | tuple[str, ...] = ()) -> tuple[list[FieldChange], list[str]]:
    """The survivorship rule: the newest non-empty value wins, never over a value a person edited by hand, and
    never when it is only a poorer spelling of the same text ("Odegard" over "Ødegård", "ACME" over "Acme").

    Returns the changes to make and the fields kept because a person set them.
    """
    changes, kept = [], []
    for name, value in incoming.items():
        if value in (None, ""):
            continue
        old = current.get(name)
        if old == value or poorer_spelling(value, old):
            continue
        if name in manual_fields and old not in (None, ""):
            kept.append(name)
            continue
        changes.append(FieldChange(name, old, value))
    return changes, kept


# A lead's other emails and phones: each list holds what its primary fields once held, or a capture or a merged
# lead brought, except what is primary now.
IDENTIFIERS = {"other_emails": ("email",), "other_phones": ("phone", "mobile")}


def kept_identifiers(lead: dict, *seen: dict) -> dict[str, list[str]]:
    """The other emails and phones of `lead` (its values after a change) once the values in `seen` are kept too
    (the lead before the change, a capture, a lead merged into it): in order, each once, the primaries left out."""
    result = {}
    for others, primaries in IDENTIFIERS.items():
        now_primary = {lead.get(name) for name in primaries}
        values = list(lead.get(others) or ())
        for source in seen:
            values.extend(source.get(others) or ())
            values.extend(source.get(name) for name in primaries)
        kept: list[str] = []
        for value in values:
            if value and value not in now_primary and value not in kept:
                kept.append(value)
        result[others] = kept
    return result


def normalize_identifiers(values: list[str], kind: str, country: str | None) -> tuple[list[str], list[tuple[int, str]]]:
    """A list of emails (kind "email") or phones given by a person: normalized, each once; and (index, reason) for
    each that is not one."""
    found: list[str] = []
    wrong: list[tuple[int, str]] = []
    for index, value in enumerate(values):
        text = clean_text(value)
        if text is None:
            continue
        try:
            normalized = normalize_email(text) if kind == "email" else normalize_phone(text, country)
        except ValueError as exc:
            wrong.append((index, str(exc)))
            continue
        if normalized not in found:
            found.append(normalized)
    return found, wrong


# Companies: a name without its legal form, and a web domain.
LEGAL_FORMS = {
    "bv", "b v", "nv", "n v", "vof", "cv", "as", "asa", "a s", "oy", "oyj", "ab", "publ", "gmbh", "ag", "kg",
    "ug", "se", "ltd", "limited", "plc", "llp", "llc", "inc", "incorporated", "corp", "corporation", "co",
    "company", "sa", "sarl", "sas", "srl", "spa", "bvba", "sprl", "aps", "ky", "tmi", "ou", "sp z o o",
    "kft", "pty", "lp", "gmbh co kg", "ehf", "hf",
}
_CONNECTORS = frozenset({"and", "en", "og", "och", "ja", "und", "et"})
_LEGAL_RE = re.compile(
    r"(?:\b(?:" + "|".join(sorted((re.escape(f) for f in LEGAL_FORMS), key=len, reverse=True)) + r")\b\s*)+$"
)


def company_key(name: str) -> str:
    """'Acme B.V.' and 'ACME bv' and 'Acme' give one key."""
    text = re.sub(r"[^\w]+", " ", _fold(name)).strip()
    # "&", "and", "en", "og", "och", "ja", "und", "et" join names the same way in every language
    text = " ".join(word for word in text.split() if word not in _CONNECTORS)
    stripped = _LEGAL_RE.sub("", text).strip()
    return (stripped or text)[:300]


def domain_names(name: str, domain: str) -> bool:
    """Whether a web domain is this company's own name: `ibm.com` for IBM, `nordmannbygg.no` for Nordmann Bygg AS."""
    label = re.sub(r"[^a-z0-9]", "", _fold(domain.split(".")[0]))
    compact = company_key(name).replace(" ", "")
    return bool(label and compact) and (
        compact == label or (min(len(label), len(compact)) >= 4 and (label in compact or compact in label)))


def domain_names_firm(name: str, holder: str, domain: str) -> bool:
    """Whether a lead naming company `name` with an email at `domain` is of the company `holder` that holds that
    domain: the name is the domain's own ("IBM" at ibm.com), the holder's initials ("IBM" for International
    Business Machines), or the holder's name within it or it within the holder's ("Acme" and "Acme Nordic").
    "Fjord AS" at a domain "Nordmann Bygg AS" holds is another company."""
    given, held = company_key(name), company_key(holder)
    if not given or not held:
        return False
    if domain_names(name, domain):
        return True
    compact = given.replace(" ", "")
    words_given, words_held = given.split(), held.split()
    if len(words_held) > 1 and compact == "".join(word[0] for word in words_held):
        return True
    shorter, longer = sorted((words_given, words_held), key=len)
    return longer[:len(shorter)] == shorter


def domain_of(url_or_domain: str | None) -> str | None:
    if not url_or_domain:
        return None
    text = url_or_domain.strip().lower()
    if "@" in text:
        text = text.rsplit("@", 1)[1]
    if "://" not in text:
        text = "http://" + text
    host = urlsplit(text).hostname or ""
    if host.startswith("www."):
        host = host[4:]
    return host or None


def parent_hint(child_key: str, child_domain: str | None, parent_key: str, parent_domain: str | None) -> str | None:
    """Why one company looks like the parent of another, or None: 'Acme Benelux' under 'Acme', nl.acme.com
    under acme.com, acme.nl beside acme.com (one group's country sites)."""
    if child_domain and parent_domain and child_domain != parent_domain:
        if child_domain.endswith("." + parent_domain):
            return f"{child_domain} is a subdomain of {parent_domain}"
        child_label, _, child_tld = child_domain.partition(".")
        parent_label, _, parent_tld = parent_domain.partition(".")
        if child_label == parent_label and parent_tld == "com" and child_tld != "com":
            return f"{child_domain} is a country site of {parent_domain}"
    if child_key != parent_key and child_key.startswith(parent_key + " ") and len(parent_key) >= 3:
        return f"the name starts with '{parent_key}'"
    return None


_FORMULA_START = ("=", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-][\d\s().,/-]*")


def spreadsheet_safe(value):
    """A cell a spreadsheet will not run as a formula: text from a public form such as `=HYPERLINK(...)` gets a
    leading apostrophe; numbers and phone numbers (`+31 6 1234 5678`, `-12.5`) stay as they are."""
    if not isinstance(value, str) or not value:
        return value
    if value.startswith(_FORMULA_START) or (value[0] in "+-" and not _PLAIN_NUMBER.fullmatch(value)):
        return "'" + value
    return value


# What a lead's profile says of its company, as the scoring fit rules read it (scoring.service.declared_fields)
# and as the lead page shows it: the lead's own answer first (a custom field of that name, as a form sends it),
# else its company's record.
COMPANY_FACTS = ("industry", "employees", "revenue")


def company_facts(custom_fields: dict | None, company: dict | None) -> dict[str, tuple[object, str] | None]:
    """Each company fact with where it came from ("lead" or "company"), or None when neither knows it."""
    custom, record = custom_fields or {}, company or {}
    found: dict[str, tuple[object, str] | None] = {}
    for name in COMPANY_FACTS:
        if custom.get(name):
            found[name] = (custom[name], "lead")
        elif record.get(name) is not None:
            found[name] = (record[name], "company")
        else:
            found[name] = None
    return found
