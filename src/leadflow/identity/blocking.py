"""Blocking: a handful of short, stable keys per prepared record, so a record is compared only with the records
that share a key with it (near-linear cost), and the in-memory pairing the benchmark and batch runs use.

Pure: no database, no HTTP, no clock.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator

from leadflow.identity.normalize import Prepared, phonetic

# A key held by more records than this finds no one in particular (a city's most common name, a switchboard
# number, info@ at a large firm): the key is skipped for that query.
MAX_BLOCK = 100
MAX_KEY_LENGTH = 120


def keys(p: Prepared) -> set[str]:
    """Each key is 'kind:value', lower-case ASCII, at most MAX_KEY_LENGTH characters: it goes into an index."""
    found: set[str] = set()
    add = found.add
    if p.email:
        add("em:" + p.email)
        if not p.email_role and len(p.email_local_bare) >= 5:
            add("el:" + p.email_local_bare)   # the same person at another domain: j.smith@acme.nl, jsmith@gmail.com
    for other in p.other_emails:
        add("em:" + other)
    for phone in p.phones:
        add("ph:" + phone)
    first_letters = {p.first_initials[:1]} | {name[:1] for name in p.first_canon}
    first_letters.discard("")
    last_initial = p.last_core[:1]
    if p.last_phonetic:
        for letter in first_letters:
            add(f"nm:{p.last_phonetic}|{letter}")
    if p.first_phonetic and last_initial:
        add(f"nm:{p.first_phonetic}|{last_initial}")   # first and last name swapped: the same key kind
    location = p.postal_code or p.city
    if location:
        for name in p.first_canon:
            add(f"fl:{name}|{location}")
        if p.last_core:
            add(f"ll:{p.last_core[:4]}|{location}")
        if p.first_tokens and not p.first_is_initials and p.last_tokens:
            add(f"ll:{p.first_tokens[0][:4]}|{location}")   # swapped
    if p.company:
        if p.last_phonetic:
            add(f"cl:{p.company}|{p.last_phonetic}")
        if not p.first and not p.last:
            add("co:" + p.company)          # an organisation record
            tokens = p.company.split()
            if len(tokens) > 1:
                add(f"cp:{tokens[0]}|{phonetic(tokens[1])}|{location}")
                if location:
                    add(f"cp:{tokens[0]}|{phonetic(tokens[1])}|")   # one record without a place
    if p.company_domain and not p.first and not p.last:
        add("cd:" + p.company_domain)
    if p.street and p.house_number:
        add(f"ad:{p.street}|{p.house_number}|{p.postal_code[:3] or p.city}")
        number = "".join(c for c in p.house_number if c.isdigit())
        add(f"as:{p.street_core}|{number}")   # "4747 S Bishop St" ~ "4747 S. Bishop", also without a place
    if location and p.last_phonetic:
        add(f"lp:{p.last_phonetic}|{location}")   # a typo in the first letters, or no first name
    if p.birth_date:
        for letter in first_letters:
            add(f"bd:{p.birth_date}|{letter}")
        if last_initial:
            add(f"bd:{p.birth_date}|{last_initial}")
        if location:
            add(f"bl:{p.birth_date}|{location}")
    return {key[:MAX_KEY_LENGTH] for key in found}


def candidate_pairs(records: Iterable[Prepared], *, max_block: int = MAX_BLOCK) -> Iterator[tuple[int, int]]:
    """Pairs (i, j), i < j, of positions in records that share a key of at most max_block records; each once.

    The database side does the same with an indexed key table: look up a record's keys, drop keys counted over
    max_block, and compare with the records the rest name.
    """
    blocks: dict[str, list[int]] = defaultdict(list)
    for index, record in enumerate(records):
        for key in keys(record):
            blocks[key].append(index)
    seen: set[tuple[int, int]] = set()
    for members in blocks.values():
        if len(members) < 2 or len(members) > max_block:
            continue
        for x, i in enumerate(members):
            for j in members[x + 1:]:
                pair = (i, j) if i < j else (j, i)
                if pair not in seen:
                    seen.add(pair)
                    yield pair
