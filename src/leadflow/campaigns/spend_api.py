"""JSON routes for ad spend imports: upload a platform's spend report, list past imports, read one."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse
from starlette.datastructures import FormData, UploadFile

from leadflow.campaigns import queries, spending
from leadflow.campaigns.schemas import SpendImportDetail, SpendImportPage, SpendImportRead
from leadflow.errors import Invalid
from leadflow.http import DbSession, Upload, retry_races
from leadflow.inputs import Id
from leadflow.people.deps import permitted
from leadflow.people.service import Actor

router = APIRouter(prefix="/api/v1/campaigns/spend-imports", tags=["campaigns"])

Reader = Annotated[Actor, permitted("campaigns:read")]
Writer = Annotated[Actor, permitted("campaigns:write")]

UPLOAD_BODY = {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
    "type": "object", "required": ["file"],
    "properties": {
        "file": {"type": "string", "format": "binary",
                 "description": "the platform's spend export as CSV (Google Ads campaign report, Meta Ads Manager "
                                "export, LinkedIn Campaign Manager export, or a CSV with campaign, amount and date "
                                f"columns); up to {spending.MAX_BYTES // 1_000_000} MB"},
        "platform": {"type": "string", "enum": ["google", "meta", "linkedin", "generic"],
                     "description": "the file's format; detected when left out"},
        "currency": {"type": "string", "description": "for rows whose file names no currency"},
    }}}}}}




def _text(form: FormData, name: str) -> str | None:
    value = form.get(name)
    return value.strip() or None if isinstance(value, str) else None


def read_upload(form: FormData) -> tuple[str, bytes]:
    """The uploaded file's name and bytes, read no further than the limit."""
    upload = form.get("file")
    if not isinstance(upload, UploadFile):
        raise Invalid.one("file", "is required: send the report as multipart/form-data field 'file'")
    upload.file.seek(0)
    return upload.filename or "upload.csv", upload.file.read(spending.MAX_BYTES + 1)


def _currency(form: FormData) -> str | None:
    currency = _text(form, "currency")
    if currency is not None and not (len(currency) == 3 and currency.isalpha() and currency.isascii()):
        raise Invalid.one("currency", "must be a three-letter currency code such as EUR")
    return currency.upper() if currency else None


@router.post("", response_model=SpendImportDetail, status_code=201, openapi_extra=UPLOAD_BODY,
             responses={422: {"description": "an empty, unreadable or too large file, or an unknown platform"}})
@retry_races
def import_spend(session: DbSession, actor: Writer, form: Upload):
    """Import a spend report: each row's cost on its campaign (matched, or created), replacing the figure an
    earlier import of the same campaign, period and currency wrote; the file is kept as it came."""
    filename, data = read_upload(form)
    platform = _text(form, "platform")
    currency = _currency(form)
    record = spending.store(session=session, filename=filename, data=data, platform=platform, actor=actor.label)
    try:
        spending.apply(record, session=session, currency=currency)
    except Invalid:
        session.commit()  # the file stays, with why it could not be read
        raise
    session.commit()
    body = SpendImportDetail.of(record, len(record.data)).model_dump(mode="json")
    return JSONResponse(body, status_code=201, headers={"Location": f"{router.prefix}/{record.id}"})


@router.get("", response_model=SpendImportPage)
def list_spend_imports(session: DbSession, actor: Reader, cursor: str | None = None,
                       limit: Annotated[int, Query(ge=1, le=200)] = 50):
    records, next_cursor = queries.spend_imports(session=session, cursor=cursor, limit=limit)
    sizes = queries.spend_import_sizes([r.id for r in records], session=session)
    return SpendImportPage(items=[SpendImportRead.of(r, sizes.get(r.id, 0)) for r in records],
                           next_cursor=next_cursor)


@router.get("/{import_id}", response_model=SpendImportDetail)
def get_spend_import(import_id: Id, session: DbSession, actor: Reader):
    record = spending.get(import_id, session=session)
    return SpendImportDetail.of(record, len(record.data))
