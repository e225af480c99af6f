"""What surveys read from the stages above them, never by naming their tables: which of email's templates link a
survey (`survey_link("key")`), so a survey they use is not deleted from under them.

The composition root (`leadflow.stages.wire()`) hands in the reader email declares as a hook
(`templates_linking_survey`) with `provide(Sources(...))`: surveys sit below email and never import it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Sources:
    """templates_linking_survey(key, *, session): the names of the email templates whose text links the survey with
    that key, by name."""

    templates_linking_survey: Callable[..., list[str]]


_provided: list[Sources] = []


def provide(sources: Sources | None) -> None:
    """The readers surveys use from now on (None: none until the next assembly)."""
    _provided[:] = [sources] if sources is not None else []


def current() -> Sources:
    if not _provided:
        raise RuntimeError("surveys' readers are handed in as the app, the CLI or the worker is assembled "
                           "(leadflow.stages.wire()); this process has assembled none")
    return _provided[0]
