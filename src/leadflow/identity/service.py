"""Which existing lead a submission is, the database's side: advisory locks, the candidates loaded for one
submission (the decision is identity.candidates'), blocking keys, the match model, the review queue."""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from functools import lru_cache

from sqlalchemy import delete, func, insert, select, text, union
from sqlalchemy.orm import Session

from leadflow import db
from leadflow.clock import now
from leadflow.db import InstanceSetting
from leadflow.identity import blocking, candidates
from leadflow.identity.candidates import (  # noqa: F401  (their public home was here)
    agrees, emails_of, person_record, phones_of, reasons_json,
)
from leadflow.identity.match import MatchResult, Model
from leadflow.identity.models import LeadMatchKey, PossibleDuplicate
from leadflow.identity.normalize import Prepared, fingerprint, prepare
from leadflow.leads.domain import company_key, name_key
from leadflow.leads.models import Lead


def match_keys(fields: dict) -> list[str]:
    keys = []
    person = name_key(fields.get("first_name"), fields.get("last_name"))
    if person and not (fields.get("email") or fields.get("phone") or fields.get("mobile")):
        keys.append("name:" + person)
    if fields.get("company"):
        keys.append("company:" + company_key(fields["company"]))   # a new firm is created once
    if fields.get("email"):
        keys.append("email:" + fields["email"])
    for name in ("phone", "mobile"):
        if fields.get(name):
            keys.append("phone:" + fields[name])
    return sorted(set(keys))


def lock_keys(keys: list[str], *, session: Session) -> None:
    """Serialize captures that could be the same person, until the transaction ends (`db.lock_keys`: an advisory
    lock per key on PostgreSQL, in sorted order; SQLite's write lock)."""
    db.lock_keys(keys, session=session)


def fingerprint_of(fields: dict, custom_fields: dict | None = None) -> str | None:
    """A submission's fingerprint (identity.normalize.fingerprint): what it is as a record, to find it again."""
    return fingerprint(prepare(person_record({**fields, "custom_fields": custom_fields or {}, "id": None})))


def identifier_keys(emails, phones) -> list[str]:
    """The blocking keys under which a lead holding these emails or phones (primary or other) is indexed."""
    keys = {("em:" + e)[:blocking.MAX_KEY_LENGTH] for e in emails if e}
    keys |= {("ph:" + p)[:blocking.MAX_KEY_LENGTH] for p in phones if p}
    return sorted(keys)


def holders_query(emails: list[str], phones: list[str]):
    """The ids of leads holding one of these emails or phones: by the primary columns' indexes, and by the
    identity index for the others (a union of index lookups; an OR across them would scan the table)."""
    parts = []
    if emails:
        parts.append(select(Lead.id).where(Lead.email.in_(emails)))
    if phones:
        parts.append(select(Lead.id).where(Lead.phone.in_(phones)))
        parts.append(select(Lead.id).where(Lead.mobile.in_(phones)))
    keys = identifier_keys(emails, phones)
    if keys:
        parts.append(select(LeadMatchKey.lead_id).where(LeadMatchKey.key.in_(keys)))
    return union(*parts) if len(parts) > 1 else parts[0]


# The fuzzy matcher: blocking keys in the database, scores from the pure Fellegi-Sunter model.

IN_BATCH = 900  # values in one IN (...): under SQLite's parameter limit
MAX_CANDIDATES = candidates.MAX_CANDIDATES
MODEL_KEY = "identity_model"
RULES_KEY = "survivorship_rules"
_model_cache: dict[str, tuple[float, object]] = {}


_PREPARED: OrderedDict[tuple, Prepared] = OrderedDict()
PREPARED_CACHE = 100_000
# What the candidate index holds of a stored lead: every column an intake merge reads or writes.
STATE_COLUMNS = (
    "id", "first_name", "last_name", "name_key", "email", "phone", "mobile", "job_title", "company", "street",
    "postal_code", "city", "region", "country", "language", "custom_fields", "do_not_contact", "manual_fields",
    "campaign_id", "last_campaign_id", "first_touch", "last_touch", "company_id", "other_emails", "other_phones",
    "updated_at",
)
MATCH_COLUMNS = ("id", "first_name", "last_name", "email", "phone", "mobile", "company", "street", "postal_code",
                 "city", "country", "custom_fields", "updated_at", "other_emails", "other_phones")


def prepared_lead(lead) -> Prepared:
    """A stored lead as the matcher sees it, kept per process until the lead changes (its id and updated_at)."""
    get = lead.get if isinstance(lead, dict) else (lambda name, default=None: getattr(lead, name, default))
    key = (get("id"), get("updated_at"))
    if key[0] is None or key[1] is None:
        return prepare(person_record(lead))
    found = _PREPARED.get(key)
    if found is None:
        found = _PREPARED[key] = prepare(person_record(lead))
        if len(_PREPARED) > PREPARED_CACHE:
            _PREPARED.popitem(last=False)
    return found


def model(*, session: Session) -> Model:
    """The match model: the one `leadflow dedupe --estimate` stored, else the defaults (cached for a minute)."""
    now_s = time.monotonic()
    cached = _model_cache.get("model")
    if cached and now_s - cached[0] < 60:
        return cached[1]
    stored = session.scalar(select(InstanceSetting.value).where(InstanceSetting.key == MODEL_KEY))
    current = Model.from_json(stored) if stored else Model()
    _model_cache["model"] = (now_s, current)
    return current


def save_model(new_model: Model, *, session: Session) -> None:
    row = session.get(InstanceSetting, MODEL_KEY)
    if row is None:
        session.add(InstanceSetting(key=MODEL_KEY, value=new_model.to_json()))
    else:
        row.value = new_model.to_json()
    session.flush()
    _model_cache.clear()


def index_lead(lead_id: int, prepared: Prepared | None, *, session: Session, new: bool = False) -> None:
    """Replace a lead's blocking keys (none when it was merged away; nothing to replace for a `new` lead).

    The keys are inserted or ignored: a key another transaction wrote for the same lead is the same fact."""
    if not new:
        session.execute(delete(LeadMatchKey).where(LeadMatchKey.lead_id == lead_id))
    if prepared is not None:
        found = sorted(blocking.keys(prepared))
        if found:
            session.execute(_insert_ignore(LeadMatchKey, ["key", "lead_id"], session=session),
                            [{"key": key, "lead_id": lead_id} for key in found])


def _insert_ignore(model, index_elements: list[str], *, session: Session):
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    else:
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    return dialect_insert(model.__table__).on_conflict_do_nothing(index_elements=index_elements)


def lock_for_merge(lead: Lead | int, *, session: Session) -> Lead:
    """The surviving lead a capture folds into, locked until the transaction ends and read as it is now.

    Two captures that fold into one lead (by different emails, or one exact and one fuzzy) take its row lock in
    turn, so neither overwrites what the other wrote. A lead merged away meanwhile hands over to its survivor.
    PostgreSQL: SELECT .. FOR UPDATE; SQLite: the transaction holds the database's write lock already."""
    postgres = session.get_bind().dialect.name == "postgresql"
    lead_id = lead if isinstance(lead, int) else lead.id
    for _ in range(100):   # a merge chain is short; the bound only guards against a corrupt database
        query = select(Lead).where(Lead.id == lead_id).execution_options(populate_existing=True)
        lead = session.scalar(query.with_for_update() if postgres else query)
        if lead.merged_into_id is None:
            return lead
        lead_id = lead.merged_into_id
    raise RuntimeError(f"lead {lead_id}: merge chain too long")


def index_many(leads: list, *, session: Session, replace: bool = False) -> None:
    """Blocking keys for many leads at once (new leads of an import, a first `dedupe`); `replace` drops old ones."""
    if replace and leads:
        ids = [lead["id"] if isinstance(lead, dict) else lead.id for lead in leads]
        for start in range(0, len(ids), IN_BATCH):
            session.execute(delete(LeadMatchKey).where(LeadMatchKey.lead_id.in_(ids[start:start + IN_BATCH])))
    rows = []
    for lead in leads:
        lead_id = lead["id"] if isinstance(lead, dict) else lead.id
        rows.extend({"key": key, "lead_id": lead_id} for key in blocking.keys(prepare(person_record(lead))))
    if rows:
        session.execute(insert(LeadMatchKey), rows)


KEYS_PER_QUERY = 400  # SQLite allows 500 terms in one compound SELECT


def key_holders(keys: set[str] | list[str], *, session: Session) -> dict[str, list[int]]:
    """The leads holding each key, for the keys held by at most MAX_BLOCK leads.

    Each key reads at most MAX_BLOCK + 1 index entries, so a key a hundred thousand leads hold costs no more than a
    rare one (counting or fetching every holder of a common key made the slowest captures and imports slow)."""
    wanted = sorted(set(keys))
    found: dict[str, list[int]] = {}
    for start in range(0, len(wanted), KEYS_PER_QUERY):
        part = wanted[start:start + KEYS_PER_QUERY]
        params = {f"k{i}": key for i, key in enumerate(part)}
        for key, lead_id in session.execute(_holders_query(len(part)), params):
            found.setdefault(key, []).append(lead_id)
    return {key: ids for key, ids in found.items() if len(ids) <= blocking.MAX_BLOCK}


@lru_cache(maxsize=KEYS_PER_QUERY)
def _holders_query(count: int):
    """One statement for `count` keys, each read through the (key, lead_id) index up to MAX_BLOCK + 1 rows; plain
    SQL, the same on both databases, built once per count (building it as an expression cost more than running it)."""
    one = "SELECT key, lead_id FROM (SELECT key, lead_id FROM lead_match_keys WHERE key = :k{i} LIMIT {n}) AS h{i}"
    return text(" UNION ALL ".join(one.format(i=i, n=blocking.MAX_BLOCK + 1) for i in range(count)))


def exact_candidates(*, session: Session, fields: dict) -> list[dict]:
    """The surviving leads the exact rule may pick for one submission, as dicts (one query): the holders of its
    email or phones (primary or other), or for a submission with neither, the leads of its name."""
    email = fields.get("email")
    phones = [fields[n] for n in ("phone", "mobile") if fields.get(n)]
    table = Lead.__table__
    columns = [table.c[name] for name in STATE_COLUMNS]
    if email or phones:
        query = select(*columns).where(table.c.id.in_(holders_query([email] if email else [], phones)))
        limit = candidates.MAX_EXACT
    else:
        person = candidates.name_lookup(fields)
        if person is None:
            return []
        query, limit = select(*columns).where(table.c.name_key == person), candidates.MAX_NAMESAKES
    rows = session.execute(query.where(table.c.merged_into_id.is_(None)).order_by(table.c.id).limit(limit))
    return [row._asdict() for row in rows]


def load_fuzzy(*, session: Session, index: candidates.CandidateIndex, keys: set[str]) -> None:
    """The fuzzy matcher's candidates for one submission into `index`: who holds its blocking keys, then the
    leads sharing the most of them (two queries)."""
    index.add_holders(key_holders(keys, session=session))
    missing = [lead_id for lead_id in index.ranked(keys) if lead_id not in index.by_id]
    if missing:
        table = Lead.__table__
        index.add_stored([row._asdict() for row in session.execute(
            select(*(table.c[name] for name in STATE_COLUMNS))
            .where(table.c.id.in_(missing), table.c.merged_into_id.is_(None)))])


def fuzzy_match(fields: dict, custom_fields: dict | None = None, *, session: Session) -> candidates.Fuzzy:
    """The fuzzy matcher's answer for one submission against the stored leads (what a capture asks)."""
    index = candidates.CandidateIndex(model=model(session=session), prepared_of=prepared_lead)
    prepared = candidates.prepared_submission({**fields, "custom_fields": custom_fields or {}})
    keys = blocking.keys(prepared)
    load_fuzzy(session=session, index=index, keys=keys)
    return index.fuzzy(prepared, keys, reviews=None)


def suggest_review(lead_id: int, others: list[tuple[int, MatchResult]], *, session: Session, found_by: str) -> int:
    """Queue pairs for a person; a pair already judged (or queued) is left as it is."""
    added = 0
    for other_id, result in others:
        low, high = sorted((lead_id, other_id))
        if low == high:
            continue
        written = session.execute(_insert_ignore(PossibleDuplicate, ["lead_id", "other_id"], session=session), {
            "lead_id": low, "other_id": high, "probability": result.probability, "weight": result.weight,
            "reasons": reasons_json(result), "status": "open", "found_by": found_by, "created_at": now()})
        added += max(written.rowcount, 0)
    return added


REVIEW_SHARE = 0.05   # the open review queue stays under this share of the surviving leads: a team can work it


def review_cap(leads: int) -> int:
    """How many pairs the open review queue may hold for this many surviving leads (fewer than REVIEW_SHARE)."""
    return max(0, math.ceil(leads * REVIEW_SHARE) - 1)


def queue_room(*, session: Session, leads_gone: int = 0) -> int:
    """How many more pairs the review queue takes now (batches of many pairs ask; a single capture does not)."""
    leads = session.scalar(select(func.count()).select_from(Lead).where(Lead.merged_into_id.is_(None))) or 0
    open_pairs = session.scalar(select(func.count()).select_from(PossibleDuplicate).where(
        PossibleDuplicate.status == "open")) or 0
    return max(0, review_cap(leads - leads_gone) - open_pairs)


def suggest_many(pairs: list[tuple[int, int, MatchResult]], *, session: Session, found_by: str,
                 room: int | None = None) -> int:
    """suggest_review for a whole batch in a few statements; pairs queued or judged before stay as they are.
    With `room`, only that many of the likeliest new pairs are queued (the review queue's cap). Returns how many
    pairs were offered beyond the room (not queued)."""
    pairs = sorted(pairs, key=lambda item: -item[2].probability)
    rows, seen = [], set()
    moment = now()
    for a, b, result in pairs:
        low, high = sorted((a, b))
        if low == high or (low, high) in seen:
            continue
        seen.add((low, high))
        rows.append({"lead_id": low, "other_id": high, "probability": result.probability, "weight": result.weight,
                     "reasons": reasons_json(result), "status": "open", "found_by": found_by, "created_at": moment})
    beyond = 0
    if room is not None and len(rows) > room:
        known = set()
        lows = sorted({row["lead_id"] for row in rows})
        for start in range(0, len(lows), IN_BATCH):
            known.update(session.execute(select(PossibleDuplicate.lead_id, PossibleDuplicate.other_id).where(
                PossibleDuplicate.lead_id.in_(lows[start:start + IN_BATCH]))).tuples())
        rows = [row for row in rows if (row["lead_id"], row["other_id"]) not in known]
        rows, beyond = rows[:room], max(0, len(rows) - room)
    if not rows:
        return beyond
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    else:
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    for start in range(0, len(rows), 500):
        session.execute(dialect_insert(PossibleDuplicate).on_conflict_do_nothing(
            index_elements=["lead_id", "other_id"]), rows[start:start + 500])
    return beyond


def judged_apart(a: int, b: int, *, session: Session) -> bool:
    low, high = sorted((a, b))
    return session.scalar(select(PossibleDuplicate.id).where(
        PossibleDuplicate.lead_id == low, PossibleDuplicate.other_id == high,
        PossibleDuplicate.status == "not_same")) is not None
