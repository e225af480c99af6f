"""What surveys read from the stages above them, never by naming their tables: which of email's templates link a
survey (`survey_link("key")`), so a survey they use is not deleted from under them.

The composition root (`leadflow.stages.wire()`) hands in the reader email declares as a hook
(`templates_linking_survey`) with `provide(Sources(...))`: surveys sit below email and never import it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from leadflow.provided import Provided


@dataclass(frozen=True)
class Sources:
    """templates_linking_survey(key, *, session): the names of the email templates whose text links the survey with
    that key, by name."""

    templates_linking_survey: Callable[..., list[str]]


_provided: Provided[Sources] = Provided("surveys")
provide = _provided.provide  # (None: none until the next assembly)
current = _provided.current
