"""The one registry of tables, for Alembic and the mappers: every stage's models (leadflow.stages), and the
platform's (the outbox, instance settings)."""

from leadflow import outbox, stages  # noqa: F401
from leadflow.db import Base

metadata = Base.metadata
MODELS = tuple(stage.models for stage in stages.ALL_STAGES if stage.models is not None)
