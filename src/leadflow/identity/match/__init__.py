"""Whether two prepared records are one person: field agreement levels (`compare.py`, with term frequencies in
`term_frequency.py`), a Fellegi–Sunter model (log2 Bayes factors, estimated by expectation–maximisation: `model.py`),
a decision with its reasons (`fields.py`), and clusters that do not chain (`clusters.py`).

Pure: no database, no HTTP, no clock.
"""

from leadflow.identity.match.clusters import (
    Clustering,
    cluster,
)
from leadflow.identity.match.compare import (
    compare,
)
from leadflow.identity.match.fields import (
    AUTO_THRESHOLD,
    DEFAULT_M,
    DEFAULT_U,
    FIELDS,
    IDENTIFYING,
    MISSING,
    REVIEW_THRESHOLD,
    Comparison,
    MatchResult,
    Reason,
)
from leadflow.identity.match.term_frequency import (
    MAX_ADJUSTMENT,
    TF_FIELDS,
    Frequencies,
    frequencies,
    tf_value,
)
from leadflow.identity.match.model import (
    Model,
    estimate,
)

__all__ = [
    "AUTO_THRESHOLD",
    "Clustering",
    "Comparison",
    "DEFAULT_M",
    "DEFAULT_U",
    "FIELDS",
    "Frequencies",
    "IDENTIFYING",
    "MAX_ADJUSTMENT",
    "MISSING",
    "MatchResult",
    "Model",
    "REVIEW_THRESHOLD",
    "Reason",
    "TF_FIELDS",
    "cluster",
    "compare",
    "estimate",
    "frequencies",
    "tf_value",
]
