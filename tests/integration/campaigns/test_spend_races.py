"""Ad spend imports committed for real: several clients importing the same report at once leave one cost per
campaign and period and one new campaign each (no duplicate, no failed request); the command line imports a report,
and with --dry-run shows the same summary and writes nothing."""

from __future__ import annotations

import threading
from collections import Counter

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from leadflow import db
from leadflow.app import create_app
from leadflow.campaigns.models import Campaign, CampaignCost, SpendImport
from leadflow.people import service as people_service
from tests.conftest import make_settings
from tests.integration.live import run_cli

CLIENTS = 4


def _api_key(factory) -> dict:
    with factory() as session:
        _, key = people_service.create_api_key(session=session, name="spend")
        session.commit()
    return {"Authorization": f"Bearer {key}"}


def _counts(factory) -> tuple[int, int, int]:
    with factory() as session:
        return (session.scalar(select(func.count()).select_from(Campaign)),
                session.scalar(select(func.count()).select_from(CampaignCost)),
                session.scalar(select(func.count()).select_from(SpendImport)))


def test_the_same_report_imported_by_several_clients_at_once_counts_once(fresh_database, shared_data):
    db.upgrade(fresh_database.url)
    engine = db.make_engine(fresh_database.url)
    factory = db.make_sessionmaker(engine)
    data = (shared_data / "clients" / "ad_spend" / "google_ads_campaign_report.csv").read_bytes()
    try:
        auth = _api_key(factory)
        answers: list = []
        with TestClient(create_app(make_settings(fresh_database.url)), raise_server_exceptions=False) as client:
            start = threading.Barrier(CLIENTS)

            def upload() -> None:
                start.wait(timeout=60)
                answers.append(client.post("/api/v1/campaigns/spend-imports", headers=auth,
                                           files={"file": ("google.csv", data, "text/csv")}))

            threads = [threading.Thread(target=upload) for _ in range(CLIENTS)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=300)
        assert [a.status_code for a in answers] == [201] * CLIENTS, [a.text for a in answers]
        created = Counter(row["platform_campaign"] for a in answers for row in a.json()["rows"] if row["created"])
        assert all(count == 1 for count in created.values()) and len(created) == 4  # each created by one client
        with factory() as session:
            per_key = Counter(session.scalars(select(CampaignCost.import_key)))
            amounts = sorted(str(a) for a in session.scalars(select(CampaignCost.amount)))
            names = Counter(session.scalars(select(Campaign.name)))
        assert len(per_key) == 4 and set(per_key.values()) == {1}
        assert amounts == ["1487.36", "266.02", "318.40", "902.15"]
        assert set(names.values()) == {1} and len(names) == 4
        assert _counts(factory) == (4, 4, CLIENTS)  # every upload kept
    finally:
        engine.dispose()


def test_the_command_line_imports_a_report_and_a_dry_run_writes_nothing(fresh_database, shared_data, tmp_path):
    url = fresh_database.url
    db.upgrade(url)
    engine = db.make_engine(url)
    factory = db.make_sessionmaker(engine)
    report = shared_data / "clients" / "ad_spend" / "linkedin_campaign_manager_export.csv"
    try:
        dry = run_cli(url, "campaigns", "import-spend", str(report), "--dry-run")
        assert dry.returncode == 0, dry.stderr
        assert "platform linkedin, period 2026-11-01 to 2026-11-30  (dry run: nothing written)" in dry.stdout
        assert "1204.55 EUR  Facility managers - Nordics - Lead Gen  (would be created)" in dry.stdout
        assert _counts(factory) == (0, 0, 0)

        done = run_cli(url, "campaigns", "import-spend", str(report))
        assert done.returncode == 0, done.stderr
        assert "(new campaign)" in done.stdout and "2 costs (1815.75 EUR), 0 skipped, 0 rejected" in done.stdout
        assert _counts(factory) == (2, 2, 1)

        again = run_cli(url, "campaigns", "import-spend", str(report), "--platform", "linkedin")
        assert again.returncode == 0, again.stderr
        assert "(linked by platform id)  replaces 1204.55" in again.stdout
        assert _counts(factory) == (2, 2, 2)

        wrong = tmp_path / "leads.csv"
        wrong.write_text("first_name,email\nAnna,a@example.com\n")
        refused = run_cli(url, "campaigns", "import-spend", str(wrong))
        assert refused.returncode == 1 and "error: file: no header row" in refused.stderr
        bad_platform = run_cli(url, "campaigns", "import-spend", str(report), "--platform", "tiktok")
        assert bad_platform.returncode == 1 and "error: platform: must be one of" in bad_platform.stderr
        assert _counts(factory) == (2, 2, 2)
    finally:
        engine.dispose()
