"""Reading an imported file as a stream of rows: CSV (encoding and delimiter found) or .xlsx (first sheet).

No database and no HTTP: it reads the binary stream it is given, a little at a time, and never the whole file.
"""

from __future__ import annotations

import codecs
import csv
import io
import shutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

from leadflow.capture.imports import encodings
from leadflow.capture.imports.headers import unique_headers
from leadflow.errors import Invalid

XLSX_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # the old binary .xls
DELIMITERS = (",", ";", "\t", "|")
SAMPLE_BYTES = 1 << 16
MAX_FIELD_CHARS = 1 << 24
ERRORS = "leadflow.cp1252"


class Malformed:
    """A row the CSV reader could not read; it becomes a reject with this reason."""

    def __init__(self, reason: str):
        self.reason = reason


class CountingReader(io.RawIOBase):
    """Counts the bytes read from a binary stream, for a progress bar over the file."""

    def __init__(self, inner: BinaryIO):
        self.inner = inner
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self.inner.read(len(buffer))
        size = len(data)
        buffer[:size] = data
        self.count += size
        return size


class PieceReader(io.RawIOBase):
    """A file kept in numbered pieces (import_chunks), read back in order: piece(n) gives bytes or None at the end."""

    def __init__(self, piece: Callable[[int], bytes | None]):
        self.piece = piece
        self.seq = 0
        self.pending = b""
        self.done = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        while not self.pending and not self.done:
            data = self.piece(self.seq)
            self.seq += 1
            if data is None:
                self.done = True
            else:
                self.pending = data
        size = min(len(buffer), len(self.pending))
        buffer[:size] = self.pending[:size]
        self.pending = self.pending[size:]
        return size


@dataclass
class Table:
    """A file's header and its data rows as (row number, cells); row 1 is the file's first row, as a spreadsheet shows."""

    file_format: str  # csv, xlsx
    columns: list[str]
    header_row: int
    rows: Iterator[tuple[int, list[object] | Malformed]]
    read_bytes: Callable[[], int]
    rows_estimate: int | None = None
    encoding: str | None = None
    delimiter: str | None = None
    closers: list[Callable[[], None]] = field(default_factory=list)

    def close(self) -> None:
        for close in self.closers:
            close()


def _fallback(exc: UnicodeDecodeError):
    """Bytes that are not UTF-8 are read as Windows-1252 (Latin-1 for the five bytes it leaves undefined)."""
    bad = exc.object[exc.start:exc.end]
    text = []
    for byte in bad:
        try:
            text.append(bytes([byte]).decode("cp1252"))
        except UnicodeDecodeError:
            text.append(chr(byte))
    return "".join(text), exc.end


def _register() -> None:
    try:
        codecs.lookup_error(ERRORS)
    except LookupError:
        codecs.register_error(ERRORS, _fallback)


def detect_delimiter(first_line: str) -> str:
    """The candidate that splits the header line most often, outside quotes; a comma when none does."""
    counts = dict.fromkeys(DELIMITERS, 0)
    quoted = False
    for char in first_line:
        if char == '"':
            quoted = not quoted
        elif not quoted and char in counts:
            counts[char] += 1
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def open_table(stream: BinaryIO, *, filename: str = "") -> Table:
    """Read the header of a CSV or .xlsx stream; raises Invalid (field 'file') when it is neither."""
    counter = CountingReader(stream)
    buffered = io.BufferedReader(counter, buffer_size=SAMPLE_BYTES)
    head = buffered.peek(SAMPLE_BYTES)[:SAMPLE_BYTES]
    if head.startswith(XLSX_MAGIC):
        return _open_xlsx(stream, buffered, counter)
    if head.startswith(OLE_MAGIC):
        raise Invalid.one("file", "the old .xls format is not supported; save the sheet as .xlsx or CSV")
    if not head.strip():
        raise Invalid.one("file", "is empty")
    encoding = encodings.detect(head)
    if not encoding.startswith(("utf-16", "utf_16")) and b"\x00" in head:
        raise Invalid.one("file", "is not a CSV or .xlsx file")
    return _open_csv(buffered, counter, encoding)


def _open_csv(buffered: io.BufferedReader, counter: CountingReader, encoding: str) -> Table:
    _register()
    if csv.field_size_limit() < MAX_FIELD_CHARS:
        csv.field_size_limit(MAX_FIELD_CHARS)
    head = buffered.peek(SAMPLE_BYTES)[:SAMPLE_BYTES]
    if encoding.startswith(("utf-16", "utf_16")):
        head = head[: len(head) // 2 * 2]
    sample = head.decode(encoding, errors=ERRORS)
    first_line = next((line for line in sample.splitlines() if line.strip()), "")
    delimiter = detect_delimiter(first_line)
    text = io.TextIOWrapper(buffered, encoding=encoding, errors=ERRORS, newline="")
    records = _records(text, delimiter)
    header_row, header = 0, None
    for number, cells in records:
        if isinstance(cells, Malformed):
            raise Invalid.one("file", f"the header row cannot be read: {cells.reason}")
        if any(c.strip() for c in cells):
            header_row, header = number, cells
            break
    if header is None:
        raise Invalid.one("file", "has no header row")
    while header and not header[-1].strip():
        header.pop()
    return Table(file_format="csv", columns=unique_headers(header), header_row=header_row, rows=records,
                 read_bytes=lambda: counter.count, encoding=encoding, delimiter=delimiter)


def _records(text: io.TextIOBase, delimiter: str = ",") -> Iterator[tuple[int, list[object] | Malformed]]:
    reader = csv.reader(text, delimiter=delimiter)
    number = 0
    while True:
        number += 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield number, Malformed(f"malformed CSV: {exc}")
            continue
        yield number, cells


def _open_xlsx(stream: BinaryIO, buffered: io.BufferedReader, counter: CountingReader) -> Table:
    import zipfile

    import openpyxl

    spooled = not stream.seekable()
    if not spooled:
        stream.seek(0)
        source = stream
    else:  # the zip directory is at the end: spool to a temporary file (disk past a few MB), never to memory
        source = tempfile.SpooledTemporaryFile(max_size=8 << 20)
        shutil.copyfileobj(buffered, source, 1 << 20)
        source.seek(0)
    try:
        book = openpyxl.load_workbook(source, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        if spooled:
            source.close()
        raise Invalid.one("file", f"is not a readable .xlsx file ({exc})") from None
    if not book.worksheets:
        book.close()
        raise Invalid.one("file", "has no sheet")
    sheet = book.worksheets[0]
    estimate = sheet.max_row
    sheet.reset_dimensions()  # some writers store a wrong dimension; read every row there is
    rows = enumerate(sheet.iter_rows(values_only=True), start=1)
    header_row, header = 0, None
    for number, cells in rows:
        if any(c is not None and str(c).strip() for c in cells):
            header_row, header = number, list(cells)
            break
    if header is None:
        book.close()
        raise Invalid.one("file", "the first sheet has no header row")
    while header and (header[-1] is None or not str(header[-1]).strip()):
        header.pop()
    data = ((number, list(cells)) for number, cells in rows)
    return Table(file_format="xlsx", columns=unique_headers(header), header_row=header_row, rows=data,
                 read_bytes=lambda: counter.count, rows_estimate=max(0, (estimate or 0) - header_row) or None,
                 closers=[book.close, *([source.close] if spooled else [])])
