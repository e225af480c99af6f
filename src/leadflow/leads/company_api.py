"""JSON routes for companies: create, read, change, list, and the hierarchy (descendants and root)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from leadflow.http import DbSession
from leadflow.inputs import Id
from leadflow.leads import queries
from leadflow.leads import service as leads_service
from leadflow.leads.schemas import (
    CompanyCreate, CompanyNode, CompanyPage, CompanyRead, CompanySuggestion, CompanyUpdate,
)
from leadflow.people.deps import permitted
from leadflow.people.service import Actor

router = APIRouter(prefix="/api/v1/companies", tags=["companies"])

Reader = Annotated[Actor, permitted("companies:read")]
Writer = Annotated[Actor, permitted("companies:write")]


@router.post("", response_model=CompanyRead, status_code=201)
def create_company(body: CompanyCreate, session: DbSession, actor: Writer):
    company = leads_service.create_company(session=session, values=body.model_dump())
    session.commit()
    return CompanyRead.model_validate(company)


@router.get("", response_model=CompanyPage)
def list_companies(session: DbSession, actor: Reader, q: str | None = None, domain: str | None = None,
                   parent_id: Id | None = None, cursor: str | None = None,
                   limit: Annotated[int, Query(ge=1, le=500)] = 50):
    rows, next_cursor = queries.company_page(session=session, q=q, domain=domain, parent_id=parent_id, cursor=cursor,
                                             limit=limit)
    return CompanyPage(items=[CompanyRead.model_validate(r) for r in rows], next_cursor=next_cursor)


@router.get("/{company_id}", response_model=CompanyRead)
def get_company(company_id: Id, session: DbSession, actor: Reader):
    return CompanyRead.model_validate(leads_service.get_company(company_id, session=session))


@router.patch("/{company_id}", response_model=CompanyRead)
def update_company(company_id: Id, body: CompanyUpdate, session: DbSession, actor: Writer):
    company = leads_service.get_company(company_id, session=session)
    leads_service.update_company(session=session, company=company, values=body.model_dump(exclude_unset=True))
    session.commit()
    return CompanyRead.model_validate(company)


@router.get("/{company_id}/descendants", response_model=list[CompanyNode])
def company_descendants(company_id: Id, session: DbSession, actor: Reader):
    company = leads_service.get_company(company_id, session=session)
    return [CompanyNode.model_validate({**CompanyRead.model_validate(c).model_dump(), "depth": depth})
            for c, depth in queries.descendants(company.id, session=session)]


@router.get("/{company_id}/root", response_model=CompanyRead)
def company_root(company_id: Id, session: DbSession, actor: Reader):
    company = leads_service.get_company(company_id, session=session)
    return CompanyRead.model_validate(queries.root(company, session=session))


@router.get("/{company_id}/suggested-parents", response_model=list[CompanySuggestion])
def suggested_parents(company_id: Id, session: DbSession, actor: Reader):
    """Companies this one may belong to (by name or web domain), to build the hierarchy."""
    company = leads_service.get_company(company_id, session=session)
    return [CompanySuggestion(company=CompanyRead.model_validate(other), reason=reason)
            for other, reason in queries.suggested_parents(company, session=session)]
