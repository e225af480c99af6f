"""`leadflow demo`: fills an empty database with a believable company's lead management, through the stages' services.

People in every role and their teams, company groups across six countries, campaigns on every channel with their
costs, thousands of leads captured through the import pipeline (so captures, matching and timelines are real), then
spread over the past six months: stages, owners, calls, emails, meetings and notes, a call list, hosted forms.
"""

from __future__ import annotations

import csv
import io
import json
import os
import random
import socket
from collections.abc import Callable
from typing import Annotated
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

import typer
from anyascii import anyascii
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress as Bar, TextColumn, TimeElapsedColumn
from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.orm import Session, sessionmaker

from leadflow import db, demo_story
from leadflow.campaigns import service as campaigns_service
from leadflow.campaigns.models import Campaign
from leadflow.capture.forms import service as form_service
from leadflow.capture.forms.schemas import FormCreate
from leadflow.capture.imports import files
from leadflow.capture.imports import service as import_service
from leadflow.capture.models import Capture, Form, Import
from leadflow.clock import now
from leadflow.errors import Conflict, NotFound
from leadflow.identity.models import PossibleDuplicate
from leadflow.leads import service as leads_service
from leadflow.leads.models import Activity, Company, Lead
from leadflow.people import roles
from leadflow.people import service as people_service
from leadflow.people import signin
from leadflow.people.models import User
from leadflow.scoring import predict_jobs

Progress = Callable[[str, int, int], None]  # what is being done, how much of it is done, out of how much

LOCALES = {"nl_NL": "NL", "no_NO": "NO", "fi_FI": "FI", "en_GB": "GB", "de_DE": "DE", "en_US": "US"}
LOCALE_WEIGHTS = {"nl_NL": 24, "no_NO": 14, "fi_FI": 14, "en_GB": 16, "de_DE": 20, "en_US": 12}
LEGAL = {"NL": "B.V.", "NO": "AS", "FI": "Oy", "GB": "Ltd", "DE": "GmbH", "US": "Inc."}
TLD = {"NL": "nl", "NO": "no", "FI": "fi", "GB": "co.uk", "DE": "de", "US": "com"}
FREE_MAIL = {"NL": "ziggo.nl", "NO": "online.no", "FI": "luukku.com", "GB": "gmail.com", "DE": "web.de",
             "US": "gmail.com"}
DAYS = 182  # activity over the past six months

# Groups: a parent with subsidiaries in several countries (and one level deeper for some).
GROUPS = (
    ("Aurora Energy", "Energy", ("NO", "FI", "DE", "GB")),
    ("Polaris Logistics", "Logistics", ("FI", "NL", "DE")),
    ("Vanderberg Installatietechniek", "Installation", ("NL", "DE")),
    ("Kestrel Engineering", "Engineering", ("GB", "US", "NL")),
    ("Lindqvist Building Systems", "Construction", ("NO", "FI", "NL", "DE")),
    ("Hanseatic Elektro", "Electrical equipment", ("DE", "NL", "GB")),
    ("Fjordline Marine", "Marine", ("NO", "GB")),
    ("Borealis Data", "Software", ("FI", "NO", "US")),
    ("Meridian Facility Services", "Facility management", ("GB", "NL", "US")),
    ("Tulip Agro", "Agriculture", ("NL", "DE")),
)
# Job titles people actually have, by how often they fill in a form.
TITLES = (
    ("Installer", 8), ("Electrical engineer", 6), ("Project manager", 8), ("Purchasing manager", 7), ("Architect", 5),
    ("Facility manager", 6), ("Operations manager", 6), ("Technical director", 4), ("Chief executive officer", 3),
    ("Chief financial officer", 2), ("Head of procurement", 4), ("Sales manager", 4), ("Marketing manager", 4),
    ("Maintenance engineer", 5), ("Site manager", 4), ("IT manager", 4), ("Energy consultant", 3),
    ("Managing director", 4), ("Buyer", 5), ("Product manager", 3), ("Office manager", 3), ("Student", 1),
)
# Campaigns: name, code, channel, capture channel, source, medium, offer, months ago it started, length in
# months, monthly cost, share of the leads.
CAMPAIGNS = (
    ("Website brochure requests", "web-brochure", "web", "form", "website", "organic", "Product brochure",
     6, 6, 1200, 16),
    ("Trade fair: Elektrotechniek Utrecht", "fair-elektro-utrecht", "trade_fair", "trade_fair", "elektrotechniek",
     "event", "Free site survey", 5, 1, 38000, 9),
    ("Trade fair: Nor-Shipping Oslo", "fair-nor-shipping", "trade_fair", "trade_fair", "nor-shipping", "event",
     "Demo on the stand", 3, 1, 42000, 7),
    ("Telemarketing: installers NL/DE", "tm-installers", "telemarketing", "telemarketing", "call centre", "phone",
     "Energy check", 4, 3, 9500, 8),
    ("Newsletter: energy savings", "email-energy-news", "email", "email", "newsletter", "email",
     "Energy savings guide", 6, 6, 800, 12),
    ("LinkedIn: facility managers", "social-linkedin-fm", "social", "social", "linkedin", "paid_social",
     "Whitepaper: smart buildings", 4, 3, 6500, 11),
    ("Google Ads: industrial controls", "search-google-controls", "paid_search", "paid_search", "google", "cpc",
     "Price list", 6, 6, 5200, 15),
    ("Bought list: UK construction", "list-uk-construction", "other", "list", "bisnode", "list",
     "Catalogue", 2, 1, 7800, 8),
    ("Webinar: heat pumps for installers", "webinar-heat-pumps", "web", "webinar", "webinar", "webinar",
     "Live webinar", 2, 1, 3000, 8),
    ("Webinar: smart buildings", "webinar-smart-buildings", "web", "webinar", "webinar", "webinar",
     "Live webinar", 1, 1, 2600, 6),
)
STAGE_WEIGHTS = (("new", 30), ("mql", 19), ("sql", 11), ("opportunity", 8), ("customer", 6), ("nurture", 15),
                 ("disqualified", 8), ("recycled", 3))
CALL_NOTES = ("Reached, interested in a quote for Q{q}", "No answer, left a voicemail", "Asked to call back next week",
              "Discussed budget and timing; decision in {m} months", "Wrong person; referred to the purchasing manager",
              "Has a competitor's system; contract ends next year")
EMAIL_NOTES = ("Sent the product brochure", "Sent a quote of EUR {amount:,}", "Followed up on the webinar",
               "Sent the case study they asked for", "Replied with installation questions")
MEETING_NOTES = ("Site visit: {n} buildings to assess", "Demo at their office with the technical director",
                 "Quote review meeting; competitor {c} in play", "Kick-off with the project team")
NOTE_NOTES = ("Prefers email over phone", "Budget approved for next quarter", "Key decision maker is the CFO",
              "Met on the trade fair stand, very interested", "Student: not a buyer")
COMPETITORS = ("Siemens", "Schneider", "ABB", "Honeywell", "Danfoss")


@dataclass
class Report:
    users: list[tuple[str, str, str]] = field(default_factory=list)  # email, role, team
    password: str | None = None
    companies: int = 0
    campaigns: int = 0
    leads: int = 0
    captures: int = 0
    activities: int = 0
    duplicates_in_review: int = 0
    forms: list[str] = field(default_factory=list)
    resumed: bool = False  # this run continued one that had stopped midway
    story: demo_story.Told | None = None  # behaviour, stage history, BANT, scores and Sales Ready


class NotEmpty(Conflict):
    """The database has leads (or the demo) already: the demo fills only an empty one (unless forced)."""


def _noop(step: str, done: int, total: int) -> None:
    pass


def lead_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Lead)) or 0


def run(factory: sessionmaker[Session], *, leads: int = 3000, seed: int | None = None, force: bool = False,
        progress: Progress = _noop, announce: Callable[[Report], None] = lambda report: None) -> Report:
    """Each part in a short transaction of its own (the imports commit per chunk, as every import does), so the demo
    runs beside a server, a worker or an import on the same database. A run that stopped midway is resumed by the
    next one: the same seed makes the same data, each part finds what was already written, and the state kept in
    `instance_settings` says how far it got. `announce` hears the users and their password once they are committed.
    """
    from faker import Faker  # only here: every other command starts without it

    with db.reading(factory)() as session:
        state = _state(session)
        if state is not None and state.get("finished") and not force:
            raise NotEmpty("the demo data is there already; the demo fills only an empty database "
                           "(use --force to add the demo data anyway)")
        if state is None and lead_count(session) and not force:
            raise NotEmpty("the database has leads already; the demo fills only an empty database "
                           "(use --force to add the demo data anyway)")
    resuming = state is not None and not state.get("finished")
    if resuming:
        if _still_running(state):
            raise Conflict(f"a demo is running in process {state['pid']}; wait for it to finish")
        seed, leads = state["seed"], state["leads"]
    elif seed is None:
        seed = random.SystemRandom().randrange(2**31)
    state = {"seed": seed, "leads": leads, "finished": False, "spread_after": 0} if not resuming else state
    rng = random.Random(seed)
    Faker.seed(rng.randrange(2**32))
    fakers = {locale: Faker(locale) for locale in LOCALES}
    for fake in fakers.values():
        fake.seed_instance(rng.randrange(2**32))
    state.update(pid=os.getpid(), host=socket.gethostname())  # whose run this is (a resumed one takes over)
    report = Report(resumed=resuming)
    moment = now()
    progress("people, companies and campaigns", 0, 1)
    with factory() as session:
        people = _people(session, rng, fakers, report)
        companies = _companies(session, rng, fakers, report)
        campaigns = _campaigns(session, rng, moment, report)
        report.forms = _forms(session, campaigns)
        _keep_state(session, state)
        session.commit()
    announce(report)
    rows = _lead_rows(rng, fakers, companies, leads)
    _import(factory, rows, campaigns, report, progress)
    _spread(factory, rng, people, campaigns, moment, report, progress, state)
    with factory() as session:   # the leads' story in one transaction: told once, and the demo then finished
        report.story = demo_story.tell(session, rng, moment, progress, campaign_ids=[p.id for p in campaigns])
        state["finished"] = True
        _keep_state(session, state)
        predict_jobs.run_soon(session)   # won and lost leads to learn from: a running worker trains now
        session.commit()
    progress("done", 1, 1)
    return report


STATE_KEY = "demo"


def _state(session: Session) -> dict | None:
    value = session.scalar(select(db.InstanceSetting.value).where(db.InstanceSetting.key == STATE_KEY))
    return json.loads(value) if value else None


def _still_running(state: dict) -> bool:
    """Whether the run that wrote this state is alive (on this machine; a process elsewhere is not known)."""
    pid = state.get("pid")
    if not pid or pid == os.getpid() or state.get("host") != socket.gethostname():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _keep_state(session: Session, state: dict) -> None:
    """How far the demo got, in the transaction that got it there."""
    session.merge(db.InstanceSetting(key=STATE_KEY, value=json.dumps(state)))
    session.flush()


# People -----------------------------------------------------------------------------------------------------------

def _people(session: Session, rng: random.Random, fakers: dict, report: Report) -> dict[str, list[User]]:
    """Users in every role with one shared password (hashed once, before the write transaction needs it)."""
    password = people_service.generate_password()
    report.password = password
    hashed = signin.hash_password(password)
    plan = [  # role, locale, team
        (roles.ADMIN, "en_GB", None), (roles.MARKETING, "nl_NL", "Marketing"), (roles.MARKETING, "de_DE", "Marketing"),
        (roles.SALES_MANAGER, "no_NO", "Sales North"), (roles.SALES_MANAGER, "nl_NL", "Sales Central"),
        (roles.SALES_REP, "fi_FI", "Sales North"), (roles.SALES_REP, "no_NO", "Sales North"),
        (roles.SALES_REP, "en_GB", "Sales North"), (roles.SALES_REP, "nl_NL", "Sales Central"),
        (roles.SALES_REP, "de_DE", "Sales Central"), (roles.SALES_REP, "en_US", "Sales Central"),
        (roles.TELEMARKETER, "nl_NL", "Telemarketing"), (roles.TELEMARKETER, "de_DE", "Telemarketing"),
    ]
    teams = {"Sales North": ("sales", True), "Sales Central": ("sales", False), "Marketing": ("marketing", True),
             "Telemarketing": ("telemarketing", False)}
    for name, (kind, shared) in teams.items():
        try:
            people_service.team_by_name(session, name)
        except NotFound:
            people_service.create_team(session, name=name, kind=kind, members_see_each_other=shared)
    by_role: dict[str, list[User]] = {role: [] for role in roles.ROLES}
    for role, locale, team in plan:
        fake = fakers[locale]
        first, last = fake.first_name(), fake.last_name()
        email = f"{_ascii(first)}.{_ascii(last)}@demo.leadflow.example"
        try:
            user = people_service.user_by_email(session, email)
            user.password_hash = hashed  # a resumed demo prints a new password: the first may not have been seen
        except NotFound:
            user = people_service.create_user(session, email=email, role=role, name=f"{first} {last}", team=team)
            user.password_hash = hashed
        by_role[role].append(user)
        report.users.append((user.email, role, team or "-"))
    managers = {"Sales North": by_role[roles.SALES_MANAGER][0], "Sales Central": by_role[roles.SALES_MANAGER][1],
                "Marketing": by_role[roles.MARKETING][0], "Telemarketing": by_role[roles.MARKETING][1]}
    for name, user in managers.items():
        people_service.team_by_name(session, name).manager_id = user.id
    session.flush()
    return by_role


def _ascii(text: str) -> str:
    return "".join(ch for ch in anyascii(text).lower() if ch.isalnum() or ch == "-") or "x"


# Companies --------------------------------------------------------------------------------------------------------

@dataclass
class Firm:
    name: str
    domain: str | None
    country: str
    weight: float


def _companies(session: Session, rng: random.Random, fakers: dict, report: Report) -> dict[str, list[Firm]]:
    """Groups with subsidiaries (some with a level below), and standalone firms that leads come from."""
    firms: dict[str, list[Firm]] = {country: [] for country in LOCALES.values()}
    by_country_locale = {country: locale for locale, country in LOCALES.items()}
    for base, industry, countries in GROUPS:
        slug = _ascii(base.split()[0])
        group = _company(session, values={
            "name": f"{base} Group", "domain": f"{slug}.com", "industry": industry, "country": countries[0],
            "employees": rng.randrange(2000, 40000), "revenue": Decimal(rng.randrange(300, 9000) * 1_000_000),
            "currency": "EUR", "city": fakers[by_country_locale[countries[0]]].city()})
        firms[countries[0]].append(Firm(group.name, group.domain, countries[0], 3))
        report.companies += 1
        for country in countries:
            fake = fakers[by_country_locale[country]]
            sub = _company(session, values={
                "name": f"{base} {LEGAL[country]}", "domain": f"{slug}.{TLD[country]}", "industry": industry,
                "country": country, "employees": rng.randrange(80, 3000), "city": fake.city(),
                "revenue": Decimal(rng.randrange(10, 600) * 1_000_000), "currency": "EUR", "parent_id": group.id})
            firms[country].append(Firm(sub.name, sub.domain, country, 4))
            report.companies += 1
            if rng.random() < 0.45:
                city = fake.city()
                branch = _company(session, values={
                    "name": f"{base} Service {city}", "domain": None, "industry": industry, "country": country,
                    "employees": rng.randrange(10, 200), "city": city, "currency": "EUR", "parent_id": sub.id})
                firms[country].append(Firm(branch.name, sub.domain, country, 1.5))
                report.companies += 1
    for locale, country in LOCALES.items():
        fake = fakers[locale]
        for _ in range(45):
            name = fake.company()
            domain = f"{_ascii(name.split()[0].strip(',.'))}{rng.randrange(10, 99)}.{TLD[country]}"
            firms[country].append(Firm(name, domain if rng.random() < 0.85 else None, country, 1))
    return firms


def _company(session: Session, *, values: dict) -> Company:
    """The demo's company of this name, written by a run that stopped midway, or a new one."""
    found = session.scalar(select(Company).where(Company.name == values["name"]).order_by(Company.id).limit(1))
    return found or leads_service.create_company(session, values=values)


# Campaigns, costs and forms ---------------------------------------------------------------------------------------

@dataclass
class Plan:
    id: int
    code: str
    capture_channel: str
    starts: datetime
    ends: datetime
    share: int


def _campaigns(session: Session, rng: random.Random, moment: datetime, report: Report) -> list[Plan]:
    plans = []
    today = moment.date()
    for (name, code, channel, capture_channel, source, medium, offer, months_ago, months, monthly,
         share) in CAMPAIGNS:
        starts = today - timedelta(days=30 * months_ago)
        ends = min(today, starts + timedelta(days=30 * months - 1))
        campaign = session.scalar(select(Campaign).where(Campaign.code == code, Campaign.name == name))
        found = campaign is not None
        try:
            campaign = campaign or campaigns_service.create(session, values={
                "name": name, "code": code, "channel": channel, "source": source, "medium": medium, "offer": offer,
                "starts_on": starts, "ends_on": ends, "budget": Decimal(monthly * months), "currency": "EUR"})
        except Conflict:
            code = f"{code}-{rng.randrange(1000, 9999)}"
            campaign = campaigns_service.create(session, values={
                "name": name, "code": code, "channel": channel, "source": source, "medium": medium, "offer": offer,
                "starts_on": starts, "ends_on": ends, "budget": Decimal(monthly * months), "currency": "EUR"})
        for month in range(months):
            spent_on = starts + timedelta(days=30 * month + rng.randrange(0, 20))
            if spent_on > today:
                break
            amount = Decimal(monthly) * Decimal(rng.uniform(0.8, 1.15))
            if found:  # its costs came with it
                continue
            campaigns_service.add_cost(session, campaign=campaign, spent_on=spent_on,
                                       amount=amount.quantize(Decimal("0.01")), currency="EUR",
                                       note="Stand, travel and printing" if channel == "trade_fair" else
                                       f"Invoice {spent_on:%B %Y}")
        start_at = datetime.combine(starts, datetime.min.time(), tzinfo=moment.tzinfo)
        end_at = min(moment, datetime.combine(ends, datetime.max.time(), tzinfo=moment.tzinfo))
        if channel == "trade_fair":  # most leads in the days of the fair and the week after
            end_at = min(moment, start_at + timedelta(days=10))
        plans.append(Plan(campaign.id, code, capture_channel, start_at, end_at, share))
        report.campaigns += 1
    return plans


def _forms(session: Session, campaigns: list[Plan]) -> list[str]:
    """Hosted forms at /f/{slug}: a brochure request (English and Dutch) and a webinar registration."""
    codes = {plan.code.split("-")[0] + "-" + plan.code.split("-")[1]: plan.code for plan in campaigns}
    definitions = [
        {"name": "Brochure request", "default_language": "en", "languages": ["nl"],
         "title": {"en": "Get the product brochure", "nl": "Vraag de productbrochure aan"},
         "submit_label": {"en": "Send me the brochure", "nl": "Stuur mij de brochure"},
         "campaign": codes.get("web-brochure"),
         "fields": [
             {"maps_to": "first_name", "required": True, "label": {"en": "First name", "nl": "Voornaam"}},
             {"maps_to": "last_name", "required": True, "label": {"en": "Last name", "nl": "Achternaam"}},
             {"maps_to": "email", "required": True, "label": {"en": "Work email", "nl": "Zakelijk e-mailadres"}},
             {"maps_to": "company", "label": {"en": "Company", "nl": "Bedrijf"}},
             {"maps_to": "job_title", "label": {"en": "Job title", "nl": "Functie"}},
             {"maps_to": "phone", "label": {"en": "Phone", "nl": "Telefoon"}}],
         "consents": [{"purpose": "newsletter", "text": {
             "en": "Send me the monthly newsletter on energy savings",
             "nl": "Stuur mij de maandelijkse nieuwsbrief over energiebesparing"}}]},
        {"name": "Webinar registration", "default_language": "en",
         "title": {"en": "Register for the webinar: heat pumps for installers"},
         "campaign": codes.get("webinar-heat"),
         "fields": [
             {"maps_to": "first_name", "required": True, "label": {"en": "First name"}},
             {"maps_to": "last_name", "required": True, "label": {"en": "Last name"}},
             {"maps_to": "email", "required": True, "label": {"en": "Email"}},
             {"maps_to": "company", "required": True, "label": {"en": "Company"}},
             {"maps_to": "country", "label": {"en": "Country"}}]},
    ]
    slugs = []
    for values in definitions:
        values = FormCreate.model_validate({k: v for k, v in values.items() if v is not None}).model_dump()
        found = session.scalar(select(Form).where(Form.name == values["name"]).order_by(Form.id).limit(1))
        slugs.append((found or form_service.create(session, values=values)).slug)
    return slugs


# Leads ------------------------------------------------------------------------------------------------------------

COLUMNS = ("first_name", "last_name", "email", "phone", "job_title", "company", "city", "postal_code", "country")


def _lead_rows(rng: random.Random, fakers: dict, firms: dict[str, list[Firm]], count: int) -> list[dict]:
    """People in six countries, most at a company (a fifth with a free-mail address); a few come twice."""
    locales, weights = zip(*LOCALE_WEIGHTS.items(), strict=True)
    titles, title_weights = zip(*TITLES, strict=True)
    seen: set[str] = set()
    rows = []
    for _ in range(count):
        locale = rng.choices(locales, weights)[0]
        country = LOCALES[locale]
        fake = fakers[locale]
        first, last = fake.first_name(), fake.last_name()
        pool = firms[country]
        firm = rng.choices(pool, [f.weight for f in pool])[0] if rng.random() < 0.9 else None
        domain = firm.domain if firm and firm.domain and rng.random() < 0.8 else FREE_MAIL[country]
        local = rng.choice((f"{_ascii(first)}.{_ascii(last)}", f"{_ascii(first)[0]}.{_ascii(last)}",
                            f"{_ascii(first)}{_ascii(last)[0]}"))
        email = f"{local}@{domain}"
        while email in seen:
            email = f"{local}{rng.randrange(2, 99)}@{domain}"
        seen.add(email)
        rows.append({"first_name": first, "last_name": last, "email": email,
                     "phone": fake.phone_number() if rng.random() < 0.7 else "",
                     "job_title": rng.choices(titles, title_weights)[0], "company": firm.name if firm else "",
                     "city": fake.city(), "postal_code": fake.postcode(), "country": country})
    return rows


def _import(factory: sessionmaker[Session], rows: list[dict], campaigns: list[Plan], report: Report,
            progress: Progress) -> None:
    """One import per campaign through the import pipeline: captures, matching, companies, timeline entries."""
    rng = random.Random(len(rows))
    batches: dict[int, list[dict]] = {p.id: [] for p in campaigns}
    for row in rows:
        plan = rng.choices(campaigns, [p.share for p in campaigns])[0]
        batches[plan.id].append(row)
    # The same person again through another campaign (merged on the email), and a few people known twice under
    # different addresses (left for the duplicate review).
    again = rng.sample(rows, k=max(2, len(rows) // 40))
    for row in again:
        batches[rng.choice(campaigns).id].append(dict(row, job_title=rng.choice(TITLES)[0]))
    for row in rng.sample(rows, k=max(2, len(rows) // 150)):
        if row["company"]:
            twin = dict(row, email=f"{_ascii(row['first_name'])}.{_ascii(row['last_name'])}"
                                   f"{rng.randrange(1, 99)}@{FREE_MAIL[row['country']]}")
            batches[campaigns[-1].id].append(twin)
    done = 0
    total = sum(len(b) for b in batches.values())
    for plan in campaigns:
        batch = batches[plan.id]
        if not batch:
            continue
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(batch)
        data = buffer.getvalue().encode()
        table = files.open_table(io.BytesIO(data), filename=f"{plan.code}.csv")
        with factory() as session:
            record = session.scalar(select(Import).where(Import.filename == f"{plan.code}.csv",
                                                         Import.campaign_id == plan.id).order_by(Import.id.desc())
                                    .limit(1))
            if record is not None and record.status == "done":  # a run that stopped later did this one
                report.captures += record.rows_done
                done += len(batch)
                continue
            if record is None:
                record = import_service.create(session, filename=f"{plan.code}.csv", channel=plan.capture_channel,
                                               campaign=plan.code)
                import_service.describe(session, record, table, sample_rows=0)
                record.size_bytes = len(data)
            if record.status == "running":  # its run stopped midway (a running one was refused above): take it over
                import_service.fail(session, record.id, "the demo run that ran it stopped")
            if not import_service.claim(session, record.id):
                raise Conflict(f"import {record.id} of the demo is running in another process")
            session.commit()
            import_id = record.id
        progress(f"capturing leads: {plan.code}", done, total)
        finished = import_service.run(factory, import_id, table)
        report.captures += finished.rows_done
        done += len(batch)
        progress(f"capturing leads: {plan.code}", done, total)


# Six months of work -----------------------------------------------------------------------------------------------

def _when(rng: random.Random, start: datetime, end: datetime) -> datetime:
    span = max((end - start).total_seconds(), 3600)
    moment = start + timedelta(seconds=rng.random() * span)
    return moment.replace(hour=rng.randrange(7, 19), minute=rng.randrange(60), second=rng.randrange(60),
                          microsecond=0)


SPREAD_CHUNK = 1000  # leads whose six months are written in one transaction


def _spread(factory: sessionmaker[Session], rng: random.Random, people: dict[str, list[User]],
            campaigns: list[Plan], moment: datetime, report: Report, progress: Progress, state: dict) -> None:
    """Dates, stages, owners and activities over the past six months, in bulk statements a chunk of leads at a
    time; each chunk's transaction records how far the spread got (a resumed run draws the same dice for the
    leads before it, and writes only the rest), the last one that the demo is finished."""
    by_id = {p.id: p for p in campaigns}
    with db.reading(factory)() as session:  # the demo's own leads: an import running beside it keeps its own
        leads = session.execute(select(Lead.id, Lead.campaign_id, Lead.country).where(
            Lead.merged_into_id.is_(None), Lead.campaign_id.in_(list(by_id))).order_by(Lead.id)).all()
    north = [u for u in people[roles.SALES_REP] if u.team_id == people[roles.SALES_MANAGER][0].team_id]
    central = [u for u in people[roles.SALES_REP] if u not in north]
    managers = people[roles.SALES_MANAGER]
    stages, stage_weights = zip(*STAGE_WEIGHTS, strict=True)
    calling: list[int] = []
    progress("six months of sales work", 0, len(leads))
    for start in range(0, len(leads), SPREAD_CHUNK):
        updates, captured, activities = [], [], []
        for lead_id, campaign_id, country in leads[start:start + SPREAD_CHUNK]:
            plan = by_id.get(campaign_id) or campaigns[0]
            created = _when(rng, plan.starts, plan.ends)
            if created > moment:
                created = moment - timedelta(minutes=rng.randrange(5, 600))
            age = (moment - created).days
            stage = rng.choices(stages, stage_weights)[0]
            if age < 7 and stage not in ("new", "mql"):
                stage = "new"
            reps = north if country in ("NO", "FI", "GB") else central
            owner = None
            if stage in ("sql", "opportunity", "customer", "recycled"):
                owner = rng.choice(reps + managers[:1] if rng.random() < 0.1 else reps).id
            elif stage in ("mql", "new") and rng.random() < 0.35:
                owner = rng.choice(reps).id
            elif stage == "nurture":
                owner = rng.choice(people[roles.MARKETING]).id
            if stage in ("new", "mql", "nurture") and owner is None and rng.random() < 0.3:
                calling.append(lead_id)
            updates.append({"id": lead_id, "created_at": created, "updated_at": created, "stage": stage,
                            "owner_id": owner})
            captured.append({"b_lead": lead_id, "b_at": created})
            activities.extend(_work(rng, lead_id, stage, owner, created, moment, people))
        report.activities += len(activities)
        if updates[-1]["id"] <= state["spread_after"]:
            continue  # written by the run that stopped midway
        with factory() as session:
            _write_spread(session, updates, captured, activities)
            state["spread_after"] = updates[-1]["id"]
            last = start + SPREAD_CHUNK >= len(leads)
            if last:
                _call_lists(session, people, calling)
                report.duplicates_in_review = _review_count(session)
                state["spread_done"] = True
            _keep_state(session, state)
            session.commit()
        progress("six months of sales work", start + len(updates), len(leads))
    if not leads:
        with factory() as session:
            _keep_state(session, {**state, "spread_done": True})
            session.commit()
    report.leads = len(leads)


def _write_spread(session: Session, updates: list[dict], captured: list[dict], activities: list[dict]) -> None:
    session.execute(update(Lead), updates)
    captures = Capture.__table__
    session.execute(update(captures).where(captures.c.lead_id == bindparam("b_lead"))
                    .values(received_at=bindparam("b_at")), captured)
    table = Activity.__table__
    session.execute(update(table).where(table.c.lead_id == bindparam("b_lead"),
                                 table.c.capture_id.is_not(None)).values(occurred_at=bindparam("b_at")), captured)
    for start in range(0, len(activities), 2000):
        session.execute(insert(table), activities[start:start + 2000])


def _call_lists(session: Session, people: dict[str, list[User]], calling: list[int]) -> None:
    callers = people[roles.TELEMARKETER]
    for index, caller in enumerate(callers):
        mine = calling[index::len(callers)][:150]
        if mine:
            listed = people_service.create_call_list(session, name="Follow-up calls this week", owner=caller)
            people_service.add_to_call_list(session, call_list=listed, lead_ids=mine)
    session.flush()


def _work(rng: random.Random, lead_id: int, stage: str, owner: int | None, created: datetime, moment: datetime,
          people: dict[str, list[User]]) -> list[dict]:
    """Calls, emails, meetings and notes after the lead came in: more of them the further it got."""
    count = {"new": (0, 1), "mql": (1, 3), "sql": (2, 4), "opportunity": (3, 6), "customer": (4, 8),
             "nurture": (1, 3), "disqualified": (1, 2), "recycled": (2, 4)}[stage]
    n = rng.randint(*count)
    if not n:
        return []
    actor_id = owner or rng.choice(people[roles.TELEMARKETER] + people[roles.MARKETING]).id
    kinds = ["call", "email", "note"] + (["meeting"] if stage in ("sql", "opportunity", "customer") else [])
    out = []
    for _ in range(n):
        kind = rng.choice(kinds)
        when = _when(rng, created + timedelta(hours=2), moment)
        if when > moment:
            when = moment
        text = {"call": CALL_NOTES, "email": EMAIL_NOTES, "meeting": MEETING_NOTES, "note": NOTE_NOTES}[kind]
        summary = rng.choice(text).format(q=rng.randint(1, 4), m=rng.randint(1, 9), n=rng.randint(2, 12),
                                          amount=rng.randrange(20, 400) * 100, c=rng.choice(COMPETITORS))
        out.append({"lead_id": lead_id, "kind": kind, "occurred_at": when, "actor": f"user:{actor_id}",
                    "summary": summary, "data": {"demo": True}})
    return out


def _review_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(PossibleDuplicate)) or 0


def command(
    leads: Annotated[int, typer.Option("--leads", help="how many people to capture", min=10, max=200_000)] = 3000,
    seed: Annotated[int | None, typer.Option("--seed", help="the same seed makes the same data")] = None,
    force: Annotated[bool, typer.Option("--force", help="add the demo data even if the database has leads")] = False,
) -> None:
    """Fill an empty database with a realistic company: people, teams, companies, campaigns, leads and their work."""
    import time

    from leadflow.console import open_db

    _, _, factory = open_db()
    err = Console(stderr=True, highlight=False)
    started = time.monotonic()

    def announce(report: Report) -> None:  # as soon as the users are committed: a later failure cannot hide them
        err.print("Sign in as any of these users (the password is shown only now):", markup=False)
        for email, role, team in report.users:
            err.print(f"  {email:<46} {role.replace('_', ' '):<14} {team}", markup=False)
        err.print(f"  password for all of them: {report.password}", markup=False)

    with Bar(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
             console=err, transient=True, disable=not err.is_terminal) as bar:
        task = bar.add_task("starting", total=None)

        def advance(step: str, done: int, total: int) -> None:
            bar.update(task, description=step, completed=done, total=total or None)

        try:
            report = run(factory, leads=leads, seed=seed, force=force, progress=advance, announce=announce)
        except Conflict as exc:  # the database has other leads, the demo is there, or one is running
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from None
        except Exception as exc:
            typer.echo(f"the demo stopped midway ({type(exc).__name__}: {exc}); run `leadflow demo` again to "
                       "finish it", err=True)
            raise typer.Exit(1) from None
    seconds = time.monotonic() - started
    typer.echo(f"Demo data in {seconds:.1f} s{' (resumed)' if report.resumed else ''}: {report.leads} leads "
               f"({report.captures} captures), {report.companies} companies in groups, {report.campaigns} campaigns "
               f"with costs, {report.activities} activities, {report.duplicates_in_review} possible duplicates to "
               f"review, forms {', '.join('/f/' + slug for slug in report.forms)}.", err=True)
    if report.story:
        bands = report.story.bands or {}
        typer.echo(f"{report.story.events} behaviour events; open leads {bands.get('hot', 0)} hot, "
                   f"{bands.get('warm', 0)} warm, {bands.get('cold', 0)} cold; {report.story.sales_ready} became "
                   f"Sales Ready; BANT answers for {report.story.bant_leads} leads.", err=True)
