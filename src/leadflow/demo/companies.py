"""The demo's companies: groups with subsidiaries across six countries, each with its domain.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from leadflow.demo.people import ascii_name
from leadflow.demo.progress import Report
from leadflow.leads import service as leads_service
from leadflow.leads.models import Company


LOCALES = {"nl_NL": "NL", "no_NO": "NO", "fi_FI": "FI", "en_GB": "GB", "de_DE": "DE", "en_US": "US"}


LEGAL = {"NL": "B.V.", "NO": "AS", "FI": "Oy", "GB": "Ltd", "DE": "GmbH", "US": "Inc."}
TLD = {"NL": "nl", "NO": "no", "FI": "fi", "GB": "co.uk", "DE": "de", "US": "com"}


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


@dataclass
class Firm:
    name: str
    domain: str | None
    country: str
    weight: float


def found_companies(session: Session, rng: random.Random, fakers: dict, report: Report) -> dict[str, list[Firm]]:
    """Groups with subsidiaries (some with a level below), and standalone firms that leads come from."""
    firms: dict[str, list[Firm]] = {country: [] for country in LOCALES.values()}
    by_country_locale = {country: locale for locale, country in LOCALES.items()}
    for base, industry, countries in GROUPS:
        slug = ascii_name(base.split()[0])
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
            domain = f"{ascii_name(name.split()[0].strip(',.'))}{rng.randrange(10, 99)}.{TLD[country]}"
            firms[country].append(Firm(name, domain if rng.random() < 0.85 else None, country, 1))
    return firms


def _company(session: Session, *, values: dict) -> Company:
    """The demo's company of this name, written by a run that stopped midway, or a new one."""
    found = session.scalar(select(Company).where(Company.name == values["name"]).order_by(Company.id).limit(1))
    return found or leads_service.create_company(session=session, values=values)
