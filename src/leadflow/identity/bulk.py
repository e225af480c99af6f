"""Matching a whole chunk of an import at once: the exact rules and the fuzzy matcher with a few queries."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import bindparam, select, text
from sqlalchemy.orm import Session

from leadflow.identity import blocking
from leadflow.identity.match import MatchResult, compare
from leadflow.identity.normalize import Prepared, prepare
from leadflow.identity.models import LeadMatchKey
from leadflow.identity.service import (
    IN_BATCH, MAX_CANDIDATES, agrees, emails_of, identifier_keys, key_holders, lock_number, model, person_record,
    phones_of,
)
from leadflow.leads.domain import company_key, name_key
from leadflow.leads.models import Lead

# Bulk matching for imports: the same rule as find_match, for a whole chunk of submissions with a few queries.

STATE_COLUMNS = (
    "id", "first_name", "last_name", "name_key", "email", "phone", "mobile", "job_title", "company", "street",
    "postal_code", "city", "region", "country", "language", "custom_fields", "do_not_contact", "manual_fields",
    "campaign_id", "last_campaign_id", "first_touch", "last_touch", "company_id", "other_emails", "other_phones",
    "updated_at",
)


class StaleLeads(Exception):
    """A lead the chunk read was changed by another transaction before the chunk could write it: run it again."""


def lock_unchanged(session: Session, leads: list[dict]) -> None:
    """Lock the stored leads a chunk is about to update, in id order, and check that none changed since the chunk
    read it (`read_at`, its updated_at then); raises StaleLeads otherwise. PostgreSQL only: on SQLite the chunk's
    first write took the database's write lock before it read anything."""
    if session.get_bind().dialect.name != "postgresql" or not leads:
        return
    read_at = {lead["id"]: lead.get("read_at") for lead in leads}
    ids = sorted(read_at)
    for start in range(0, len(ids), IN_BATCH):
        rows = session.execute(select(Lead.id, Lead.updated_at).where(Lead.id.in_(ids[start:start + IN_BATCH]))
                               .order_by(Lead.id).with_for_update())
        if any(read_at[lead_id] != updated_at for lead_id, updated_at in rows):
            raise StaleLeads("a lead changed while the chunk was matched")


def lock_many(session: Session, keys: set[str] | list[str]) -> None:
    """lock_keys for a chunk's keys in one statement, in the same (sorted) order, so no capture waits in a cycle."""
    if session.get_bind().dialect.name != "postgresql" or not keys:
        return
    numbers = [lock_number(key) for key in sorted(set(keys))]
    session.execute(text(
        "SELECT count(pg_advisory_xact_lock(k)) FROM "
        "(SELECT k FROM unnest(CAST(:keys AS bigint[])) WITH ORDINALITY AS t(k, n) ORDER BY n) AS ordered"
    ), {"keys": numbers})


class Candidates:
    """The leads a chunk of submissions may be, held as plain dicts: find_match's rule without a query per row.

    Leads created earlier in the chunk are added as they are made, after every stored lead (their ids will be
    higher), so rows of one file that are the same person become one lead.
    """

    def __init__(self, leads: list[dict]):
        self.by_id: dict[int, dict] = {lead["id"]: lead for lead in leads}
        self.by_email: dict[str, list[dict]] = {}
        self.by_phone: dict[str, list[dict]] = {}
        self.by_name: dict[str, list[dict]] = {}
        self.order: dict[int, tuple[int, int]] = {}
        self.indexed: set[tuple[str, str, int]] = set()
        self.added = 0
        for lead in sorted(leads, key=lambda lead: lead["id"]):
            lead.setdefault("read_at", lead.get("updated_at"))
            self.order[id(lead)] = (0, lead["id"])
            self.reindex(lead)

    def add(self, lead: dict) -> None:
        self.added += 1
        self.order[id(lead)] = (1, self.added)
        self.reindex(lead)

    def reindex(self, lead: dict) -> None:
        """After a merge changed a lead's email, phone or name, find it by its new values too."""
        self.order.setdefault(id(lead), (0, lead["id"] or 0))  # a stored lead the fuzzy matcher found
        values = [("e", self.by_email, email) for email in emails_of(lead)]
        values += [("p", self.by_phone, phone) for phone in phones_of(lead)]
        values.append(("n", self.by_name, lead.get("name_key")))
        for kind, index, value in values:
            if value and (kind, value, id(lead)) not in self.indexed:
                self.indexed.add((kind, value, id(lead)))
                index.setdefault(value, []).append(lead)

    def match(self, fields: dict) -> dict | None:
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
        candidates = sorted(found.values(), key=lambda lead: self.order[id(lead)])[:20]
        if email:
            for candidate in candidates:
                if email in emails_of(candidate):
                    return candidate
            candidates = [c for c in candidates if not c.get("email")]
        return next((c for c in candidates if agrees(fields, c)), None)

    def _by_name(self, fields: dict) -> dict | None:
        person = name_key(fields.get("first_name"), fields.get("last_name"))
        if not person:
            return None
        company = company_key(fields["company"]) if fields.get("company") else None
        postal = (fields.get("postal_code") or "").replace(" ", "").upper() or None
        if not company and not postal:
            return None
        leads = [lead for lead in self.by_name.get(person, ()) if lead.get("name_key") == person]
        for candidate in sorted(leads, key=lambda lead: self.order[id(lead)])[:50]:
            same_company = company and candidate.get("company") and company_key(candidate["company"]) == company
            same_postal = (postal and candidate.get("postal_code")
                           and candidate["postal_code"].replace(" ", "").upper() == postal)
            if (same_company or same_postal) and agrees(fields, candidate):
                return candidate
        return None


def load_candidates(session: Session, submissions: list[dict]) -> Candidates:
    """Every surviving lead that shares an email, a phone or (for rows with neither) a name with the chunk."""
    emails, phones, names = set(), set(), set()
    for fields in submissions:
        row_phones = [fields[n] for n in ("phone", "mobile") if fields.get(n)]
        if fields.get("email"):
            emails.add(fields["email"])
        phones.update(row_phones)
        if not fields.get("email") and not row_phones:
            person = name_key(fields.get("first_name"), fields.get("last_name"))
            if person and (fields.get("company") or fields.get("postal_code")):
                names.add(person)
    found: dict[int, dict] = {}
    for column, values in (("email", emails), ("phone", phones), ("mobile", phones), ("name_key", names)):
        values = sorted(values)
        for start in range(0, len(values), IN_BATCH):
            for row in session.execute(_candidates_by(session, column), {"values": values[start:start + IN_BATCH]}):
                if row.id not in found:
                    found[row.id] = row._asdict()
    # Leads holding one of the chunk's emails or phones as another address: found through the identity index.
    keys = identifier_keys(emails, phones)
    others: set[int] = set()
    for start in range(0, len(keys), IN_BATCH):
        others.update(session.scalars(select(LeadMatchKey.lead_id).where(
            LeadMatchKey.key.in_(keys[start:start + IN_BATCH]))))
    missing = sorted(others - set(found))
    table = Lead.__table__
    for start in range(0, len(missing), IN_BATCH):
        for row in session.execute(select(*(table.c[name] for name in STATE_COLUMNS)).where(
                table.c.id.in_(missing[start:start + IN_BATCH]), table.c.merged_into_id.is_(None))):
            found[row.id] = row._asdict()
    return Candidates(list(found.values()))


def surviving(session: Session, candidates: Candidates, lead_ids: set[int]) -> dict[int, dict]:
    """lead id -> the dict of the lead it lives on in (itself, or the end of its merge chain), held by
    `candidates` (read and added there when it is not yet)."""
    parent: dict[int, int | None] = {}
    todo = set(lead_ids)
    while todo:
        batch = sorted(todo)[:IN_BATCH]
        todo -= set(batch)
        for lead_id, merged_into in session.execute(select(Lead.id, Lead.merged_into_id).where(Lead.id.in_(batch))):
            parent[lead_id] = merged_into
            if merged_into is not None and merged_into not in parent:
                todo.add(merged_into)

    def root(lead_id: int) -> int | None:
        seen = set()
        while parent.get(lead_id) is not None and lead_id not in seen:
            seen.add(lead_id)
            lead_id = parent[lead_id]
        return lead_id if lead_id in parent else None

    roots = {lead_id: root(lead_id) for lead_id in lead_ids}
    missing = sorted({r for r in roots.values() if r is not None} - set(candidates.by_id))
    table = Lead.__table__
    for start in range(0, len(missing), IN_BATCH):
        for row in session.execute(select(*(table.c[name] for name in STATE_COLUMNS)).where(
                table.c.id.in_(missing[start:start + IN_BATCH]), table.c.merged_into_id.is_(None))):
            lead = row._asdict()
            lead["read_at"] = lead.get("updated_at")
            candidates.by_id[lead["id"]] = lead
            candidates.order[id(lead)] = (0, lead["id"])
            candidates.reindex(lead)
    return {lead_id: candidates.by_id[r] for lead_id, r in roots.items() if r in candidates.by_id}


def _candidates_by(session: Session, column: str):
    """Leads whose `column` is in :values, through that column's index.

    SQLite: the index named outright (INDEXED BY); its statistics call an index on a column most leads leave empty
    (phone) useless and would scan a million rows. PostgreSQL's planner counts the empty values right.
    """
    table = Lead.__table__
    if session.get_bind().dialect.name == "sqlite":
        return (text(f"SELECT {', '.join(STATE_COLUMNS)} FROM leads INDEXED BY ix_leads_{column} "
                     f"WHERE {column} IN :values AND merged_into_id IS NULL")
                .bindparams(bindparam("values", expanding=True))
                .columns(*(table.c[name] for name in STATE_COLUMNS)))
    return select(*(table.c[name] for name in STATE_COLUMNS)).where(
        table.c[column].in_(bindparam("values", expanding=True)), table.c.merged_into_id.is_(None))


class FuzzyChunk:
    """The fuzzy matcher for a chunk of an import, as fuzzy_match is for one capture: stored leads found in bulk
    by blocking key, and the chunk's own new leads, so a file is matched against the database and within itself.

    `known` are the lead dicts the exact matcher holds (shared, so a lead merged twice in a chunk is one dict).
    """

    def __init__(self, session: Session, rows: list[dict], known: Candidates):
        self.model = model(session)
        self.by_id: dict[int, dict] = dict(known.by_id)
        self.prepared: dict[int, Prepared] = {}
        self.row_keys: dict[int, set[str]] = {}
        self.stored: dict[str, list[int]] = {}
        self.new: dict[str, list[dict]] = {}
        wanted: set[str] = set()
        self.row_prepared: dict[int, Prepared] = {}
        for fields in rows:
            prepared = self.row_prepared[id(fields)] = self._prepare_fields(fields)
            keys = blocking.keys(prepared)
            self.row_keys[id(fields)] = keys
            wanted |= keys
        self._load(session, sorted(wanted))

    def _prepare_fields(self, fields: dict) -> Prepared:
        return prepare(person_record({**fields, "id": None}))

    def _load(self, session: Session, keys: list[str]) -> None:
        self.stored.update(key_holders(session, keys))
        missing = sorted({i for ids in self.stored.values() for i in ids} - set(self.by_id))
        table = Lead.__table__
        for start in range(0, len(missing), IN_BATCH):
            for row in session.execute(select(*(table.c[name] for name in STATE_COLUMNS)).where(
                    table.c.id.in_(missing[start:start + IN_BATCH]), table.c.merged_into_id.is_(None))):
                lead = self.by_id[row.id] = row._asdict()
                lead["read_at"] = lead.get("updated_at")

    def _prepared_lead(self, lead: dict) -> Prepared:
        key = id(lead)
        if key not in self.prepared:
            self.prepared[key] = prepare(person_record(lead))
        return self.prepared[key]

    def match(self, fields: dict) -> tuple[dict | None, MatchResult | None, list[tuple[dict, MatchResult]]]:
        """(the lead to merge into, its score, the unsure candidates) for one row."""
        keys = self.row_keys.get(id(fields)) or blocking.keys(self._prepare_fields(fields))
        leads: dict[int, dict] = {}
        shared: Counter = Counter()
        for key in keys:
            for lead_id in self.stored.get(key, ()):
                lead = self.by_id.get(lead_id)
                if lead is not None:
                    leads[id(lead)] = lead
                    shared[id(lead)] += 1
            for lead in self.new.get(key, ())[-blocking.MAX_BLOCK:]:
                leads[id(lead)] = lead
                shared[id(lead)] += 1
        if not leads:
            return None, None, []
        # as fuzzy_match: the leads sharing the most keys, not every member of every block
        seen = {ref: leads[ref] for ref, _ in shared.most_common(MAX_CANDIDATES)}
        me = self.row_prepared.get(id(fields)) or self._prepare_fields(fields)
        scored = sorted(((lead, self.model.score(compare(me, self._prepared_lead(lead)), explain=False)) for lead in seen.values()),
                        key=lambda pair: -pair[1].probability)
        best = next(((lead, result) for lead, result in scored if result.decision == "merge"), None)
        review = [(lead, result) for lead, result in scored if result.decision == "review"
                  and (best is None or lead is not best[0])][:1]  # the likeliest only: a list is no review queue
        return (best[0], best[1], review) if best else (None, None, review)

    def add(self, lead: dict) -> None:
        """A lead the chunk created (or changed): later rows find it by its keys."""
        self.prepared.pop(id(lead), None)
        for key in blocking.keys(self._prepared_lead(lead)):
            bucket = self.new.setdefault(key, [])
            if lead not in bucket:
                bucket.append(lead)
