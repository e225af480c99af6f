"""Generated name-and-address lists with known truth, as bought lists, badge scans and registries are: people with
a name, a birth date and a postal address only (NL, NO, FI, SE, DK, DE, GB), each given 1–6 times with the slips
such lists carry, beside people who look alike but are someone else. Seeded: the same list every run.

Slips: typos (keyboard neighbours, OCR confusions, a letter dropped or doubled, two swapped), nicknames
(Bill/William, Hans/Johannes, Kees/Cornelis), an initial for the first name, first and last name swapped, day and
month of the birth date swapped, one digit off, missing fields, street words abbreviated, a house that moved (new
address, same birth date). Look-alikes: twins (same surname, address and birth date, another first name), household
members (same surname and address), namesakes in one town (same name, another birth date), father and son.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from datetime import date, timedelta

from faker import Faker

from leadflow.identity.normalize import PersonRecord

from bench.people import STREET_ABBREVIATIONS, _ascii

LOCALES = {"nl_NL": "NL", "no_NO": "NO", "fi_FI": "FI", "sv_SE": "SE", "da_DK": "DK", "de_DE": "DE", "en_GB": "GB"}
# Formal names with the short forms people write on a form; a share of people get one of these names.
NICKNAMES = {
    "William": ("Bill", "Will"), "Robert": ("Bob", "Rob"), "Elizabeth": ("Liz", "Betty"), "Margaret": ("Peggy",),
    "Richard": ("Dick", "Rick"), "James": ("Jim",), "Thomas": ("Tom",), "Michael": ("Mike",),
    "Katherine": ("Kate", "Kathy"), "Alexander": ("Alex", "Sascha"), "Christopher": ("Chris",),
    "Johannes": ("Hans", "Jan"), "Cornelis": ("Kees", "Cor"), "Pieter": ("Piet",), "Willem": ("Wim",),
    "Hendrik": ("Henk",), "Jacob": ("Jaap", "Koos"), "Nicolaas": ("Klaas",), "Gerard": ("Gert",),
    "Friedrich": ("Fritz",), "Heinrich": ("Heinz",), "Josef": ("Sepp",), "Ulrich": ("Uli",),
    "Elisabeth": ("Lisa", "Liesbeth"), "Maria": ("Mia", "Ria"), "Katharina": ("Katja", "Karin"),
    "Susanne": ("Sanne",), "Antonius": ("Toon", "Anton"), "Stefan": ("Steffen",), "Sebastian": ("Basti",),
    "Lars": ("Lasse",), "Karl": ("Kalle",), "Olav": ("Ole", "Ola"), "Peter": ("Per",), "Mikael": ("Mikko", "Mika"),
    "Kristina": ("Stina",), "Matteus": ("Mats",), "Joseph": ("Joe",), "Daniel": ("Dan",), "Andrew": ("Andy",),
    "Jennifer": ("Jenny",), "Samuel": ("Sam",), "Benjamin": ("Ben",),
}
# Keys next to each other (a slip of a finger) and shapes a scanner reads for one another.
KEYBOARD = {c: n for row in ("qwertyuiop", "asdfghjkl", "zxcvbnm") for c, n in
            ((row[i], row[max(i - 1, 0)] + row[min(i + 1, len(row) - 1)]) for i in range(len(row)))}
OCR = (("rn", "m"), ("m", "rn"), ("cl", "d"), ("l", "1"), ("o", "0"), ("e", "c"), ("i", "l"), ("u", "v"), ("h", "b"))


@dataclass(frozen=True)
class Resident:
    entity: int
    country: str
    first: str
    last: str
    birth: date
    street: str
    number: str
    postcode: str
    city: str
    generation: str = ""
    moved: tuple[str, str, str, str] | None = None   # an earlier address: street, number, postcode, city


class Lists:
    def __init__(self, seed: int):
        self.random = random.Random(seed)
        self.fakers = {}
        for index, locale in enumerate(LOCALES):
            fake = Faker(locale)
            fake.seed_instance(seed + index)
            self.fakers[locale] = fake

    def address(self, locale: str) -> tuple[str, str, str, str]:
        fake = self.fakers[locale]
        number = str(self.random.randint(1, 180)) + (self.random.choice("abc") if self.random.random() < 0.08 else "")
        return fake.street_name(), number, fake.postcode(), fake.city()

    def resident(self, entity: int, locale: str | None = None) -> Resident:
        r = self.random
        locale = locale or r.choice(list(LOCALES))
        fake = self.fakers[locale]
        female = r.random() < 0.5
        first = r.choice(list(NICKNAMES)) if r.random() < 0.2 else (
            fake.first_name_female() if female else fake.first_name_male())
        street, number, postcode, city = self.address(locale)
        return Resident(entity=entity, country=LOCALES[locale], first=first, last=fake.last_name(),
                        birth=date(1935, 1, 1) + timedelta(days=r.randint(0, 70 * 365)), street=street,
                        number=number, postcode=postcode, city=city,
                        moved=self.address(locale) if r.random() < 0.15 else None)

    def look_alikes(self, person: Resident, next_entity: int) -> list[Resident]:
        """Someone else who shares much with `person`: the pairs a list must never merge."""
        r = self.random
        locale = next(loc for loc, c in LOCALES.items() if c == person.country)
        other = self.resident(next_entity, locale)
        while other.first[:2] == person.first[:2]:
            other = self.resident(next_entity, locale)
        kind = r.choice(("twin", "household", "household", "namesake", "father_son"))
        first = other.first
        if kind == "twin":
            return [replace(person, entity=next_entity, first=first, moved=None)]
        if kind == "household":
            return [replace(person, entity=next_entity, first=first, birth=other.birth, moved=None)]
        if kind == "namesake":
            return [replace(other, first=person.first, last=person.last, city=person.city)]
        older = person.birth - timedelta(days=r.randint(22, 40) * 365)
        return [replace(person, entity=next_entity, birth=older, generation="Sr", moved=None)]

    def copy(self, person: Resident, index: int) -> PersonRecord:
        r = self.random
        first, last = person.first, person.last
        if first in NICKNAMES and r.random() < 0.25:
            first = r.choice(NICKNAMES[first])
        if r.random() < 0.04:
            first = first[0] + "."
        if r.random() < 0.10:
            first = slip(r, first)
        if r.random() < 0.10:
            last = slip(r, last)
        if r.random() < 0.3:
            first, last = _ascii(first), _ascii(last)
        if r.random() < 0.08:
            first, last = first.upper(), last.upper()
        if person.generation and r.random() < 0.5:
            last = f"{last} {person.generation}"
        if r.random() < 0.05:
            first, last = last, first
        street, number, postcode, city = person.street, person.number, person.postcode, person.city
        if person.moved and r.random() < 0.5:
            street, number, postcode, city = person.moved
        if r.random() < 0.3:
            for long, short in STREET_ABBREVIATIONS:
                if street.endswith(long):
                    street = street[: -len(long)] + short
                    break
        if r.random() < 0.05:
            street = slip(r, street)
        gap = r.random()
        if gap < 0.08:
            street = number = None
        elif gap < 0.12:
            number = None
        elif gap < 0.20:
            postcode = None
        elif gap < 0.28:
            city = None
        if postcode and r.random() < 0.4:
            postcode = postcode.replace(" ", "")
        if postcode and r.random() < 0.03:
            postcode = slip(r, postcode)
        if city and r.random() < 0.04:
            city = slip(r, city)
        return PersonRecord(
            id=f"{person.entity}-{index}", first_name=first, last_name=last,
            street=(f"{number} {street}" if person.country == "GB" else f"{street} {number}") if street and number
            else street, postal_code=postcode, city=city, country=person.country,
            birth_date=self.birth(person.birth),
        )

    def birth(self, born: date) -> str | None:
        r = self.random
        slip_ = r.random()
        if slip_ < 0.12:
            return None
        year, month, day = born.year, born.month, born.day
        if slip_ < 0.16 and day <= 12 and day != month:
            month, day = day, month
        elif slip_ < 0.21:
            digits = list(f"{year:04d}{month:02d}{day:02d}")
            position = r.choice((2, 3, 7))
            digits[position] = r.choice([d for d in "0123456789" if d != digits[position]])
            text = "".join(digits)
            year, month, day = int(text[:4]), int(text[4:6]), int(text[6:])
            if not (1 <= month <= 12 and 1 <= day <= 28):
                year, month, day = born.year, born.month, born.day
        elif slip_ < 0.23:
            year += r.choice((-1, 1))
        return f"{year:04d}-{month:02d}-{day:02d}"


def slip(r: random.Random, text: str) -> str:
    """One slip of a typist or a scanner: a neighbouring key, a scanner's confusion, a letter dropped, doubled
    or two swapped."""
    if len(text) < 3:
        return text
    i = r.randrange(1, len(text) - 1)
    kind = r.random()
    if kind < 0.3 and text[i].lower() in KEYBOARD:
        return text[:i] + r.choice(KEYBOARD[text[i].lower()]) + text[i + 1:]
    if kind < 0.45:
        for seen, read in OCR:
            at = text.find(seen, 1)
            if at > 0:
                return text[:at] + read + text[at + len(seen):]
    if kind < 0.65:
        return text[:i] + text[i + 1:]
    if kind < 0.8:
        return text[:i] + text[i] + text[i:]
    return text[:i] + text[i + 1] + text[i] + text[i + 2:]


def generate(people: int = 2500, *, seed: int = 50, look_alike_share: float = 0.1
             ) -> tuple[list[PersonRecord], dict[object, int]]:
    """Records and their truth (record id -> person). About two records a person."""
    lists = Lists(seed)
    records: list[PersonRecord] = []
    truth: dict[object, int] = {}
    entity = 0
    while entity < people:
        person = lists.resident(entity)
        entity += 1
        group = [person]
        if lists.random.random() < look_alike_share:
            group += lists.look_alikes(person, entity)
            entity += 1
        for member in group:
            count = lists.random.choices((1, 2, 3, 4, 5, 6), weights=(35, 30, 18, 9, 5, 3))[0]
            for index in range(count):
                record = lists.copy(member, index)
                records.append(record)
                truth[record.id] = member.entity
    order = list(range(len(records)))
    lists.random.shuffle(order)
    return [records[i] for i in order], truth
