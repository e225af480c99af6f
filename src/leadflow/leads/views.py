"""The lead inbox: filters, full-text search, sorting, keyset pages, saved views, bulk actions."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated
from urllib.parse import parse_qsl, urlencode

from fastapi import Form, Request
from fastapi.responses import StreamingResponse
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from leadflow import values as plain
from leadflow.clock import now
from leadflow.errors import Invalid, NotFound
from leadflow.http import AppSettings, DbSession
from leadflow.leads import export, inbox_columns, queries
from leadflow.leads import service as leads_service
from leadflow.leads.domain import normalize_country
from leadflow.leads.models import STAGES, SavedView
from leadflow.people.deps import PageActor
from leadflow.people.models import User
from leadflow.people.service import Actor
from leadflow.web.pages import HEADERS, local_path, page_router, redirect, render

router = page_router(tags=["pages"])

PAGE_SIZES = (25, 50, 100, 200)
SORTS = {"created": "Created", "updated": "Last activity", "name": "Name", "company": "Company",
         "country": "Country", "stage": "Stage", "score": "Score"}
# Channels a lead's first capture can have (capture/channels); others typed into the URL still filter.
CHANNELS = ("api", "form", "import", "quick_entry", "google_ads", "meta", "hubspot", "mautic", "salesforce")
FILTERS = ("q", "stage", "owner", "campaign", "source", "channel", "country", "created_from", "created_to", "band",
           "grade", "score_min", "followup", "segment")
KEPT = (*FILTERS, "sort", "dir", "limit", "columns")  # what a saved view and the sort links carry
STAGE_LABELS = {"new": "New", "mql": "MQL", "sql": "SQL", "opportunity": "Opportunity", "customer": "Customer",
                "nurture": "Nurture", "disqualified": "Disqualified", "recycled": "Recycled"}
STAGE_BADGES = {"mql": "warm", "sql": "hot", "opportunity": "hot", "customer": "cold", "nurture": "muted",
                "recycled": "muted", "disqualified": "danger"}
FILTER_LABELS = {"q": "Search", "stage": "Stage", "owner": "Owner", "campaign": "Campaign", "source": "Source",
                 "channel": "Channel", "country": "Country", "created_from": "Created from",
                 "created_to": "Created to", "band": "Band", "grade": "Grade", "score_min": "Score at least",
                 "followup": "Follow-up", "segment": "Segment",
                 "sort": "Sort", "dir": "Order", "limit": "Per page", "cursor": "Page", "columns": "Columns"}
BANDS = {"hot": "Hot", "warm": "Warm", "cold": "Cold"}
# The band and grade filters take one value or several, comma-separated ("hot,warm"): the select offers both.
BAND_CHOICES = (("hot", "Hot"), ("hot,warm", "Hot or warm"), ("warm", "Warm"), ("cold", "Cold"))
GRADES = ("A", "B", "C", "D")
GRADE_CHOICES = (("A", "A"), ("A,B", "A or B"), ("B", "B"), ("C", "C"), ("D", "D"))
MAX_SCORE_FILTER = 1_000_000
TOKEN = re.compile(r"[a-z0-9_]{1,32}")
MAX_SELECTED = 1000
CAPPED = 10_000


@dataclass
class Inbox:
    """The inbox's GET parameters, checked: the filter, the sort, and the reasons for anything refused."""

    values: dict[str, str]
    filter: queries.LeadFilter = field(default_factory=queries.LeadFilter)
    sort: str = "created"
    descending: bool = True
    limit: int = 50
    errors: dict[str, str] = field(default_factory=dict)
    columns: tuple[str, ...] = inbox_columns.chosen([])
    ignored: dict[str, str] = field(default_factory=dict)  # filters given that this actor may not use: left out
    owner: User | None = None  # the person the owner filter names

    def ignore(self, name: str, reason: str) -> None:
        """Leave a filter out, and say so: it then filters nothing, is not counted active and no link carries it."""
        self.values[name] = ""
        self.ignored[name] = reason

    def link(self, **changes) -> str:
        """This list's address with some parameters changed (None drops one); cursors are never kept."""
        params = {k: v for k, v in self.values.items() if k in KEPT and v}
        params.update({k: v for k, v in changes.items() if v is not None})
        for k, v in changes.items():
            if v is None:
                params.pop(k, None)
        return "/leads" + (f"?{urlencode(params)}" if params else "")

    @property
    def query_string(self) -> str:
        return urlencode({k: v for k, v in self.values.items() if k in KEPT and v})

    @property
    def filtering(self) -> bool:
        return any(self.values.get(k) for k in FILTERS)

    @property
    def active_filters(self) -> int:
        return sum(1 for k in FILTERS if self.values.get(k))


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError("Enter a date as YYYY-MM-DD.") from None


def listed_values(text: str, allowed, *, fold=str.lower) -> tuple[str, ...] | None:
    """The distinct values of a comma-separated filter ("hot,warm"), or None if one of them is not allowed."""
    values = tuple(dict.fromkeys(fold(v.strip()) for v in text.split(",") if v.strip()))
    return values if values and all(v in allowed for v in values) else None


def score_at_least(text: str) -> int:
    """The score_min filter: a whole number of points from 0 to MAX_SCORE_FILTER."""
    if not text.isdecimal() or len(text) > 7 or int(text) > MAX_SCORE_FILTER:
        raise ValueError(f"Enter a whole number of points from 0 to {MAX_SCORE_FILTER:,}.")
    return int(text)


def parse(params, actor: Actor, session, campaigns: list[tuple[int, str]], *,
          default_country: str | None = None) -> Inbox:
    values = {k: (params.get(k) or "").strip()[:200] for k in (*KEPT, "after", "before")}
    values["columns"] = ",".join(v.strip() for v in params.getlist("columns") if v.strip())[:200]
    inbox, f, errors = Inbox(values), queries.LeadFilter(), {}
    inbox.filter, inbox.errors = f, errors
    f.q = values["q"] or None
    f.default_country = default_country
    if values["stage"]:
        if values["stage"] in STAGES:
            f.stage = values["stage"]
        else:
            errors["stage"] = f"Unknown stage \u201c{values['stage']}\u201d: choose one of the list."
    owner = values["owner"]
    if owner in ("me", "new"):
        f.owner = actor.user_id if actor.user_id is not None else -1
        f.unseen = owner == "new"
    elif owner == "unassigned":
        f.unassigned = True
    elif owner == "queued":
        f.queued = True
    elif owner:
        # One answer for someone unknown and someone not the actor's to choose: the filter tells no one's existence.
        if not owner.isdecimal() or int(owner) > plain.MAX_ID:
            errors["owner"] = "No such owner: choose one of the list."
        elif (chosen := queries.owner_to_filter_by(actor, int(owner), session=session)) is None:
            inbox.ignore("owner", "left out: that person is not among the owners you may choose, so the list is "
                                   "not filtered by owner.")
        else:
            f.owner, inbox.owner = chosen.id, chosen
    if values["campaign"]:
        if values["campaign"].isdecimal() and int(values["campaign"]) in {c for c, _ in campaigns}:
            f.campaign = values["campaign"]
        elif values["campaign"].isdecimal() and queries.campaigns_by_id({int(values["campaign"])}, session=session):
            f.campaign = values["campaign"]
        else:
            errors["campaign"] = "No such campaign: choose one of the list."
    f.source = values["source"] or None
    if values["channel"]:
        if TOKEN.fullmatch(values["channel"]):
            f.channel = values["channel"]
        else:
            errors["channel"] = "Not a channel: choose one of the list."
    if values["country"]:
        try:
            f.country = normalize_country(values["country"])
        except ValueError:
            errors["country"] = "Not a country: use its code (NL) or its name (Netherlands)."
    for name, attribute, shift in (("created_from", "created_after", 0), ("created_to", "created_before", 1)):
        if values[name]:
            try:
                day = _date(values[name]) + timedelta(days=shift)
                setattr(f, attribute, datetime.combine(day, time(), tzinfo=UTC))
            except (ValueError, OverflowError) as exc:
                errors[name] = str(exc) if isinstance(exc, ValueError) else "Enter a date as YYYY-MM-DD."
    if f.created_after and f.created_before and f.created_after >= f.created_before and not errors:
        errors["created_to"] = "The end date is before the start date."
    if values["band"]:
        band = listed_values(values["band"], BANDS)
        if band is None:
            errors["band"] = f"Unknown band \u201c{values['band']}\u201d: choose hot, warm or cold."
        else:
            f.band = band
    if values["grade"]:
        grade = listed_values(values["grade"], GRADES, fold=str.upper)
        if grade is None:
            errors["grade"] = f"Unknown grade \u201c{values['grade']}\u201d: choose A, B, C or D."
        else:
            f.grade = grade
    if values["score_min"]:
        try:
            f.score_min = score_at_least(values["score_min"])
        except ValueError as exc:
            errors["score_min"] = str(exc)
    if values["followup"]:
        if values["followup"] == "overdue":
            f.followup = "overdue"
        else:
            errors["followup"] = "Choose \u201cOverdue follow-ups\u201d or any."
    if values["sort"]:
        if values["sort"] in SORTS:
            inbox.sort = values["sort"]
        else:
            errors["sort"] = f"Cannot sort by \u201c{values['sort']}\u201d."
    if values["dir"]:
        if values["dir"] in ("asc", "desc"):
            inbox.descending = values["dir"] == "desc"
        else:
            errors["dir"] = "The order is asc or desc."
    elif inbox.sort in ("name", "company", "country", "stage"):
        inbox.descending = False
    try:
        inbox.columns = inbox_columns.chosen([values["columns"]])
    except ValueError as exc:
        errors["columns"] = str(exc)
    if values["limit"]:
        if values["limit"].isdecimal() and int(values["limit"]) in PAGE_SIZES:
            inbox.limit = int(values["limit"])
        else:
            errors["limit"] = f"Show {', '.join(map(str, PAGE_SIZES))} leads a page."
    return inbox


def _choices(session, actor: Actor) -> dict:
    return {"campaigns": queries.campaign_choices(session=session), "sources": queries.source_choices(session=session),
            "owners": queries.assignable_owners(actor, session=session), "stages": STAGES, "channels": CHANNELS,
            "sorts": SORTS, "page_sizes": PAGE_SIZES, "stage_labels": STAGE_LABELS, "stage_badges": STAGE_BADGES,
            "column_labels": inbox_columns.LABELS, "choosable": inbox_columns.CHOOSABLE,
            "secondary": inbox_columns.SECONDARY, "bands": BANDS, "band_choices": BAND_CHOICES,
            "grade_choices": GRADE_CHOICES, "filter_labels": FILTER_LABELS, "clear": dict.fromkeys(FILTERS)}


def _followups(request: Request, inbox: Inbox):
    """The follow-up stage's reader (the `lead_followup` hook: followup sits above leads), with the overdue filter
    applied; None when no stage gives it."""
    reader = getattr(request.app.state, "lead_followup", None)
    if inbox.filter.followup == "overdue":
        if reader is None:
            inbox.errors["followup"] = "Follow-ups are not tracked here."
        else:
            inbox.filter.within = reader.overdue_lead_ids(moment=now())
    return reader


def _segments(request: Request, inbox: Inbox, actor: Actor, session) -> list[tuple[int, str]]:
    """The segments stage's reader (the `lead_segments` hook: segments sit above leads), with the segment filter
    applied; the menu of segments, empty when no stage gives it or the actor may not read segments."""
    reader = getattr(request.app.state, "lead_segments", None)
    allowed = reader is not None and actor.can("segments:read")
    chosen = inbox.values.get("segment")
    if chosen:
        if reader is None:
            inbox.errors["segment"] = "Segments are not kept here."
        elif not allowed:
            inbox.ignore("segment", "left out: you may not read segments, so the list is not filtered by one.")
        elif not chosen.isdecimal() or int(chosen) > plain.MAX_ID:
            inbox.errors["segment"] = "No such segment: choose one of the list."
        else:
            try:
                reader.get(int(chosen), session=session)
            except NotFound:
                inbox.errors["segment"] = "No such segment: choose one of the list."
            else:
                inbox.filter.segment = reader.member_select(int(chosen))
    return reader.choices(session=session) if allowed else []


@router.get("/leads")
def inbox_page(request: Request, actor: PageActor, session: DbSession, settings: AppSettings):
    actor.require("leads:read")
    choices = _choices(session, actor)
    inbox = parse(request.query_params, actor, session, choices["campaigns"], default_country=settings.default_country)
    followups = _followups(request, inbox)
    segments = _segments(request, inbox, actor, session)
    # The owner filter's menu: the people the actor may choose, and the one chosen (someone who has left, say).
    filter_owners = choices["owners"]
    if inbox.owner is not None and inbox.owner not in filter_owners:
        filter_owners = [*filter_owners, inbox.owner]
    context = {"inbox": inbox, **choices, "filter_owners": filter_owners, "segment_choices": segments,
               "saved": queries.saved_views(actor.user_id, session=session),
               "can_assign": actor.can("leads:assign"), "can_write": actor.can("leads:write"),
               "can_export": actor.can("leads:export"), "page": None, "total": 0,
               "new_for_me": queries.new_for(actor.user_id, session=session)}
    status = 200
    if inbox.errors:
        status = 422
    else:
        try:
            page = queries.inbox_page(actor, inbox.filter, session=session, sort=inbox.sort,
                                      descending=inbox.descending,
                                      after=inbox.values["after"] or None, before=inbox.values["before"] or None,
                                      limit=inbox.limit)
        except Invalid as exc:
            inbox.errors["cursor"] = exc.errors[0].reason[:1].upper() + exc.errors[0].reason[1:] + "."
            status = 422
        else:
            context["page"] = page
            context["total"] = queries.count_capped(actor, inbox.filter, session=session, cap=CAPPED)
            context["capped"] = CAPPED
            context["owners_by_id"] = queries.users_by_id({x.owner_id for x in page.leads if x.owner_id},
                                                          session=session)
            context["followups"] = followups.states([x.id for x in page.leads], session=session,
                                                    moment=now()) if followups else {}
            context["campaigns_by_id"] = queries.campaigns_by_id(
                {x.campaign_id for x in page.leads if x.campaign_id}, session=session)
            context["empty_database"] = not page.leads and not inbox.filtering and not queries.count_capped(
                actor, queries.LeadFilter(), session=session, cap=1)
    partial = bool(request.headers.get("hx-request")) and request.headers.get("hx-target") == "inbox-results"
    context["partial"] = partial
    if inbox.sort in ("created", "updated"):
        context["order_words"] = "newest first" if inbox.descending else "oldest first"
    elif inbox.sort == "score":
        context["order_words"] = ("highest first" if inbox.descending else "lowest first") + ", unscored leads last"
    else:
        context["order_words"] = "Z to A" if inbox.descending else "A to Z"
    return render(request, "leads/_inbox_results.html" if partial else "leads/inbox.html", context,
                  status_code=status)


@router.get("/leads/export.csv")
def export_filtered(request: Request, actor: PageActor, session: DbSession, settings: AppSettings):
    """Every lead of the filtered list this actor sees, streamed."""
    actor.require("leads:export")
    inbox = parse(request.query_params, actor, session, [], default_country=settings.default_country)
    _followups(request, inbox)
    _segments(request, inbox, actor, session)
    if inbox.errors or inbox.ignored:  # never more leads than the list asked for
        return render(request, "error.html", {"title": "Cannot export this list", "message": " ".join(
            f"{FILTER_LABELS.get(name, name)}: {reason}" for name, reason in {**inbox.errors,
                                                                              **inbox.ignored}.items())},
            status_code=422)
    return _csv(request, session, queries.inbox_export(actor, inbox.filter, session=session))


def _csv(request: Request, session, leads) -> StreamingResponse:
    extra = request.app.state.lead_export_columns

    def rows():
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(export.header(extra))
        for count, row in enumerate(export.rows(session, leads, extra), 1):
            writer.writerow(row)
            if count % 500 == 0:
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
        yield buffer.getvalue()

    stamp = now().strftime("%Y-%m-%d-%H%M")
    headers = {**HEADERS, "Content-Disposition": f'attachment; filename="leads-{stamp}.csv"'}
    return StreamingResponse(rows(), media_type="text/csv; charset=utf-8", headers=headers)


def _back(target: str) -> str:
    path = local_path(target, "/leads")
    return path if path == "/leads" or path.startswith("/leads?") else "/leads"


def _plural(count: int, word: str = "lead") -> str:
    return f"{count} {word}" + ("" if count == 1 else "s")


@router.post("/leads/bulk")
async def bulk(request: Request, actor: PageActor, session: DbSession):
    """Assign, change stage or export the chosen leads; leads this actor does not see are left alone."""
    form = await request.form()
    action = str(form.get("action") or "")
    back = _back(str(form.get("back") or "/leads"))
    ids = sorted({int(v) for v in form.getlist("ids") if isinstance(v, str) and v.isdecimal() and len(v) < 19})
    if action not in ("assign", "stage", "export"):
        return redirect(request, back, message="Choose what to do with the selected leads.", kind="error")
    if not ids:
        return redirect(request, back, message="Select at least one lead first (tick its box).", kind="error")
    if len(ids) > MAX_SELECTED:
        return redirect(request, back, message=f"Select at most {MAX_SELECTED} leads at a time.", kind="error")
    if action == "export":
        actor.require("leads:export")
        return _csv(request, session, queries.inbox_export(actor, queries.LeadFilter(), session=session, ids=ids))
    if action == "assign":
        actor.require("leads:assign")
        owner_text = str(form.get("owner") or "")
        owners = {u.id: u for u in queries.assignable_owners(actor, session=session)}
        if not owner_text.isdecimal() or int(owner_text) not in owners:
            return redirect(request, back, message="Choose an owner from the list to assign the leads to.",
                            kind="error")
        owner = owners[int(owner_text)]
        values, done = {"owner_id": owner.id}, f"assigned to {owner.name or owner.email}"
    else:
        actor.require("leads:write")
        stage = str(form.get("stage") or "")
        if stage not in STAGES:
            return redirect(request, back, message="Choose a stage from the list.", kind="error")
        values, done = {"stage": stage}, f"moved to stage {stage.upper() if len(stage) == 3 else stage}"
    changed = 0
    skipped = 0
    for lead in queries.visible_selection(actor, ids, session=session):
        try:
            if leads_service.edit(session=session, lead=lead, values=values, actor=actor.label):
                changed += 1
        except Invalid:  # a move the stage machine does not allow from this lead's stage (checked before any change)
            skipped += 1
    session.commit()
    if skipped:
        why = ("disqualifying needs a reason: use each lead's qualification panel" if values.get("stage") ==
               "disqualified" else "the stage machine does not allow that move from their stage")
        return redirect(request, back, message=f"{_plural(changed)} {done}; {_plural(skipped)} left as they were "
                                               f"({why}).", kind="info" if changed else "error")
    return redirect(request, back, message=f"{_plural(changed)} {done}.", kind="ok")


@router.post("/leads/views")
def save_view(request: Request, actor: PageActor, session: DbSession, name: Annotated[str, Form()] = "",
              query: Annotated[str, Form()] = ""):
    actor.require("leads:read")
    name = " ".join(name.split())[:100]
    query = urlencode([(k, v) for k, v in parse_qsl(query[:2000]) if k in KEPT and v])
    back = "/leads" + (f"?{query}" if query else "")
    if not name:
        return redirect(request, _back(back), message="Give the view a name to save it.", kind="error")
    existing = session.scalar(select(SavedView).where(SavedView.user_id == actor.user_id, SavedView.name == name))
    if existing is not None:
        existing.query = query
    else:
        session.add(SavedView(user_id=actor.user_id, name=name, query=query, created_at=now()))
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        return redirect(request, _back(back), message="That view name is taken; try again.", kind="error")
    return redirect(request, _back(back), message=f"View \u201c{name}\u201d saved.", kind="ok")


@router.post("/leads/views/{view_id}/delete")
def delete_view(request: Request, view_id: int, actor: PageActor, session: DbSession):
    actor.require("leads:read")
    view = session.get(SavedView, view_id)
    if view is None or view.user_id != actor.user_id:
        raise NotFound("saved view", view_id)
    session.execute(delete(SavedView).where(SavedView.id == view.id))
    session.commit()
    return redirect(request, "/leads", message=f"View \u201c{view.name}\u201d deleted.", kind="ok")
