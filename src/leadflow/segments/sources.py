"""What segments read from the stages above them, never by naming their tables: surveys' latest answers (a
segment's `survey.<question>`, a journey's too, since journeys read the segment scope's contexts).

The composition root (`leadflow.stages.wire()`) hands in the reader surveys declare as a hook (`survey_answers`)
with `provide(Sources(...))`: segments sit below surveys and never import them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Sources:
    """survey_answers(lead_ids, *, session): {lead_id: {question key: the lead's latest answer}}; leads with no
    answers are absent."""

    survey_answers: Callable[..., dict[int, dict[str, object]]]


_provided: list[Sources] = []


def provide(sources: Sources | None) -> None:
    """The readers segments use from now on (None: none until the next assembly)."""
    _provided[:] = [sources] if sources is not None else []


def current() -> Sources:
    if not _provided:
        raise RuntimeError("segments' readers are handed in as the app, the CLI or the worker is assembled "
                           "(leadflow.stages.wire()); this process has assembled none")
    return _provided[0]


def survey_answers(lead_ids: Iterable[int], *, session) -> dict[int, dict[str, object]]:
    return current().survey_answers(sorted(set(lead_ids)), session=session)
