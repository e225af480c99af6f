"""The intake for a batch of many (an import chunk): the same planner as a capture, with the speed tricks of bulk
writing: candidates loaded with a few IN queries, leads held as dicts, one executemany per table and batch.

No query per row: every statement here runs once per batch (or once per IN batch of 900 values). The one exception
is a row carrying BANT answers, recorded as a capture records them (qualification's set_bant, per lead).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from leadflow import events, outbox
from leadflow.campaigns import service as campaigns_service
from leadflow.campaigns.domain import code_key
from leadflow.capture.domain import NormalizedLead
from leadflow.capture.intake import plan
from leadflow.capture.models import Capture
from leadflow.errors import FieldError
from leadflow.identity import bulk as identity_bulk
from leadflow.identity import service as identity_service
from leadflow.identity.candidates import CandidateIndex
from leadflow.leads import service as leads_service
from leadflow.leads.domain import company_key
from leadflow.qualification import bant
from leadflow.qualification import service as qualification_service

log = logging.getLogger(__name__)

AS_GIVEN = "_as_given"
# What the matcher reads of a lead: a merge that writes one of these changes which rows find it.
MATCHED_FIELDS = {"first_name", "last_name", "email", "phone", "mobile", "company", "street", "postal_code", "city",
                  "country", "custom_fields", "other_emails", "other_phones"}


@dataclass
class Source:
    """Where a batch comes from: its channel, the client the captures name, its import, its campaign."""

    channel: str
    client: str
    import_id: int | None = None
    campaign_id: int | None = None
    campaigns: dict[str, int | None] = field(default_factory=dict)   # campaign code key -> id, for the batch's run


@dataclass
class Item:
    """One submission of a batch as the channel read it: the normalized lead or the reasons it is refused."""

    ref: int                                  # the file's row number
    payload: dict                             # what is stored raw in the capture
    external_id: str | None
    lead: NormalizedLead | None
    errors: list[FieldError]
    set_aside: list[FieldError] = field(default_factory=list)   # values kept as given; the row taken without them


@dataclass
class Taken:
    """What became of one item: the planner's decision, the capture that records it."""

    item: Item
    decision: plan.Decision
    capture_id: int
    campaign_id: int | None

    @property
    def outcome(self) -> str:
        return {plan.CREATE: "created", plan.MERGE: "merged", plan.REJECT: "rejected"}[self.decision.action]


def _campaign(source: Source, lead: NormalizedLead, *, session: Session) -> int | None:
    if source.campaign_id is not None:
        return source.campaign_id
    code = lead.campaign or lead.attribution.get("utm_campaign")
    if not code:
        return None
    key = code_key(code)
    if key not in source.campaigns:
        source.campaigns[key] = campaigns_service.resolve(session=session, code=lead.campaign,
                                                          attribution=lead.attribution,
                                                          capture_channel=source.channel)
    return source.campaigns[key]


def _seen_before(index: CandidateIndex, prints: set[str], *, session: Session) -> dict[str, dict]:
    """Fingerprint -> the lead (held by `index`) an earlier capture of that same record went to, followed to the
    lead it lives on in: the same rows imported again land where they landed, whatever the leads became."""
    found: dict[str, int] = {}
    wanted = sorted(prints)
    for start in range(0, len(wanted), identity_service.IN_BATCH):
        for fingerprint, lead_id in session.execute(
                select(Capture.fingerprint, Capture.lead_id).where(
                    Capture.fingerprint.in_(wanted[start:start + identity_service.IN_BATCH]),
                    Capture.lead_id.is_not(None)).order_by(Capture.id)):
            found.setdefault(fingerprint, lead_id)
    if not found:
        return {}
    leads = identity_bulk.surviving(index, set(found.values()), session=session)
    return {fingerprint: leads[lead_id] for fingerprint, lead_id in found.items() if lead_id in leads}


def take(*, session: Session, source: Source, items: list[Item], moment) -> list[Taken]:
    """A batch through the intake: lock its keys, load its candidates, plan, write. Flushes; the caller commits."""
    good = [item for item in items if item.lead is not None]
    keys: set[str] = set()
    for item in good:
        keys.update(identity_service.match_keys(item.lead.fields))
    identity_bulk.lock_many(keys, session=session)
    records = [plan.Record(item.ref, item.lead.fields if item.lead else None,
                           item.lead.custom_fields if item.lead else {},
                           identity_service.fingerprint_of(item.lead.fields, item.lead.custom_fields)
                           if item.lead else None, item.errors) for item in items]
    index = identity_bulk.load_candidates([item.lead.fields for item in good], session=session)
    seen = _seen_before(index, {r.fingerprint for r in records if r.fingerprint}, session=session)
    fuzzy_keys: set[str] = set()
    for record in plan.needs_fuzzy(records, index, seen):
        fuzzy_keys |= record.keys
    identity_bulk.load_fuzzy(session=session, index=index, keys=fuzzy_keys)

    by_ref = {id(r): item for r, item in zip(records, items, strict=True)}
    extras: dict[int, tuple[int | None, dict]] = {}
    for record, item in zip(records, items, strict=True):
        if item.lead is not None:
            campaign_id = _campaign(source, item.lead, session=session)
            touch = {**item.lead.attribution, "at": moment.isoformat(), "channel": source.channel}
            if campaign_id is not None:
                touch["campaign_id"] = campaign_id
            extras[id(record)] = (campaign_id, touch)

    new_leads: list[dict] = []
    merged: dict[int, tuple[dict, set[str]]] = {}
    relink: dict[int, dict] = {}
    activities: dict[int, dict] = {}

    def create(record: plan.Record) -> dict:
        lead = by_ref[id(record)].lead
        campaign_id, touch = extras[id(record)]
        new = leads_service.new_lead(fields=lead.fields, custom_fields=lead.custom_fields,
                                     do_not_contact=lead.do_not_contact, channel=source.channel,
                                     campaign_id=campaign_id, touch=touch, moment=moment)
        new_leads.append(new)
        activities[id(record)] = leads_service.captured_activity(channel=source.channel, campaign_id=campaign_id)
        return new

    def merge(record: plan.Record, into: dict) -> bool:
        lead = by_ref[id(record)].lead
        campaign_id, touch = extras[id(record)]
        changes, kept, written = leads_service.merge_into(
            into, fields=lead.fields, custom_fields=lead.custom_fields, do_not_contact=lead.do_not_contact,
            campaign_id=campaign_id, touch=touch, moment=moment)
        if into["id"] is not None:
            merged.setdefault(id(into), (into, set()))[1].update(written)
            if "company_id" in written:
                relink[id(into)] = into
        activities[id(record)] = leads_service.merged_activity(channel=source.channel, campaign_id=campaign_id,
                                                               changes=changes, kept=kept)
        return bool(written & MATCHED_FIELDS)

    decisions = plan.plan(records, index, seen=seen, create=create, merge=merge)
    _write_leads(source, new_leads, merged, relink, decisions, session=session)
    campaigns = [extras.get(id(record), (None, None))[0] for record in records]
    taken = _write_captures(source, items, decisions, campaigns, moment, session=session)
    _write_history(source, taken, activities, session=session)
    return taken


def _write_leads(source: Source, new_leads: list[dict], merged: dict, relink: dict,
                 decisions: list[plan.Decision], *, session: Session) -> None:
    with_company = [lead for lead in new_leads if lead.get("company")] + list(relink.values())
    companies = leads_service.link_companies(with_company, session=session)
    for lead in with_company:
        lead["company_id"] = companies.get(company_key(lead["company"]))
    identity_bulk.lock_unchanged([record for record, _ in merged.values()], session=session)
    leads_service.insert_leads(new_leads, session=session)
    leads_service.update_leads(list(merged.values()), session=session)
    identity_service.index_many(new_leads, session=session)
    identity_service.index_many([record for record, written in merged.values()
                                          if written & MATCHED_FIELDS], session=session, replace=True)
    review = [(d.lead["id"], other["id"], result) for d in decisions for other, result in d.review]
    if review:   # the likeliest unsure pairs, as many as the review queue's cap leaves room for
        beyond = identity_service.suggest_many(review, session=session,
                                               found_by="import" if source.import_id else "capture",
                                               room=identity_service.queue_room(session=session))
        if beyond:
            log.info("%s: %d weaker unsure pair(s) not queued (the review queue is full; dedupe finds them again)",
                     source.client, beyond)


def _write_captures(source: Source, items: list[Item], decisions: list[plan.Decision],
                    campaigns: list[int | None], moment, *, session: Session) -> list[Taken]:
    """Every submission of the batch stored raw, with what became of it and why: one executemany."""
    capture_rows = []
    for item, decision, campaign_id in zip(items, decisions, campaigns, strict=True):
        reasons = list(decision.reasons)
        if decision.action != plan.REJECT:
            reasons += [{"field": e.field, "reason": f"set aside, kept as {e.field}{AS_GIVEN}: {e.reason}"}
                        for e in item.set_aside]
        lead = item.lead
        capture_rows.append({
            "channel": source.channel, "received_at": moment, "content_type": "application/json",
            "payload": json.dumps(item.payload, ensure_ascii=False).encode(),
            "external_id": item.external_id[:300] if item.external_id else None, "client": source.client,
            "campaign_id": campaign_id, "attribution": lead.attribution if lead else {},
            "outcome": {plan.CREATE: "created", plan.MERGE: "merged", plan.REJECT: "rejected"}[decision.action],
            "reasons": reasons, "lead_id": decision.lead["id"] if decision.lead else None,
            "import_id": source.import_id, "fingerprint": decision.record.fingerprint if lead else None,
        })
    ids = leads_service.insert_with_ids(Capture.__table__, capture_rows, session=session)
    return [Taken(*taken) for taken in zip(items, decisions, ids, campaigns, strict=True)]


def _write_history(source: Source, taken: list[Taken], activities: dict[int, dict], *, session: Session) -> None:
    """Activities, consents and outbox rows for the batch (one statement each), then BANT answers as a capture
    records them."""
    rows, consents, messages, answered = [], [], [], []
    for done in taken:
        decision = done.decision
        if decision.action == plan.REJECT:
            continue
        lead_id = decision.lead["id"]
        rows.append({**activities[id(decision.record)], "lead_id": lead_id, "capture_id": done.capture_id})
        consents.extend({**c, "lead_id": lead_id, "capture_id": done.capture_id} for c in done.item.lead.consents)
        messages.append({"topic": events.LEAD_CAPTURED if decision.action == plan.CREATE else events.LEAD_RECAPTURED,
                         "payload": {"lead_id": lead_id, "capture_id": done.capture_id, "channel": source.channel,
                                     "campaign_id": done.campaign_id}})
        if bant.answers_in(done.item.lead.custom_fields):
            answered.append((lead_id, done.item.lead.custom_fields, done.capture_id))
    leads_service.insert_activities(rows, session=session)
    leads_service.insert_consents(consents, session=session)
    outbox.publish_many(session, messages)
    qualification_service.record_captured_many(answered, session=session)  # once for the chunk, not per row
