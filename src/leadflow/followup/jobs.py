"""Follow-up's worker handlers and schedules."""

HANDLERS: dict = {}
SCHEDULES: list = []


# --- a salesperson's day (the "work" helper): a recycled lead's revisit day -------------------------------------------

from sqlalchemy.orm import Session  # noqa: E402

from leadflow import events  # noqa: E402
from leadflow.followup import recycling  # noqa: E402
from leadflow.stage import batch  # noqa: E402


@batch
def revisit(session: Session, payloads: list[dict]) -> None:
    """A recycled lead's revisit day came: back to the inbox, with a task and a notice for its former owner."""
    recycling.revisit([int(p["recycle_id"]) for p in payloads], session=session)


HANDLERS[events.LEAD_REVISIT] = revisit
