"""What tracking reads from the stages above it, never by naming their tables: capture's forms (their allowed
origins decide which pages may send beacons).

The composition root (`leadflow.stages.wire()`) hands the reader capture declares (its `form_origins` hook) in with
`provide(Sources(...))`: tracking sits below capture and never imports it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from leadflow.provided import Provided


@dataclass(frozen=True)
class Sources:
    """form_origins(*, session): each active form's list of allowed origins (called with keywords)."""

    form_origins: Callable[[Session], Iterable[list | None]]


_provided: Provided[Sources] = Provided("tracking")
provide = _provided.provide  # (None: none until the next assembly)
current = _provided.current

