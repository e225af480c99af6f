"""The one registry of tables, for Alembic and the mappers: import every stage's models here."""

from leadflow import outbox  # noqa: F401
from leadflow.campaigns import models as campaigns_models  # noqa: F401
from leadflow.capture import models as capture_models  # noqa: F401
from leadflow.db import Base
from leadflow.identity import models as identity_models  # noqa: F401
from leadflow.leads import models as leads_models  # noqa: F401
from leadflow.people import models as people_models  # noqa: F401
from leadflow.qualification import models as qualification_models  # noqa: F401
from leadflow.scoring import models as scoring_models  # noqa: F401
from leadflow.tracking import models as tracking_models  # noqa: F401

metadata = Base.metadata
