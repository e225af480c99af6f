"""The "Import ad spend" page: upload a platform's spend report, see what each row became; past imports."""

from __future__ import annotations

from fastapi import Request
from starlette.datastructures import UploadFile

from leadflow.campaigns import queries, spending
from leadflow.campaigns.schemas import SpendImportDetail, SpendImportRead
from leadflow.errors import Invalid
from leadflow.http import DbSession, read_form
from leadflow.people.deps import PageActor
from leadflow.web.pages import page_router, redirect, render

router = page_router(tags=["pages"])

PLATFORMS = (("", "Detect from the file"), ("google", "Google Ads"), ("meta", "Meta Ads Manager"),
             ("linkedin", "LinkedIn Campaign Manager"), ("generic", "Other (campaign, amount and date columns)"))
RECENT = 20
HOW = {"linked": "linked by platform id", "code": "matched by code", "name": "matched by name",
       "created": "new campaign"}


def _page(request: Request, session, *, values: dict, errors: dict, status_code: int = 200):
    records, _ = queries.spend_imports(session=session, cursor=None, limit=RECENT)
    sizes = queries.spend_import_sizes([r.id for r in records], session=session)
    return render(request, "campaigns/spend.html", {
        "values": values, "errors": errors, "platforms": PLATFORMS, "limit_mb": spending.MAX_BYTES // 1_000_000,
        "imports": [SpendImportRead.of(r, sizes.get(r.id, 0)) for r in records],
    }, status_code=status_code)


@router.get("/campaigns/spend")
def spend_page(request: Request, actor: PageActor, session: DbSession):
    actor.require("campaigns:write")
    return _page(request, session, values={"platform": ""}, errors={})


@router.post("/campaigns/spend")
async def upload_spend(request: Request, actor: PageActor, session: DbSession):
    actor.require("campaigns:write")
    form = await read_form(request)
    platform = form.get("platform")
    values = {"platform": platform.strip() if isinstance(platform, str) else ""}
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return _page(request, session, values=values, errors={"file": "Choose the report's CSV file."},
                     status_code=422)
    data = await upload.read(spending.MAX_BYTES + 1)
    try:
        record = spending.store(session=session, filename=upload.filename, data=data,
                                platform=values["platform"] or None, actor=actor.label)
    except Invalid as exc:
        session.rollback()
        return _page(request, session, values=values, status_code=422,
                     errors={e.field: e.reason[:1].upper() + e.reason[1:] + "." for e in exc.errors})
    try:
        spending.apply(record, session=session)
    except Invalid as exc:
        session.commit()  # the file stays, with why it could not be read
        reason = "; ".join(e.reason for e in exc.errors)
        return _page(request, session, values=values, status_code=422,
                     errors={"file": f"This file cannot be read as a spend report: {reason}."})
    session.commit()
    summary = record.summary
    return redirect(request, f"/campaigns/spend/{record.id}", kind="ok",
                    message=f"{record.filename}: {len(summary['rows'])} costs imported, {len(summary['skipped'])} "
                            f"skipped, {len(summary['rejects'])} rejected.")


@router.get("/campaigns/spend/{import_id}")
def spend_import_page(request: Request, import_id: int, actor: PageActor, session: DbSession):
    actor.require("campaigns:read")
    record = spending.get(import_id, session=session)
    return render(request, "campaigns/spend_result.html", {
        "record": SpendImportDetail.of(record, len(record.data)), "how": HOW,
        "platform_label": dict(PLATFORMS),
    })
