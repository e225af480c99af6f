"""The one candidate index: which held lead a submission is, by the exact rule (email, phone, name) and the fuzzy
matcher's decision, over leads held as plain dicts (a capture's few, an import chunk's thousands).

Pure: no database, no clock. The shell loads the candidates in bulk (identity.service for one submission,
identity.bulk for a chunk) and hands them over; the index answers with the lead and the reasons.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from leadflow.identity import blocking
from leadflow.identity.match import MatchResult, Model, compare
from leadflow.identity.normalize import PersonRecord, Prepared, prepare
from leadflow.leads.domain import company_key, name_key

MAX_CANDIDATES = 20   # the leads sharing the most keys; the rest share too little to be the same person
MAX_EXACT = 20        # holders of an email or phone looked at, oldest first
MAX_NAMESAKES = 50    # leads of the same name looked at, oldest first
_DEFAULT_MODEL = Model()  # the exact rules' check does not move with re-estimated weights


def _getter(lead):
    return lead.get if isinstance(lead, dict) else (lambda name, default=None: getattr(lead, name, default))


def person_record(lead) -> PersonRecord:
    """The matcher's view of a lead (an ORM row or a dict of its columns)."""
    get = _getter(lead)
    custom = get("custom_fields") or {}
    birth = custom.get("birth_date") or custom.get("date_of_birth") or custom.get("dob")
    return PersonRecord(
        id=get("id"), first_name=get("first_name"), last_name=get("last_name"), email=get("email"),
        phones=tuple(p for p in (get("phone"), get("mobile"), *(get("other_phones") or ())) if p),
        company=get("company"), street=get("street"), postal_code=get("postal_code"), city=get("city"),
        country=get("country"), birth_date=str(birth) if birth else None,
        other_emails=tuple(get("other_emails") or ()),
    )


def emails_of(lead) -> set[str]:
    """Every email of a lead (an ORM row or a dict of its columns): the primary and the others."""
    get = _getter(lead)
    return {e for e in (get("email"), *(get("other_emails") or ())) if e}


def phones_of(lead) -> set[str]:
    get = _getter(lead)
    return {p for p in (get("phone"), get("mobile"), *(get("other_phones") or ())) if p}


def prepared_submission(fields: dict) -> Prepared:
    """A submission as the matcher sees it: its fields and custom fields (a birth date is one)."""
    return prepare(person_record({**fields, "id": None}))


def agrees(fields: dict, lead, prepared_of: Callable[[object], Prepared] | None = None) -> bool:
    """A phone or a name alone is no proof: twins share a household's phone, an agency's sites share its
    switchboard. The matcher must see no contradiction and no name or company that differs outright."""
    theirs = prepared_of(lead) if prepared_of is not None else prepare(person_record(lead))
    comparison = compare(prepared_submission(fields), theirs)
    result = _DEFAULT_MODEL.score(comparison)
    named_apart = any(comparison.levels.get(name) == "far" for name in ("first_name", "last_name", "company"))
    return not result.contradictions and result.decision != "distinct" and not named_apart


def reasons_json(result: MatchResult) -> list[dict]:
    """A match's reasons as stored beside what it decided (a capture's reasons, a review pair's)."""
    items = [{"field": r.field, "level": r.level, "weight": r.weight} for r in result.reasons]
    items += [{"field": "note", "level": note, "weight": 0.0} for note in result.notes]
    items += [{"field": "contradiction", "level": c, "weight": 0.0} for c in result.contradictions]
    return items


def _postal(value: str | None) -> str | None:
    return (value or "").replace(" ", "").upper() or None


def name_lookup(fields: dict) -> str | None:
    """The name key an exact match by name looks under: only for a submission without email and phone, with a
    company or a postal code beside the name."""
    if fields.get("email") or fields.get("phone") or fields.get("mobile"):
        return None
    person = name_key(fields.get("first_name"), fields.get("last_name"))
    if person and (fields.get("company") or _postal(fields.get("postal_code"))):
        return person
    return None


@dataclass
class Fuzzy:
    """The fuzzy matcher's answer for one submission: the lead to merge into (when the model says merge), its
    score, and the likeliest unsure candidate for a person to judge."""

    lead: dict | None = None
    result: MatchResult | None = None
    review: list[tuple[dict, MatchResult]] = field(default_factory=list)


class CandidateIndex:
    """The leads a batch of submissions may be, as plain dicts, with the exact rule and the fuzzy decision.

    Stored leads come first (in id order); leads the batch creates are added as they are made, after every stored
    lead (their ids will be higher), so submissions of one batch that are the same person become one lead.
    `holders` maps a blocking key to the stored lead ids holding it (keys held by too many leads left out).
    """

    def __init__(self, leads: Iterable[dict] = (), *, holders: dict[str, list[int]] | None = None,
                 model: Model | None = None, prepared_of: Callable[[dict], Prepared] | None = None):
        self.by_id: dict[int, dict] = {}
        self.by_email: dict[str, list[dict]] = {}
        self.by_phone: dict[str, list[dict]] = {}
        self.by_name: dict[str, list[dict]] = {}
        self.order: dict[int, tuple[int, int]] = {}
        self.indexed: set[tuple[str, str, int]] = set()
        self.holders: dict[str, list[int]] = dict(holders or {})
        self.new_by_key: dict[str, list[dict]] = {}
        self.model = model or _DEFAULT_MODEL
        self._prepared_of = prepared_of
        self._prepared: dict[int, Prepared] = {}
        self.added = 0
        self.add_stored(leads)

    # --- what the index holds -------------------------------------------------------------------------------

    def add_stored(self, leads: Iterable[dict]) -> None:
        for lead in sorted(leads, key=lambda lead: lead["id"]):
            if lead["id"] in self.by_id:
                continue
            lead.setdefault("read_at", lead.get("updated_at"))
            self.by_id[lead["id"]] = lead
            self.order[id(lead)] = (0, lead["id"])
            self.reindex(lead)

    def add_holders(self, holders: dict[str, list[int]]) -> None:
        self.holders.update(holders)

    def add_new(self, lead: dict) -> None:
        """A lead the batch creates: later submissions find it by its values and its blocking keys."""
        self.added += 1
        self.order[id(lead)] = (1, self.added)
        self.reindex(lead, keyed=True)

    def reindex(self, lead: dict, *, keyed: bool = False) -> None:
        """After a merge changed a lead's email, phone or name, find it by its new values too; `keyed`: by its
        blocking keys too (a new lead, or one whose matched fields changed)."""
        self.order.setdefault(id(lead), (0, lead["id"] or 0))
        values = [("e", self.by_email, email) for email in emails_of(lead)]
        values += [("p", self.by_phone, phone) for phone in phones_of(lead)]
        values.append(("n", self.by_name, lead.get("name_key")))
        for kind, index, value in values:
            if value and (kind, value, id(lead)) not in self.indexed:
                self.indexed.add((kind, value, id(lead)))
                index.setdefault(value, []).append(lead)
        self._prepared.pop(id(lead), None)
        if keyed:
            for key in blocking.keys(self.prepared_lead(lead)):
                bucket = self.new_by_key.setdefault(key, [])
                if lead not in bucket:
                    bucket.append(lead)

    def prepared_lead(self, lead: dict) -> Prepared:
        found = self._prepared.get(id(lead))
        if found is None:
            if self._prepared_of is not None and lead.get("id") is not None and lead.get("updated_at") is not None:
                found = self._prepared_of(lead)
            else:
                found = prepare(person_record(lead))
            self._prepared[id(lead)] = found
        return found

    # --- the exact rule -----------------------------------------------------------------------------------------

    def exact(self, fields: dict) -> dict | None:
        """The lead with the same email (its primary or any other it was captured with), else the same phone or
        mobile (in E.164) and nothing that contradicts it; a submission with neither matches a lead of the same name
        at the same company (legal form aside) or the same postal code, and no email or phone that contradicts it.
        """
        email = fields.get("email")
        phones = [fields[n] for n in ("phone", "mobile") if fields.get(n)]
        if not email and not phones:
            return self._by_name(fields)
        found: dict[int, dict] = {}
        if email:
            for lead in self.by_email.get(email, ()):
                if email in emails_of(lead):
                    found[id(lead)] = lead
        for phone in phones:
            for lead in self.by_phone.get(phone, ()):
                if phone in phones_of(lead):
                    found[id(lead)] = lead
        candidates = sorted(found.values(), key=lambda lead: self.order[id(lead)])[:MAX_EXACT]
        if email:
            for candidate in candidates:
                if email in emails_of(candidate):
                    return candidate
            # Same phone but a different email is a different person (a shared switchboard number).
            candidates = [c for c in candidates if not c.get("email")]
        return next((c for c in candidates if agrees(fields, c, self.prepared_lead)), None)

    def _by_name(self, fields: dict) -> dict | None:
        person = name_lookup(fields)
        if person is None:
            return None
        company = company_key(fields["company"]) if fields.get("company") else None
        postal = _postal(fields.get("postal_code"))
        leads = [lead for lead in self.by_name.get(person, ()) if lead.get("name_key") == person]
        for candidate in sorted(leads, key=lambda lead: self.order[id(lead)])[:MAX_NAMESAKES]:
            same_company = company and candidate.get("company") and company_key(candidate["company"]) == company
            same_postal = postal and _postal(candidate.get("postal_code")) == postal
            if (same_company or same_postal) and agrees(fields, candidate, self.prepared_lead):
                return candidate
        return None

    # --- the fuzzy matcher --------------------------------------------------------------------------------------

    def ranked(self, keys: Iterable[str], *, limit: int = MAX_CANDIDATES) -> list[int]:
        """Stored lead ids sharing a key with a submission, the most shared keys first (what the shell loads)."""
        shared: Counter[int] = Counter()
        for key in keys:
            shared.update(self.holders.get(key, ()))
        return sorted(shared, key=lambda i: (-shared[i], i))[:limit]

    def fuzzy(self, prepared: Prepared, keys: Iterable[str] | None = None, *, reviews: int | None = 1) -> Fuzzy:
        """Score the submission against the held leads that share the most blocking keys with it. `reviews`: how many
        unsure pairs to keep, likeliest first (None: every one; a capture queues them all, an import chunk the
        likeliest only, so a list is no review queue)."""
        keys = blocking.keys(prepared) if keys is None else keys
        leads: dict[int, dict] = {}
        shared: Counter = Counter()
        for key in keys:
            for lead_id in self.holders.get(key, ()):
                lead = self.by_id.get(lead_id)
                if lead is not None:
                    leads[id(lead)] = lead
                    shared[id(lead)] += 1
            for lead in self.new_by_key.get(key, ())[-blocking.MAX_BLOCK:]:
                leads[id(lead)] = lead
                shared[id(lead)] += 1
        if not leads:
            return Fuzzy()
        seen = [leads[ref] for ref, _ in sorted(shared.items(), key=lambda item: (-item[1], self.order[item[0]]))
                [:MAX_CANDIDATES]]
        scored = sorted(((lead, self.model.score(compare(prepared, self.prepared_lead(lead)), explain=False))
                         for lead in seen), key=lambda pair: -pair[1].probability)
        best = next(((lead, result) for lead, result in scored if result.decision == "merge"), None)
        review = [(lead, result) for lead, result in scored if result.decision == "review"
                  and (best is None or lead is not best[0])][:reviews]
        return Fuzzy(best[0], best[1], review) if best else Fuzzy(review=review)
