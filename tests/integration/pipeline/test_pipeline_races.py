"""The pipeline committed for real: several salespeople add the same new competitor at once (in other letters and
spacing) and it is made once, every mention kept; and the command line lists the stages, the forecast and exports
the opportunities and quotes."""

from __future__ import annotations

import csv
import io
import threading

from sqlalchemy import func, select

from leadflow import clock, db
from leadflow.leads import service as leads_service
from leadflow.leads.models import Lead
from leadflow.people.service import SYSTEM
from leadflow.pipeline import service
from leadflow.errors import Invalid
from leadflow.outbox import OutboxMessage
from leadflow.pipeline.models import Competitor, CompetitorMention, Opportunity
from tests.integration.live import run_cli

CLIENTS = 8
NAMES = ("Nova Ltd", "nova ltd", "NOVA  LTD", " Nova Ltd ")


def _leads(factory, count: int) -> list[int]:
    with factory() as session:
        moment = clock.now()
        rows = [{"first_name": f"L{i}", "country": "FI", "stage": "sql", "custom_fields": {}, "manual_fields": [],
                 "other_emails": [], "other_phones": [], "first_touch": {}, "last_touch": {},
                 "do_not_contact": False, "created_at": moment, "updated_at": moment} for i in range(count)]
        ids = leads_service.insert_with_ids(Lead.__table__, rows, session=session)
        session.commit()
    return ids


def test_the_same_new_competitor_added_at_once_by_many_is_made_once(fresh_database):
    db.upgrade(fresh_database.url)
    engine = db.make_engine(fresh_database.url)
    factory = db.make_sessionmaker(engine)
    try:
        lead_ids = _leads(factory, CLIENTS)
        start = threading.Barrier(CLIENTS)
        failures: list[BaseException] = []

        def add(index: int) -> None:
            try:
                start.wait(timeout=60)  # before the transaction: on SQLite a writing one holds the lock
                with factory() as session:
                    lead = session.get(Lead, lead_ids[index])
                    service.note_competitor(session=session, actor=SYSTEM, lead=lead, name=NAMES[index % len(NAMES)])
                    session.commit()
            except BaseException as exc:  # noqa: BLE001  (reported below, with the thread's exception)
                failures.append(exc)

        threads = [threading.Thread(target=add, args=(i,)) for i in range(CLIENTS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert failures == []
        with factory() as session:
            competitors = list(session.scalars(select(Competitor)))
            assert [c.name_key for c in competitors] == ["nova ltd"]
            mentions = session.scalar(select(func.count()).select_from(CompetitorMention).where(
                CompetitorMention.competitor_id == competitors[0].id))
            assert mentions == CLIENTS
    finally:
        engine.dispose()


def test_one_opportunity_marked_won_by_two_at_once_is_won_once(fresh_database):
    db.upgrade(fresh_database.url)
    engine = db.make_engine(fresh_database.url)
    factory = db.make_sessionmaker(engine)
    try:
        (lead_id,) = _leads(factory, 1)
        with factory() as session:
            opportunity_id = service.create(session=session, actor=SYSTEM, lead=session.get(Lead, lead_id),
                                            values={"name": "Contested", "value": "100"}).id
            session.commit()
        start = threading.Barrier(2)
        outcomes: list[str] = []

        def win(reason: str) -> None:
            start.wait(timeout=60)
            with factory() as session:
                # as the API does: read it (the visibility check), then lock it and decide
                session.get(Opportunity, opportunity_id)
                row = service.lock(opportunity_id, session=session)
                try:
                    service.won(row, session=session, actor=SYSTEM, reason=reason)
                except Invalid as exc:
                    outcomes.append(exc.errors[0].reason)
                    return
                session.commit()
                outcomes.append("won")

        threads = [threading.Thread(target=win, args=(r,)) for r in ("price", "relationship")]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(outcomes)[-1] == "won" and outcomes.count("won") == 1, outcomes
        with factory() as session:
            assert session.scalar(select(func.count()).select_from(OutboxMessage).where(
                OutboxMessage.topic == "opportunity.won")) == 1
            assert session.scalar(select(Lead.stage).where(Lead.id == lead_id)) == "customer"
    finally:
        engine.dispose()


def test_the_command_line_lists_stages_forecasts_and_exports(fresh_database, tmp_path):
    db.upgrade(fresh_database.url)
    engine = db.make_engine(fresh_database.url)
    factory = db.make_sessionmaker(engine)
    try:
        (lead_id,) = _leads(factory, 1)
        with factory() as session:
            lead = session.get(Lead, lead_id)
            opportunity = service.create(session=session, actor=SYSTEM, lead=lead,
                                         values={"name": "Big one", "value": "8000", "currency": "USD",
                                                 "expected_close": "2026-07-15", "stage": "negotiation"})
            service.create_quote(session=session, actor=SYSTEM, lead=lead,
                                 values={"amount": "7900", "currency": "USD", "opportunity_id": opportunity.id})
            session.commit()
    finally:
        engine.dispose()
    url = fresh_database.url
    stages = run_cli(url, "pipeline", "stages")
    assert stages.returncode == 0, stages.stderr
    assert [line.split()[0] for line in stages.stdout.splitlines()] == [
        "qualification", "needs_analysis", "proposal", "negotiation", "won", "lost"]
    forecast = run_cli(url, "pipeline", "forecast", "--by", "month")
    assert forecast.returncode == 0, forecast.stderr
    assert any(line.split()[:6] == ["2026-07", "USD", "1", "8,000.00", "6,000.00", "0.00"]
               for line in forecast.stdout.splitlines()), forecast.stdout
    assert run_cli(url, "pipeline", "forecast", "--by", "planet").returncode == 2
    out = tmp_path / "opportunities.csv"
    exported = run_cli(url, "export", "opportunities", str(out))
    assert exported.returncode == 0, exported.stderr
    (row,) = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert (row["name"], row["value"], row["currency"], row["weighted_value"]) == ("Big one", "8000.00", "USD",
                                                                                   "6000.00")
    quotes = tmp_path / "quotes.csv"
    assert run_cli(url, "export", "quotes", str(quotes)).returncode == 0
    (quote,) = list(csv.DictReader(io.StringIO(quotes.read_text(encoding="utf-8"))))
    assert (quote["amount"], quote["status"]) == ("7900.00", "draft")
