"""The engine's statement budget (STYLE.md: an N+1 fails a test): a chunk of the benchmark's journey (send an email;
wait a week; branch on the open; add points or set a field; exit) runs in a fixed number of SQL statements, the
same for 100 rows as for 1,000, on both databases. The week's second half chains its four steps in one chunk."""

from __future__ import annotations

from contextlib import contextmanager

import pytest
from sqlalchemy import event, select, update

from leadflow.email.models import EmailMessage
from leadflow.journeys import engine
from leadflow.journeys.models import JourneyStep

# measured (SQLite | PostgreSQL) when set, in the comments; the budget allows a few more
FIRST_HALF = 12   # 10 | 9: claim, runs, definitions, the email's template, messages queued, rows done, next rows
SECOND_HALF = 22  # 19 | 18: a week's wait, the branch, points and the field, the exit: four steps in one chunk


def journey(template_id: int) -> dict:
    return {"entry": [{"kind": "manual"}], "reentry": {"mode": "never"}, "start": "mail",
            "steps": [{"id": "mail", "type": "send_email", "template_id": template_id, "next": "week"},
                      {"id": "week", "type": "wait", "duration": "P7D", "next": "opened"},
                      {"id": "opened", "type": "branch",
                       "branches": [{"when": {"happened": "opened", "step": "mail"}, "next": "points"}],
                       "else": "cold"},
                      {"id": "points", "type": "add_points", "points": 5, "reason": "opened it", "next": "end"},
                      {"id": "cold", "type": "set_field", "field": "custom.nurture", "value": "cold", "next": "end"},
                      {"id": "end", "type": "exit"}]}


@contextmanager
def statements(engine_):
    """The SQL statements the block sends (an executemany counts once: one round trip)."""
    seen: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    event.listen(engine_, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine_, "before_cursor_execute", record)


def one_chunk(world, size: int) -> list[str]:
    with statements(world.engine) as seen:
        assert engine.run_pass(world.factory, limit=size, max_chunks=1) == size
    return seen


def week_of(world, size: int, template_id: int) -> tuple[int, int]:
    """Statements of one chunk of `size` rows in each half of the week; every row done once."""
    leads = world.leads(size, prefix=f"budget{size}-")
    journey_id = world.journey(journey(template_id), name=f"Budget {size}")
    assert len(world.enrol(journey_id, leads)["entered"]) == size
    first = one_chunk(world, size)
    with world.factory() as session:  # a third opened, as tracking records an open on its message
        ids = session.scalars(select(EmailMessage.id).where(EmailMessage.lead_id.in_(leads))).all()
        session.execute(update(EmailMessage).where(EmailMessage.id.in_(ids[::3])).values(opened_at=world.clock.at))
        session.commit()
    world.clock.forward(days=7, seconds=1)
    second = one_chunk(world, size)
    steps = world.steps(journey_id)
    assert len(steps) == size * 5 and all(done for *_, done in steps)
    assert sum(1 for _, step, *_ in steps if step == "points") == len(ids[::3])
    assert world.runs(journey_id) == {lead: ("exited", "end", "exited") for lead in leads}
    assert world.count(JourneyStep, JourneyStep.done_at.is_(None)) == 0
    return len(first), len(second)


@pytest.mark.parametrize("size", [1000])
def test_a_chunk_runs_in_the_same_few_statements_whatever_its_size(world, size):
    template_id = world.template()
    small = week_of(world, 100, template_id)
    large = week_of(world, size, template_id)
    print(f"statements per chunk: 100 rows {small}, {size} rows {large}")
    assert large == small, (small, large)
    assert large[0] <= FIRST_HALF, large
    assert large[1] <= SECOND_HALF, large
