"""The segments stage as the application sees it: saved conditions whose members are kept live."""

from __future__ import annotations

from leadflow import events
from leadflow.segments import models
from leadflow.stage import Stage

STAGE = Stage(
    name="segments",
    models=models,
    owns="segments: saved conditions in the condition language, their members kept live as leads change",
    publishes=frozenset({
        events.SEGMENT_ENTERED,
        events.SEGMENT_LEFT,
        events.SEGMENT_BUILD,
    }),
    unhandled={
        events.SEGMENT_ENTERED: "being built (issue 14)",
        events.SEGMENT_LEFT: "being built (issue 14)",
        events.SEGMENT_BUILD: "being built (issue 14)",
    },
)
