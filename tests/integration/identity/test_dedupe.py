"""`leadflow dedupe` over a database holding duplicates from an import: dry run changes nothing; a run merges."""

from __future__ import annotations

import csv

from sqlalchemy import create_engine, text

from leadflow import db
from tests.integration.live import run_cli

ROWS = [
    ("Søren", "Østergaard", "soren@ostergaard.dk", "", "Østergaard ApS", "Vestergade 12", "8000", "Aarhus"),
    ("Soren", "Ostergard", "", "", "Ostergaard", "Vesterg. 12", "8000", "Aarhus"),
    ("Johannes", "de Vries", "jdevries@bouwbedrijf.nl", "", "De Vries Bouw B.V.", "Kerkstraat 12", "3511 LK",
     "Utrecht"),
    ("J.", "de Vries", "", "", "De Vries Bouw", "Kerkstr. 12", "3511LK", "Utrecht"),
    ("Emma", "Bakker", "emma.bakker@gmail.com", "", "", "Dorpsweg 3", "1234 AB", "Zaandam"),
    ("Lotte", "Bakker", "lotte.bakker@gmail.com", "", "", "Dorpsweg 3", "1234 AB", "Zaandam"),
]


def surviving(url: str) -> int:
    engine = create_engine(db.normalize_url(url))
    with engine.connect() as conn:
        count = conn.execute(text("select count(*) from leads where merged_into_id is null")).scalar()
    engine.dispose()
    return count


def _write_csv(path, rows):
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["First Name", "Last Name", "Email", "Phone", "Company", "Street", "Postal Code", "City"])
        writer.writerows(rows)


def test_an_import_matches_duplicates_within_the_file_and_against_the_database(fresh_database, tmp_path):
    url = fresh_database.url
    db.upgrade(url)
    first, second = tmp_path / "first.csv", tmp_path / "second.csv"
    _write_csv(first, [ROWS[0], ROWS[1], ROWS[4], ROWS[5]])
    _write_csv(second, [ROWS[2], ROWS[3]])
    assert run_cli(url, "import", str(first)).returncode == 0
    assert surviving(url) == 3  # Søren twice in one file is one lead; the Bakker twins stay two
    assert run_cli(url, "import", str(second)).returncode == 0
    assert surviving(url) == 4
    row = ("Johannes", "de Vries", "", "", "De Vries Bouw", "Kerkstraat 12", "3511 LK", "Utrecht")
    third = tmp_path / "third.csv"
    _write_csv(third, [row, row])  # the second finds the lead the first one merged into
    done = run_cli(url, "import", str(third))
    assert done.returncode == 0, done.stderr
    assert surviving(url) == 4  # against the database, on a later day


def _legacy_leads(url: str) -> None:
    """Leads as a database from before the matcher holds them: no blocking keys yet."""
    from datetime import UTC, datetime

    engine = create_engine(db.normalize_url(url))
    moment = datetime(2026, 1, 1, tzinfo=UTC)
    with engine.begin() as conn:
        for first, last, email, phone, company, street, postal, city in ROWS:
            conn.execute(text(
                "insert into leads (first_name, last_name, email, company, street, postal_code, city, custom_fields,"
                " stage, do_not_contact, manual_fields, first_touch, last_touch, created_at, updated_at) values"
                " (:f, :l, :e, :c, :s, :p, :city, '{}', 'new', false, '[]', '{}', '{}', :m, :m)"),
                {"f": first, "l": last, "e": email or None, "c": company or None, "s": street, "p": postal,
                 "city": city, "m": moment})
    engine.dispose()


def test_dedupe_dry_run_changes_nothing_and_a_run_merges_the_sure_clusters(fresh_database):
    url = fresh_database.url
    db.upgrade(url)
    _legacy_leads(url)
    before = surviving(url)
    assert before == 6
    dry = run_cli(url, "dedupe", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "dry run: nothing changed" in dry.stderr
    assert "would merge" in dry.stdout
    assert surviving(url) == before

    real = run_cli(url, "dedupe")
    assert real.returncode == 0, real.stderr
    after = surviving(url)
    assert after == before - 2
    engine = create_engine(db.normalize_url(url))
    with engine.connect() as conn:
        names = {row[0] for row in conn.execute(text(
            "select first_name from leads where merged_into_id is null and last_name = 'Bakker'"))}
        merges = conn.execute(text("select count(*) from lead_merges where automatic")).scalar()
    engine.dispose()
    assert names == {"Emma", "Lotte"}
    assert merges == before - after
    again = run_cli(url, "dedupe")
    assert again.returncode == 0 and surviving(url) == after
