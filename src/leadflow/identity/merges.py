"""Merging two leads into one, undoing it, and a person's verdict on a possible duplicate."""

from __future__ import annotations

import json

from sqlalchemy import column, delete, select, table, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from leadflow import events, outbox
from leadflow.clock import now
from leadflow.db import InstanceSetting
from leadflow.errors import Conflict, FieldError, Invalid, NotFound
from leadflow.identity import service as identity_service
from leadflow.identity import survivorship
from leadflow.identity.match import MatchResult
from leadflow.identity.models import LeadMerge, PossibleDuplicate
from leadflow.identity.normalize import prepare
from leadflow.leads import service as leads_service
from leadflow.leads.domain import IDENTIFIERS, LEAD_FIELDS, kept_identifiers, name_key
from leadflow.leads.models import Consent, Lead
from leadflow.stage import LeadTable, OnMerge

SNAPSHOT_FIELDS = (*LEAD_FIELDS, "name_key", "custom_fields", "stage", "owner_id", "do_not_contact", "manual_fields",
                   "channel", "campaign_id", "last_campaign_id", "first_touch", "last_touch", "company_id",
                   "other_emails", "other_phones")
MOVE_BATCH = 900
# The tables holding lead ids, as every stage declares them in its stage.py (leadflow.stages hands them here as the
# app, the CLI and the worker are assembled: identity sits below most of the stages whose rows it walks).
_lead_tables: tuple[LeadTable, ...] | None = None


def declare_lead_tables(tables) -> None:
    global _lead_tables
    _lead_tables = tuple(tables)


def _walked(on_merge: OnMerge) -> list[tuple[str, LeadTable, str]]:
    """(the key a merge records its rows under, the table, its lead column) for the declared tables treated so."""
    if _lead_tables is None:
        raise RuntimeError("the lead tables are not declared: assemble the stages first (leadflow.stages)")
    return [(t.name if len(t.lead_columns) == 1 else f"{t.name}.{c}", t, c)
            for t in _lead_tables if t.on_merge is on_merge for c in t.lead_columns]


def _rows(declared: LeadTable, lead_column: str):
    return table(declared.name, column(declared.id_column), column(lead_column))


def _moves() -> dict[str, tuple]:
    """Key -> (the rows as a table, its id column, its lead column) of every table whose rows follow the lead."""
    found = {}
    for key, declared, lead_column in _walked(OnMerge.MOVE):
        rows = _rows(declared, lead_column)
        found[key] = (rows, rows.c[declared.id_column], rows.c[lead_column])
    return found


def rules(session: Session) -> dict[str, str]:
    stored = session.scalar(select(InstanceSetting.value).where(InstanceSetting.key == identity_service.RULES_KEY))
    return json.loads(stored) if stored else {}


def save_rules(session: Session, new_rules: dict[str, str]) -> dict[str, str]:
    errors = survivorship.check_rules(new_rules)
    if errors:
        raise Invalid([FieldError(f"rules.{f}", r) for f, r in errors])
    row = session.get(InstanceSetting, identity_service.RULES_KEY)
    text = json.dumps(new_rules, sort_keys=True)
    if row is None:
        session.add(InstanceSetting(key=identity_service.RULES_KEY, value=text))
    else:
        row.value = text
    session.flush()
    return new_rules


def _side(lead: Lead) -> survivorship.Side:
    return survivorship.Side(values={f: getattr(lead, f) for f in LEAD_FIELDS}, custom_fields=lead.custom_fields or {},
                             manual_fields=frozenset(lead.manual_fields or []), updated_at=lead.updated_at,
                             created_at=lead.created_at)


def _json_value(value):
    return value.isoformat() if hasattr(value, "isoformat") else value


def _latest_consents(session: Session, lead_id: int) -> dict[str, Consent]:
    latest: dict[str, Consent] = {}
    for consent in session.scalars(select(Consent).where(Consent.lead_id == lead_id)
                                   .order_by(Consent.recorded_at, Consent.id)):
        latest[consent.purpose] = consent
    return latest


def merge(session: Session, *, survivor: Lead, other: Lead, actor: str, automatic: bool = False,
          result: MatchResult | None = None) -> LeadMerge:
    """Fold `other` into `survivor`: fields by the survivorship rules, the rows of every declared lead table that
    moves (captures, events, the timeline...) move, those declared derived are deleted, the most restrictive
    do-not-contact and consent win, and the merge is recorded so it can be undone."""
    if survivor.id == other.id:
        raise Invalid.one("other_id", "a lead cannot be merged with itself")
    lock_leads(session, [survivor.id, other.id])
    if survivor.merged_into_id is not None or other.merged_into_id is not None:
        gone = survivor if survivor.merged_into_id is not None else other
        raise Conflict(f"lead {gone.id} was merged into lead {gone.merged_into_id} already")
    identifiers_before = _identifiers(survivor)
    withdrawn_before = {p for p, c in _latest_consents(session, other.id).items() if not c.granted}
    withdrawn_before |= {p for p, c in _latest_consents(session, survivor.id).items() if not c.granted}
    snapshot = {f: _json_value(getattr(other, f)) for f in SNAPSHOT_FIELDS}
    changes, custom = survivorship.merged_values(_side(survivor), _side(other), rules(session))
    before = {c.field: c.old for c in changes}
    for change in changes:
        setattr(survivor, change.field, change.new)
    if custom != (survivor.custom_fields or {}):
        before["custom_fields"] = survivor.custom_fields
        survivor.custom_fields = custom
    if other.do_not_contact and not survivor.do_not_contact:
        before["do_not_contact"] = False
        survivor.do_not_contact = True
    for name in ("campaign_id", "company_id"):
        if getattr(survivor, name) is None and getattr(other, name) is not None:
            before[name] = None
            setattr(survivor, name, getattr(other, name))
    if (other.created_at < survivor.created_at) and other.first_touch:
        before["first_touch"], before["channel"] = survivor.first_touch, survivor.channel
        survivor.first_touch, survivor.channel = other.first_touch, other.channel
    if any(c.field in ("first_name", "last_name") for c in changes):
        before["name_key"] = survivor.name_key
        survivor.name_key = name_key(survivor.first_name, survivor.last_name)
    # Every email and phone of both stays the survivor's: those not primary now are kept as its others.
    for name, values in kept_identifiers(_identifiers(survivor), identifiers_before, _identifiers(other)).items():
        if values != identifiers_before[name]:
            before[name] = identifiers_before[name]
            setattr(survivor, name, values)
    moved = {}
    for name, (rows, row_id, lead_id) in _moves().items():
        ids = list(session.scalars(select(row_id).where(lead_id == other.id)))
        for start in range(0, len(ids), MOVE_BATCH):
            session.execute(update(rows).where(row_id.in_(ids[start:start + MOVE_BATCH]))
                            .values({lead_id.name: survivor.id}))
        moved[name] = ids
    for _, declared, lead_column in _walked(OnMerge.DELETE):
        rows = _rows(declared, lead_column)
        session.execute(delete(rows).where(rows.c[lead_column] == other.id))
    session.flush()
    added = []
    latest = _latest_consents(session, survivor.id)
    for purpose in sorted(withdrawn_before):
        if latest.get(purpose) is not None and latest[purpose].granted:
            consent = Consent(lead_id=survivor.id, purpose=purpose, granted=False, recorded_at=now(),
                              text=f"Withdrawn before the merge of lead {other.id}: the most restrictive consent wins")
            session.add(consent)
            session.flush()
            added.append(consent.id)
    other.merged_into_id = survivor.id
    other.updated_at = survivor.updated_at = now()
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:   # the schema's guard (migration 0006): only into a surviving lead
        raise Conflict(f"lead {survivor.id} was merged away: a lead can only be merged into a surviving lead") from None
    record = LeadMerge(survivor_id=survivor.id, merged_id=other.id, automatic=automatic,
                       probability=result.probability if result else None,
                       reasons=identity_service.reasons_json(result) if result else [], actor=actor,
                       merged_snapshot=snapshot, survivor_before={k: _json_value(v) for k, v in before.items()},
                       moved=moved, added_consent_ids=added, merged_at=now())
    session.add(record)
    _set_pair(session, survivor.id, other.id, "merged", actor)
    identity_service.index_lead(other.id, None, session=session)
    identity_service.index_lead(survivor.id, prepare(identity_service.person_record(survivor)), session=session)
    summary = f"Lead {other.id} merged into this lead" + (" automatically" if automatic else "")
    data = {"merged_id": other.id, "changes": [{"field": c.field, "old": c.old, "new": c.new} for c in changes],
            "probability": record.probability, "reasons": record.reasons}
    leads_service.add_activity(session=session, lead_id=survivor.id, kind="lead_merged", summary=summary, data=data,
                               actor=actor)
    leads_service.add_activity(session=session, lead_id=other.id, kind="merged_away", actor=actor,
                               summary=f"Merged into lead {survivor.id}", data={"survivor_id": survivor.id})
    session.flush()
    outbox.publish(session, events.LEADS_MERGED, {"survivor_id": survivor.id, "merged_id": other.id,
                                                  "merge_id": record.id})
    return record


def lock_leads(session: Session, lead_ids: list[int]) -> None:
    """Lock leads about to be merged, in id order (two crossing merges wait for each other instead of deadlocking),
    and read them again as they are now: a merge that committed meanwhile is seen.

    PostgreSQL: SELECT .. FOR UPDATE. SQLite: the transaction holds the database's write lock already."""
    query = select(Lead).where(Lead.id.in_(sorted(set(lead_ids)))).order_by(Lead.id)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    session.scalars(query.execution_options(populate_existing=True)).all()


def _identifiers(lead: Lead) -> dict:
    return {"email": lead.email, "phone": lead.phone, "mobile": lead.mobile,
            "other_emails": list(lead.other_emails or []), "other_phones": list(lead.other_phones or [])}


def _set_pair(session: Session, a: int, b: int, status: str, actor: str) -> None:
    low, high = sorted((a, b))
    pair = session.scalar(select(PossibleDuplicate).where(PossibleDuplicate.lead_id == low,
                                                          PossibleDuplicate.other_id == high))
    if pair is None:
        if status != "not_same":
            return
        pair = PossibleDuplicate(lead_id=low, other_id=high, probability=0.0, weight=0.0, reasons=[],
                                 found_by="person", created_at=now())
        session.add(pair)
    pair.status, pair.decided_at, pair.decided_by = status, now(), actor


def unmerge(session: Session, *, merged: Lead, actor: str) -> Lead:
    """Undo the merge that folded `merged` away: it comes back with what belonged to it, and the survivor gets
    back the values the merge changed (unless a person changed them since). The pair is then remembered as
    "not the same" so it is not merged again."""
    record = session.scalar(select(LeadMerge).where(LeadMerge.merged_id == merged.id, LeadMerge.undone_at.is_(None))
                            .order_by(LeadMerge.id.desc()).limit(1))
    if record is not None:
        lock_leads(session, [merged.id, record.survivor_id])
    if record is None or merged.merged_into_id is None:
        raise Conflict(f"lead {merged.id} was not merged into another lead")
    survivor = session.get(Lead, record.survivor_id)
    if survivor is None or survivor.merged_into_id is not None:
        raise Conflict("the surviving lead was merged again since; undo that merge first")
    for name, value in record.merged_snapshot.items():
        setattr(merged, name, value)
    merged.merged_into_id = None
    merged.updated_at = now()
    moves = _moves()
    for name, ids in (record.moved or {}).items():
        rows, row_id, lead_id = moves[name]
        for start in range(0, len(ids), MOVE_BATCH):
            session.execute(update(rows).where(row_id.in_(ids[start:start + MOVE_BATCH]), lead_id == survivor.id)
                            .values({lead_id.name: merged.id}))
    if record.added_consent_ids:
        for consent in session.scalars(select(Consent).where(Consent.id.in_(record.added_consent_ids))):
            session.delete(consent)
    manual = set(survivor.manual_fields or [])
    current = _identifiers(survivor)
    for name, value in (record.survivor_before or {}).items():
        if name in IDENTIFIERS or (name in manual and name in LEAD_FIELDS):
            continue  # the lists below; a field a person set since the merge: theirs stands
        setattr(survivor, name, value)
    # Back to the survivor's own emails and phones: what it had before, and what it gained since (not the merged
    # lead's, which go back with that lead).
    theirs = _identifiers(merged)
    for name, primaries in IDENTIFIERS.items():
        own = list((record.survivor_before or {}).get(name, current[name]))
        gone = {*theirs[name], *(theirs[p] for p in primaries)} - set(own)
        now_primary = {getattr(survivor, p) for p in primaries}
        values = [v for v in dict.fromkeys([*own, *current[name], *(current[p] for p in primaries)])
                  if v and v not in gone and v not in now_primary]
        setattr(survivor, name, values)
    survivor.updated_at = now()
    record.undone_at, record.undone_by = now(), actor
    _set_pair(session, survivor.id, merged.id, "not_same", actor)
    session.flush()
    identity_service.index_lead(merged.id, prepare(identity_service.person_record(merged)), session=session)
    identity_service.index_lead(survivor.id, prepare(identity_service.person_record(survivor)), session=session)
    leads_service.add_activity(session=session, lead_id=survivor.id, kind="lead_unmerged", actor=actor,
                               summary=f"Lead {merged.id} split off again", data={"merged_id": merged.id})
    leads_service.add_activity(session=session, lead_id=merged.id, kind="unmerged", actor=actor,
                               summary=f"Restored from lead {survivor.id}", data={"survivor_id": survivor.id})
    # Each lead's score, grade and Sales Ready are worked out again from the history it holds now (the worker).
    outbox.publish(session, events.LEADS_UNMERGED, {"survivor_id": survivor.id, "merged_id": merged.id,
                                                    "merge_id": record.id})
    session.flush()
    return merged


def get_pair(session: Session, pair_id: int) -> PossibleDuplicate:
    pair = session.get(PossibleDuplicate, pair_id)
    if pair is None:
        raise NotFound("possible duplicate", pair_id)
    return pair


def decide(session: Session, *, pair: PossibleDuplicate, verdict: str, actor: str,
           survivor_id: int | None = None) -> LeadMerge | None:
    """A person's verdict: "merge" (into the older lead unless told otherwise) or "not_same" (remembered)."""
    if pair.status != "open":
        raise Conflict(f"this pair was decided already ({pair.status})")
    if verdict == "not_same":
        _set_pair(session, pair.lead_id, pair.other_id, "not_same", actor)
        session.flush()
        return None
    if survivor_id is not None and survivor_id not in (pair.lead_id, pair.other_id):
        raise Invalid.one("survivor_id", "must be one of the pair")
    keep = survivor_id or pair.lead_id
    gone = pair.other_id if keep == pair.lead_id else pair.lead_id
    return merge(session, survivor=leads_service.get_lead(keep, session=session),
                 other=leads_service.get_lead(gone, session=session),
                 actor=actor)
