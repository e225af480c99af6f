"""The matcher's seam: which existing lead a normalized submission is. Exact email and phone for now."""

from __future__ import annotations

import hashlib

from sqlalchemy import bindparam, or_, select, text
from sqlalchemy.orm import Session

from leadflow.leads.domain import company_key, name_key
from leadflow.leads.models import Lead


def match_keys(fields: dict) -> list[str]:
    keys = []
    person = name_key(fields.get("first_name"), fields.get("last_name"))
    if person and not (fields.get("email") or fields.get("phone") or fields.get("mobile")):
        keys.append("name:" + person)
    if fields.get("email"):
        keys.append("email:" + fields["email"])
    for name in ("phone", "mobile"):
        if fields.get(name):
            keys.append("phone:" + fields[name])
    return sorted(set(keys))


def lock_keys(session: Session, keys: list[str]) -> None:
    """Serialize captures that could be the same person, until the transaction ends.

    PostgreSQL: a transaction-scoped advisory lock per key, in sorted order (no deadlocks).
    SQLite: the capture's first write already holds the database's single write lock.
    """
    if session.get_bind().dialect.name != "postgresql":
        return
    for key in keys:
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": lock_number(key)})


def lock_number(key: str) -> int:
    return int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "big", signed=True)


def find_match(session: Session, fields: dict) -> Lead | None:
    """The surviving lead with the same email, else the same phone or mobile (in E.164).

    A submission with neither (a trade-fair or telemarketing list) matches a lead with the same name at the
    same company (legal form aside) or the same postal code, and no email or phone that contradicts it.
    """
    email = fields.get("email")
    phones = [fields[n] for n in ("phone", "mobile") if fields.get(n)]
    if not email and not phones:
        return _match_by_name(session, fields)
    conditions = []
    if email:
        conditions.append(Lead.email == email)
    for phone in phones:
        conditions.extend([Lead.phone == phone, Lead.mobile == phone])
    if not conditions:
        return None
    candidates = session.scalars(
        select(Lead).where(or_(*conditions), Lead.merged_into_id.is_(None)).order_by(Lead.id).limit(20)
    ).all()
    if email:
        for candidate in candidates:
            if candidate.email == email:
                return candidate
        # Same phone but a different email is a different person (a shared switchboard number).
        candidates = [c for c in candidates if not c.email]
    return candidates[0] if candidates else None


def _match_by_name(session: Session, fields: dict) -> Lead | None:
    person = name_key(fields.get("first_name"), fields.get("last_name"))
    if not person:
        return None
    company = company_key(fields["company"]) if fields.get("company") else None
    postal = (fields.get("postal_code") or "").replace(" ", "").upper() or None
    if not company and not postal:
        return None
    candidates = session.scalars(
        select(Lead).where(Lead.name_key == person, Lead.merged_into_id.is_(None)).order_by(Lead.id).limit(50))
    for candidate in candidates:
        same_company = company and candidate.company and company_key(candidate.company) == company
        same_postal = postal and candidate.postal_code and candidate.postal_code.replace(" ", "").upper() == postal
        if same_company or same_postal:
            return candidate
    return None


# Bulk matching for imports: the same rule as find_match, for a whole chunk of submissions with a few queries.

STATE_COLUMNS = (
    "id", "first_name", "last_name", "name_key", "email", "phone", "mobile", "job_title", "company", "street",
    "postal_code", "city", "region", "country", "language", "custom_fields", "do_not_contact", "manual_fields",
    "campaign_id", "last_campaign_id", "first_touch", "last_touch", "company_id",
)
IN_BATCH = 900


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
        self.by_email: dict[str, list[dict]] = {}
        self.by_phone: dict[str, list[dict]] = {}
        self.by_name: dict[str, list[dict]] = {}
        self.order: dict[int, tuple[int, int]] = {}
        self.indexed: set[tuple[str, str, int]] = set()
        self.added = 0
        for lead in sorted(leads, key=lambda lead: lead["id"]):
            self.order[id(lead)] = (0, lead["id"])
            self.reindex(lead)

    def add(self, lead: dict) -> None:
        self.added += 1
        self.order[id(lead)] = (1, self.added)
        self.reindex(lead)

    def reindex(self, lead: dict) -> None:
        """After a merge changed a lead's email, phone or name, find it by its new values too."""
        for kind, index, value in (("e", self.by_email, lead.get("email")), ("p", self.by_phone, lead.get("phone")),
                                   ("p", self.by_phone, lead.get("mobile")), ("n", self.by_name, lead.get("name_key"))):
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
                if lead.get("email") == email:
                    found[id(lead)] = lead
        for phone in phones:
            for lead in self.by_phone.get(phone, ()):
                if lead.get("phone") == phone or lead.get("mobile") == phone:
                    found[id(lead)] = lead
        candidates = sorted(found.values(), key=lambda lead: self.order[id(lead)])[:20]
        if email:
            for candidate in candidates:
                if candidate.get("email") == email:
                    return candidate
            candidates = [c for c in candidates if not c.get("email")]
        return candidates[0] if candidates else None

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
            if same_company or same_postal:
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
    return Candidates(list(found.values()))


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
