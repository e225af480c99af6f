"""Worker handlers of the capture stage: run an uploaded import."""

from __future__ import annotations

import logging

from sqlalchemy.orm import Session

from leadflow import db
from leadflow.capture import files, import_service
from leadflow.capture.models import Import
from leadflow.errors import Invalid

log = logging.getLogger(__name__)


def run_import(session: Session, payload: dict) -> None:
    """import.run: read the uploaded file back from its pieces and import it, chunk by chunk.

    An import commits per chunk so it can resume; it runs in sessions of its own on the job's database, not in the
    job's single transaction. A failure marks the import failed with the error; starting it again resumes it.
    """
    import_id = payload["import_id"]
    factory = db.sessions_like(session)
    with factory() as own:
        claimed = import_service.claim(own, import_id)
        own.commit()
        record = own.get(Import, import_id)
        if not claimed:
            if record is not None and record.status == "running":
                raise import_service.Busy(f"import {import_id} is running in another worker")
            return
        size = record.size_bytes
    try:
        table = files.open_table(files.PieceReader(import_service.piece_reader(
            db.sessions_like(session, reads_only=True), import_id)))
    except Invalid as exc:
        with factory() as own:
            import_service.fail(own, import_id, str(exc))
            own.commit()
        return
    try:
        import_service.run(factory, import_id, table, default_country=payload.get("default_country"),
                           lease_key=payload.get("key"), workers=import_service.workers_for(size))
    except Exception:
        log.exception("import %s failed; it can be started again to resume", import_id)
