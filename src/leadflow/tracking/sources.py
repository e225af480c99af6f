"""What tracking reads from the stages above it, never by naming their tables: capture's forms (their allowed
origins decide which pages may send beacons).

The composition root (`leadflow.stages.wire()`) hands the reader capture declares (its `form_origins` hook) in with
`provide(Sources(...))`: tracking sits below capture and never imports it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from sqlalchemy.orm import Session


@dataclass(frozen=True)
class Sources:
    """form_origins(*, session): each active form's list of allowed origins (called with keywords)."""

    form_origins: Callable[[Session], Iterable[list | None]]


_provided: list[Sources] = []


def provide(sources: Sources | None) -> None:
    """The readers tracking uses from now on (None: the owners' own again)."""
    _provided[:] = [sources] if sources is not None else []


def current() -> Sources:
    if not _provided:
        raise RuntimeError("tracking's readers are handed in as the app, the CLI or the worker is assembled "
                           "(leadflow.stages.wire()); this process has assembled none")
    return _provided[0]

