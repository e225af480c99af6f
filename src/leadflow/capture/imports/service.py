"""Imports: an uploaded file kept in pieces, and a file turned into captures and leads chunk by chunk.

Each chunk is a batch of the intake (capture.intake: the planner, and its bulk writer for a thousand rows at once:
a few IN queries to match, one insert per table to write).
"""

from __future__ import annotations

import json
import logging
import os
import random
import re
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import BinaryIO

from sqlalchemy import func, insert, or_, select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from leadflow import events, outbox
from leadflow import values as plain
from leadflow.campaigns import service as campaigns_service
from leadflow.capture.imports import files, headers, rows
from leadflow.capture.intake import bulk as intake_bulk
from leadflow.capture.models import Import, ImportChunk, ImportReject
from leadflow.clock import now
from leadflow.db import is_transient
from leadflow.errors import Conflict, Invalid, NotFound
from leadflow.identity import bulk as identity_bulk
from leadflow.leads.domain import normalize_country
from leadflow.outbox import OutboxMessage

log = logging.getLogger(__name__)

CHUNK_ROWS = 1000
PARALLEL_BYTES = 4 << 20
PIECE_BYTES = 1 << 20
SAMPLE_ROWS = 5
STALE = timedelta(minutes=4)  # a running import whose last chunk is older than this has lost its worker
LEASE = timedelta(minutes=5)
CHANNEL_RE = re.compile(r"^[a-z][a-z0-9_]{0,31}$")


class Busy(Conflict):
    """The import is running in another worker; the job is tried again later."""


def check_channel(channel: str | None) -> str:
    channel = (channel or "import").strip().lower()
    if not CHANNEL_RE.match(channel):
        raise Invalid.one("channel", "must be lower-case letters, digits and _ (at most 32), e.g. trade_fair")
    return channel


def read_mapping_json(text: str | bytes | None) -> dict[str, str]:
    """A mapping given as JSON text: parsed and checked, so a wrong target stops the import before it starts."""
    if text is None or (isinstance(text, str | bytes) and not text.strip()):
        return {}
    try:
        data = json.loads(text)
    except (ValueError, UnicodeDecodeError) as exc:
        raise Invalid.one("mapping", f"malformed JSON: {exc}") from None
    return headers.check_overrides(data)


def create(*, session: Session, filename: str, channel: str | None = None, campaign: str | None = None,
           mapping: dict | None = None, id_column: str | None = None, status: str = "queued",
           country: str | None = None) -> Import:
    """A new import; the campaign a code names is found (or created) once here, not per row. The names a client
    sent with the file are cleaned like any text (a NUL in a file name is dropped)."""
    mapping, problems = plain.plain_json(mapping or {}, "mapping", max_bytes=None)
    if problems:
        raise Invalid(problems)
    filename, campaign, id_column = (plain.shown(text) if text else text for text in (filename, campaign, id_column))
    for name, text, longest in (("campaign", campaign, 200), ("id_column", id_column, 300)):
        if text and len(text) > longest:
            raise Invalid.one(name, f"longer than {longest} characters")
    channel = check_channel(channel)
    campaign_id = None
    if campaign and campaign.strip():
        campaign_id = campaigns_service.resolve(session=session, code=campaign.strip(), attribution={},
                                                capture_channel=channel)
    record = Import(filename=(filename or "upload")[-500:], file_format="csv", channel=channel,
                    campaign_id=campaign_id, mapping=headers.check_overrides(mapping or {}),
                    id_column=id_column or None, status=status, size_bytes=0, columns=[], sample=[],
                    rows_done=0, created=0, merged=0, rejected=0, set_aside=0, last_row=0, bytes_done=0,
                    country=file_country(country), created_at=now())
    session.add(record)
    session.flush()
    return record


def describe(record: Import, table: files.Table, *, session: Session, sample_rows: int = SAMPLE_ROWS
             ) -> headers.Mapping:
    """Keep the file's columns, format and a few sample rows on the import; raises Invalid for a wrong mapping.

    The sample is read from the table, so a table described with a sample is not run afterwards.
    """
    record.file_format = table.file_format
    record.columns = table.columns
    record.rows_total = table.rows_estimate
    sample = []
    for _, cells in (table.rows if sample_rows else ()):
        if isinstance(cells, files.Malformed) or not any(rows.text_of(c) for c in cells):
            continue
        sample.append({header: rows.text_of(cells[i]) if i < len(cells) else ""
                       for i, header in enumerate(table.columns)})
        if len(sample) >= sample_rows:
            break
    record.sample = sample
    session.flush()
    return headers.propose(table.columns, record.mapping, record.id_column)


def store_file(record: Import, upload: BinaryIO, *, session: Session) -> int:
    """The uploaded file into import_chunks, a piece at a time, so any worker can run it."""
    seq = size = 0
    while data := upload.read(PIECE_BYTES):
        session.execute(insert(ImportChunk).values(import_id=record.id, seq=seq, data=data))
        seq += 1
        size += len(data)
    record.size_bytes = size
    session.flush()
    return size


def piece_reader(factory: sessionmaker[Session], import_id: int) -> Callable[[int], bytes | None]:
    """Each piece in a short transaction of its own, so a long import holds no read open (SQLite's WAL can shrink);
    give it sessions for reads only (they never wait for the write lock)."""
    def piece(seq: int) -> bytes | None:
        with factory() as session:
            return session.scalar(select(ImportChunk.data).where(ImportChunk.import_id == import_id,
                                                                 ImportChunk.seq == seq))
    return piece


def queue(record: Import, *, session: Session, default_country: str | None = None) -> None:
    """Hand the import to any worker: an outbox message in the caller's transaction."""
    if record.status not in ("waiting", "failed", "queued"):
        raise Conflict(f"import {record.id} is {record.status}; only a waiting or failed import can be started")
    record.status = "queued"
    record.error = None
    key = f"import.run:{record.id}:{now().timestamp():.6f}"
    outbox.publish(session, events.IMPORT_RUN, {"import_id": record.id, "key": key,
                                                "default_country": default_country}, key=key)
    session.flush()


def change(record: Import, *, session: Session, mapping: dict | None = None, id_column: str | None = None,
           campaign: str | None = None, channel: str | None = None, country: str | None = None
           ) -> headers.Mapping:
    """A person's correction before the import starts; an empty country clears the file's own."""
    if record.status not in ("waiting", "failed") or record.rows_done:
        raise Conflict(f"import {record.id} is {record.status}; its mapping can change only before it starts")
    if country is not None:
        record.country = file_country(country)
    if channel is not None:
        record.channel = check_channel(channel)
    if campaign is not None:
        record.campaign_id = campaigns_service.resolve(session=session, code=campaign.strip(), attribution={},
                                                       capture_channel=record.channel) if campaign.strip() else None
    if mapping is not None:
        record.mapping = headers.check_overrides(mapping)
    if id_column is not None:
        record.id_column = id_column or None
    proposed = headers.propose(record.columns, record.mapping, record.id_column)
    if record.status == "failed":
        record.status, record.error = "waiting", None
    session.flush()
    return proposed


def file_country(value: str | None) -> str | None:
    """The country a file's phone numbers without +country code are read by: ISO 3166 alpha-2 or a name."""
    text = plain.shown(value).strip() if value else ""
    if not text:
        return None
    try:
        return normalize_country(text)
    except ValueError as exc:
        raise Invalid.one("country", str(exc)) from None


def get(import_id: int, *, session: Session) -> Import:
    record = session.get(Import, import_id)
    if record is None:
        raise NotFound("import", import_id)
    return record


def claim(import_id: int, *, session: Session) -> bool:
    """Mark the import running for this process, unless another one runs it (a fresh heartbeat)."""
    moment = now()
    result = session.execute(
        update(Import).where(Import.id == import_id).where(or_(
            Import.status.in_(("queued", "failed")),
            (Import.status == "running") & (or_(Import.heartbeat_at.is_(None), Import.heartbeat_at < moment - STALE)),
        )).values(status="running", heartbeat_at=moment, error=None,
                  started_at=func.coalesce(Import.started_at, moment))
    )
    return result.rowcount == 1


def fail(import_id: int, error: str, *, session: Session) -> None:
    session.execute(update(Import).where(Import.id == import_id).values(status="failed", error=error[:2000],
                                                                         heartbeat_at=now()))


@dataclass
class Job:
    import_id: int
    channel: str
    campaign_id: int | None
    client: str
    source: intake_bulk.Source = field(init=False)

    def __post_init__(self) -> None:
        self.source = intake_bulk.Source(channel=self.channel, client=self.client, import_id=self.import_id,
                                         campaign_id=self.campaign_id)

    @property
    def campaigns(self) -> dict[str, int | None]:
        return self.source.campaigns


@dataclass
class Progress:
    rows_done: int
    created: int
    merged: int
    rejected: int
    bytes_done: int
    size_bytes: int
    seconds: float


def run(factory: sessionmaker[Session], import_id: int, table: files.Table, *, default_country: str | None = None,
        on_progress: Callable[[Progress], None] | None = None, lease_key: str | None = None,
        chunk_rows: int = CHUNK_ROWS, workers: int = 0) -> Import:
    """Run a claimed import to its end, committing chunk by chunk; a rerun resumes after the last committed chunk.

    A batch owns its units of work, one per chunk (the house rule for batch jobs), so it takes a session factory.
    """
    with factory() as session:
        record = get(import_id, session=session)
        mapping = headers.propose(table.columns, record.mapping, record.id_column)
        job = Job(import_id=record.id, channel=record.channel, campaign_id=record.campaign_id,
                  client=f"import:{record.id}")
        resume_after, started = record.last_row, record.started_at or now()
        size = record.size_bytes
        default_country = record.country or default_country   # the file's own country, else the server's
    pool = _pool(workers)
    try:
        batches = _batches(table.rows, resume_after, chunk_rows)
        for prepared, last_row in _prepared(batches, mapping, default_country, pool):
            with factory() as session:
                _write_chunk(job, prepared, session=session, last_row=last_row, bytes_done=table.read_bytes(),
                             lease_key=lease_key)
                if on_progress is not None:
                    done = session.get(Import, import_id, populate_existing=True)
                    on_progress(Progress(done.rows_done, done.created, done.merged, done.rejected,
                                         table.read_bytes(), size, (now() - started).total_seconds()))
        with factory() as session:
            record = get(import_id, session=session)
            record.status, record.finished_at, record.heartbeat_at = "done", now(), now()
            record.rows_total = record.rows_done
            record.bytes_done = max(record.bytes_done, table.read_bytes())
            session.commit()
            return record
    except BaseException as exc:
        reason = "interrupted" if isinstance(exc, KeyboardInterrupt) else f"{type(exc).__name__}: {exc}"
        with factory() as session:
            fail(import_id, reason, session=session)
            session.commit()
        raise
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)
        table.close()


CHUNK_ATTEMPTS = 5


def _write_chunk(job: Job, prepared: list[rows.Prepared], *, session: Session, last_row: int, bytes_done: int,
                 lease_key: str | None) -> None:
    """One chunk in one transaction; a chunk that lost a race (a deadlock, a lead changed by a capture while the
    chunk matched it) is rolled back and run again on what is there now."""
    for attempt in range(1, CHUNK_ATTEMPTS + 1):
        try:
            process_chunk(job, prepared, session=session, last_row=last_row, bytes_done=bytes_done)
            if lease_key:
                session.execute(update(OutboxMessage).where(OutboxMessage.key == lease_key,
                                                            OutboxMessage.done_at.is_(None))
                                .values(locked_until=now() + LEASE))
            session.commit()
            return
        except (DBAPIError, identity_bulk.StaleLeads) as exc:
            session.rollback()
            job.campaigns.clear()   # a campaign the chunk created is gone with it
            if attempt == CHUNK_ATTEMPTS or not (isinstance(exc, identity_bulk.StaleLeads) or is_transient(exc)):
                raise
            log.info("import %s: a chunk raced another writer; attempt %d", job.import_id, attempt + 1)
            time.sleep(random.uniform(0, 0.05 * 2 ** attempt))


def workers_for(size_bytes: int) -> int:
    """Processes that read and check rows beside the one that writes: none for a small file (start-up costs more)."""
    if size_bytes < PARALLEL_BYTES:
        return 0
    return max(1, min(4, (os.cpu_count() or 1) - 1))


def _pool(workers: int):
    if not workers:
        return None
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    # spawn: a fork of a process with threads (the server's embedded worker) is not safe.
    return ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"))


def _prepared(batches: Iterator, mapping: headers.Mapping, default_country: str | None, pool
              ) -> Iterator[tuple[list[rows.Prepared], int]]:
    """Rows judged chunk by chunk, in file order; with a pool, the next chunks are judged while one is written."""
    if pool is None:
        for batch, last_row in batches:
            yield rows.prepare(mapping, batch, default_country=default_country), last_row
        return
    pending: deque = deque()
    depth = pool._max_workers + 1
    for batch, last_row in batches:
        pending.append((pool.submit(rows.prepare, mapping, batch, default_country=default_country), last_row))
        if len(pending) > depth:
            future, last = pending.popleft()
            yield future.result(), last
    while pending:
        future, last = pending.popleft()
        yield future.result(), last


def _batches(source: Iterator, resume_after: int, size: int) -> Iterator[tuple[list, int]]:
    """Non-empty rows after the resume point, in chunks, with the last row number each chunk covers."""
    batch: list[tuple[int, list | str]] = []
    last = resume_after
    for number, cells in source:
        if number <= resume_after:
            continue
        last = number
        if isinstance(cells, files.Malformed):
            batch.append((number, cells.reason))
        elif any(c is not None and str(c).strip() for c in cells):
            batch.append((number, cells))
        if len(batch) >= size:
            yield batch, last
            batch = []
    if batch:
        yield batch, last


def process_chunk(job: Job, prepared: list[rows.Prepared], *, session: Session, last_row: int,
                  bytes_done: int) -> tuple[int, int, int]:
    """One chunk through the intake (a batch of many); flushes, the caller commits. Returns (created, merged,
    rejected)."""
    moment = now()
    # The first write takes SQLite's write lock, so no capture can slip in between matching and writing.
    session.execute(update(Import).where(Import.id == job.import_id).values(heartbeat_at=moment))
    items = [intake_bulk.Item(p.row_number, {"row_number": p.row_number, "values": p.values}, p.external_id, p.lead,
                              p.errors, p.set_aside) for p in prepared]
    taken = intake_bulk.take(session=session, source=job.source, items=items, moment=moment)
    counts = {"created": 0, "merged": 0, "rejected": 0}
    aside = 0
    rejects = []
    for done in taken:
        counts[done.outcome] += 1
        aside += bool(done.item.set_aside) and done.outcome != "rejected"
        if done.outcome == "rejected":
            rejects.append({"import_id": job.import_id, "row_number": done.item.ref, "row": done.item.payload["values"],
                            "reason": "; ".join(f"{e.field}: {e.reason}" for e in done.item.errors)})
    if rejects:
        session.execute(insert(ImportReject.__table__), rejects)
    session.execute(update(Import).where(Import.id == job.import_id).values(
        rows_done=Import.rows_done + len(prepared), created=Import.created + counts["created"],
        merged=Import.merged + counts["merged"], rejected=Import.rejected + counts["rejected"],
        set_aside=Import.set_aside + aside, last_row=last_row, bytes_done=bytes_done, heartbeat_at=now()))
    return counts["created"], counts["merged"], counts["rejected"]
