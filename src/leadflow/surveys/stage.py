"""The surveys stage as the application sees it: short questionnaires answered through signed links."""

from __future__ import annotations

from leadflow import events
from leadflow.surveys import models
from leadflow.stage import Stage

STAGE = Stage(
    name="surveys",
    models=models,
    owns="surveys linked from emails, answered without a login, whose answers fill BANT and profile fields",
    publishes=frozenset({
        events.SURVEY_SUBMITTED,
    }),
    unhandled={
        events.SURVEY_SUBMITTED: "being built (issue 14)",
    },
)
