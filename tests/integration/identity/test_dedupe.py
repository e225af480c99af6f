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


def test_dedupe_dry_run_changes_nothing_and_a_run_merges_the_sure_clusters(fresh_database, tmp_path):
    url = fresh_database.url
    db.upgrade(url)
    source = tmp_path / "fair.csv"
    with source.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["First Name", "Last Name", "Email", "Phone", "Company", "Street", "Postal Code", "City"])
        writer.writerows(ROWS)
    imported = run_cli(url, "import", str(source), "--channel", "trade_fair")
    assert imported.returncode == 0, imported.stderr
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
