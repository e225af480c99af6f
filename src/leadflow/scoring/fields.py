"""What fit rules read: each lead's declared fields (its own, its company's, custom fields, BANT answers) as one
flat dict per lead, for many leads in one query."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from leadflow.leads.domain import company_facts
from leadflow.leads.models import Company, Lead
from leadflow.scoring import sources


BANT_CRITERIA = ("budget", "authority", "need", "timeline")


def current_bant(session: Session, lead_ids: Iterable[int]) -> dict[int, dict[str, str]]:
    """The newest answer per criterion, withdrawn ones left out (qualification's answers, read through its reader)."""
    found = sources.current().bant(session=session, lead_ids=list(lead_ids))
    return {lead_id: {c: v for c, v in answers.items() if v not in (None, "")} for lead_id, answers in found.items()}


def declared_fields(session: Session, lead_ids: list[int], bant: dict[int, dict[str, str]] | None = None
                    ) -> dict[int, dict[str, object]]:
    """Each lead's declared fields as the flat dict fit rules read (job_title, employees, custom.x, bant.need...)."""
    if not lead_ids:
        return {}
    if bant is None:
        bant = current_bant(session, lead_ids)
    result: dict[int, dict[str, object]] = {}
    columns = (Lead.id, Lead.job_title, Lead.company, Lead.country, Lead.language, Lead.email, Lead.city,
               Lead.region, Lead.channel, Lead.stage, Lead.custom_fields, Company.name, Company.industry,
               Company.employees, Company.revenue, Company.country)
    for start in range(0, len(lead_ids), 1000):
        part = lead_ids[start:start + 1000]
        query = select(*columns).outerjoin(Company, Company.id == Lead.company_id).where(Lead.id.in_(part))
        for row in session.execute(query):
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
