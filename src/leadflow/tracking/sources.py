"""What tracking reads from the stages above it, never by naming their tables: capture's forms (their allowed
origins decide which pages may send beacons).

The composition root hands the reader in with `provide(Sources(...))`; until it does, it is capture's own Form
model, looked up by name when first needed: tracking sits below capture and never imports it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from importlib import import_module

from sqlalchemy import select
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
    return _provided[0] if _provided else _owners()


@cache
def _owners() -> Sources:
    form = import_module("leadflow.capture.models").Form

    def form_origins(*, session: Session) -> Iterable[list | None]:
        return session.scalars(select(form.allowed_origins).where(form.active.is_(True)))

    return Sources(form_origins=form_origins)
