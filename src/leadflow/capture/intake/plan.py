"""The intake planner: for a batch of prepared submissions (a capture is a batch of one, an import chunk a batch of
a thousand) and the leads the database holds for their keys, decide per submission: create, merge into a lead,
reject, and which unsure pairs go to the review queue, each decision with its reasons.

Pure: no database, no clock, no HTTP. The shell loads the candidates in bulk, hands over two callbacks that make
a new lead and fold a submission into a lead (held as plain dicts), and writes what was decided.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from leadflow.errors import FieldError
from leadflow.identity import blocking
from leadflow.identity.candidates import CandidateIndex, prepared_submission, reasons_json
from leadflow.identity.match import MatchResult
from leadflow.identity.normalize import Prepared

CREATE, MERGE, REJECT = "create", "merge", "reject"
MATCHED = {"field": "lead", "reason": "matched an existing lead"}


@dataclass
class Record:
    """One prepared submission: its normalized fields and custom fields, or the reasons it cannot be taken."""

    ref: int                                 # its place in the batch (a file's row number; 1 for a capture)
    fields: dict | None                      # normalized lead fields; None when rejected
    custom_fields: dict = field(default_factory=dict)
    fingerprint: str | None = None           # what it is as a record, to find it again (identity.normalize)
    errors: list[FieldError] = field(default_factory=list)
    _seen: dict | None = field(default=None, repr=False)
    _prepared: Prepared | None = field(default=None, repr=False)
    _keys: set[str] | None = field(default=None, repr=False)

    @property
    def matched(self) -> dict:
        """What the matcher reads of it: its fields and its custom fields (a birth date is one)."""
        if self._seen is None:
            self._seen = {**(self.fields or {}), "custom_fields": self.custom_fields}
        return self._seen

    @property
    def prepared(self) -> Prepared:
        if self._prepared is None:
            self._prepared = prepared_submission(self.matched)
        return self._prepared

    @property
    def keys(self) -> set[str]:
        """Its blocking keys: what the fuzzy matcher looks candidates up by."""
        if self._keys is None:
            self._keys = blocking.keys(self.prepared)
        return self._keys


@dataclass
class Decision:
    """What becomes of one record, and why."""

    record: Record
    action: str                              # create, merge or reject
    lead: dict | None = None                 # the lead merged into, or the one created (a plain dict)
    found_by: str | None = None              # for a merge: fingerprint, exact, fuzzy or batch (the same batch)
    result: MatchResult | None = None        # the fuzzy matcher's score, for a fuzzy merge
    review: list[tuple[dict, MatchResult]] = field(default_factory=list)   # unsure pairs to queue with this lead
    reasons: list[dict] = field(default_factory=list)


def needs_fuzzy(records: list[Record], index: CandidateIndex, seen: dict[str, dict]) -> list[Record]:
    """The records neither seen before nor matched exactly by a held lead: the fuzzy matcher's candidates are
    loaded for these only."""
    return [r for r in records if r.fields is not None and (r.fingerprint is None or r.fingerprint not in seen)
            and index.exact(r.matched) is None]


def plan(records: list[Record], index: CandidateIndex, *, seen: dict[str, dict],
         create: Callable[[Record], dict], merge: Callable[[Record, dict], bool],
         reviews: int | None = 1) -> list[Decision]:
    """Decide every record in order. `seen` maps fingerprints to the lead an earlier capture of the same record went
    to (followed to the lead it lives on in); `create` makes a new lead as a dict, `merge` folds a record into a
    lead dict and says whether what the matcher reads of it changed. Leads made or changed by earlier records of
    the batch are found by later ones (row 7 merges into the lead row 3 creates). `reviews`: how many unsure pairs a
    record queues (None: every one, as a single capture does; an import chunk queues the likeliest)."""
    made: set[int] = set()
    decisions = []
    for record in records:
        if record.fields is None:
            decisions.append(Decision(record, REJECT, reasons=[{"field": e.field, "reason": e.reason}
                                                                for e in record.errors]))
            continue
        lead, found_by, fuzzy = None, None, None
        if record.fingerprint is not None and record.fingerprint in seen:
            lead, found_by = seen[record.fingerprint], "fingerprint"
        if lead is None:
            lead, found_by = index.exact(record.matched), "exact"
        if lead is None:
            fuzzy = index.fuzzy(record.prepared, record.keys, reviews=reviews)
            lead, found_by = fuzzy.lead, "fuzzy"
        if lead is None:
            lead = create(record)
            index.add_new(lead)
            made.add(id(lead))
            if record.fingerprint is not None:
                seen.setdefault(record.fingerprint, lead)   # the same record twice in one batch: one lead
            decisions.append(Decision(record, CREATE, lead, review=list(fuzzy.review) if fuzzy else []))
            continue
        if id(lead) in made:
            found_by = "batch"
        changed = merge(record, lead)
        index.reindex(lead, keyed=changed)
        result = fuzzy.result if fuzzy is not None else None
        decisions.append(Decision(record, MERGE, lead, found_by, result, reasons=merge_reasons(result)))
    return decisions


def merge_reasons(result: MatchResult | None) -> list[dict]:
    """Why a record was merged: the fuzzy matcher's probability and reasons, or an exact match."""
    if result is None:
        return [dict(MATCHED)]
    return [{"field": "lead", "reason": f"matched an existing lead (probability {result.probability:.3f})"},
            *reasons_json(result)]
