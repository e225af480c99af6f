"""Whether two prepared records are one person: field agreement levels, a Fellegi–Sunter model (log2 Bayes
factors, estimated by expectation–maximisation), a decision with its reasons, and clusters that do not chain.

Pure: no database, no HTTP, no clock.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from rapidfuzz.distance import JaroWinkler, Levenshtein, OSA
from rapidfuzz.fuzz import token_set_ratio, token_sort_ratio

from leadflow.identity.normalize import PARTICLES, ROLE_MAILBOXES, Prepared, canonical_first_names, phonetic

MISSING = "missing"
# Each field's agreement levels, strongest first; "missing" (either side empty) is implicit and weighs 0.
FIELDS: dict[str, tuple[str, ...]] = {
    "first_name": ("exact", "nickname", "close", "initial", "far"),
    "last_name": ("exact", "close", "far"),
    "email": ("exact", "role", "local", "alias", "close", "far"),
    "phone": ("exact", "close", "far"),
    "company": ("exact", "close", "partial", "far"),
    "address": ("exact", "close", "street", "far"),
    "postal_code": ("exact", "close", "far"),
    "city": ("exact", "close", "far"),
    "birth_date": ("exact", "close", "near", "far"),
}
# Shipped starting values: P(level | same person) and P(level | different people), per field.
DEFAULT_M = {
    "first_name": {"exact": 0.80, "nickname": 0.06, "close": 0.07, "initial": 0.04, "far": 0.03},
    "last_name": {"exact": 0.88, "close": 0.09, "far": 0.03},
    "email": {"exact": 0.75, "role": 0.02, "local": 0.05, "alias": 0.03, "close": 0.05, "far": 0.10},
    "phone": {"exact": 0.75, "close": 0.05, "far": 0.20},
    "company": {"exact": 0.75, "close": 0.12, "partial": 0.05, "far": 0.08},
    "address": {"exact": 0.70, "close": 0.10, "street": 0.10, "far": 0.10},
    "postal_code": {"exact": 0.85, "close": 0.05, "far": 0.10},
    "city": {"exact": 0.85, "close": 0.05, "far": 0.10},
    "birth_date": {"exact": 0.85, "close": 0.07, "near": 0.04, "far": 0.04},
}
DEFAULT_U = {
    "first_name": {"exact": 0.01, "nickname": 0.003, "close": 0.01, "initial": 0.03, "far": 0.947},
    "last_name": {"exact": 0.003, "close": 0.007, "far": 0.99},
    "email": {"exact": 0.0001, "role": 0.0005, "local": 0.0002, "alias": 0.001, "close": 0.0005, "far": 0.9977},
    "phone": {"exact": 0.0005, "close": 0.001, "far": 0.9985},
    "company": {"exact": 0.02, "close": 0.01, "partial": 0.03, "far": 0.94},
    "address": {"exact": 0.0005, "close": 0.0005, "street": 0.003, "far": 0.996},
    "postal_code": {"exact": 0.005, "close": 0.02, "far": 0.975},
    "city": {"exact": 0.05, "close": 0.01, "far": 0.94},
    "birth_date": {"exact": 0.0002, "close": 0.003, "near": 0.01, "far": 0.9868},
}
# Agreements that point at one person rather than a name, a household or a firm: a pair merges on its own only
# with at least one of them (a name in one city, however rare, goes to a person).
IDENTIFYING = {
    "email": frozenset({"exact", "local", "close"}), "phone": frozenset({"exact", "close"}),
    "address": frozenset({"exact", "close"}), "birth_date": frozenset({"exact", "close"}),
    "company": frozenset({"exact", "close"}),
}
AUTO_THRESHOLD = 0.99     # match probability at or above which two records merge without a person
REVIEW_THRESHOLD = 0.50   # between this and AUTO_THRESHOLD the pair goes to the review queue
_FLOOR = 1e-6


@dataclass(frozen=True)
class Comparison:
    """Per field an agreement level; contradictions are facts that two people differ (see `score`); adjustments
    are the extra log2 weight of an exact agreement on a rare value (or less for a common one; see Frequencies)."""

    levels: dict[str, str]
    notes: tuple[str, ...] = ()
    contradictions: tuple[str, ...] = ()
    adjustments: dict[str, float] = field(default_factory=dict)

    def pattern(self) -> tuple[str, ...]:
        return tuple(self.levels.get(name, MISSING) for name in FIELDS)


@dataclass(frozen=True)
class Reason:
    field: str
    level: str
    weight: float     # log2 Bayes factor this field's agreement level contributed

    def __str__(self) -> str:
        return f"{self.field} {self.level} ({self.weight:+.1f})"


@dataclass(frozen=True)
class MatchResult:
    weight: float                   # sum of the reasons' weights (log2 Bayes factor), before the prior
    probability: float              # P(same person | comparison), with the model's prior
    decision: str                   # "merge", "review" or "distinct"
    reasons: tuple[Reason, ...]     # strongest contribution first
    notes: tuple[str, ...] = ()     # e.g. "first and last name swapped"
    contradictions: tuple[str, ...] = ()


# How common a value is: term-frequency adjustment.

TF_FIELDS = ("first_name", "last_name", "city", "postal_code", "company")
MAX_ADJUSTMENT = 5.0   # bits either way: a count from a small or skewed set is not the last word


def tf_value(field_name: str, p: Prepared) -> str:
    if field_name == "first_name":
        return p.first_tokens[0] if p.first_tokens and not p.first_is_initials else ""
    if field_name == "last_name":
        return p.last_core
    return getattr(p, field_name)


@dataclass(frozen=True)
class Frequencies:
    """How often each value of a TF field occurs: counts per value, the number of records with the field, and the
    chance that two such records agree by accident (the sum of squared shares). The batch run builds it with
    `frequencies(records)`; the database side can pass counts from its own tables."""

    counts: Mapping[str, Mapping[str, int]]
    totals: Mapping[str, int]
    collisions: Mapping[str, float]

    def adjustment(self, field_name: str, value: str) -> float:
        """log2(chance of an accidental agreement on any value / chance on this one), within ±MAX_ADJUSTMENT:
        two records that share a rare surname are more likely one person than two that share the commonest."""
        total = self.totals.get(field_name, 0)
        collision = self.collisions.get(field_name, 0.0)
        if not value or total < 2 or collision <= 0:
            return 0.0
        share = max(self.counts.get(field_name, {}).get(value, 0), 1) / total
        return max(-MAX_ADJUSTMENT, min(MAX_ADJUSTMENT, math.log2(collision / share)))


def frequencies(records: Iterable[Prepared]) -> Frequencies:
    counts: dict[str, Counter] = {f: Counter() for f in TF_FIELDS}
    for record in records:
        for f in TF_FIELDS:
            value = tf_value(f, record)
            if value:
                counts[f][value] += 1
    totals = {f: sum(c.values()) for f, c in counts.items()}
    collisions = {f: sum((n / totals[f]) ** 2 for n in c.values()) if totals[f] else 0.0 for f, c in counts.items()}
    return Frequencies({f: dict(c) for f, c in counts.items()}, totals, collisions)


# Comparison of two prepared records.

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


# The Fellegi–Sunter model.

@dataclass
class Model:
    """m[field][level] = P(level | same person), u[field][level] = P(level | different people); prior = share of
    candidate pairs that are the same person. Thresholds are match probabilities."""

    m: dict[str, dict[str, float]] = field(default_factory=lambda: {f: dict(v) for f, v in DEFAULT_M.items()})
    u: dict[str, dict[str, float]] = field(default_factory=lambda: {f: dict(v) for f, v in DEFAULT_U.items()})
    prior: float = 0.05
    auto_threshold: float = AUTO_THRESHOLD
    review_threshold: float = REVIEW_THRESHOLD

    def weight(self, field_name: str, level: str) -> float:
        if level == MISSING:
            return 0.0
        m = max(self.m[field_name].get(level, _FLOOR), _FLOOR)
        u = max(self.u[field_name].get(level, _FLOOR), _FLOOR)
        return math.log2(m / u)

    def weights(self) -> dict[str, dict[str, float]]:
        return {f: {level: round(self.weight(f, level), 3) for level in levels} for f, levels in FIELDS.items()}

    def probability(self, weight: float) -> float:
        prior = min(max(self.prior, _FLOOR), 1 - _FLOOR)
        logit = weight + math.log2(prior / (1 - prior))
        if logit > 60:
            return 1.0
        if logit < -60:
            return 0.0
        return 1.0 / (1.0 + 2.0 ** -logit)

    def _weights(self) -> dict[tuple[str, str], float]:
        """Every (field, level) weight, computed once per model (a model is not changed after it is made)."""
        table = self.__dict__.get("_weight_table")
        if table is None:
            table = {(f, level): self.weight(f, level) for f, levels in FIELDS.items() for level in levels}
            self.__dict__["_weight_table"] = table
        return table

    def score(self, comparison: Comparison, *, explain: bool = True) -> MatchResult:
        """A contradiction (a first name, birth date, Jr/Sr or a personal email that differs) keeps a pair from
        merging on its own however much else agrees: twins and a father and son share a household's address,
        phone and last name, which independent field weights would otherwise count many times over. With two
        contradictions the pair is distinct. Without an IDENTIFYING agreement it goes to review at most.

        With `explain=False` a distinct pair comes back without its reasons (batch runs score millions)."""
        table = self._weights()
        adjustments = comparison.adjustments
        levels = comparison.levels
        weight = 0.0
        for f, level in levels.items():
            if level != MISSING:
                weight += round(table[f, level] + adjustments.get(f, 0.0), 2)
        probability = self.probability(weight)
        identifying = any(levels.get(f) in allowed for f, allowed in IDENTIFYING.items())
        decision = self.decide(probability, len(comparison.contradictions), identifying=identifying)
        if decision == "distinct" and not explain:
            return MatchResult(round(weight, 3), probability, decision, ())
        reasons = sorted(
            (Reason(f, level, round(table[f, level] + adjustments.get(f, 0.0), 2))
             for f, level in levels.items() if level != MISSING),
            key=lambda r: -abs(r.weight),
        )
        return MatchResult(round(weight, 3), probability, decision, tuple(reasons), comparison.notes,
                           comparison.contradictions)

    def decide(self, probability: float, contradictions: int = 0, *, identifying: bool = True) -> str:
        if contradictions >= 2:
            return "distinct"
        if probability >= self.auto_threshold and not contradictions and identifying:
            return "merge"
        if probability >= self.review_threshold:
            return "review"
        return "distinct"

    def to_dict(self) -> dict:
        return {"m": self.m, "u": self.u, "prior": self.prior, "auto_threshold": self.auto_threshold,
                "review_threshold": self.review_threshold}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=True)

    @classmethod
    def from_dict(cls, data: dict) -> Model:
        """Fields or levels the data leaves out keep their shipped defaults; unknown ones are an error."""
        model = cls()
        for part in ("m", "u"):
            for f, levels in (data.get(part) or {}).items():
                if f not in FIELDS:
                    raise ValueError(f"unknown field {f!r} in {part}")
                for level, value in levels.items():
                    if level not in FIELDS[f]:
                        raise ValueError(f"unknown level {level!r} of {f}")
                    if not 0 < float(value) <= 1:
                        raise ValueError(f"{part}[{f}][{level}] must be in (0, 1]")
                    getattr(model, part)[f][level] = float(value)
        for name in ("prior", "auto_threshold", "review_threshold"):
            if name in data:
                value = float(data[name])
                if not 0 < value < 1:
                    raise ValueError(f"{name} must be between 0 and 1")
                setattr(model, name, value)
        if model.review_threshold > model.auto_threshold:
            raise ValueError("review_threshold must not exceed auto_threshold")
        return model

    @classmethod
    def from_json(cls, text: str) -> Model:
        return cls.from_dict(json.loads(text))


def estimate(comparisons: Iterable[Comparison], *, start: Model | None = None,
             random_comparisons: Iterable[Comparison] | None = None,
             iterations: int = 50, tolerance: float = 1e-5, pseudo: float = 1.0) -> Model:
    """Expectation–maximisation of m, u and the prior over candidate pairs (unsupervised, as splink does).

    Both m and u are estimated on the candidate pairs themselves, because those are the pairs that get scored:
    non-matches among them agree on a blocking key far more often than random pairs do. With random_comparisons
    (pairs drawn at random), u starts from their level shares instead of the shipped defaults. The start model's
    values also act as a weak prior (pseudo-counts), so a level no pair shows keeps a sensible value.
    """
    model = start or Model()
    names = list(FIELDS)
    patterns = Counter(c.pattern() for c in comparisons)
    if not patterns:
        return Model.from_dict(model.to_dict())
    m = {f: dict(model.m[f]) for f in names}
    u = {f: dict(model.u[f]) for f in names}
    if random_comparisons is not None:
        counts = Counter(c.pattern() for c in random_comparisons)
        if counts:
            u = _level_shares(counts, names, u, pseudo=1.0)
    prior = model.prior
    items = list(patterns.items())
    total = sum(patterns.values())
    for _ in range(iterations):
        match_counts = Counter()
        nonmatch_counts = Counter()
        expected_matches = 0.0
        for pattern, count in items:
            lm = math.log(prior)
            lu = math.log(1 - prior)
            for f, level in zip(names, pattern):
                if level == MISSING:
                    continue
                lm += math.log(max(m[f][level], _FLOOR))
                lu += math.log(max(u[f][level], _FLOOR))
            top = max(lm, lu)
            p = math.exp(lm - top) / (math.exp(lm - top) + math.exp(lu - top))
            expected_matches += p * count
            match_counts[pattern] += p * count
            nonmatch_counts[pattern] += (1 - p) * count
        new_m = _level_shares(match_counts, names, model.m, pseudo=pseudo)
        new_u = _level_shares(nonmatch_counts, names, model.u, pseudo=pseudo)
        _keep_order(new_m, new_u)
        new_prior = min(max(expected_matches / total, 1e-4), 0.9999)
        change = max(abs(new_m[f][lv] - m[f][lv]) for f in names for lv in FIELDS[f])
        change = max(change, abs(new_prior - prior))
        m, u, prior = new_m, new_u, new_prior
        if change < tolerance:
            break
    return Model(m=m, u=u, prior=prior, auto_threshold=model.auto_threshold,
                 review_threshold=model.review_threshold)


def _level_shares(counts: Counter, names: list[str], start: dict[str, dict[str, float]],
                  pseudo: float) -> dict[str, dict[str, float]]:
    """Per field, the share of each level among pairs where the field is present, with start as pseudo-counts."""
    result = {}
    for index, f in enumerate(names):
        tally = {level: pseudo * start[f].get(level, _FLOOR) for level in FIELDS[f]}
        for pattern, count in counts.items():
            level = pattern[index]
            if level != MISSING:
                tally[level] += count
        total = sum(tally.values())
        result[f] = {level: max(value / total, _FLOOR) for level, value in tally.items()}
    return result


def _keep_order(m: dict[str, dict[str, float]], u: dict[str, dict[str, float]]) -> None:
    """An exact agreement never weighs less than a partial one, and a disagreement never more: EM on a few thousand
    pairs with many gaps otherwise finds, say, a birth date one digit off worth more than the same birth date.
    Levels out of order are pooled (isotonic regression of m/u weighted by u, for a top and a bottom element), so
    the m of the pooled levels keeps its sum."""
    for f, levels in FIELDS.items():
        for end, outranks in ((levels[0], lambda x, y: x > y), (levels[-1], lambda x, y: x < y)):
            pooled = {end}
            while True:
                ratio = sum(m[f][lv] for lv in pooled) / sum(u[f][lv] for lv in pooled)
                more = {lv for lv in levels if lv not in pooled and outranks(m[f][lv] / u[f][lv], ratio)}
                if not more:
                    break
                pooled |= more
            if len(pooled) > 1:
                for lv in pooled:
                    m[f][lv] = max(u[f][lv] * ratio, _FLOOR)


# Clusters.

@dataclass
class Clustering:
    clusters: list[list[object]]                              # each at least two ids: the records to merge
    review: list[tuple[object, object, MatchResult]]          # pairs for a person, across clusters
    refused: list[tuple[object, object, MatchResult]] = field(default_factory=list)  # merges the guard stopped


def cluster(scored: Sequence[tuple[object, object, MatchResult]], *,
            not_the_same: Iterable[tuple[object, object]] = ()) -> Clustering:
    """Connected components over the merge pairs, strongest first, with a guard against chaining: two groups join
    only if no pair across them is known to be different people — a pair scored distinct with a contradiction
    or a negative weight, or a pair a person marked "not the same". So A=B (same email) and B=C (same phone)
    do not put A with C when A and C have different first names and birth dates."""
    parent: dict[object, object] = {}
    members: dict[object, set] = {}
    apart: dict[object, set] = {}

    def root(x):
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in not_the_same:
        apart.setdefault(a, set()).add(b)
        apart.setdefault(b, set()).add(a)
    for a, b, result in scored:
        if result.decision == "distinct":
            apart.setdefault(a, set()).add(b)
            apart.setdefault(b, set()).add(a)
    refused = []
    merges = sorted((s for s in scored if s[2].decision == "merge"), key=lambda s: -s[2].weight)
    for a, b, result in merges:
        ra, rb = root(a), root(b)
        if ra == rb:
            continue
        group_a = members.setdefault(ra, {a})
        group_b = members.setdefault(rb, {b})
        small, large_root = (group_a, rb) if len(group_a) <= len(group_b) else (group_b, ra)
        if any(root(other) == large_root for x in small for other in apart.get(x, ())):
            refused.append((a, b, result))
            continue
        parent[ra] = rb
        members[rb] = group_a | group_b
        members.pop(ra, None)
    clusters = [sorted(group, key=str) for r, group in members.items() if root(r) == r and len(group) > 1]
    review = [(a, b, result) for a, b, result in scored
              if result.decision == "review" and root(a) != root(b)]
    review += [(a, b, result) for a, b, result in refused if root(a) != root(b)]
    return Clustering(clusters=clusters, review=review, refused=refused)
