"""What segments read from the stages above them, never by naming their tables: surveys' latest answers (a
segment's `survey.<question>`, a journey's too, since journeys read the segment scope's contexts).

The composition root (`leadflow.stages.wire()`) hands in the reader surveys declare as a hook (`survey_answers`)
with `provide(Sources(...))`: segments sit below surveys and never import them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from leadflow.provided import Provided


@dataclass(frozen=True)
class Sources:
    """survey_answers(lead_ids, *, session): {lead_id: {question key: the lead's latest answer}}; leads with no
    answers are absent."""

    survey_answers: Callable[..., dict[int, dict[str, object]]]


_provided: Provided[Sources] = Provided("segments")
provide = _provided.provide  # (None: none until the next assembly)
current = _provided.current


def survey_answers(lead_ids: Iterable[int], *, session) -> dict[int, dict[str, object]]:
    return current().survey_answers(sorted(set(lead_ids)), session=session)
