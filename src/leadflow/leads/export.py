"""The lead export (the CLI's `leadflow export leads` and the inbox's CSV): one row per lead with its score, stage
and reason, owner and campaigns by name, streamed in chunks; cells safe from spreadsheet formulas.

Stages above this one add their columns (qualification: the BANT answers) as ExportColumns, passed in by the
composition root (app.py, cli.py): this stage never names their tables.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import islice

from sqlalchemy import select
from sqlalchemy.orm import Session

from leadflow.campaigns.models import Campaign
from leadflow.leads.domain import LEAD_FIELDS, spreadsheet_safe
from leadflow.leads.models import Lead
from leadflow.people.models import User

CHUNK = 500


@dataclass(frozen=True)
class ExportColumns:
    """Columns another stage adds: their names, and a reader of their values for a chunk of lead ids (a lead it
    knows nothing of gets empty cells)."""

    names: tuple[str, ...]
    read: Callable[[Session, list[int]], dict[int, Sequence]]


# Who and where a lead stands, then what other stages add, then where it came from.
LEAD_COLUMNS = ("id", *LEAD_FIELDS, "other_emails", "other_phones", "stage", "stage_reason", "sales_ready_at", "score",
                "grade", "band")
ORIGIN_COLUMNS = ("owner_name", "owner_email", "owner_id", "do_not_contact", "channel", "campaign", "campaign_id",
                  "latest_campaign", "company_id", "first_utm_source", "first_utm_medium", "first_utm_campaign",
                  "last_utm_source", "last_utm_medium", "last_utm_campaign", "custom_fields", "created_at",
                  "updated_at")


def header(extra: Sequence[ExportColumns] = ()) -> list[str]:
    return [*LEAD_COLUMNS, *(name for columns in extra for name in columns.names), *ORIGIN_COLUMNS]


def _chunks(leads: Iterable[Lead]) -> Iterator[list[Lead]]:
    leads = iter(leads)
    while chunk := list(islice(leads, CHUNK)):
        yield chunk


def _text(value) -> str:
    return "" if value is None else value.isoformat() if hasattr(value, "isoformat") else str(value)


def rows(session: Session, leads: Iterable[Lead], extra: Sequence[ExportColumns] = ()) -> Iterator[list]:
    """The export's rows for these leads (already filtered by who may see them), a chunk at a time: the owners,
    campaigns and other stages' columns of a chunk are read in one query each."""
    for chunk in _chunks(leads):
        ids = [lead.id for lead in chunk]
        owners = {user_id: (name, email) for user_id, name, email in session.execute(
            select(User.id, User.name, User.email).where(User.id.in_({x.owner_id for x in chunk if x.owner_id})))}
        campaign_ids = {i for x in chunk for i in (x.campaign_id, x.last_campaign_id) if i}
        campaigns = dict(session.execute(select(Campaign.id, Campaign.name).where(Campaign.id.in_(campaign_ids)))
                         .all()) if campaign_ids else {}
        added = [(columns, columns.read(session, ids)) for columns in extra]
        for lead in chunk:
            first, last = lead.first_touch or {}, lead.last_touch or {}
            owner_name, owner_email = owners.get(lead.owner_id, ("", ""))
            values = [
                lead.id, *(getattr(lead, name) or "" for name in LEAD_FIELDS), "; ".join(lead.other_emails or []),
                "; ".join(lead.other_phones or []), lead.stage,
                lead.disqualify_reason or "", _text(lead.sales_ready_at), _text(lead.score), lead.grade or "",
                lead.band or "",
            ]
            for columns, found in added:
                values.extend(_text(v) for v in found.get(lead.id, ("",) * len(columns.names)))
            values += [
                owner_name or owner_email or "", owner_email or "", lead.owner_id or "",
                "true" if lead.do_not_contact else "false", lead.channel or "", campaigns.get(lead.campaign_id, ""),
                lead.campaign_id or "", campaigns.get(lead.last_campaign_id, ""), lead.company_id or "",
                first.get("utm_source", ""), first.get("utm_medium", ""), first.get("utm_campaign", ""),
                last.get("utm_source", ""), last.get("utm_medium", ""), last.get("utm_campaign", ""),
                json.dumps(lead.custom_fields or {}, ensure_ascii=False), lead.created_at.isoformat(),
                lead.updated_at.isoformat(),
            ]
            yield [spreadsheet_safe(value) for value in values]
