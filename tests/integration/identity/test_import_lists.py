"""`leadflow import` of a name-and-address list (bought lists, badge scans, registries: no email, no phone) with
known truth: the rows that are one person become one lead, a twin or a father at the same address never joins
them (their birth dates are read at intake too), the review queue stays under 5 % of the leads, and the same file
imported again changes no count."""

from __future__ import annotations

from collections import defaultdict
from itertools import combinations

from sqlalchemy import create_engine, text

from bench.identity_cli import write_list
from bench.name_lists import generate
from leadflow import db
from leadflow.identity.normalize import PersonRecord
from tests.integration.identity.test_dedupe_lists import TWIN_TRUTH, TWINS
from tests.integration.live import run_cli


def _records() -> tuple[list[PersonRecord], dict[str, object]]:
    records, truth = generate(140, seed=7)
    truth = {str(k): v for k, v in truth.items()}
    for rid, first, last, street, postal, city, birth in TWINS:
        records.append(PersonRecord(rid, first_name=first, last_name=last, street=street, postal_code=postal,
                                    city=city, country="NL", birth_date=birth))
        truth[rid] = TWIN_TRUTH[rid]
    return records, truth


def _lead_of(url: str) -> tuple[dict[str, int], int, int]:
    """(record id -> its surviving lead, open review pairs, surviving leads)."""
    engine = create_engine(db.normalize_url(url))
    with engine.connect() as conn:
        parent = dict(conn.execute(text("select id, merged_into_id from leads")).all())
        captured = conn.execute(text("select external_id, lead_id from captures where lead_id is not null")).all()
        queue = conn.execute(text("select count(*) from possible_duplicates where status = 'open'")).scalar()
    engine.dispose()

    def survivor(lead_id: int) -> int:
        while parent.get(lead_id) is not None:
            lead_id = parent[lead_id]
        return lead_id

    leads = sum(1 for survivor_id in parent.values() if survivor_id is None)
    return {rid: survivor(lead_id) for rid, lead_id in captured}, queue, leads


def test_an_imported_name_and_address_list_merges_only_true_duplicates_and_keeps_a_small_queue(fresh_database,
                                                                                               tmp_path):
    url = fresh_database.url
    db.upgrade(url)
    records, truth = _records()
    source = tmp_path / "list.csv"
    write_list(source, records)
    first = run_cli(url, "import", str(source), "--id-column", "record_id", "--channel", "lead_list")
    assert first.returncode == 0 and "0 rejected" in first.stderr, first.stderr
    lead_of, queue, leads = _lead_of(url)
    groups, people = defaultdict(list), defaultdict(list)
    for rid, lead_id in lead_of.items():
        groups[lead_id].append(rid)
        people[truth[rid]].append(rid)
    merged = {tuple(sorted(p)) for members in groups.values() for p in combinations(members, 2)}
    true_pairs = {tuple(sorted(p)) for members in people.values() for p in combinations(members, 2)}
    assert not merged - true_pairs, sorted(merged - true_pairs)[:5]        # no two people made one
    assert len(merged & true_pairs) / len(true_pairs) >= 0.8               # most duplicates found at intake
    assert len({lead_of["t-1"], lead_of["t-3"], lead_of["t-5"]}) == 3      # twins and their father apart
    assert queue < 0.05 * leads, (queue, leads)
    again = run_cli(url, "import", str(source), "--id-column", "record_id", "--channel", "lead_list")
    assert again.returncode == 0, again.stderr
    assert _lead_of(url)[2] == leads                                       # the same file again: no new lead
