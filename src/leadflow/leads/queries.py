"""Reads with no decision: lead pages with filters and cursors, one visible lead, timelines, company trees."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, literal, or_, select
from sqlalchemy.orm import Session

from leadflow.campaigns.domain import code_key
from leadflow.campaigns.models import Campaign
from leadflow.errors import NotFound
from leadflow.leads.domain import parent_hint
from leadflow.leads.models import Activity, Company, Consent, Lead
from leadflow.leads.visibility import sees_all, visible_leads
from leadflow.pages import keyset_page
from leadflow.people.service import Actor


@dataclass
class LeadFilter:
    email: str | None = None
    company: str | None = None
    company_id: int | None = None
    campaign: str | None = None  # id or code
    stage: str | None = None
    owner: int | None = None
    channel: str | None = None
    country: str | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None
    q: str | None = None


def filtered(session: Session, actor: Actor, f: LeadFilter):
    query = visible_leads(actor)
    if f.email:
        query = query.where(Lead.email == f.email.strip().lower())
    if f.company:
        query = query.where(Lead.company.ilike(f"%{_like(f.company)}%", escape="\\"))
    if f.company_id is not None:
        query = query.where(Lead.company_id == f.company_id)
    if f.campaign:
        if f.campaign.isdigit():
            campaign_id = int(f.campaign)
        else:
            campaign_id = session.scalar(select(Campaign.id).where(Campaign.code_key == code_key(f.campaign)))
        query = query.where(or_(Lead.campaign_id == campaign_id, Lead.last_campaign_id == campaign_id))
    if f.stage:
        query = query.where(Lead.stage == f.stage)
    if f.owner is not None:
        query = query.where(Lead.owner_id == f.owner)
    if f.channel:
        query = query.where(Lead.channel == f.channel)
    if f.country:
        query = query.where(Lead.country == f.country.upper())
    if f.created_after:
        query = query.where(Lead.created_at >= f.created_after)
    if f.created_before:
        query = query.where(Lead.created_at < f.created_before)
    if f.q:
        pattern = f"%{_like(f.q.strip())}%"
        query = query.where(or_(Lead.first_name.ilike(pattern, escape="\\"),
                                Lead.last_name.ilike(pattern, escape="\\"),
                                Lead.email.ilike(pattern, escape="\\"),
                                Lead.company.ilike(pattern, escape="\\")))
    return query


def _like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def lead_page(session: Session, actor: Actor, f: LeadFilter, *, cursor: str | None, limit: int) -> tuple[list[Lead], str | None]:
    return keyset_page(session, filtered(session, actor, f), Lead.id, cursor=cursor, limit=limit)


def visible_lead(session: Session, actor: Actor, lead_id: int) -> Lead:
    lead = session.scalar(visible_leads(actor).where(Lead.id == lead_id))
    if lead is None:
        raise NotFound("lead", lead_id)
    return lead


def is_visible(session: Session, actor: Actor, lead_id: int) -> bool:
    return sees_all(actor) or session.scalar(
        visible_leads(actor).with_only_columns(Lead.id).where(Lead.id == lead_id)) is not None


def visible_ids(actor: Actor):
    """The ids of the leads this actor sees, as a subquery for other stages' reads (captures, call lists)."""
    return visible_leads(actor).with_only_columns(Lead.id)


def timeline(session: Session, lead_id: int, *, limit: int = 200) -> list[Activity]:
    return list(session.scalars(
        select(Activity).where(Activity.lead_id == lead_id)
        .order_by(Activity.occurred_at.desc(), Activity.id.desc()).limit(limit)))


def consents(session: Session, lead_id: int) -> list[Consent]:
    return list(session.scalars(select(Consent).where(Consent.lead_id == lead_id).order_by(Consent.id)))


def descendants(session: Session, company_id: int) -> list[tuple[Company, int]]:
    """Every company below this one, at any depth (a recursive query on both databases)."""
    tree = select(Company.id.label("id"), literal(1).label("depth")).where(
        Company.parent_id == company_id).cte("tree", recursive=True)
    tree = tree.union_all(select(Company.id, tree.c.depth + 1).where(Company.parent_id == tree.c.id))
    rows = session.execute(select(Company, tree.c.depth).join(tree, Company.id == tree.c.id)
                           .order_by(tree.c.depth, Company.name)).all()
    return [(company, depth) for company, depth in rows]


def root(session: Session, company: Company) -> Company:
    seen = {company.id}
    while company.parent_id is not None:
        parent = session.get(Company, company.parent_id)
        if parent is None or parent.id in seen:
            break
        seen.add(parent.id)
        company = parent
    return company


def company_page(session: Session, *, q: str | None, domain: str | None, parent_id: int | None,
                 cursor: str | None, limit: int) -> tuple[list[Company], str | None]:
    query = select(Company)
    if q:
        query = query.where(Company.name.ilike(f"%{_like(q.strip())}%", escape="\\"))
    if domain:
        query = query.where(Company.domain == domain.strip().lower())
    if parent_id is not None:
        query = query.where(Company.parent_id == parent_id)
    return keyset_page(session, query, Company.id, cursor=cursor, limit=limit)


def campaign_lead_count(session: Session, campaign_id: int) -> int:
    return session.scalar(select(func.count()).select_from(Lead).where(
        Lead.campaign_id == campaign_id, Lead.merged_into_id.is_(None))) or 0


def visible_leads_for(actor: Actor):
    """The visible-leads query itself, for streaming exports."""
    return visible_leads(actor)


def suggested_parents(session: Session, company: Company, *, limit: int = 10) -> list[tuple[Company, str]]:
    """Companies that may be this one's parent, by name or web domain; never itself or one of its descendants."""
    words = company.name_key.split()
    prefixes = [" ".join(words[:n]) for n in range(1, len(words))]
    domains = []
    if company.domain:
        labels = company.domain.split(".")
        domains = [".".join(labels[i:]) for i in range(1, len(labels) - 1)] + [labels[0] + ".com"]
    conditions = []
    if prefixes:
        conditions.append(Company.name_key.in_(prefixes))
    if domains:
        conditions.append(Company.domain.in_(domains))
    if not conditions:
        return []
    below = {c.id for c, _ in descendants(session, company.id)} | {company.id}
    found = []
    for other in session.scalars(select(Company).where(or_(*conditions)).order_by(Company.id).limit(limit * 3)):
        if other.id in below or other.id == company.parent_id:
            continue
        reason = parent_hint(company.name_key, company.domain, other.name_key, other.domain)
        if reason:
            found.append((other, reason))
    return found[:limit]
