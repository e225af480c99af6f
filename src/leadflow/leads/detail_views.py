"""A lead's page: the profile edited in place, company, timeline, consents, notes."""

from __future__ import annotations

from decimal import Decimal

from fastapi import Depends, Request, Response
from sqlalchemy import select

from leadflow.campaigns.models import Campaign
from leadflow.errors import Invalid, NotFound
from leadflow.http import AppSettings, DbSession
from leadflow.leads import queries
from leadflow.leads import service as leads_service
from leadflow.leads import timeline as lead_timeline
from leadflow.leads.domain import COMPANY_FACTS, company_facts, readable_phone
from leadflow.leads.lifecycle import STAGE_LABELS
from leadflow.leads.models import STAGES, Company, Lead
from leadflow.people import notifications
from leadflow.people import queries as people_queries
from leadflow.people.deps import PageActor
from leadflow.people.models import User
from leadflow.web.pages import lead_changed, page_router, redirect, render

router = page_router(tags=["pages"])

# The profile in sections, each edited on its own: name, title, fields.
SECTIONS = {
    "person": ("Person", ("first_name", "last_name", "job_title", "language")),
    "contact": ("Contact", ("email", "phone", "mobile", "other_emails", "other_phones", "do_not_contact")),
    "address": ("Company and address", ("company", "street", "postal_code", "city", "region", "country")),
    "status": ("Stage", ("stage",)),
}
LABELS = lead_timeline.FIELD_LABELS
INPUT_TYPES = {"email": "email", "phone": "tel", "mobile": "tel"}
TIMELINE_LIMIT = 200
MAX_TEXT = 20_000
LISTS = ("other_emails", "other_phones")   # edited as one value per line


def name_of(lead: Lead) -> str:
    return " ".join(p for p in (lead.first_name, lead.last_name) if p) or lead.email or f"Lead #{lead.id}"


def _is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


async def posted(request: Request) -> dict[str, str]:
    """The submitted form as text values (Starlette keeps the form the CSRF check already read)."""
    form = await request.form()
    return {key: value for key, value in form.items() if isinstance(value, str)}


def _section(section: str) -> tuple[str, tuple[str, ...]]:
    if section not in SECTIONS:
        raise NotFound("section", section)
    return SECTIONS[section]


def _survivor(session, actor, lead_id: int) -> Lead | None:
    """The lead a merged-away lead lives on in, when the actor sees it."""
    lead = session.get(Lead, lead_id)
    seen = set()
    while lead is not None and lead.merged_into_id is not None and lead.id not in seen:
        seen.add(lead.id)
        lead = session.get(Lead, lead.merged_into_id)
    if lead is None or lead.id == lead_id or not queries.is_visible(actor, lead.id, session=session):
        return None
    return lead


def _timeline_context(session, lead: Lead, *, note: str = "", note_error: str | None = None,
                      status: str | None = None) -> dict:
    activities = queries.timeline(lead.id, session=session, limit=TIMELINE_LIMIT)
    actors = people_queries.actor_names({a.actor for a in activities}, session=session)
    people = people_queries.user_names(lead_timeline.people_in(a.data for a in activities), session=session)
    entries = [lead_timeline.entry(kind=a.kind, summary=a.summary, data=a.data, actor=actors.get(a.actor, a.actor),
                              occurred_at=a.occurred_at, people=people) for a in activities]
    return {"lead": lead, "entries": entries, "note": note, "note_error": note_error, "status": status,
            "timeline_limit": TIMELINE_LIMIT}


def _section_context(lead: Lead, section: str, *, editing: bool = False, values: dict | None = None,
                     errors: dict | None = None, status: str | None = None, session=None) -> dict:
    title, fields = _section(section)
    facts = _company_facts(session, lead) if section == "address" and session is not None and not editing else []
    return {"section": section, "title": title, "fields": fields, "labels": LABELS,
            "input_types": INPUT_TYPES, "stages": STAGES, "editing": editing, "errors": errors or {},
            "current": values if values is not None else {f: getattr(lead, f) for f in fields}, "status": status,
            "manual": set(lead.manual_fields or []), "facts": facts,
            "readable_phone": readable_phone}


FACT_LABELS = {"industry": "Industry", "employees": "Employees", "revenue": "Revenue"}


def _company_facts(session, lead: Lead) -> list[dict]:
    """Industry, employees and revenue as the scoring fit rules read them, each with where it came from."""
    company = session.get(Company, lead.company_id) if lead.company_id else None
    record = {name: getattr(company, name) for name in COMPANY_FACTS} if company is not None else None
    shown = []
    for name, fact in company_facts(lead.custom_fields, record).items():
        value, source = fact if fact else (None, None)
        if isinstance(value, Decimal):  # the company's revenue, in its currency
            text = f"{value:,.2f}".removesuffix(".00") + f" {company.currency}"
        elif isinstance(value, int | float) and not isinstance(value, bool):
            text = f"{value:,}"
        else:
            text = str(value) if value is not None else "—"
        shown.append({"name": name, "label": FACT_LABELS[name], "text": text, "source": source,
                      "company": company if source == "company" else None})
    return shown


def _company_tree(session, actor, lead: Lead) -> dict | None:
    if lead.company_id is None or not actor.can("companies:read"):
        return None
    company = session.get(Company, lead.company_id)
    if company is None:
        return None
    chain, seen, current = [company], {company.id}, company
    while current.parent_id is not None:
        current = session.get(Company, current.parent_id)
        if current is None or current.id in seen:
            break
        seen.add(current.id)
        chain.append(current)
    chain.reverse()
    below = queries.descendants(company.id, session=session)[:100]
    children: dict[int, list[Company]] = {}
    for child, _depth in below:
        children.setdefault(child.parent_id, []).append(child)
    return {"company": company, "chain": chain, "children": children, "shown": len(below)}


@router.get("/leads/{lead_id:int}")
def lead_page(lead_id: int, request: Request, session: DbSession, actor: PageActor, merged: int | None = None):
    actor.require("leads:read")
    try:
        lead = queries.visible_lead(actor, lead_id, session=session)
    except NotFound:
        survivor = _survivor(session, actor, lead_id)
        if survivor is None:
            raise
        return redirect(request, f"/leads/{survivor.id}",
                        message=f"Lead #{lead_id} was merged into this lead.", kind="info")
    undo = None
    if merged is not None and actor.can("leads:merge"):
        gone = session.get(Lead, merged)
        undo = gone if gone is not None and gone.merged_into_id == lead.id else None
    seen = actor.user_id is not None and lead.owner_id == actor.user_id and lead.owner_seen_at is None
    owner = session.get(User, lead.owner_id) if lead.owner_id else None
    campaign_ids = {i for i in (lead.campaign_id, lead.last_campaign_id) if i}
    campaigns = {c.id: c for c in session.scalars(select(Campaign).where(Campaign.id.in_(campaign_ids)))} \
        if campaign_ids else {}
    context = {
        "lead": lead, "name": name_of(lead), "owner": owner, "campaigns": campaigns, "undo": undo,
        "stage_labels": STAGE_LABELS,
        "sections": [_section_context(lead, s, session=session) for s in SECTIONS],
        "consents": queries.consents(lead.id, session=session),
        "company_tree": _company_tree(session, actor, lead), **_timeline_context(session, lead),
    }
    context["mark_seen"] = seen  # the page tells the server once it is shown (a short write of its own)
    return render(request, "leads/detail.html", context)


@router.post("/leads/{lead_id:int}/seen", status_code=204)
def lead_seen(lead_id: int, session: DbSession, actor: PageActor):
    """The owner opened their lead: it is no longer "new for me" (sent by the lead page as it loads)."""
    actor.require("leads:read")
    if actor.user_id is not None:
        seen = leads_service.mark_seen_by_owner(lead_id, actor.user_id, session=session)
        read = notifications.mark_read_about(actor.user_id, lead_id, session=session)  # the bell agrees
        if seen or read:
            session.commit()
    return Response(status_code=204)


@router.get("/leads/{lead_id:int}/head")
def head(lead_id: int, request: Request, session: DbSession, actor: PageActor):
    """The page's head (name, role at company, stage), reloaded when another panel changed the lead."""
    actor.require("leads:read")
    lead = queries.visible_lead(actor, lead_id, session=session)
    if not _is_htmx(request):
        return redirect(request, f"/leads/{lead.id}")
    return render(request, "leads/_detail_head.html", {"lead": lead, "name": name_of(lead),
                                                        "stage_labels": STAGE_LABELS})


@router.get("/leads/{lead_id:int}/section/{section}")
def show_section(lead_id: int, section: str, request: Request, session: DbSession, actor: PageActor):
    actor.require("leads:read")
    lead = queries.visible_lead(actor, lead_id, session=session)
    if not _is_htmx(request):
        return redirect(request, f"/leads/{lead.id}#section-{section}")
    return render(request, "leads/_detail_section.html",
                  {"lead": lead, "sec": _section_context(lead, section, session=session)})


@router.get("/leads/{lead_id:int}/edit/{section}")
def edit_section(lead_id: int, section: str, request: Request, session: DbSession, actor: PageActor):
    actor.require("leads:write")
    lead = queries.visible_lead(actor, lead_id, session=session)
    context = {"lead": lead, "sec": _section_context(lead, section, editing=True)}
    if _is_htmx(request):
        return render(request, "leads/_detail_section.html", context)
    return render(request, "leads/detail_edit.html", {**context, "name": name_of(lead)})


@router.post("/leads/{lead_id:int}/edit/{section}")
def save_section(lead_id: int, section: str, request: Request, session: DbSession, actor: PageActor,
                 settings: AppSettings, form: dict = Depends(posted)):
    actor.require("leads:write")
    lead = queries.visible_lead(actor, lead_id, session=session)
    _, fields = _section(section)
    values: dict = {}
    for name in fields:
        if name == "do_not_contact":
            values[name] = form.get(name) in ("on", "yes", "true", "1")
        elif name in LISTS:
            values[name] = [line.strip() for line in (form.get(name) or "")[:MAX_TEXT].replace(",", "\n").splitlines()
                            if line.strip()]
        else:
            text = (form.get(name) or "").strip()[:MAX_TEXT]
            values[name] = text or None
    if "stage" in values and values["stage"] is None:
        values.pop("stage")
    try:
        changes = leads_service.edit(session=session, lead=lead, values=values, actor=actor.label,
                                     default_country=settings.default_country)
        if changes:
            # Fit, grade and Sales Ready (kept by stages above this one) follow the edit in the same transaction,
            # so every panel of the page shows them at once; the worker's lead.updated handler finds nothing left.
            request.app.state.lead_edited(session, [lead.id], actor=actor.label)
    except Invalid as exc:
        session.rollback()
        errors = {e.field.split(".")[0]: e.reason[:1].upper() + e.reason[1:] for e in exc.errors}
        context = {"lead": lead, "sec": _section_context(lead, section, editing=True, values=values, errors=errors)}
        if _is_htmx(request):
            return render(request, "leads/_detail_section.html", context, status_code=422)
        return render(request, "leads/detail_edit.html", {**context, "name": name_of(lead)}, status_code=422)
    session.commit()
    changed = ", ".join(LABELS.get(c.field, c.field).lower() for c in changes)
    message = f"Saved {changed}." if changes else "Nothing changed."
    if not _is_htmx(request):
        return redirect(request, f"/leads/{lead.id}#section-{section}", message=message, kind="ok")
    session.refresh(lead)
    return render(request, "leads/_detail_section.html",
                  {"lead": lead, "sec": _section_context(lead, section, status=message, session=session)},
                  headers=lead_changed(f"section-{section}") if changes else None)


@router.get("/leads/{lead_id:int}/timeline")
def timeline(lead_id: int, request: Request, session: DbSession, actor: PageActor):
    actor.require("leads:read")
    lead = queries.visible_lead(actor, lead_id, session=session)
    if not _is_htmx(request):
        return redirect(request, f"/leads/{lead.id}#timeline")
    return render(request, "leads/_detail_timeline.html", _timeline_context(session, lead))


@router.post("/leads/{lead_id:int}/notes")
def add_note(lead_id: int, request: Request, session: DbSession, actor: PageActor, form: dict = Depends(posted)):
    actor.require("leads:write")
    lead = queries.visible_lead(actor, lead_id, session=session)
    text = (form.get("text") or "").strip()
    error = None
    if not text:
        error = "Write the note first."
    elif len(text) > MAX_TEXT:
        error = f"A note holds at most {MAX_TEXT:,} characters; this one has {len(text):,}."
    if error:
        if _is_htmx(request):
            return render(request, "leads/_detail_timeline.html",
                          _timeline_context(session, lead, note=text, note_error=error), status_code=422)
        return redirect(request, f"/leads/{lead.id}#timeline", message=f"No note added: {error}", kind="error")
    leads_service.add_note(session=session, lead=lead, text=text, actor=actor.label)
    session.commit()
    if not _is_htmx(request):
        return redirect(request, f"/leads/{lead.id}#timeline", message="Note added.", kind="ok")
    return render(request, "leads/_detail_timeline.html", _timeline_context(session, lead, status="Note added."))
