"""Reads with no decision: lead pages with filters and cursors, one visible lead, timelines, company trees."""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass
from typing import Any
from datetime import datetime

from sqlalchemy import and_, bindparam, func, literal, literal_column, or_, select, table, text, tuple_
from sqlalchemy.orm import Session

from leadflow.campaigns.domain import code_key
from leadflow.campaigns.models import Campaign
from leadflow.db import UtcDateTime
from leadflow.errors import Invalid, NotFound
from leadflow.leads.domain import looks_like_phone, parent_hint, phone_candidates
from leadflow.leads.lifecycle import WORKED
from leadflow.leads.models import Activity, Company, Consent, Lead, SavedView
from leadflow.leads.schemas import LeadRead
from leadflow.leads.visibility import sees_all, visible_leads
from leadflow.pages import keyset_page
from leadflow.people.models import Team, User
from leadflow.people.service import Actor


@dataclass
class LeadFilter:
    email: str | None = None
    company: str | None = None
    company_id: int | None = None
    campaign: str | None = None  # id or code
    stage: str | None = None
    owner: int | None = None
    unassigned: bool = False
    unseen: bool = False  # with `owner`: leads the owner has not opened since they got them ("new for me")
    queued: bool = False  # waiting in a routing queue (no rule or nobody could take them)
    source: str | None = None  # the source of the lead's first- or last-touch campaign
    channel: str | None = None
    country: str | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None
    q: str | None = None
    band: tuple[str, ...] = ()  # hot, warm, cold: any of them
    grade: tuple[str, ...] = ()  # A, B, C, D: any of them
    score_min: int | None = None  # a score of at least this (unscored leads never match)
    default_country: str | None = None  # reads a phone number typed in national form in `q` (with the data's)
    followup: str | None = None  # "overdue": leads with an open follow-up past its due time (the followup stage's)
    within: Any = None  # a subquery of lead ids a stage above hands in (the overdue follow-ups' leads)
    segment: Any = None  # a subquery of lead ids: a segment's members (the segments stage's, handed in)


def filtered(actor: Actor, f: LeadFilter, *, session: Session):
    query = visible_leads(actor)
    if f.email:
        query = query.where(Lead.email == f.email.strip().lower())
    if f.company:
        query = query.where(Lead.company.ilike(f"%{_like(f.company)}%", escape="\\"))
    if f.company_id is not None:
        query = query.where(Lead.company_id == f.company_id)
    if f.campaign:
        if f.campaign.isdecimal():
            campaign_id = int(f.campaign)
        else:
            campaign_id = session.scalar(select(Campaign.id).where(Campaign.code_key == code_key(f.campaign)))
        query = query.where(or_(Lead.campaign_id == campaign_id, Lead.last_campaign_id == campaign_id))
    if f.stage:
        query = query.where(Lead.stage == f.stage)
    if f.owner is not None:
        query = query.where(Lead.owner_id == f.owner)
    if f.unassigned:
        query = query.where(Lead.owner_id.is_(None))
    if f.unseen:  # handed to them (by routing or a person) and not opened since
        query = query.where(Lead.owner_id.is_not(None), Lead.assigned_at.is_not(None), Lead.owner_seen_at.is_(None))
    if f.queued:
        query = query.where(Lead.owner_id.is_(None), Lead.queue.is_not(None))
    if f.source:
        sourced = select(Campaign.id).where(Campaign.source == f.source)
        query = query.where(or_(Lead.campaign_id.in_(sourced), Lead.last_campaign_id.in_(sourced)))
    if f.channel:
        query = query.where(Lead.channel == f.channel)
    if f.country:
        query = query.where(Lead.country == f.country.upper())
    if f.created_after:
        query = query.where(Lead.created_at >= f.created_after)
    if f.created_before:
        query = query.where(Lead.created_at < f.created_before)
    if f.band:
        query = query.where(Lead.band == f.band[0] if len(f.band) == 1 else Lead.band.in_(f.band))
    if f.grade:
        query = query.where(Lead.grade == f.grade[0] if len(f.grade) == 1 else Lead.grade.in_(f.grade))
    if f.score_min is not None:
        query = query.where(Lead.score >= f.score_min)
    if f.within is not None:
        query = query.where(Lead.id.in_(f.within))
    if f.segment is not None:
        query = query.where(Lead.id.in_(f.segment))
    if f.q:
        condition = search_condition(f.q, session=session, default_country=f.default_country)
        if condition is not None:
            query = query.where(condition)
    return query


EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
WORD = re.compile(r"\w+")
# PostgreSQL: migration 0004's generated column, the names, email (split at @ and dots), company, phone, mobile
# and city as a tsvector, with a GIN index. SQLite: the FTS5 table leads_fts, kept in step by triggers.
SEARCH_VECTOR = literal_column("leads.search_vector")


def search_condition(text: str, *, session: Session, default_country: str | None = None):
    """Full-text search over names, email, company, phone and city: every word as a prefix, all of them.

    An email address is looked up exactly on its normalized index. A phone number typed as people type it
    (`01144 960574`, `+44 (0)114 496 0574`, `0044 ...`) is read into the E.164 numbers it may be, in the default
    country and the countries of the data, and those are looked up exactly on the phone and mobile indexes. Other
    text goes to the GIN index on PostgreSQL and the FTS5 table (kept by triggers) on SQLite.
    """
    text = text.strip()
    if EMAIL.fullmatch(text):
        return Lead.email == text.lower()
    if looks_like_phone(text):
        numbers = phone_candidates(text, [default_country, *data_countries(session=session)])
        if numbers:
            return or_(Lead.phone.in_(numbers), Lead.mobile.in_(numbers))
    return _words_condition(text, session=session)


def data_countries(*, session: Session) -> list[str]:
    """The countries leads come from: a walk down the country index, one probe per country (no scan)."""
    leads = Lead.__table__
    walk = select(func.min(leads.c.country).label("country")).cte("countries", recursive=True)
    walk = walk.union_all(select(select(func.min(leads.c.country)).where(leads.c.country > walk.c.country)
                                 .scalar_subquery()).where(walk.c.country.is_not(None)))
    return list(session.scalars(select(walk.c.country).where(walk.c.country.is_not(None))))


def _words_condition(text: str, *, session: Session):
    words = WORD.findall(text)[:8]
    if not words:
        return None
    # A word of one letter is matched whole: as a prefix it would match most of a large database.
    if session.get_bind().dialect.name == "postgresql":
        query = " & ".join(f"{word}:*" if len(word) > 1 else word for word in words)
        return SEARCH_VECTOR.op("@@")(
            func.to_tsquery(literal_column("'simple'::regconfig"), query))
    match = " ".join(f'"{word}"*' if len(word) > 1 else f'"{word}"' for word in words)
    return Lead.id.in_(select(literal_column("rowid")).select_from(table("leads_fts")).where(
        literal_column("leads_fts").op("MATCH")(match)))


def _like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def lead_page(actor: Actor, f: LeadFilter, *, session: Session, cursor: str | None, limit: int) -> tuple[list[Lead],
                                                                                                         str | None]:
    return keyset_page(session, filtered(actor, f, session=session), Lead.id, cursor=cursor, limit=limit)


# The inbox's sorts: nullable columns compare as coalesce(column, '') (literal '', to match the indexes of 0004).
SORTS = {
    "created": Lead.created_at,
    "updated": Lead.updated_at,
    "name": func.coalesce(Lead.name_key, literal_column("''")),
    "company": func.coalesce(func.lower(Lead.company), literal_column("''")),
    "country": func.coalesce(Lead.country, literal_column("''")),
    "stage": Lead.stage,
    "score": Lead.score,
}
TIMES = ("created", "updated")
# Sorts on a nullable number whose NULLs (unscored leads) come last in both directions: see _tailed_rows.
TAILED = ("score",)


@dataclass
class InboxPage:
    leads: list[Lead]
    next_cursor: str | None
    previous_cursor: str | None


def _cursor(sort: str, value, lead_id: int) -> str:
    value = value.isoformat() if isinstance(value, datetime) else value
    return base64.urlsafe_b64encode(json.dumps([sort, value, lead_id]).encode()).decode().rstrip("=")


def _uncursor(sort: str, cursor: str) -> tuple:
    try:
        named, value, lead_id = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if named != sort or not isinstance(lead_id, int) or isinstance(lead_id, bool):
            raise ValueError
        if sort in TAILED:
            if value is None:
                return None, lead_id
            if not isinstance(value, int) or isinstance(value, bool) or abs(value) >= 2**31:
                raise ValueError
            return literal(value), lead_id
        if not isinstance(value, str):
            raise TypeError
        if sort in TIMES:
            return literal(datetime.fromisoformat(value), UtcDateTime()), lead_id
        return literal(value), lead_id
    except (ValueError, TypeError, UnicodeDecodeError):
        raise Invalid.one("cursor", "not a page of this list and sort: start again from the first page") from None


def inbox_page(actor: Actor, f: LeadFilter, *, session: Session, sort: str = "created", descending: bool = True,
               after: str | None = None, before: str | None = None, limit: int = 50) -> InboxPage:
    """One keyset page in any sort (ties broken by id), both ways: never an OFFSET, however deep the page."""
    key = SORTS[sort]
    query = filtered(actor, f, session=session).add_columns(key.label("sort_value"))
    backwards = before is not None
    upward = descending == backwards  # the rows wanted lie above the cursor in the index: read it ascending
    cursor = _uncursor(sort, before or after) if after or before else None
    if sort in TAILED:
        rows = _tailed_rows(query, key, cursor, session=session, upward=upward, backwards=backwards, count=limit + 1)
    else:
        if cursor is not None:
            query = query.where(_beyond(key, session=session, *cursor, upward=upward))
        order = (key.asc(), Lead.id.asc()) if upward else (key.desc(), Lead.id.desc())
        rows = session.execute(query.order_by(*order).limit(limit + 1)).all()
    more = len(rows) > limit
    rows = rows[:limit]
    if backwards:
        rows.reverse()
    if not rows:
        return InboxPage([], None, None)
    first, last = rows[0], rows[-1]
    has_next = more if not backwards else True
    has_previous = more if backwards else after is not None
    return InboxPage([row[0] for row in rows],
                     _cursor(sort, last.sort_value, last[0].id) if has_next else None,
                     _cursor(sort, first.sort_value, first[0].id) if has_previous else None)


def _tailed_rows(query, key, cursor: tuple | None, *, session: Session, upward: bool, backwards: bool,
                 count: int) -> list:
    """Up to `count` rows of a sort whose NULLs come last in both directions, in reading order.

    The list is two index ranges one after the other: the scored leads (key IS NOT NULL, ordered by (key, id) on
    ix_leads_score_id, or ix_leads_band_score_id / ix_leads_grade_score_id under a band or grade filter), then the
    unscored tail (key IS NULL, ordered by id, on the same indexes' NULL prefix), each read in the page's direction.
    Neither `ORDER BY score NULLS LAST` (PostgreSQL walks a descending index with its NULLs first; SQLite puts NULLs
    first ascending) nor coalesce(score, -1) (no index has it) would keep the index order, so we read each range on
    its own: a tail cursor holds the value None. Forwards the scored part comes first and the tail continues it;
    backwards (a "previous" page) the tail comes first, then the scored part, so the pages meet exactly.
    """
    scored = (query.where(key.is_not(None)),
              (key.asc(), Lead.id.asc()) if upward else (key.desc(), Lead.id.desc()))
    tail = (query.where(key.is_(None)), (Lead.id.asc(),) if upward else (Lead.id.desc(),))
    parts = [tail, scored] if backwards else [scored, tail]
    if cursor is not None:
        value, lead_id = cursor
        in_tail = value is None
        parts = parts[int(in_tail != backwards):]  # start in the cursor's own range
        part, order = parts[0]
        if in_tail:
            part = part.where(Lead.id > lead_id if upward else Lead.id < lead_id)
        else:
            part = part.where(_beyond(key, value, lead_id, session=session, upward=upward))
        parts[0] = (part, order)
    rows: list = []
    for part, order in parts:
        if len(rows) >= count:
            break
        rows.extend(session.execute(part.order_by(*order).limit(count - len(rows))).all())
    return rows


def _beyond(key, value, lead_id: int, *, session: Session, upward: bool):
    """Rows past the cursor (key, id). PostgreSQL walks an index from a row value; SQLite uses row values on plain
    columns only, so there the key's own range (key <= value) reaches the expression indexes too."""
    if session.get_bind().dialect.name == "postgresql":
        bound = tuple_(key, Lead.id)
        return bound > tuple_(value, lead_id) if upward else bound < tuple_(value, lead_id)
    if upward:
        return and_(key >= value, or_(key > value, Lead.id > lead_id))
    return and_(key <= value, or_(key < value, Lead.id < lead_id))


def count_capped(actor: Actor, f: LeadFilter, *, session: Session, cap: int = 10_000) -> int:
    """How many leads match, counted up to `cap` (the page says "10,000+" beyond): cheap on millions."""
    ids = filtered(actor, f, session=session).with_only_columns(Lead.id).limit(cap + 1).subquery()
    return session.scalar(select(func.count()).select_from(ids)) or 0


def inbox_export(actor: Actor, f: LeadFilter, *, session: Session, ids: list[int] | None = None):
    """The leads of an export, visible ones only, by id, streamed in chunks."""
    query = filtered(actor, f, session=session)
    if ids is not None:
        query = query.where(Lead.id.in_(ids))
    return session.scalars(query.order_by(Lead.id).execution_options(yield_per=2000))


def visible_selection(actor: Actor, ids: list[int], *, session: Session) -> list[Lead]:
    """The chosen leads this actor sees; the others are left out without a word."""
    if not ids:
        return []
    return list(session.scalars(visible_leads(actor).where(Lead.id.in_(ids)).order_by(Lead.id)))


def _owners_of(actor: Actor, query):
    """The people this actor may name as a lead's owner: anyone for those who see every lead; otherwise themselves
    and the people of the teams they belong to or manage."""
    if sees_all(actor):
        return query
    teams = select(Team.id).where(or_(Team.manager_id == actor.user_id, Team.id == actor.team_id))
    return query.where(or_(User.id == actor.user_id, User.team_id.in_(teams)))


def assignable_owners(actor: Actor, *, session: Session) -> list[User]:
    """Active users this actor may hand leads to (the owner menus)."""
    query = _owners_of(actor, select(User).where(User.is_active.is_(True)))
    return list(session.scalars(query.order_by(User.name, User.email).limit(1000)))


def owner_to_filter_by(actor: Actor, user_id: int, *, session: Session) -> User | None:
    """The person whose leads this actor may list by owner: one they may name as an owner (those who left too);
    None for anyone else."""
    return session.scalar(_owners_of(actor, select(User).where(User.id == user_id)))


def users_by_id(user_ids: set[int], *, session: Session) -> dict[int, User]:
    if not user_ids:
        return {}
    return {u.id: u for u in session.scalars(select(User).where(User.id.in_(user_ids)))}


def campaigns_by_id(campaign_ids: set[int], *, session: Session) -> dict[int, Campaign]:
    if not campaign_ids:
        return {}
    return {c.id: c for c in session.scalars(select(Campaign).where(Campaign.id.in_(campaign_ids)))}


def campaign_choices(*, session: Session, limit: int = 500) -> list[tuple[int, str]]:
    return [(row.id, row.name) for row in session.execute(
        select(Campaign.id, Campaign.name).order_by(Campaign.name).limit(limit))]


def source_choices(*, session: Session) -> list[str]:
    return list(session.scalars(select(Campaign.source).where(Campaign.source.is_not(None))
                                .distinct().order_by(Campaign.source).limit(200)))


def saved_views(user_id: int, *, session: Session) -> list[SavedView]:
    return list(session.scalars(select(SavedView).where(SavedView.user_id == user_id).order_by(SavedView.name)))


def visible_lead(actor: Actor, lead_id: int, *, session: Session) -> Lead:
    lead = session.scalar(visible_leads(actor).where(Lead.id == lead_id))
    if lead is None:
        raise NotFound("lead", lead_id)
    return lead


def is_visible(actor: Actor, lead_id: int, *, session: Session) -> bool:
    return sees_all(actor) or session.scalar(
        visible_leads(actor).with_only_columns(Lead.id).where(Lead.id == lead_id)) is not None


def visible_ids(actor: Actor):
    """The ids of the leads this actor sees, as a subquery for other stages' reads (captures, call lists)."""
    return visible_leads(actor).with_only_columns(Lead.id)


def timeline(lead_id: int, *, session: Session, limit: int = 200) -> list[Activity]:
    return list(session.scalars(
        select(Activity).where(Activity.lead_id == lead_id)
        .order_by(Activity.occurred_at.desc(), Activity.id.desc()).limit(limit)))


def consents(lead_id: int, *, session: Session) -> list[Consent]:
    return list(session.scalars(select(Consent).where(Consent.lead_id == lead_id).order_by(Consent.id)))


def withdrawn(lead_ids: list[int], purpose: str, *, session: Session) -> set[int]:
    """The leads among these whose latest consent for `purpose` is a withdrawal."""
    latest: dict[int, bool] = {}
    for start in range(0, len(lead_ids), 5000):
        for lead_id, granted in session.execute(
                select(Consent.lead_id, Consent.granted)
                .where(Consent.lead_id.in_(lead_ids[start:start + 5000]), Consent.purpose == purpose)
                .order_by(Consent.recorded_at, Consent.id)):
            latest[lead_id] = granted
    return {lead_id for lead_id, granted in latest.items() if not granted}


def descendants(company_id: int, *, session: Session) -> list[tuple[Company, int]]:
    """Every company below this one, at any depth (a recursive query on both databases)."""
    tree = select(Company.id.label("id"), literal(1).label("depth")).where(
        Company.parent_id == company_id).cte("tree", recursive=True)
    tree = tree.union_all(select(Company.id, tree.c.depth + 1).where(Company.parent_id == tree.c.id))
    rows = session.execute(select(Company, tree.c.depth).join(tree, Company.id == tree.c.id)
                           .order_by(tree.c.depth, Company.name)).all()
    return [(company, depth) for company, depth in rows]


def root(company: Company, *, session: Session) -> Company:
    seen = {company.id}
    while company.parent_id is not None:
        parent = session.get(Company, company.parent_id)
        if parent is None or parent.id in seen:
            break
        seen.add(parent.id)
        company = parent
    return company


def company_page(*, session: Session, q: str | None, domain: str | None, parent_id: int | None,
                 cursor: str | None, limit: int) -> tuple[list[Company], str | None]:
    query = select(Company)
    if q:
        query = query.where(Company.name.ilike(f"%{_like(q.strip())}%", escape="\\"))
    if domain:
        query = query.where(Company.domain == domain.strip().lower())
    if parent_id is not None:
        query = query.where(Company.parent_id == parent_id)
    return keyset_page(session, query, Company.id, cursor=cursor, limit=limit)


def campaign_counts(actor: Actor, campaign_ids: list[int], *, session: Session) -> dict[int, int]:
    """Leads this actor sees per campaign, first or last touch (as the inbox's campaign filter counts them)."""
    if not campaign_ids:
        return {}
    visible = visible_leads(actor)
    first = visible.with_only_columns(Lead.campaign_id.label("campaign_id"), Lead.id.label("lead_id")).where(
        Lead.campaign_id.in_(campaign_ids))
    last = visible.with_only_columns(Lead.last_campaign_id, Lead.id).where(Lead.last_campaign_id.in_(campaign_ids))
    touched = first.union(last).subquery()
    rows = session.execute(select(touched.c.campaign_id, func.count()).group_by(touched.c.campaign_id))
    return {campaign_id: count for campaign_id, count in rows}


def visible_leads_for(actor: Actor):
    """The visible-leads query itself, for streaming exports."""
    return visible_leads(actor)


def suggested_parents(company: Company, *, session: Session, limit: int = 10) -> list[tuple[Company, str]]:
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
    below = {c.id for c, _ in descendants(company.id, session=session)} | {company.id}
    found = []
    for other in session.scalars(select(Company).where(or_(*conditions)).order_by(Company.id).limit(limit * 3)):
        if other.id in below or other.id == company.parent_id:
            continue
        reason = parent_hint(company.name_key, company.domain, other.name_key, other.domain)
        if reason:
            found.append((other, reason))
    return found[:limit]


def company_counts(actor: Actor, company_ids: list[int], *, session: Session) -> dict[int, tuple[int, int]]:
    """(leads this actor sees, direct subsidiaries) per company, for a page of companies: two grouped queries."""
    if not company_ids:
        return {}
    visible = visible_leads(actor).with_only_columns(Lead.company_id, func.count()).where(
        Lead.company_id.in_(company_ids)).group_by(Lead.company_id)
    leads = dict(session.execute(visible).all())
    children = dict(session.execute(select(Company.parent_id, func.count()).where(
        Company.parent_id.in_(company_ids)).group_by(Company.parent_id)).all())
    return {i: (leads.get(i, 0), children.get(i, 0)) for i in company_ids}


def companies_by_id(company_ids: set[int], *, session: Session) -> dict[int, Company]:
    if not company_ids:
        return {}
    return {c.id: c for c in session.scalars(select(Company).where(Company.id.in_(company_ids)))}


# --- what other stages read of many leads at once ----------------------------------------------------------------

PROFILE_COLUMNS = ("id", "job_title", "company", "country", "language", "email", "city", "region", "channel", "stage",
                   "custom_fields", "company.name", "company.industry", "company.employees", "company.revenue",
                   "company.country")


def profile_rows(lead_ids: list[int], *, session: Session, chunk: int = 1000):
    """Each lead's own fields and its company's (PROFILE_COLUMNS, in that order) as plain rows, one statement per
    `chunk` leads: what scoring's fit rules read."""
    columns = (Lead.id, Lead.job_title, Lead.company, Lead.country, Lead.language, Lead.email, Lead.city,
               Lead.region, Lead.channel, Lead.stage, Lead.custom_fields, Company.name, Company.industry,
               Company.employees, Company.revenue, Company.country)
    for start in range(0, len(lead_ids), chunk):
        part = lead_ids[start:start + chunk]
        yield from session.execute(
            select(*columns).outerjoin(Company, Company.id == Lead.company_id).where(Lead.id.in_(part)))


def surviving_leads_by(column: str, columns: tuple[str, ...], *, session: Session):
    """A statement for other stages' bulk matchers: these columns of the surviving leads whose `column` is in :values
    (an expanding parameter), read through that column's index. SQLite: the index named outright (INDEXED BY); its
    statistics call an index on a column most leads leave empty (phone) useless and would scan a million rows.
    PostgreSQL's planner counts the empty values right."""
    leads = Lead.__table__
    if session.get_bind().dialect.name == "sqlite":
        return (text(f"SELECT {', '.join(columns)} FROM leads INDEXED BY ix_leads_{column} "
                     f"WHERE {column} IN :values AND merged_into_id IS NULL")
                .bindparams(bindparam("values", expanding=True))
                .columns(*(leads.c[name] for name in columns)))
    return select(*(leads.c[name] for name in columns)).where(
        leads.c[column].in_(bindparam("values", expanding=True)), leads.c.merged_into_id.is_(None))


# --- owners: what routing reads and locks (it never names the leads table itself) ----------------------------------

def open_lead_counts(user_ids: list[int] | set[int], *, session: Session) -> dict[int, int]:
    """How many leads each person owns that someone is working (stages new to opportunity)."""
    if not user_ids:
        return {}
    rows = session.execute(select(Lead.owner_id, func.count()).where(
        Lead.owner_id.in_(list(user_ids)), Lead.stage.in_(WORKED), Lead.merged_into_id.is_(None))
        .group_by(Lead.owner_id))
    return {owner: count for owner, count in rows}


def unowned_open_leads(*, session: Session, limit: int = 20000) -> list[Lead]:
    """Open leads with no owner (queued ones too): what a routing preview places."""
    return list(session.scalars(select(Lead).where(Lead.owner_id.is_(None), Lead.merged_into_id.is_(None),
                                                   Lead.stage.in_(WORKED)).order_by(Lead.id).limit(limit)))


def owner_emails(user_ids: set[int], *, session: Session) -> dict[int, str]:
    if not user_ids:
        return {}
    return dict(session.execute(select(User.id, User.email).where(User.id.in_(user_ids))).all())


def reads(leads: list[Lead], *, session: Session) -> list[LeadRead]:
    """The leads as their JSON (LeadRead), each naming its owner by email as well as by id."""
    emails = owner_emails({lead.owner_id for lead in leads if lead.owner_id}, session=session)
    found = []
    for lead in leads:
        read = LeadRead.model_validate(lead)
        read.owner_email = emails.get(lead.owner_id) if lead.owner_id else None
        found.append(read)
    return found


def read(lead: Lead, *, session: Session) -> LeadRead:
    return reads([lead], session=session)[0]


def queued_lead_ids(queue: str | None, *, session: Session) -> list[int]:
    """Open leads waiting in a routing queue (any queue when none is named), oldest first."""
    query = select(Lead.id).where(Lead.owner_id.is_(None), Lead.merged_into_id.is_(None), Lead.stage.in_(WORKED))
    query = query.where(Lead.queue == queue) if queue else query.where(Lead.queue.is_not(None))
    return list(session.scalars(query.order_by(Lead.id)))


def new_for(user_id: int | None, *, session: Session) -> int:
    """How many leads this person got and has not opened yet ("new for me")."""
    if user_id is None:
        return 0
    return session.scalar(select(func.count()).select_from(Lead).where(
        Lead.owner_id == user_id, Lead.owner_seen_at.is_(None), Lead.assigned_at.is_not(None),
        Lead.merged_into_id.is_(None))) or 0


def queue_counts(*, session: Session) -> list[tuple[str, int]]:
    """Each routing queue with how many open leads wait in it."""
    return [(queue, count) for queue, count in session.execute(
        select(Lead.queue, func.count()).where(Lead.queue.is_not(None), Lead.owner_id.is_(None),
                                               Lead.merged_into_id.is_(None), Lead.stage.in_(WORKED))
        .group_by(Lead.queue).order_by(Lead.queue))]


def leads_by_id(lead_ids: set[int], *, session: Session) -> dict[int, Lead]:
    """The leads with these ids (merged-away ones too: an event may be about one), in one read."""
    if not lead_ids:
        return {}
    return {lead.id: lead for lead in session.scalars(select(Lead).where(Lead.id.in_(sorted(lead_ids))))}


def names_by_id(lead_ids: set[int], *, session: Session) -> dict[int, str]:
    """Each lead's name as alerts show it (first and last name, else the email, else "lead N"), in one light read."""
    if not lead_ids:
        return {}
    rows = session.execute(select(Lead.id, Lead.first_name, Lead.last_name, Lead.email)
                           .where(Lead.id.in_(sorted(lead_ids))))
    return {lead_id: " ".join(p for p in (first, last) if p) or email or f"lead {lead_id}"
            for lead_id, first, last, email in rows}


def fact_sources(lead_ids: list[int], *, session: Session) -> list:
    """What analytics counts of each lead (a merged-away lead comes back with merged_into_id set): its dates, stage,
    owner, first campaign and touch, country, its company's industry."""
    if not lead_ids:
        return []
    return list(session.execute(
        select(Lead.id, Lead.created_at, Lead.stage, Lead.owner_id, Lead.campaign_id, Lead.channel, Lead.first_touch,
               Lead.country, Company.industry, Lead.sales_ready_at, Lead.merged_into_id)
        .outerjoin(Company, Company.id == Lead.company_id).where(Lead.id.in_(lead_ids))))


def stage_history(lead_ids: list[int], *, session: Session) -> list:
    """(lead_id, to_stage, changed_at) of every stage change of these leads, oldest first."""
    if not lead_ids:
        return []
    from leadflow.leads.models import StageChange

    return list(session.execute(select(StageChange.lead_id, StageChange.to_stage, StageChange.changed_at)
                                .where(StageChange.lead_id.in_(lead_ids))
                                .order_by(StageChange.changed_at, StageChange.id)))


def lead_ids_after(after: int, *, session: Session, limit: int = 2000) -> list[int]:
    """The next ids of leads (merged-away ones too: their derived rows are to go), by id: a rebuild's walk."""
    return list(session.scalars(select(Lead.id).where(Lead.id > after).order_by(Lead.id).limit(limit)))


def lead_count(*, session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Lead)) or 0
