"""Generated people with known truth for the identity benchmark: several locales, 1–4 damaged copies each, and hard
negatives (twins, father and son, colleagues, common names in one city). Seeded: the same set every run."""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass, replace
from datetime import date, timedelta

from faker import Faker

from leadflow.identity.normalize import PersonRecord

LOCALES = {"nl_NL": "NL", "no_NO": "NO", "fi_FI": "FI", "en_GB": "GB", "de_DE": "DE"}
LEGAL_FORMS = {"NL": ("B.V.", "BV", "N.V."), "NO": ("AS", "ASA"), "FI": ("Oy", "Oyj"), "GB": ("Ltd", "Limited", "plc"),
               "DE": ("GmbH", "AG")}
COUNTRY_CODES = {"NL": "31", "NO": "47", "FI": "358", "GB": "44", "DE": "49"}
MOBILE = {"NL": ("6", 8), "NO": ("9", 7), "FI": ("40", 7), "GB": ("77", 8), "DE": ("151", 8)}
LANDLINE = {"NL": ("20", 7), "NO": ("22", 6), "FI": ("9", 7), "GB": ("20", 8), "DE": ("30", 8)}
STREET_ABBREVIATIONS = (("straße", "str."), ("strasse", "str."), ("straat", "str."), ("gata", "gt."),
                        ("gate", "gt."), ("veien", "vn."), ("vei", "v."), ("katu", "k."), ("tie", "t."),
                        ("Street", "St"), ("Road", "Rd"), ("Avenue", "Ave"), ("Lane", "Ln"), ("Drive", "Dr"))
NICKNAMES = {"William": "Bill", "Robert": "Bob", "Elizabeth": "Liz", "Johannes": "Hans", "Margaret": "Peggy",
             "Richard": "Dick", "James": "Jim", "Thomas": "Tom", "Michael": "Mike", "Katherine": "Kate",
             "Alexander": "Alex", "Christopher": "Chris", "Cornelis": "Kees", "Pieter": "Piet", "Willem": "Wim",
             "Hendrik": "Henk", "Jacob": "Jaap", "Friedrich": "Fritz", "Heinrich": "Heinz", "Joseph": "Joe",
             "Daniel": "Dan", "Matthew": "Matt", "Andrew": "Andy", "Jennifer": "Jenny", "Susanne": "Sanne",
             "Nicolaas": "Klaas", "Stefan": "Steffen", "Antonius": "Toon", "Samuel": "Sam", "Benjamin": "Ben"}
FREE_MAIL = ("gmail.com", "hotmail.com", "outlook.com", "yahoo.com", "icloud.com", "gmx.de", "live.nl", "online.no")


@dataclass(frozen=True)
class Person:
    entity: int
    country: str
    first: str
    last: str
    birth: date
    email: str
    mobile: str           # digits after the country code
    landline: str
    company: str
    legal_form: str
    domain: str
    work_email: str
    company_phone: str
    street: str
    number: str
    postcode: str
    city: str
    generation: str = ""
    work_first: bool = False    # the address the person mostly gives


class People:
    def __init__(self, seed: int = 2026):
        self.random = random.Random(seed)
        self.fakers = {}
        for index, locale in enumerate(LOCALES):
            fake = Faker(locale)
            fake.seed_instance(seed + index)
            self.fakers[locale] = fake

    def digits(self, count: int) -> str:
        return "".join(self.random.choice("0123456789") for _ in range(count))

    def person(self, entity: int, locale: str | None = None) -> Person:
        r = self.random
        locale = locale or r.choice(list(LOCALES))
        fake, country = self.fakers[locale], LOCALES[locale]
        first = r.choice(list(NICKNAMES)) if r.random() < 0.15 else fake.first_name()
        last = fake.last_name()
        company_base = fake.last_name() if r.random() < 0.5 else fake.word().capitalize() + " " + r.choice(
            ("Systems", "Group", "Consulting", "Bouw", "Tech", "Partners", "Logistics", "Media"))
        domain = _ascii(company_base).lower().replace(" ", "").replace("'", "") + r.choice((".com", ".eu", ".net")) \
            if country == "GB" else _ascii(company_base).lower().replace(" ", "") + "." + country.lower()
        local = r.choice(("{f}.{l}", "{f}{l}", "{i}.{l}", "{f}_{l}{n}", "{f}{n}"))
        personal = local.format(f=_ascii(first).lower(), l=_ascii(last).lower().replace(" ", ""),
                                i=_ascii(first)[0].lower(), n=r.randint(1, 99)) + "@" + r.choice(FREE_MAIL)
        work = f"{_ascii(first).lower()}.{_ascii(last).lower().replace(' ', '')}@{domain}"
        prefix, n = MOBILE[country]
        landline_prefix, ln = LANDLINE[country]
        return Person(
            entity=entity, country=country, first=first, last=last,
            birth=date(1950, 1, 1) + timedelta(days=r.randint(0, 50 * 365)),
            email=personal.replace(" ", ""), mobile=prefix + self.digits(n), landline=landline_prefix + self.digits(ln),
            company=company_base, legal_form=r.choice(LEGAL_FORMS[country]), domain=domain, work_email=work,
            company_phone=landline_prefix + self.digits(ln), street=fake.street_name(),
            number=str(r.randint(1, 250)) + (r.choice("ab") if r.random() < 0.1 else ""),
            postcode=fake.postcode(), city=fake.city(), work_first=r.random() < 0.5,
        )

    def hard_negatives(self, person: Person, next_entity: int) -> list[Person]:
        """A person who shares much with `person` but is someone else."""
        r = self.random
        kind = r.choice(("twin", "father_son", "colleague", "common_name"))
        other = self.person(next_entity, _locale_of(person.country))
        if kind == "twin":
            first = other.first if other.first != person.first else other.first + "a"
            return [replace(person, entity=next_entity, first=first, email=other.email, mobile=other.mobile,
                            work_email=other.work_email, company=other.company, domain=other.domain,
                            company_phone=other.company_phone)]
        if kind == "father_son":
            return [replace(person, entity=next_entity, birth=person.birth - timedelta(days=r.randint(22, 40) * 365),
                            email=other.email, mobile=other.mobile, work_email=other.work_email,
                            company=other.company, domain=other.domain, company_phone=other.company_phone,
                            generation="Sr"),
                    ] if r.random() < 0.5 else [replace(person, entity=next_entity, email=other.email,
                                                        birth=person.birth + timedelta(days=r.randint(22, 40) * 365),
                                                        mobile=other.mobile, work_email=other.work_email,
                                                        company=other.company, domain=other.domain)]
        if kind == "colleague":
            work = f"{_ascii(other.first).lower()}.{_ascii(other.last).lower().replace(' ', '')}@{person.domain}"
            return [replace(other, company=person.company, legal_form=person.legal_form, domain=person.domain,
                            work_email=work, company_phone=person.company_phone)]
        return [replace(other, first=person.first, last=person.last, city=person.city)]

    def copies(self, person: Person, count: int) -> list[PersonRecord]:
        return [self.copy(person, index) for index in range(count)]

    def copy(self, person: Person, index: int) -> PersonRecord:
        r = self.random
        first, last = person.first, person.last
        if r.random() < 0.15 and first in NICKNAMES:
            first = NICKNAMES[first]
        if r.random() < 0.08:
            first = first[0] + "."
        if r.random() < 0.08:
            first = _typo(r, first)
        if r.random() < 0.08:
            last = _typo(r, last)
        if r.random() < 0.3:
            first, last = _ascii(first), _ascii(last)
        if person.generation and r.random() < 0.6:
            last = f"{last} {person.generation}"
        if r.random() < 0.05:
            first, last = last, first
        email = street = postcode = city = None
        phones: list[str] = []
        company = self.company(person) if r.random() < 0.6 else None
        if r.random() < 0.75:
            primary, other = (person.work_email, person.email) if person.work_first else (person.email, person.work_email)
            email = primary if r.random() < 0.85 else other
        if r.random() < 0.7:
            phones.append(self.phone(person.country, person.mobile if r.random() < 0.85 else person.company_phone))
        if r.random() < 0.5:
            street = self.street(person)
            postcode = person.postcode if r.random() < 0.5 else person.postcode.replace(" ", "")
        if r.random() < 0.6:
            city = person.city
        if email and r.random() < 0.2:
            email = email.upper() if r.random() < 0.5 else email.capitalize()
        if city and r.random() < 0.03:
            city = _typo(r, city)
        return PersonRecord(
            id=f"{person.entity}-{index}", first_name=first, last_name=last, email=email, phones=tuple(phones),
            company=company, street=street, postal_code=postcode, city=city, country=person.country,
            birth_date=person.birth if r.random() < 0.15 else None,
        )

    def phone(self, country: str, number: str) -> str:
        r = self.random
        code = COUNTRY_CODES[country]
        style = r.random()
        if style < 0.4:
            return "0" + number if country != "NO" else number
        if style < 0.7:
            return f"+{code} {number[:2]} {number[2:]}"
        if style < 0.85:
            return f"00{code}{number}"
        return f"+{code}{number}"

    def company(self, person: Person) -> str:
        return person.company if self.random.random() < 0.4 else f"{person.company} {person.legal_form}"

    def street(self, person: Person) -> str:
        street = person.street
        if self.random.random() < 0.4:
            for long, short in STREET_ABBREVIATIONS:
                if street.endswith(long):
                    street = street[: -len(long)] + short
                    break
        if person.country == "GB":
            return f"{person.number} {street}"
        return f"{street} {person.number}"


def generate(people: int = 4000, *, seed: int = 2026, negative_share: float = 0.06
             ) -> tuple[list[PersonRecord], dict[object, int]]:
    """Records and their truth (record id → entity)."""
    gen = People(seed)
    records: list[PersonRecord] = []
    truth: dict[object, int] = {}
    entity = 0
    while entity < people:
        person = gen.person(entity)
        entity += 1
        group = [person]
        if gen.random.random() < negative_share:
            for negative in gen.hard_negatives(person, entity):
                group.append(replace(negative, entity=entity))
                entity += 1
        for member in group:
            count = gen.random.choices((1, 2, 3, 4), weights=(35, 35, 20, 10))[0]
            for record in gen.copies(member, count):
                records.append(record)
                truth[record.id] = member.entity
    return records, truth


def _typo(r: random.Random, text: str) -> str:
    if len(text) < 4:
        return text
    i = r.randrange(1, len(text) - 1)
    kind = r.random()
    if kind < 0.33:
        return text[:i] + text[i + 1:]
    if kind < 0.66:
        return text[:i] + text[i + 1] + text[i] + text[i + 2:]
    return text[:i] + r.choice("aeioutnrsl") + text[i + 1:]


def _ascii(text: str) -> str:
    text = text.replace("ß", "ss").replace("ø", "o").replace("Ø", "O").replace("æ", "ae").replace("Æ", "Ae")
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def _locale_of(country: str) -> str:
    return next(locale for locale, c in LOCALES.items() if c == country)
