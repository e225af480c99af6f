"""Company pages: the list, and a company with its hierarchy as a tree."""

from __future__ import annotations

from typing import Annotated

from fastapi import Form, Request
from pydantic import ValidationError

from leadflow.errors import Invalid
from leadflow.http import DbSession
from leadflow.leads import queries
from leadflow.leads import service as leads_service
from leadflow.leads.schemas import CompanyCreate, CompanyUpdate
from leadflow.people.deps import PageActor
from leadflow.web.pages import page_router, redirect, render

router = page_router(tags=["pages"])

PAGE_SIZE = 50
LEADS_SHOWN = 50
FIELDS = ("name", "domain", "industry", "employees", "revenue", "currency", "country", "city", "parent_id")
LABELS = {"name": "Name", "domain": "Web domain", "industry": "Industry", "employees": "Employees",
          "revenue": "Revenue", "currency": "Currency", "country": "Country", "city": "City",
          "parent_id": "Parent company"}


def _values(form: dict[str, str], *, partial: bool) -> tuple[dict, dict[str, str]]:
    """Form text -> CompanyCreate/Update values; errors by field, in words."""
    raw = {name: (form.get(name) or "").strip() for name in FIELDS if name in form}
    data = {name: (value or None) for name, value in raw.items()}
    if not data.get("currency"):
        data.pop("currency", None)
    try:
        model = (CompanyUpdate if partial else CompanyCreate).model_validate(data)
    except ValidationError as exc:
        errors = {}
        for error in exc.errors():
            name = str(error["loc"][0]) if error["loc"] else "name"
            errors.setdefault(name, _reason(error))
        return {}, errors
    return model.model_dump(exclude_unset=partial), {}


def _reason(error: dict) -> str:
    kind = error.get("type", "")
    if kind in ("missing", "not_null") or (kind == "string_too_short" and error.get("ctx", {}).get("min_length") == 1):
        return "Required."
    if kind.startswith(("int_", "decimal_")):
        return "Enter a number."
    if kind == "string_pattern_mismatch":
        return "Use a three-letter currency code, e.g. EUR."
    if kind == "greater_than_equal":
        return "Must not be negative."
    return error.get("msg", "Not valid.").rstrip(".") + "."


def _invalid(exc: Invalid) -> dict[str, str]:
    return {e.field: e.reason[:1].upper() + e.reason[1:] + "." for e in exc.errors}


@router.get("/companies")
def company_list(request: Request, actor: PageActor, session: DbSession, q: str = "", cursor: str | None = None):
    actor.require("companies:read")
    query = q.strip()[:200]
    try:
        rows, next_cursor = queries.company_page(session=session, q=None, domain=None, parent_id=None, cursor=cursor,
                                                 limit=PAGE_SIZE) if not query else _search(session, query, cursor)
    except Invalid:
        return redirect(request, "/companies", message="That page of the list has expired; here is the first.")
    counts = queries.company_counts(actor, [c.id for c in rows], session=session)
    parents = queries.companies_by_id({c.parent_id for c in rows if c.parent_id}, session=session)
    return render(request, "leads/company_list.html", {
        "companies": rows, "counts": counts, "parents": parents, "q": query, "next_cursor": next_cursor,
        "first_page": cursor is None, "can_write": actor.can("companies:write")})


def _search(session, query: str, cursor: str | None):
    """By name, or by web domain when the text looks like one."""
    if "." in query and " " not in query:
        rows, next_cursor = queries.company_page(session=session, q=None, domain=query, parent_id=None, cursor=cursor,
                                                 limit=PAGE_SIZE)
        if rows or cursor:
            return rows, next_cursor
    return queries.company_page(session=session, q=query, domain=None, parent_id=None, cursor=cursor, limit=PAGE_SIZE)


@router.get("/companies/new")
def company_new(request: Request, actor: PageActor, parent_id: int | None = None):
    actor.require("companies:write")
    return render(request, "leads/company_form.html", {
        "values": {"currency": "EUR", "parent_id": parent_id or ""}, "errors": {}, "labels": LABELS})


@router.post("/companies/new")
async def company_create(request: Request, actor: PageActor, session: DbSession):
    actor.require("companies:write")
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    values, errors = _values(form, partial=False)
    if not errors:
        try:
            company = leads_service.create_company(session=session, values=values)
        except Invalid as exc:
            errors = _invalid(exc)
    if errors:
        session.rollback()
        return render(request, "leads/company_form.html", {"values": form, "errors": errors, "labels": LABELS},
                      status_code=422)
    session.commit()
    return redirect(request, f"/companies/{company.id}", message=f"Company {company.name} created.", kind="ok")


def _detail(request: Request, actor, session, company_id: int, *, values: dict | None = None,
            errors: dict | None = None, status_code: int = 200, parent_error: str | None = None):
    company = leads_service.get_company(company_id, session=session)
    top = queries.root(company, session=session)
    below = queries.descendants(top.id, session=session)
    children: dict[int | None, list] = {}
    for node, _depth in below:
        children.setdefault(node.parent_id, []).append(node)
    leads, more = queries.lead_page(actor, queries.LeadFilter(company_id=company.id), session=session, cursor=None,
                                    limit=LEADS_SHOWN)
    counts = queries.company_counts(actor, [company.id], session=session)[company.id]
    parent = leads_service.get_company(company.parent_id, session=session) if company.parent_id else None
    can_write = actor.can("companies:write")
    suggestions = queries.suggested_parents(company, session=session) if can_write else []
    shown = values if values is not None else {name: "" if getattr(company, name) is None else getattr(company, name)
                                              for name in FIELDS}
    return render(request, "leads/company_detail.html", {
        "company": company, "root": top, "children": children, "leads": leads, "more_leads": more is not None,
        "lead_count": counts[0], "parent": parent, "suggestions": suggestions, "can_write": can_write,
        "values": shown, "errors": errors or {}, "labels": LABELS, "editing": bool(errors),
        "parent_error": parent_error}, status_code=status_code)


@router.get("/companies/{company_id:int}")
def company_detail(request: Request, company_id: int, actor: PageActor, session: DbSession):
    actor.require("companies:read")
    return _detail(request, actor, session, company_id)


@router.post("/companies/{company_id:int}")
async def company_update(request: Request, company_id: int, actor: PageActor, session: DbSession):
    actor.require("companies:write")
    company = leads_service.get_company(company_id, session=session)
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    form.pop("parent_id", None)  # the parent changes through its own form
    values, errors = _values(form, partial=True)
    if "name" in values and values["name"] is None:
        errors["name"] = "Required."
    if not errors:
        try:
            leads_service.update_company(session=session, company=company, values=values)
        except Invalid as exc:
            errors = _invalid(exc)
    if errors:
        session.rollback()
        return _detail(request, actor, session, company_id, values=form, errors=errors, status_code=422)
    session.commit()
    return redirect(request, f"/companies/{company_id}", message="Company saved.", kind="ok")


@router.post("/companies/{company_id:int}/parent")
def company_set_parent(request: Request, company_id: int, actor: PageActor, session: DbSession,
                       parent_id: Annotated[str, Form()] = ""):
    actor.require("companies:write")
    company = leads_service.get_company(company_id, session=session)
    wanted = int(parent_id) if parent_id.strip().isdecimal() else None
    try:
        if wanted is None and parent_id.strip():
            raise Invalid.one("parent_id", "choose a company")
        leads_service.update_company(session=session, company=company, values={"parent_id": wanted})
    except Invalid as exc:
        session.rollback()
        return _detail(request, actor, session, company_id, status_code=422,
                       parent_error=_invalid(exc).get("parent_id", "This parent cannot be set."))
    session.commit()
    if wanted is None:
        return redirect(request, f"/companies/{company_id}", message=f"{company.name} no longer has a parent.",
                        kind="ok")
    parent = leads_service.get_company(wanted, session=session)
    return redirect(request, f"/companies/{company_id}", message=f"{company.name} is now part of {parent.name}.",
                    kind="ok")
