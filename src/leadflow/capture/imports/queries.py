"""Reads of imports with no decision: the reject file, the list of imports."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from sqlalchemy import select
from sqlalchemy.orm import Session

from leadflow.capture.models import Import, ImportReject
from leadflow.leads.domain import spreadsheet_safe
from leadflow.pages import keyset_page


def reject_rows(record: Import, *, session: Session) -> Iterator[list[str]]:
    """The reject file's rows: the file's columns, then row_number and reason; read in pages, never all at once."""
    columns = list(record.columns or [])
    yield [*columns, "row_number", "reason"]
    query = (select(ImportReject.row_number, ImportReject.row, ImportReject.reason)
             .where(ImportReject.import_id == record.id).order_by(ImportReject.row_number, ImportReject.id))
    for number, values, reason in session.execute(query.execution_options(yield_per=2000)):
        values = values or {}
        yield [spreadsheet_safe(value) for value in (*(values.get(c, "") for c in columns), str(number), reason)]


def reject_csv(record: Import, *, session: Session) -> Iterator[str]:
    """The reject file as CSV text, in pieces of about 64 KB, for a streamed download."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in reject_rows(record, session=session):
        writer.writerow(row)
        if buffer.tell() > 1 << 16:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def page(*, session: Session, cursor: str | None, limit: int) -> tuple[list[Import], str | None]:
    return keyset_page(session, select(Import), Import.id, cursor=cursor, limit=limit)

