"""Imports in the browser: upload, the column mapping to correct, progress, the reject file."""

from __future__ import annotations

from functools import lru_cache

import pycountry
from fastapi import Request
from fastapi.responses import StreamingResponse
from starlette.datastructures import UploadFile

from leadflow.campaigns import queries as campaigns_queries
from leadflow.campaigns.models import Campaign
from leadflow.capture.domain import ATTRIBUTION_FIELDS, LEAD_FIELDS
from leadflow.capture.imports import files, headers
from leadflow.capture.imports import queries as import_queries
from leadflow.capture.imports import service as import_service
from leadflow.capture.models import Import
from leadflow.errors import Conflict, Invalid
from leadflow.http import DbSession, read_form
from leadflow.people.deps import PageActor
from leadflow.web.pages import page_router, redirect, render

router = page_router(tags=["pages"])

PAGE_SIZE = 50
CHANNELS = (("import", "Import"), ("trade_fair", "Trade fair"), ("purchased_list", "Purchased list"),
            ("telemarketing", "Telemarketing"), ("partner", "Partner"), ("event", "Event"))
RUNNING = ("queued", "running")
CUSTOM, IGNORE = "custom", headers.IGNORE
TARGET_LABELS = {
    "first_name": "First name", "last_name": "Last name", "email": "Email", "phone": "Phone", "mobile": "Mobile",
    "job_title": "Job title", "company": "Company", "street": "Street", "postal_code": "Postal code",
    "city": "City", "region": "Region", "country": "Country", "language": "Language",
    headers.FULL_NAME: "Full name (split into first and last)", headers.CAMPAIGN: "Campaign code",
    headers.DO_NOT_CONTACT: "Do not contact (yes/no)", headers.CONSENT: "Marketing consent (yes/no)",
}
TARGET_GROUPS = (
    ("Lead fields", (*LEAD_FIELDS, headers.FULL_NAME)),
    ("Origin", (headers.CAMPAIGN, *ATTRIBUTION_FIELDS)),
    ("Permissions", (headers.DO_NOT_CONTACT, headers.CONSENT)),
)
STATUS_LABELS = {"waiting": "Waiting for its mapping", "queued": "Queued", "running": "Running", "done": "Done",
                 "failed": "Failed"}


def target_label(target: str) -> str:
    if target.startswith(headers.CUSTOM):
        return f"Custom field “{target[len(headers.CUSTOM):]}”"
    if target == IGNORE:
        return "Ignored"
    return TARGET_LABELS.get(target, target)


def progress_of(record: Import) -> float | None:
    if record.status == "done":
        return 1.0
    if record.rows_total:
        return min(1.0, record.rows_done / record.rows_total)
    if record.size_bytes and record.bytes_done:
        return min(1.0, record.bytes_done / record.size_bytes)
    return None


def _campaign_names(session, ids: set[int]) -> dict[int, Campaign]:
    return {c.id: c for c in (session.get(Campaign, i) for i in ids) if c is not None}


def _common(**values) -> dict:
    return {"status_labels": STATUS_LABELS, "target_label": target_label, "progress_of": progress_of, **values}


@router.get("/imports")
def import_list(request: Request, actor: PageActor, session: DbSession, cursor: str = ""):
    actor.require("imports:read")
    try:
        records, next_cursor = import_queries.page(session=session, cursor=cursor[:100] or None, limit=PAGE_SIZE)
    except Invalid:
        records, next_cursor = import_queries.page(session=session, cursor=None, limit=PAGE_SIZE)
    campaigns = _campaign_names(session, {r.campaign_id for r in records if r.campaign_id})
    return render(request, "capture/import_list.html", _common(
        imports=records, campaigns=campaigns, next_cursor=next_cursor, first=not cursor,
        can_run="imports:run" in actor.permissions))


def _upload_page(request: Request, session, *, values: dict, errors: dict, status_code: int = 200):
    settings = request.app.state.settings
    return render(request, "capture/import_new.html", {
        "values": values, "errors": errors, "channels": CHANNELS,
        "campaigns": campaigns_queries.choices(session=session),
        "limit_mb": max(1, settings.max_upload_bytes // 1_000_000)}, status_code=status_code)


@router.get("/imports/new")
def new_import_page(request: Request, actor: PageActor, session: DbSession):
    actor.require("imports:run")
    return _upload_page(request, session, values={"campaign": "", "channel": "import"}, errors={})


def _text(form, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


@router.post("/imports/new")
async def upload(request: Request, actor: PageActor, session: DbSession):
    actor.require("imports:run")
    form = await read_form(request)
    values = {"campaign": _text(form, "campaign")[:200], "channel": _text(form, "channel")[:32] or "import"}
    upload_file = form.get("file")
    if not isinstance(upload_file, UploadFile) or not upload_file.filename:
        return _upload_page(request, session, values=values, errors={"file": "Choose a CSV or .xlsx file."},
                            status_code=422)
    try:
        record = import_service.create(session=session, filename=upload_file.filename, channel=values["channel"],
                                       campaign=values["campaign"] or None, status="waiting")
    except Invalid as exc:
        session.rollback()
        return _upload_page(request, session, values=values, status_code=422,
                            errors={e.field: e.reason[:1].upper() + e.reason[1:] + "." for e in exc.errors})
    import_service.store_file(record, upload_file.file, session=session)
    upload_file.file.seek(0)
    try:
        table = files.open_table(upload_file.file, filename=record.filename)
        try:
            import_service.describe(record, table, session=session)
        finally:
            table.close()
    except Invalid as exc:
        record.status, record.error = "failed", str(exc)
        session.commit()
        reason = "; ".join(e.reason for e in exc.errors)
        return _upload_page(request, session, values=values, status_code=422,
                            errors={"file": f"This file cannot be read: {reason}."})
    session.commit()
    return redirect(request, f"/imports/{record.id}/mapping",
                    message=f"{record.filename} uploaded: check the columns, then start the import.", kind="ok")


def _mapping_rows(record: Import, chosen: dict[int, dict] | None = None) -> list[dict]:
    """Per column: its header, the automatic guess, the target as it will import, sample values."""
    try:
        mapping = headers.propose(record.columns, record.mapping, record.id_column)
        current = {c.index: c.target for c in mapping.columns}
    except Invalid:
        current = {}
    result = []
    for index, header in enumerate(record.columns or []):
        guessed = headers.guess(header)
        target = current.get(index) or (guessed or headers.CUSTOM + header)
        choice = {"select": CUSTOM if target.startswith(headers.CUSTOM) else target,
                  "custom": target[len(headers.CUSTOM):] if target.startswith(headers.CUSTOM) else header}
        if chosen and index in chosen:
            choice = chosen[index]
        result.append({
            "index": index, "header": header, "guessed": guessed, "target": target, **choice,
            "samples": [row.get(header, "") for row in (record.sample or [])][:3],
        })
    return result


@lru_cache(maxsize=1)
def countries() -> list[tuple[str, str]]:
    """(ISO code, English name) of every country, by name: the choice that reads a file's national numbers."""
    return sorted(((c.alpha_2, getattr(c, "common_name", None) or c.name) for c in pycountry.countries),
                  key=lambda pair: pair[1])


def _mapping_page(request: Request, record: Import, *, rows: list[dict], errors: dict | None = None,
                  status_code: int = 200, country: str | None = None):
    return render(request, "capture/import_mapping.html", _common(
        record=record, rows=rows, errors=errors or {}, groups=TARGET_GROUPS, id_column=record.id_column or "",
        countries=countries(), country=record.country if country is None else country,
        server_country=request.app.state.settings.default_country), status_code=status_code)


@router.get("/imports/{import_id}/mapping")
def mapping_page(request: Request, import_id: int, actor: PageActor, session: DbSession):
    actor.require("imports:run")
    record = import_service.get(import_id, session=session)
    if record.status != "waiting":
        return redirect(request, f"/imports/{record.id}")
    return _mapping_page(request, record, rows=_mapping_rows(record))


@router.post("/imports/{import_id}/mapping")
async def save_mapping(request: Request, import_id: int, actor: PageActor, session: DbSession):
    actor.require("imports:run")
    record = import_service.get(import_id, session=session)
    if record.status != "waiting":
        return redirect(request, f"/imports/{record.id}", message="This import has started already: its mapping "
                        "can no longer change.", kind="error")
    form = await request.form()
    overrides, chosen, errors = {}, {}, {}
    for index, header in enumerate(record.columns or []):
        selected = str(form.get(f"map-{index}") or "").strip()
        custom = str(form.get(f"custom-{index}") or "").strip()[:200]
        chosen[index] = {"select": selected, "custom": custom or header}
        if selected == CUSTOM:
            if not custom:
                errors[index] = "Name the custom field."
                continue
            target = headers.CUSTOM + custom
        elif selected in headers.TARGETS:
            target = selected
        else:
            errors[index] = "Choose what this column holds."
            continue
        guessed = headers.guess(header) or headers.CUSTOM + header
        if target != guessed:
            overrides[header] = target
    id_column = str(form.get("id_column") or "").strip()
    if id_column and id_column not in (record.columns or []):
        errors["id_column"] = "Choose one of the file's columns."
    country = str(form.get("country") or "").strip()
    if errors:
        return _mapping_page(request, record, rows=_mapping_rows(record, chosen), errors=errors, status_code=422,
                             country=country)
    try:
        import_service.change(record, session=session, mapping=overrides, id_column=id_column, country=country)
    except Invalid as exc:
        session.rollback()
        record = import_service.get(import_id, session=session)
        by_header = {h: i for i, h in enumerate(record.columns or [])}
        for e in exc.errors:
            where = by_header.get(e.field.removeprefix("mapping."), e.field)
            errors[where] = e.reason[:1].upper() + e.reason[1:] + "."
        return _mapping_page(request, record, rows=_mapping_rows(record, chosen), errors=errors, status_code=422,
                             country=country)
    if form.get("action") == "start":
        import_service.queue(record, session=session, default_country=request.app.state.settings.default_country)
        session.commit()
        return redirect(request, f"/imports/{record.id}", message="Import started: the page shows its progress.",
                        kind="ok")
    session.commit()
    return redirect(request, f"/imports/{record.id}/mapping", message="Mapping saved.", kind="ok")


@router.post("/imports/{import_id}/start")
def start(request: Request, import_id: int, actor: PageActor, session: DbSession):
    """Start a waiting import as mapped, or resume a failed one after its last committed chunk."""
    actor.require("imports:run")
    record = import_service.get(import_id, session=session)
    try:
        headers.propose(record.columns, record.mapping, record.id_column)
        import_service.queue(record, session=session, default_country=request.app.state.settings.default_country)
    except (Invalid, Conflict) as exc:
        session.rollback()
        return redirect(request, f"/imports/{import_id}", message=f"The import cannot start: {exc}.", kind="error")
    session.commit()
    return redirect(request, f"/imports/{record.id}", message="Import started.", kind="ok")


def _detail_context(session, record: Import) -> dict:
    campaign = session.get(Campaign, record.campaign_id) if record.campaign_id else None
    return _common(record=record, campaign=campaign, polling=record.status in RUNNING, progress=progress_of(record),
                   rows=_mapping_rows(record) if record.columns else [])


@router.get("/imports/{import_id}")
def import_detail(request: Request, import_id: int, actor: PageActor, session: DbSession):
    actor.require("imports:read")
    record = import_service.get(import_id, session=session)
    return render(request, "capture/import_detail.html", {
        **_detail_context(session, record), "can_run": "imports:run" in actor.permissions})


@router.get("/imports/{import_id}/progress")
def import_progress(request: Request, import_id: int, actor: PageActor, session: DbSession):
    """The status panel alone, polled by htmx every 2 s while the import runs; without the trigger once it ends."""
    actor.require("imports:read")
    record = import_service.get(import_id, session=session)
    return render(request, "capture/import_progress.html", {
        **_detail_context(session, record), "can_run": "imports:run" in actor.permissions})


@router.get("/imports/{import_id}/rejects.csv")
def rejects_file(request: Request, import_id: int, actor: PageActor, session: DbSession):
    actor.require("imports:read")
    record = import_service.get(import_id, session=session)

    return StreamingResponse(import_queries.reject_csv(record, session=session),
                             media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="import-{import_id}-rejects.csv"', "Cache-Control": "no-store",
        "X-Content-Type-Options": "nosniff"})
