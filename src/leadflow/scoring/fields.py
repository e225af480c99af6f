"""What fit rules read: each lead's declared fields (its own, its company's, custom fields, BANT answers) as one
flat dict per lead, for many leads in one query."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.orm import Session

from leadflow.leads import queries as leads_queries
from leadflow.leads.domain import company_facts
from leadflow.scoring import sources


BANT_CRITERIA = ("budget", "authority", "need", "timeline")


def current_bant(lead_ids: Iterable[int], *, session: Session) -> dict[int, dict[str, str]]:
    """The newest answer per criterion, withdrawn ones left out (qualification's answers, read through its reader)."""
    found = sources.current().bant(session=session, lead_ids=list(lead_ids))
    return {lead_id: {c: v for c, v in answers.items() if v not in (None, "")} for lead_id, answers in found.items()}


def declared_fields(lead_ids: list[int], bant: dict[int, dict[str, str]] | None = None,
                    *, session: Session) -> dict[int, dict[str, object]]:
    """Each lead's declared fields as the flat dict fit rules read (job_title, employees, custom.x, bant.need...)."""
    if not lead_ids:
        return {}
    if bant is None:
        bant = current_bant(lead_ids, session=session)
    result: dict[int, dict[str, object]] = {}
    for row in leads_queries.profile_rows(lead_ids, session=session):
        (lead_id, job_title, company, country, language, email, city, region, channel, stage, custom,
         company_name, industry, employees, revenue, company_country) = row
        custom = custom or {}
        facts = company_facts(custom, {"industry": industry, "employees": employees,
                                       "revenue": float(revenue) if revenue is not None else None})
        fields: dict[str, object] = {
            "job_title": job_title, "company": company or company_name, "country": country or company_country,
            "language": language, "email": email,
            "email_domain": email.rsplit("@", 1)[1] if email and "@" in email else None,
            "city": city, "region": region, "channel": channel, "stage": stage,
            **{name: fact[0] if fact else None for name, fact in facts.items()},
            "company.name": company_name, "company.industry": industry, "company.employees": employees,
            "company.revenue": float(revenue) if revenue is not None else None,
            "company.country": company_country,
        }
        for key, value in custom.items():
            fields[f"custom.{key}"] = value
        answers = bant.get(lead_id, {})
        for criterion, value in answers.items():
            fields[f"bant.{criterion}"] = value
        fields["bant_known"] = sum(1 for c in BANT_CRITERIA if answers.get(c) not in (None, ""))
        result[lead_id] = fields
    return result
