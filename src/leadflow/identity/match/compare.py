"""Two prepared records compared field by field: each field's agreement level, with notes and contradictions.

Pure: no database, no HTTP, no clock.
"""

from __future__ import annotations

from dataclasses import dataclass

from rapidfuzz.distance import JaroWinkler, Levenshtein, OSA
from rapidfuzz.fuzz import token_set_ratio, token_sort_ratio

from leadflow.identity.match.fields import MISSING, Comparison
from leadflow.identity.match.term_frequency import TF_FIELDS, Frequencies, tf_value
from leadflow.identity.normalize import PARTICLES, ROLE_MAILBOXES, Prepared, canonical_first_names, phonetic


def compare(a: Prepared, b: Prepared, *, frequencies: Frequencies | None = None) -> Comparison:
    notes: list[str] = []
    contradictions: list[str] = []
    first, last = _names(a, b, notes)
    levels = {
        "first_name": first,
        "last_name": last,
        "email": _email(a, b),
        "phone": _phone(a, b),
        "company": _company(a, b),
        "address": _address(a, b),
        "postal_code": _postal(a.postal_code, b.postal_code),
        "city": _city(a.city, b.city),
        "birth_date": _birth(a.birth_date, b.birth_date),
    }
    if levels["address"] in ("exact", "close"):
        levels["postal_code"] = levels["city"] = MISSING   # the address holds them: one piece of evidence, not three
    elif levels["postal_code"] in ("exact", "close"):
        levels["city"] = MISSING
    if first == "far":
        contradictions.append("first names differ")
    if levels["birth_date"] == "far":
        if _personal(a, b, levels):
            notes.append("birth dates differ (a typo: the same personal email or mobile)")
        else:
            contradictions.append("birth dates differ")
    if levels["phone"] == "far" and a.mobiles and b.mobiles:
        contradictions.append("mobile numbers differ")
    if a.generation and b.generation and a.generation != b.generation:
        contradictions.append(f"generation differs ({a.generation}/{b.generation})")
    elif bool(a.generation) != bool(b.generation) and levels["birth_date"] != "exact":
        # "Kalevi Mäkinen Sr" beside "Kalevi Mäkinen" at one address is the father beside his son, unless the
        # same birth date says it is one man written both ways
        contradictions.append(f"generation on one side only ({a.generation or b.generation})")
    if levels["email"] == "far" and not (a.email_role or b.email_role) and (
            (a.email_free and b.email_free) or a.email_domain == b.email_domain):
        if set(a.mobiles) & set(b.mobiles) and first in ("exact", "nickname") and last in ("exact", "close"):
            notes.append("two addresses of one person (the same name and mobile)")
        else:
            contradictions.append("personal emails differ")
    elif levels["email"] == "far" and _firms_differ(a, b, levels["company"]):
        contradictions.append("email and company differ")   # however alike the names: at most a review
    nameless = not (a.first or a.last or b.first or b.last)
    if nameless and levels.get("address") == "far":
        contradictions.append("sites at different addresses")  # an organisation's sites share its phone and name
    adjustments = {}
    if frequencies is not None:
        for f in TF_FIELDS:
            value = tf_value(f, a)
            if levels.get(f) == "exact" and value and value == tf_value(f, b):
                adjustment = frequencies.adjustment(f, value)
                if adjustment:
                    adjustments[f] = round(adjustment, 3)
    return Comparison(levels, tuple(notes), tuple(contradictions), adjustments)


def _firms_differ(a: Prepared, b: Prepared, company_level: str) -> bool:
    """Two different firms: by name, or (a name missing) by their web domains, which are not one firm's."""
    if company_level == "far":
        return True
    return (company_level == MISSING and bool(a.company_domain) and bool(b.company_domain)
            and a.company_domain != b.company_domain and not _related_domains(a, b))


def _personal(a: Prepared, b: Prepared, levels: dict[str, str]) -> bool:
    """An agreement on something one person has and a household does not share: an email that is not a role
    mailbox (not a free-mail address a couple shares under both names: the first names agree too), or a mobile."""
    if levels["email"] in ("exact", "local") and not a.email_role and levels["first_name"] not in ("far", MISSING):
        return True
    return any(p in b.mobiles for p in a.mobiles)


_RANK = {"exact": 4, "nickname": 3, "close": 3, "initial": 2, "far": 0, MISSING: 1}


def _names(a: Prepared, b: Prepared, notes: list[str]) -> tuple[str, str]:
    straight = (_first(_FirstView.of_first(a), _FirstView.of_first(b)), _last(a.last, a.last_core, b.last, b.last_core))
    if not (a.first and a.last and b.first and b.last) or straight == ("exact", "exact"):
        return straight
    swapped_b = _FirstView.of_last(b)
    core_b = _core(b.first_tokens)
    swapped = (_first(_FirstView.of_first(a), swapped_b), _last(a.last, a.last_core, b.first, core_b))
    if _RANK[swapped[0]] + _RANK[swapped[1]] > _RANK[straight[0]] + _RANK[straight[1]] + 1:
        notes.append("first and last name swapped")
        return swapped
    return straight


@dataclass(frozen=True)
class _FirstView:
    text: str
    tokens: tuple[str, ...]
    initials: str
    is_initials: bool
    canon: frozenset[str]

    @classmethod
    def of_first(cls, p: Prepared) -> _FirstView:
        return cls(p.first, p.first_tokens, p.first_initials, p.first_is_initials, p.first_canon)

    @classmethod
    def of_last(cls, p: Prepared) -> _FirstView:
        tokens = p.last_tokens
        return cls(p.last, tokens, "".join(t[0] for t in tokens), False,
                   canonical_first_names(tokens[0]) if tokens else frozenset())


def _core(tokens: tuple[str, ...]) -> str:
    return "".join(t for t in tokens if t not in PARTICLES) or "".join(tokens)


def _first(a: _FirstView, b: _FirstView) -> str:
    if not a.text or not b.text:
        return MISSING
    if a.text == b.text or a.text.replace(" ", "") == b.text.replace(" ", ""):
        return "exact"
    if _numbered_apart(a.text, b.text):
        return "far"   # "Voor1" and "Voor2": numbered names are different names
    a_initial = a.is_initials or len(a.tokens[0]) == 1
    b_initial = b.is_initials or len(b.tokens[0]) == 1
    if a_initial or b_initial:
        short, long = (a.initials, b.initials) if len(a.initials) <= len(b.initials) else (b.initials, a.initials)
        return "initial" if long.startswith(short) or short[:1] == long[:1] else "far"
    if a.canon & b.canon:
        return "nickname"
    if any(JaroWinkler.similarity(x, y) >= 0.92 for x in a.canon for y in b.canon if x[:1] == y[:1]):
        return "close"   # a nickname's formal name mistyped: "Henk" and "Henlrik"
    if a.tokens[0] == b.tokens[0] or JaroWinkler.similarity(a.text, b.text) >= 0.9:
        return "close"
    if JaroWinkler.similarity(a.tokens[0], b.tokens[0]) >= 0.9 or _slip(a.tokens[0], b.tokens[0]):
        return "close"
    return "far"


def _slip(a: str, b: str) -> bool:
    """One typing slip between two words of at least four letters: a letter left out, added or two swapped, or,
    in a word of five or more, one letter mistyped. In a short word one other letter is another word: "Toka" and
    "Tika", "Jan" and "Jon" are different names."""
    if min(len(a), len(b)) < 4 or OSA.distance(a, b) != 1:
        return False
    substituted = len(a) == len(b) and sum(x != y for x, y in zip(a, b)) == 1
    return not substituted or min(len(a), len(b)) >= 5


def _last(a: str, a_core: str, b: str, b_core: str) -> str:
    if not a or not b:
        return MISSING
    if a == b or a_core == b_core or a.replace(" ", "") == b.replace(" ", ""):
        return "exact"
    if _numbered_apart(a, b):
        return "far"
    if (JaroWinkler.similarity(a_core, b_core) >= 0.9 and min(len(a_core), len(b_core)) >= 5) or _slip(a_core, b_core):
        return "close"
    a_tokens, b_tokens = set(a.split()), set(b.split())
    if phonetic(a_core) == phonetic(b_core) and JaroWinkler.similarity(a_core, b_core) >= 0.8:
        return "close"
    if len(a_tokens) != len(b_tokens) and (a_tokens <= b_tokens or b_tokens <= a_tokens):
        return "close"   # double-barrelled: "Smith-Jones" and "Smith"
    return "far"


def _email(a: Prepared, b: Prepared) -> str:
    if not a.email or not b.email:
        return MISSING
    if a.email == b.email:
        return "role" if a.email_role else "exact"
    if a.other_emails or b.other_emails:
        shared = {a.email, *a.other_emails} & {b.email, *b.other_emails}
        if shared:   # an address one of them was captured with before
            return "exact" if any(e.partition("@")[0] not in ROLE_MAILBOXES for e in shared) else "role"
    if a.email_role or b.email_role:
        return MISSING   # info@ beside a person's address says nothing either way
    if a.email_local_bare == b.email_local_bare and len(a.email_local_bare) >= 3:
        if a.email_domain == b.email_domain:
            return "exact"
        return "local" if _related_domains(a, b) else "alias"
    digits_a, digits_b = _digits(a.email_local_bare), _digits(b.email_local_bare)
    if digits_a != digits_b:
        return "far"  # jan.jansen1 and jan.jansen2: numbered accounts are different people
    if a.email_domain == b.email_domain and min(len(a.email_local_bare), len(b.email_local_bare)) >= 5 and (
            Levenshtein.distance(a.email_local_bare, b.email_local_bare) <= 1
            or JaroWinkler.similarity(a.email_local, b.email_local) >= 0.95):
        return "close"
    return "far"


def _digits(text: str) -> str:
    return "".join(filter(str.isdigit, text))


def _numbered_apart(a: str, b: str) -> bool:
    """Both carry a number and the numbers differ: "Bedrijf 1" and "Bedrijf 2". A digit on one side only is more
    often a slip of a scan or a keyboard ("E1isabeth") than a numbered name."""
    digits_a, digits_b = _digits(a), _digits(b)
    return bool(digits_a) and bool(digits_b) and digits_a != digits_b


def _related_domains(a: Prepared, b: Prepared) -> bool:
    """acme.nl and acme.com, or a domain named like the other record's company: one firm's addresses."""
    if a.email_free or b.email_free:
        return False
    label_a, label_b = a.email_domain.split(".")[0], b.email_domain.split(".")[0]
    if _numbered_apart(label_a, label_b):
        return False   # example6.com and example16.com
    if label_a == label_b or JaroWinkler.similarity(label_a, label_b) >= 0.9:
        return True
    return any(company and company.replace(" ", "") in (label_a, label_b) for company in (a.company, b.company))


def _phone(a: Prepared, b: Prepared) -> str:
    if not a.phones or not b.phones:
        return MISSING
    if any(p in b.phones for p in a.phones):
        return "exact"
    for x in a.phones:
        for y in b.phones:
            if x[-8:] == y[-8:] and len(x) >= 8 and len(y) >= 8:
                return "close"   # a national and an international notation of one number
    # One digit apart is another number, not a slip: a firm's extensions and a batch of mobiles run in sequence.
    return "far"


def _company(a: Prepared, b: Prepared) -> str:
    same_domain = bool(a.company_domain) and a.company_domain == b.company_domain
    if not a.company or not b.company:
        return "close" if same_domain and not (a.email_free or b.email_free) else MISSING
    if a.company == b.company or a.company.replace(" ", "") == b.company.replace(" ", ""):
        return "exact"
    if same_domain:
        return "close"
    if _numbered_apart(a.company, b.company):
        return "far"   # "Bedrijf 1" and "Bedrijf 2"
    only_a = set(a.company.split()) - set(b.company.split())
    only_b = set(b.company.split()) - set(a.company.split())
    if only_a and only_b:
        # Each name has a word the other lacks: the same firm only if those words are one slip apart ("Acme
        # Holdnig"); "Company Toka" and "Company Tika" share a common word and differ in the one that names them.
        rest_a, rest_b = " ".join(sorted(only_a)), " ".join(sorted(only_b))
        if _slip(rest_a, rest_b) or (JaroWinkler.similarity(rest_a, rest_b) >= 0.93 and min(len(rest_a), len(rest_b)) >= 6):
            return "close"
        if token_sort_ratio(a.company, b.company) >= 90 and min(len(rest_a), len(rest_b)) >= 6:
            return "partial"
        return "far"
    if token_sort_ratio(a.company, b.company) >= 90:
        return "close"
    if token_set_ratio(a.company, b.company) >= 85:
        return "partial"
    return "far"


def _address(a: Prepared, b: Prepared) -> str:
    if not a.street or not b.street:
        return MISSING
    same = a.street == b.street or (bool(a.street_core) and a.street_core == b.street_core and (
        a.street.endswith(b.street) or b.street.endswith(a.street)
        or a.street.startswith(b.street) or b.street.startswith(a.street)))   # a kind or direction left out
    similar = (same or JaroWinkler.similarity(a.street, b.street) >= 0.92
               or JaroWinkler.similarity(a.street_core, b.street_core) >= 0.92)
    if a.house_number and b.house_number:
        if not similar:
            return "far"
        digits_a = "".join(c for c in a.house_number if c.isdigit())
        digits_b = "".join(c for c in b.house_number if c.isdigit())
        if digits_a != digits_b:
            return "far"
        return "exact" if same and a.house_number == b.house_number else "close"
    return "street" if similar else "far"


def _postal(a: str, b: str) -> str:
    if not a or not b:
        return MISSING
    if a == b:
        return "exact"
    if len(a) == len(b) and (a[:-1] == b[:-1] or Levenshtein.distance(a, b) <= 1):
        return "close"
    if len(a) >= 5 and len(b) >= 5 and a[:-3] == b[:-3] and not a[:-3].isdigit():
        return "close"   # a British outward code
    return "far"


def _city(a: str, b: str) -> str:
    if not a or not b:
        return MISSING
    if a == b:
        return "exact"
    if JaroWinkler.similarity(a, b) >= 0.9 or a.startswith(b + " ") or b.startswith(a + " "):
        return "close"
    return "far"


def _birth(a: str, b: str) -> str:
    """close: one digit mistyped or two swapped, day and month swapped; near: two such slips, or the same year
    and month. Only a far birth date is a contradiction."""
    if not a or not b:
        return MISSING
    if a == b:
        return "exact"
    ya, ma, da = a.split("-")
    yb, mb, db = b.split("-")
    digits_a, digits_b = ya + ma + da, yb + mb + db
    distance = OSA.distance(digits_a, digits_b)
    if distance <= 1 or (ya == yb and ma == db and da == mb):
        return "close"
    if ma == mb and da == db and abs(int(ya) - int(yb)) <= 1:
        return "close"
    if distance <= 2 or (ya == yb and ma == mb):
        return "near"
    return "far"

