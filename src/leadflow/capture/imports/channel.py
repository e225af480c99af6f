"""The import channel over HTTP: upload a CSV or .xlsx file, check its mapping, run it in the background."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse, StreamingResponse
from starlette.datastructures import FormData, UploadFile

from leadflow.capture.channels.answer import error_body
from leadflow.capture.imports import files, headers
from leadflow.capture.imports import queries as import_queries
from leadflow.capture.imports import service as import_service
from leadflow.capture.imports.schemas import (
    ColumnRead,
    ImportChange,
    ImportDetail,
    ImportPage,
    ImportRead,
)
from leadflow.capture.models import Import
from leadflow.errors import Invalid
from leadflow.http import AppSettings, DbSession, Upload
from leadflow.inputs import Id
from leadflow.people.deps import permitted
from leadflow.people.service import Actor

router = APIRouter(prefix="/api/v1", tags=["imports"])

Reader = Annotated[Actor, permitted("imports:read")]
Runner = Annotated[Actor, permitted("imports:run")]

UPLOAD_BODY = {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
    "type": "object", "required": ["file"],
    "properties": {
        "file": {"type": "string", "format": "binary", "description": "CSV (any common delimiter) or .xlsx"},
        "campaign": {"type": "string", "description": "campaign code for every row; created when new"},
        "channel": {"type": "string", "default": "import", "description": "capture channel, e.g. trade_fair"},
        "mapping": {"type": "string", "description": 'JSON {"Column header": "lead_field" | "custom:<name>" | '
                                                     '"ignore"}'},
        "id_column": {"type": "string", "description": "column kept as each capture's external id"},
        "country": {"type": "string", "description": "ISO 3166 code (or name) that reads phone numbers written "
                                                     "without +country code (a row's own country comes first)"},
        "start": {"type": "boolean", "default": True, "description": "false: wait for PATCH and /start"},
    }}}}}}
TRUE, FALSE = {"true", "1", "yes", "on"}, {"false", "0", "no", "off"}




def _text(form: FormData, name: str) -> str | None:
    value = form.get(name)
    if value is None or isinstance(value, UploadFile):
        return None
    return value.strip() or None


def _progress(record: Import) -> float | None:
    if record.status == "done":
        return 1.0
    if record.rows_total:
        return round(min(1.0, record.rows_done / record.rows_total), 4)
    if record.size_bytes:
        return round(min(1.0, record.bytes_done / record.size_bytes), 4)
    return None


def _read(record: Import) -> ImportRead:
    item = ImportRead.model_validate(record)
    item.progress = _progress(record)
    end = record.finished_at or record.heartbeat_at
    if record.started_at and end:
        item.seconds = round(max((end - record.started_at).total_seconds(), 0.0), 3)
        if item.seconds:
            item.rows_per_second = round(record.rows_done / item.seconds, 1)
    return item


def _detail(record: Import, mapping: headers.Mapping | None = None) -> ImportDetail:
    if mapping is None and record.columns:
        try:
            mapping = headers.propose(record.columns, record.mapping, record.id_column)
        except Invalid:
            mapping = None
    base = f"/api/v1/imports/{record.id}"
    return ImportDetail(
        **_read(record).model_dump(),
        columns=[ColumnRead(header=c.header, target=c.target, source=c.source) for c in mapping.columns]
        if mapping else [],
        mapping=mapping.as_dict() if mapping else {}, sample=record.sample or [],
        links={"self": base, "start": f"{base}/start", "rejects": f"{base}/rejects.csv",
               "captures": f"/api/v1/captures?import_id={record.id}"},
    )


@router.post("/imports", status_code=202, response_model=ImportDetail, openapi_extra=UPLOAD_BODY,
             responses={413: {"description": "file over LEADFLOW_MAX_UPLOAD_BYTES"},
                        422: {"description": "unreadable file or wrong mapping"}})
def create_import(session: DbSession, actor: Runner, settings: AppSettings, form: Upload):
    """Upload a file: 202 with the import, its proposed mapping and sample rows; a worker runs it."""
    upload = form.get("file")
    if not isinstance(upload, UploadFile):
        raise Invalid.one("file", "is required: send the file as multipart/form-data field 'file'")
    start = (_text(form, "start") or "true").lower()
    if start not in TRUE | FALSE:
        raise Invalid.one("start", "must be true or false")
    overrides = import_service.read_mapping_json(_text(form, "mapping"))
    record = import_service.create(session=session, filename=upload.filename or "upload", channel=_text(form,
                                                                                                        "channel"),
                                   campaign=_text(form, "campaign"), mapping=overrides,
                                   id_column=_text(form, "id_column"), status="waiting",
                                   country=_text(form, "country"))
    import_service.store_file(record, upload.file, session=session)
    upload.file.seek(0)
    try:
        table = files.open_table(upload.file, filename=record.filename)
        try:
            mapping = import_service.describe(record, table, session=session)
        finally:
            table.close()
    except Invalid as exc:
        record.status, record.error = "failed", str(exc)
        session.commit()
        body = error_body(exc.errors)
        body["import_id"] = record.id
        return JSONResponse(body, status_code=422)
    if start in TRUE:
        import_service.queue(record, session=session, default_country=settings.default_country)
    session.commit()
    return JSONResponse(_detail(record, mapping).model_dump(mode="json"), status_code=202,
                        headers={"Location": f"/api/v1/imports/{record.id}"})


@router.get("/imports", response_model=ImportPage)
def list_imports(session: DbSession, actor: Reader, cursor: str | None = None,
                 limit: Annotated[int, Query(ge=1, le=200)] = 50):
    records, next_cursor = import_queries.page(session=session, cursor=cursor, limit=limit)
    return ImportPage(items=[_read(r) for r in records], next_cursor=next_cursor)


@router.get("/imports/{import_id}", response_model=ImportDetail)
def get_import(import_id: Id, session: DbSession, actor: Reader):
    """Status (waiting, queued, running, done, failed), progress, counts and timings."""
    return _detail(import_service.get(import_id, session=session))


@router.patch("/imports/{import_id}", response_model=ImportDetail)
def change_import(import_id: Id, body: ImportChange, session: DbSession, actor: Runner):
    """Correct the mapping (or id column, campaign, channel) of an import that has not started."""
    record = import_service.get(import_id, session=session)
    mapping = import_service.change(record, session=session, **body.model_dump(exclude_unset=True))
    session.commit()
    return _detail(record, mapping)


@router.post("/imports/{import_id}/start", status_code=202, response_model=ImportDetail)
def start_import(import_id: Id, session: DbSession, actor: Runner, settings: AppSettings):
    """Queue a waiting import, or resume a failed one after its last committed chunk."""
    record = import_service.get(import_id, session=session)
    headers.propose(record.columns, record.mapping, record.id_column)
    import_service.queue(record, session=session, default_country=settings.default_country)
    session.commit()
    return _detail(record)


@router.get("/imports/{import_id}/rejects.csv", response_class=StreamingResponse,
            responses={200: {"content": {"text/csv": {}}}})
def import_rejects(import_id: Id, session: DbSession, actor: Reader):
    """Every row that was not imported: the file's columns, then row_number and reason (streamed)."""
    record = import_service.get(import_id, session=session)

    return StreamingResponse(import_queries.reject_csv(record, session=session), media_type="text/csv; charset=utf-8",
                             headers={"Content-Disposition": f'attachment; filename="import-{import_id}-rejects.csv"'})
