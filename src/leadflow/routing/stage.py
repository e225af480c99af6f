"""The routing stage as the application sees it: routing rule sets, assignments and their reasons, queues."""

from __future__ import annotations

from leadflow import events
from leadflow.routing import models
from leadflow.stage import LeadTable, OnMerge, Stage

STAGE = Stage(
    name="routing",
    owns="routing rule sets, team round-robin cursors and capacities, assignments with their reasons, queues",
    models=models,
    publishes=frozenset({events.LEAD_ASSIGNED}),
    lead_tables=(LeadTable("assignments", on_merge=OnMerge.KEEP,
                           why="who owned which lead, when and why: each lead keeps its own owner history"),),
)
