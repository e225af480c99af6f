"""Journeys' engine tests: a database of their own (passes commit per chunk, the worker's ticks), a clock the test
moves, leads and email templates made as the other stages make them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from leadflow import clock, db
from leadflow.email.models import EmailTemplate
from leadflow.journeys import service
from leadflow.journeys.models import JourneyRun, JourneyStep
from leadflow.leads.models import Lead

START = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)


class Clock:
    def __init__(self, at: datetime = START):
        self.at = at
        clock.set_clock(lambda: self.at)

    def forward(self, **span) -> datetime:
        self.at += timedelta(**span)
        return self.at


@dataclass
class World:
    url: str
    engine: object
    factory: object
    clock: Clock

    def session(self):
        return self.factory()

    def leads(self, n: int, prefix: str = "lead", **values) -> list[int]:
        with self.factory() as session:
            rows = [Lead(**{"email": f"{prefix}{i}@example.com", "first_name": f"Person{i}", "stage": "new",
                            "phone": f"+3584055{i:05d}", "created_at": clock.now(), "updated_at": clock.now(),
                            **values}) for i in range(n)]
            session.add_all(rows)
            session.commit()
            return [row.id for row in rows]

    def template(self, name: str = "Survey", purpose: str = "marketing") -> int:
        with self.factory() as session:
            row = EmailTemplate(name=name, subject="A short survey, {{ first_name | default('there') }}",
                                body_mjml="<mjml><mj-body><mj-section><mj-column><mj-text>Hi</mj-text>"
                                          "</mj-column></mj-section></mj-body></mjml>", purpose=purpose)
            session.add(row)
            session.commit()
            return row.id

    def journey(self, definition: dict, name: str = "Nurture", publish: bool = True) -> int:
        with self.factory() as session:
            journey = service.create(session=session, name=name, definition=definition, actor="tests")
            if publish:
                service.publish(journey, session=session, actor="tests")
            session.commit()
            return journey.id

    def enrol(self, journey_id: int, lead_ids: list[int], source: str = "by hand") -> dict:
        with self.factory() as session:
            db.begin_write(session)
            result = service.enrol(journey_id, lead_ids, session=session, source=source)
            session.commit()
            return result

    def steps(self, journey_id: int) -> list[tuple]:
        """(lead id, step id, visit, outcome, done) of every step row, in order."""
        with self.factory() as session:
            return [tuple(row) for row in session.execute(
                select(JourneyRun.lead_id, JourneyStep.step_id, JourneyStep.visit, JourneyStep.outcome,
                       JourneyStep.done_at.is_not(None))
                .join(JourneyRun, JourneyRun.id == JourneyStep.run_id)
                .where(JourneyStep.journey_id == journey_id).order_by(JourneyRun.lead_id, JourneyStep.id))]

    def runs(self, journey_id: int) -> dict[int, tuple]:
        """lead id -> (status, step id, end reason) of its latest run."""
        with self.factory() as session:
            found = {}
            for lead_id, status, step_id, reason in session.execute(
                    select(JourneyRun.lead_id, JourneyRun.status, JourneyRun.step_id, JourneyRun.end_reason)
                    .where(JourneyRun.journey_id == journey_id).order_by(JourneyRun.number)):
                found[lead_id] = (status, step_id, reason)
            return found

    def count(self, model, *where) -> int:
        with self.factory() as session:
            return session.scalar(select(func.count()).select_from(model).where(*where)) or 0


@pytest.fixture
def world(fresh_database):
    db.upgrade(fresh_database.url)
    engine = db.make_engine(fresh_database.url)
    the_clock = Clock()
    try:
        yield World(fresh_database.url, engine, db.make_sessionmaker(engine), the_clock)
    finally:
        clock.set_clock(None)
        engine.dispose()
