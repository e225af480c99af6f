"""Capture log reads: pages by external id, channel, outcome; one capture with its raw payload."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from leadflow.capture.models import Capture, Form, Import
from leadflow.errors import NotFound
from leadflow.pages import keyset_page


def capture_page(*, session: Session, external_id: str | None = None, channel: str | None = None,
                 outcome: str | None = None, lead_id: int | None = None, import_id: int | None = None,
                 cursor: str | None = None, limit: int = 50, lead_ids=None) -> tuple[list[Capture], str | None]:
    """`lead_ids` (a subquery) keeps only the captures of those leads."""
    query = select(Capture)
    if lead_ids is not None:
        query = query.where(Capture.lead_id.in_(lead_ids))
    if external_id is not None:
        query = query.where(Capture.external_id == external_id)
    if channel:
        query = query.where(Capture.channel == channel)
    if outcome:
        query = query.where(Capture.outcome == outcome)
    if lead_id is not None:
        query = query.where(Capture.lead_id == lead_id)
    if import_id is not None:
        query = query.where(Capture.import_id == import_id)
    return keyset_page(session, query, Capture.id, cursor=cursor, limit=limit)


def get_capture(capture_id: int, *, session: Session) -> Capture:
    capture = session.get(Capture, capture_id)
    if capture is None:
        raise NotFound("capture", capture_id)
    return capture


def form_submissions(form_ids: list[int], *, session: Session) -> dict[int, int]:
    """Posts received per form (every outcome), for a page of forms: one grouped query."""
    if not form_ids:
        return {}
    rows = session.execute(select(Capture.form_id, func.count()).where(Capture.form_id.in_(form_ids))
                           .group_by(Capture.form_id))
    return {form_id: count for form_id, count in rows}


def form_origins(*, session: Session):
    """Each active form's list of allowed origins (tracking's beacons are taken from those pages)."""
    return session.scalars(select(Form.allowed_origins).where(Form.active.is_(True)))


def touches(lead_ids: list[int], *, session: Session) -> list:
    """(lead_id, received_at, campaign_id, channel, attribution) of every capture that created or joined these
    leads: the touches attribution credits."""
    if not lead_ids:
        return []
    return list(session.execute(select(Capture.lead_id, Capture.received_at, Capture.campaign_id, Capture.channel,
                                       Capture.attribution)
                                .where(Capture.lead_id.in_(lead_ids), Capture.outcome.in_(("created", "merged")))))


def import_lead_ids(import_id: int, *, session: Session, after: int = 0, limit: int = 1000) -> list[int]:
    """The leads an import's rows created or updated, by id, `limit` after `after`."""
    return list(session.scalars(select(Capture.lead_id).where(Capture.import_id == import_id,
                                                              Capture.lead_id > after)
                                .group_by(Capture.lead_id).order_by(Capture.lead_id).limit(limit)))


def import_label(import_id: int, *, session: Session) -> str | None:
    """The import's file name (None: no such import)."""
    return session.scalar(select(Import.filename).where(Import.id == import_id))
