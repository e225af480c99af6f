"""What scoring reads from the stages above it, never by naming their tables: tracking's scored event history and
qualification's current BANT answers.

The composition root (`leadflow.stages.wire()`) hands in the readers those stages declare as hooks
(`scored_history`, `scored_history_by_range`, `scored_events_since`: tracking's; `bant_values`: qualification's) with
`provide(Sources(...))`: scoring sits below those stages and never imports them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from leadflow.provided import Provided

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


_provided: Provided[Sources] = Provided("scoring")
provide = _provided.provide  # (None: none until the next assembly)
current = _provided.current

