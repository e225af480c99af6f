"""Loading the candidates of a whole chunk of an import at once, and the chunk's locks: a few queries per chunk."""

from __future__ import annotations

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from leadflow import db

from leadflow.identity.candidates import CandidateIndex, name_lookup
from leadflow.identity.models import LeadMatchKey
from leadflow.identity.service import (
    IN_BATCH, STATE_COLUMNS, identifier_keys, key_holders, model,
)
from leadflow.leads import queries as leads_queries
from leadflow.leads.models import Lead

# The candidates of a whole chunk of submissions loaded with a few queries (the decision is identity.candidates',
# the same for one capture): SQL hints and IN batches are the speed of imports.


class StaleLeads(Exception):
    """A lead the chunk read was changed by another transaction before the chunk could write it: run it again."""


def lock_unchanged(leads: list[dict], *, session: Session) -> None:
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


def lock_many(keys: set[str] | list[str], *, session: Session) -> None:
    """lock_keys for a chunk's keys in one statement, in the same (sorted) order, so no capture waits in a cycle."""
    if session.get_bind().dialect.name != "postgresql" or not keys:
        return
    numbers = [db.lock_number(key) for key in sorted(set(keys))]
    session.execute(text(
        "SELECT count(pg_advisory_xact_lock(k)) FROM "
        "(SELECT k FROM unnest(CAST(:keys AS bigint[])) WITH ORDINALITY AS t(k, n) ORDER BY n) AS ordered"
    ), {"keys": numbers})


def load_candidates(submissions: list[dict], *, session: Session) -> CandidateIndex:
    """Every surviving lead that shares an email, a phone or (for rows with neither) a name with the chunk."""
    emails, phones, names = set(), set(), set()
    for fields in submissions:
        row_phones = [fields[n] for n in ("phone", "mobile") if fields.get(n)]
        if fields.get("email"):
            emails.add(fields["email"])
        phones.update(row_phones)
        person = name_lookup(fields)
        if person is not None:
            names.add(person)
    found: dict[int, dict] = {}
    for column, values in (("email", emails), ("phone", phones), ("mobile", phones), ("name_key", names)):
        values = sorted(values)
        for start in range(0, len(values), IN_BATCH):
            for row in session.execute(_candidates_by(column, session=session),
                                       {"values": values[start:start + IN_BATCH]}):
                if row.id not in found:
                    found[row.id] = row._asdict()
    # Leads holding one of the chunk's emails or phones as another address: found through the identity index.
    keys = identifier_keys(emails, phones)
    others: set[int] = set()
    for start in range(0, len(keys), IN_BATCH):
        others.update(session.scalars(select(LeadMatchKey.lead_id).where(
            LeadMatchKey.key.in_(keys[start:start + IN_BATCH]))))
    for lead in _rows(sorted(others - set(found)), session=session):
        found[lead["id"]] = lead
    return CandidateIndex(list(found.values()), model=model(session=session))


def surviving(candidates: CandidateIndex, lead_ids: set[int], *, session: Session) -> dict[int, dict]:
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
    candidates.add_stored(_rows(missing, session=session))
    return {lead_id: candidates.by_id[r] for lead_id, r in roots.items() if r in candidates.by_id}


def _candidates_by(column: str, *, session: Session):
    """Leads whose `column` is in :values, through that column's index (the statement is leads' own)."""
    return leads_queries.surviving_leads_by(column, STATE_COLUMNS, session=session)


def load_fuzzy(*, session: Session, index: CandidateIndex, keys: set[str]) -> None:
    """The fuzzy matcher's candidates for a chunk into `index`: the holders of every blocking key of the rows that
    need them, and those leads (a few queries for the chunk)."""
    index.add_holders(key_holders(sorted(keys), session=session))
    missing = sorted({i for ids in index.holders.values() for i in ids} - set(index.by_id))
    index.add_stored(_rows(missing, session=session))


def _rows(ids: list[int], *, session: Session) -> list[dict]:
    """The surviving leads of these ids, as the candidate index holds them."""
    table = Lead.__table__
    found = []
    for start in range(0, len(ids), IN_BATCH):
        found.extend(row._asdict() for row in session.execute(select(*(table.c[name] for name in STATE_COLUMNS)).where(
            table.c.id.in_(ids[start:start + IN_BATCH]), table.c.merged_into_id.is_(None))))
    return found
