"""What scoring reads from the stages above it, never by naming their tables: tracking's scored event history and
qualification's current BANT answers.

The composition root hands the readers in with `provide(Sources(...))`. Until it does, they are the owning stages'
own functions (`tracking.queries`, `tracking.bulk`, `qualification.service`), looked up by name when first needed:
scoring sits below those stages and never imports them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from importlib import import_module


History = Callable[..., Iterator[tuple]]


@dataclass(frozen=True)
class Sources:
    """Each called with keywords only: history(session, lead_ids, low, high, property_types): (lead_id, event id,
    type, epoch seconds, properties JSON text) ordered by lead, time and id; history_by_range(session, low, high,
    property_types): the same for an id range, the bulk read; bant(session, lead_ids): {lead_id: {criterion: newest
    value}}; events_since(session, lead_ids, earliest): [(lead_id, type, occurred_at)]."""

    history: History
    history_by_range: Callable[..., Iterator[tuple]]
    bant: Callable[..., dict[int, dict[str, str | None]]]
    events_since: Callable[..., list[tuple]]


_provided: list[Sources] = []


def provide(sources: Sources | None) -> None:
    """The readers scoring uses from now on (None: the owners' own again)."""
    _provided[:] = [sources] if sources is not None else []


def current() -> Sources:
    return _provided[0] if _provided else _owners()


@cache
def _owners() -> Sources:
    tracking_queries = import_module("leadflow.tracking.queries")
    tracking_bulk = import_module("leadflow.tracking.bulk")
    qualification_service = import_module("leadflow.qualification.service")
    return Sources(history=tracking_queries.scored_history,
                   history_by_range=tracking_bulk.scored_history_by_range,
                   bant=qualification_service.bant_values,
                   events_since=tracking_queries.scored_events_since)
