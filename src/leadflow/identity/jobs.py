"""Worker handlers of identity: a lead edited by hand is indexed again under its new names, emails and phones."""

from __future__ import annotations

from sqlalchemy.orm import Session

from leadflow.identity import service as identity_service
from leadflow.leads.models import Lead

# The fields the matcher reads (identity_service.person_record): an edit of any other field changes no key.
MATCHED = frozenset({"first_name", "last_name", "email", "phone", "mobile", "company", "street", "postal_code",
                     "city", "country", "custom_fields", "other_emails", "other_phones"})


def lead_changed(session: Session, payload: dict) -> None:
    """`lead.updated`: the lead's blocking keys follow its new values (idempotent: the keys are replaced)."""
    if not MATCHED & set(payload.get("fields") or MATCHED):
        return
    lead = session.get(Lead, payload["lead_id"])
    if lead is None or lead.merged_into_id is not None:
        return
    identity_service.index_lead(lead.id, identity_service.prepared_lead(lead), session=session)
