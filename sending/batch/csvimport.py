"""Importing a CSV file of addresses into a recipient list, in the background.

    receiver_import = csvimport.start(receiver_list, uploaded_file)   # the console's upload
    csvimport.run(receiver_import.pk)                                 # the Celery task

The upload is streamed to a file under SES_IMPORT_DIR; a worker reads it back a chunk
of rows at a time, so no process ever holds the list (a million rows is as cheap as a
thousand, only longer). Each chunk's addresses, its rejected rows and the import's
progress are committed in one transaction: a worker killed mid-way leaves the import
Importing without progress, the sweep (`sweep`, beat) publishes it again, and the next
worker re-reads the file, skips the `rows_read` rows already done and goes on, so
nothing is added or rejected twice. A worker also hands an import on (back to Queued,
republished) after SLICE of its time, so a long file never meets a task time limit.

The format, as the upload form's hint says:
- Encoding: UTF-8 (with or without a BOM), UTF-16 (a BOM, or none: recognised by its
  NUL bytes) or GB18030 (what Excel saves in Chinese locales; a superset of GBK and
  GB2312). A file whose first megabyte is valid UTF-8 is read as UTF-8, any other as
  GB18030; the whole file is checked in that encoding before anything is added, so a
  file that is neither fails with the byte it could not read, adding nothing.
- Commas separate fields; a field in double quotes may hold commas, quotes (doubled)
  and line breaks; lines end in LF or CRLF. Empty lines (and rows of empty cells) are
  skipped and not counted.
- The first row is a header: one column named email (or E-mail, Email address,
  address, 邮箱; any case) holds the addresses, and every other column is a template
  variable of that name (letters A-Z, digits and _, as in {{name}}), its cell the
  address's value, surrounding spaces removed. Empty header cells at the end of the
  row are ignored, and so are cells under them.
- Without such a column, a first row whose first cell is an address means the file
  has no header: one column of addresses, without data (more columns are refused:
  which would be which variable?).
- The variables must be the list's own: the first import of data into a list sets
  them; a list of addresses without data takes no data, and one with data takes
  only the same columns (in any order).
- Each data row is then added like an API entry (sending.batch.receivers): a row
  that is empty, too long, already in the list or the file, or with bad data (HTML,
  the wrong number of cells, a NUL) is rejected; an invalid address is kept as an
  invalid one (never sent to) and also reported. Every such row is kept with its line
  number, content and reason, for the page's download.
- A list holds SES_RECEIVER_MAX_ADDRESSES addresses: a file that would go past it
  stops there, failed, with what came before it added.
"""

import codecs
import csv
import io
import logging
import re
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from sending.acceptance.parse import address
from sending.batch import receivers
from sending.models import (
    ImportRejection,
    ImportStatus,
    ListStatus,
    ReceiverImport,
    ReceiverList,
)
from sesconsole.refusals import Refusal

logger = logging.getLogger(__name__)

# Rows per transaction: the addresses' INSERTs, their rejections and the progress.
CHUNK = receivers.CHUNK
# What the encoding is guessed from, and the blocks the whole file is checked in.
SAMPLE = 1 << 20
# A running import whose progress has not moved for this long lost its worker.
STALE_SECONDS = 120
# A queued import not started this long after it was queued lost its message.
QUEUED_GRACE_SECONDS = 30
# How often a worker busy without committing (checking or skipping) says it is alive.
HEARTBEAT_SECONDS = 10
# How much of a rejected row is kept for the download.
MAX_CONTENT = 500

ADDRESS_COLUMNS = frozenset(
    {"email", "e-mail", "email address", "e-mail address", "address", "邮箱", "邮箱地址"}
)
_VARIABLE = re.compile(r"^[A-Za-z0-9_]+$")
_LABELS = {
    "utf-8": "UTF-8",
    "utf-8-sig": "UTF-8",
    "utf-16": "UTF-16",
    "utf-16-le": "UTF-16",
    "utf-16-be": "UTF-16",
    "gb18030": "GB18030",
}
# What a caller may say about the upload form (a Refusal with this param).
FILE_PARAM = "file"


class Fatal(Exception):
    """The file cannot be imported (any further): the import fails with this message."""


class _Lost(Exception):
    """Another worker took the import over (or it is gone): stop without writing."""


# --- starting ------------------------------------------------------------------------


def _busy() -> Refusal:
    return Refusal(
        "OperationDenied.ReceiverIsOperating",
        "A file is being imported into this list; upload the next one when it is done.",
    )


def start(receiver_list: ReceiverList, uploaded_file: "UploadedFile[bytes]") -> ReceiverImport:
    """Keep the upload and queue its import; the list is Uploading until it is done."""
    # Before storing the file; the conditional UPDATE below decides.
    receiver_list.refresh_from_db(fields=["status"])
    if receiver_list.status == ListStatus.UPLOADING:
        raise _busy()
    directory = Path(settings.SES_IMPORT_DIR)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{receiver_list.pk}-{uuid.uuid4().hex}.csv"
    try:
        size = 0
        with path.open("xb") as out:
            for chunk in uploaded_file.chunks():
                out.write(chunk)
                size += len(chunk)
        if not size:
            raise Refusal("InvalidParameterValue", "The file is empty.", FILE_PARAM)
        with transaction.atomic():
            # Conditional: two uploads at once, only one is taken.
            taken = (
                ReceiverList.objects.filter(pk=receiver_list.pk)
                .exclude(status=ListStatus.UPLOADING)
                .update(status=ListStatus.UPLOADING)
            )
            if not taken:
                if not ReceiverList.objects.filter(pk=receiver_list.pk).exists():
                    raise Refusal(
                        "OperationDenied.ReceiverNotExist", "This list has just been deleted."
                    )
                raise _busy()
            receiver_import = ReceiverImport.objects.create(
                receiver_list=receiver_list,
                file_name=Path(uploaded_file.name or "upload.csv").name[:255],
                path=str(path),
                size=size,
            )
            publish_on_commit(receiver_import.pk)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    receiver_list.status = ListStatus.UPLOADING
    return receiver_import


def publish(import_id: int) -> None:
    from sending.tasks import import_receivers

    import_receivers.delay(import_id)


def publish_on_commit(import_id: int) -> None:
    """Publish after commit; robust like sending.delivery.dispatch.publish_on_commit: the
    row is durable, so a broker failure is only logged, and the sweep publishes it."""
    transaction.on_commit(partial(publish, import_id), robust=True)


# --- the sweep -----------------------------------------------------------------------


def stale(now: datetime | None = None) -> QuerySet[ReceiverImport]:
    """Imports that should be running and are not: queued long ago (their message lost)
    or running without progress (their worker killed)."""
    now = now or timezone.now()
    grace = now - timedelta(seconds=QUEUED_GRACE_SECONDS)
    dead = now - timedelta(seconds=STALE_SECONDS)
    queued = Q(status=ImportStatus.QUEUED) & (
        Q(progress_at__lt=grace) | Q(progress_at__isnull=True, created_at__lt=grace)
    )
    running = Q(status=ImportStatus.RUNNING) & (
        Q(progress_at__lt=dead) | Q(progress_at__isnull=True)
    )
    return ReceiverImport.objects.filter(queued | running).order_by("pk")


def sweep(now: datetime | None = None) -> int:
    """Beat: publish every stale import again; the number published."""
    ids = list(stale(now).values_list("pk", flat=True))
    for import_id in ids:
        publish(import_id)
    if ids:
        logger.info("republished %d stalled CSV imports", len(ids))
    return len(ids)


# --- the encoding ----------------------------------------------------------------------


def detect(head: bytes, whole: bool) -> str:
    """The encoding of a file starting with `head` (`whole`: that is all of it)."""
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    # Text in UTF-16 has a NUL beside every ASCII character; UTF-8 and GB18030 none.
    sample = head[:4096]
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    pairs = len(sample) // 2
    if odd > 4 * even and odd * 4 >= pairs:
        return "utf-16-le"
    if even > 4 * odd and even * 4 >= pairs:
        return "utf-16-be"
    try:
        # Not final unless it is the whole file: the sample may end inside a character.
        codecs.getincrementaldecoder("utf-8")("strict").decode(head, final=whole)
    except UnicodeDecodeError:
        return "gb18030"
    return "utf-8"


def _check_encoding(path: Path, encoding: str, alive: "_Heartbeat") -> None:
    """Decode the whole file, a block at a time, or fail naming where it breaks."""
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    offset = 0
    with path.open("rb") as source:
        while True:
            block = source.read(SAMPLE)
            try:
                decoder.decode(block, final=not block)
            except UnicodeDecodeError as error:
                raise Fatal(_undecodable(encoding, offset + error.start)) from error
            if not block:
                return
            offset += len(block)
            alive.beat()


def _undecodable(encoding: str, at: int) -> str:
    if encoding == "gb18030":
        return (
            f"The file is not text in UTF-8, UTF-16 or GB18030: byte {at + 1:,} cannot be "
            "read. Save it as CSV (UTF-8) and upload it again."
        )
    return (
        f"The file is not valid {_LABELS[encoding]} text: byte {at + 1:,} cannot be read. "
        "Save it as CSV (UTF-8) and upload it again."
    )


# --- reading rows ----------------------------------------------------------------------


class _Lines:
    """The file's lines for csv.reader, keeping the start of the current record's own
    (its content, for the rejected rows)."""

    def __init__(self, text: io.TextIOWrapper):
        self.text = text
        self.taken: list[str] = []
        self.size = 0

    def __iter__(self) -> "_Lines":
        return self

    def __next__(self) -> str:
        line = next(self.text)
        if self.size < MAX_CONTENT:
            self.taken.append(line)
            self.size += len(line)
        return line

    def record(self) -> str:
        content = "".join(self.taken).rstrip("\r\n")[:MAX_CONTENT]
        self.taken, self.size = [], 0
        # PostgreSQL's text holds no NUL.
        return content.replace("\x00", "\ufffd")


@dataclass
class _Record:
    line: int
    cells: list[str]
    content: str


def _records(reader: Any, lines: _Lines) -> Iterator[_Record]:
    """The file's non-empty records, each with the line it starts on."""
    while True:
        start = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            raise Fatal(
                f"Line {start} cannot be read as CSV ({error}); an unclosed double quote "
                "takes in everything after it."
            ) from error
        content = lines.record()
        if any(cell.strip() for cell in cells):
            yield _Record(start, cells, content)


@dataclass
class _Layout:
    """What the header says: where the address is, which columns are which variable."""

    header: list[str]
    address: int = 0
    variables: list[tuple[str, int]] = field(default_factory=list)
    width: int = 1
    has_header: bool = True

    @property
    def names(self) -> list[str]:
        return [name for name, _ in self.variables]


def _is_address(text: str) -> bool:
    try:
        address(text, "Email")
    except Refusal:
        return False
    return True


def layout(first: list[str]) -> _Layout:
    """The layout of a file whose first non-empty row is `first`, or Fatal."""
    names = [cell.strip() for cell in first]
    if names:
        names[0] = names[0].lstrip("\ufeff")
    while names and not names[-1]:
        names.pop()
    columns = [i for i, name in enumerate(names) if name.lower() in ADDRESS_COLUMNS]
    if not columns:
        if names and _is_address(names[0]):
            if len(names) > 1:
                raise Fatal(
                    "The first row is an address, not a header, so the file can have one "
                    "column only: the addresses. To import template data, add a header row "
                    "naming the columns, for example: email,name,code"
                )
            return _Layout(header=[], has_header=False)
        raise Fatal(
            "The first row must be a header with a column named email (or E-mail, address, "
            "邮箱) for the addresses, the other columns named for the template's variables, "
            "for example: email,name,code. A file of addresses alone needs no header."
        )
    if len(columns) > 1:
        raise Fatal(
            "The header has more than one address column ("
            + ", ".join(names[i] for i in columns)
            + "); keep one."
        )
    variables = [(name, i) for i, name in enumerate(names) if i != columns[0]]
    bad = [name or f"(empty, column {i + 1})" for name, i in variables if not _VARIABLE.match(name)]
    if bad:
        raise Fatal(
            "Column names are the template's variables, made of letters A-Z, digits and _ "
            "only; these are not: " + ", ".join(bad) + "."
        )
    seen: set[str] = set()
    twice: set[str] = set()
    for name, _ in variables:
        (twice if name in seen else seen).add(name)
    if twice:
        raise Fatal("The header names these columns twice: " + ", ".join(sorted(twice)) + ".")
    return _Layout(header=names, address=columns[0], variables=variables, width=len(names))


Entry = tuple[object, dict[str, Any] | None]


def entry(record: _Record, shape: _Layout) -> Entry | str:
    """The entry for receivers.add of one row, or why the row is rejected."""
    cells = record.cells
    if len(cells) > shape.width:
        if any(cell.strip() for cell in cells[shape.width :]):
            if not shape.has_header:
                return f"The row has {len(cells)} columns; a file without a header has one."
            return f"The row has {len(cells)} columns; the header has {shape.width}."
        cells = cells[: shape.width]
    if len(cells) < shape.width:
        return (
            f"The row has {len(cells)} column{'s' if len(cells) != 1 else ''}; the header has "
            f"{shape.width}: {', '.join(shape.header)}."
        )
    if any("\x00" in cell for cell in cells):
        return "The row contains a NUL character."
    email = cells[shape.address].strip()
    if not shape.variables:
        return email, None
    data = {name: cells[i].strip() for name, i in shape.variables}
    try:
        return email, receivers.parse_data(data)
    except receivers.BadData as error:
        return error.message


def _reason(reason: str) -> str:
    if reason in receivers.REASONS.values():
        return reason
    return f"Kept as an invalid address: {reason}"[:200]


# --- running -----------------------------------------------------------------------


class _Heartbeat:
    """Marks the import alive now and then while nothing is committed."""

    def __init__(self, import_id: int):
        self.import_id = import_id
        self.last = time.monotonic()

    def beat(self) -> None:
        if time.monotonic() - self.last < HEARTBEAT_SECONDS:
            return
        self.last = time.monotonic()
        if not ReceiverImport.objects.filter(pk=self.import_id, status=ImportStatus.RUNNING).update(
            progress_at=timezone.now()
        ):
            raise _Lost

    def committed(self) -> None:
        self.last = time.monotonic()


def _claim(import_id: int, now: datetime) -> bool:
    dead = now - timedelta(seconds=STALE_SECONDS)
    takeable = Q(status=ImportStatus.QUEUED) | Q(
        Q(progress_at__lt=dead) | Q(progress_at__isnull=True), status=ImportStatus.RUNNING
    )
    return bool(
        ReceiverImport.objects.filter(takeable, pk=import_id).update(
            status=ImportStatus.RUNNING, progress_at=now
        )
    )


def run(import_id: int, budget: float | None = None) -> str:
    """Import (on) the file of `import_id`; its status afterwards.

    Idempotent: an import another worker is running (with fresh progress), or done,
    is left alone ("skipped"). `budget`: seconds of work before handing the import on
    to a new task (default: half the task time limit)."""
    if not _claim(import_id, timezone.now()):
        return "skipped"
    if budget is None:
        budget = settings.CELERY_TASK_SOFT_TIME_LIMIT / 2
    receiver_import = ReceiverImport.objects.select_related("receiver_list").get(pk=import_id)
    importer = _Importer(receiver_import, time.monotonic() + budget)
    try:
        try:
            return importer.run()
        except Fatal as error:
            importer.end(str(error))
            return ImportStatus.FAILED
    except _Lost:
        return "lost"


class _Importer:
    """One worker's turn at an import. `done` is the rows committed so far: every write
    is conditional on it, so that of two workers on one import only one goes on."""

    def __init__(self, receiver_import: ReceiverImport, deadline: float):
        self.receiver_import = receiver_import
        self.receiver_list = receiver_import.receiver_list
        self.deadline = deadline
        self.done = receiver_import.rows_read
        self.alive = _Heartbeat(receiver_import.pk)

    def run(self) -> str:
        receiver_import = self.receiver_import
        path = Path(receiver_import.path)
        if not path.is_file():
            raise Fatal("The uploaded file is no longer stored; upload it again.")
        encoding = receiver_import.encoding
        if not encoding:
            with path.open("rb") as source:
                head = source.read(SAMPLE)
            encoding = detect(head, whole=len(head) < SAMPLE)
            _check_encoding(path, encoding, self.alive)
            # Checked once: a resumed import trusts it.
            ReceiverImport.objects.filter(pk=receiver_import.pk).update(encoding=encoding)
        with path.open("rb") as raw:
            text = io.TextIOWrapper(raw, encoding=encoding, errors="strict", newline="")
            lines = _Lines(text)
            records = _records(csv.reader(lines), lines)
            first = next(records, None)
            if first is None:
                raise Fatal("The file has no rows.")
            shape = layout(first.cells)
            self.fix_variables(shape)
            rows = records if shape.has_header else _chain(first, records)
            # Resuming: the rows an earlier worker committed are read past, not again.
            skipped = 0
            while skipped < self.done and next(rows, None) is not None:
                skipped += 1
                if skipped % CHUNK == 0:
                    self.alive.beat()
            return self.add_rows(shape, rows, raw)

    def fix_variables(self, shape: _Layout) -> None:
        """The file's variables are the list's: set them on a list without, or Fatal."""
        names = shape.names
        with transaction.atomic():
            receiver_list = ReceiverList.objects.select_for_update().get(pk=self.receiver_list.pk)
            if receiver_list.variables or not names:
                try:
                    receivers.check_variables(receiver_list, names)
                except receivers.BadData as error:
                    raise Fatal(
                        f"The file's columns do not fit this list: {error.message}"
                    ) from error
            elif receiver_list.valid_count:
                raise Fatal(
                    "This list has addresses without template data, so it takes no data "
                    f"columns ({', '.join(names)}): upload a file of addresses only, or "
                    "create a new list for this one."
                )
            else:
                receiver_list.variables = names
                receiver_list.save(update_fields=["variables"])
            ReceiverImport.objects.filter(pk=self.receiver_import.pk).update(columns=shape.header)

    def room(self) -> int:
        """Entries the next chunk may take: CHUNK, or what is left of the capacity."""
        self.receiver_list.refresh_from_db(fields=["valid_count", "invalid_count"])
        left = settings.SES_RECEIVER_MAX_ADDRESSES - self.receiver_list.total_count
        return max(0, min(CHUNK, left))

    def add_rows(self, shape: _Layout, rows: Iterator[_Record], raw: io.BufferedReader) -> str:
        pending: list[tuple[_Record, Entry | str]] = []
        limit = self.room()
        for record in rows:
            parsed = entry(record, shape)
            if not isinstance(parsed, str):
                if limit == 0:
                    # The capacity is reached unless the rows so far were repeats.
                    self.commit(pending, raw.tell())
                    pending = []
                    limit = self.room()
                    if limit == 0:
                        raise Fatal(
                            "The list is full: it holds at most "
                            f"{settings.SES_RECEIVER_MAX_ADDRESSES:,} addresses. The import "
                            f"stopped at line {record.line}; the rows before it were added."
                        )
                limit -= 1
            pending.append((record, parsed))
            if len(pending) >= CHUNK:
                self.commit(pending, raw.tell())
                pending = []
                if time.monotonic() > self.deadline:
                    return self.hand_on()
                limit = self.room()
        self.commit(pending, raw.tell())
        self.end("")
        return ImportStatus.DONE

    def commit(self, pending: list[tuple[_Record, Entry | str]], position: int) -> None:
        """Add one chunk of rows, with its rejections and the progress, in one transaction."""
        if not pending:
            return
        pk = self.receiver_import.pk
        now = timezone.now()
        with transaction.atomic():
            # Taken first, so that a second worker on the import waits, then finds it moved.
            if not ReceiverImport.objects.filter(
                pk=pk, status=ImportStatus.RUNNING, rows_read=self.done
            ).update(progress_at=now):
                raise _Lost
            positions = [k for k, (_, parsed) in enumerate(pending) if not isinstance(parsed, str)]
            entries = [parsed for _, parsed in pending if not isinstance(parsed, str)]
            counts = receivers.add(self.receiver_list, entries)
            reasons = {
                k: parsed for k, (_, parsed) in enumerate(pending) if isinstance(parsed, str)
            }
            for at, reason in counts.rejected:
                reasons[positions[at]] = _reason(reason)
            ImportRejection.objects.bulk_create(
                [
                    ImportRejection(
                        receiver_import_id=pk,
                        line=pending[k][0].line,
                        content=pending[k][0].content,
                        reason=reason[:200],
                    )
                    for k, reason in sorted(reasons.items())
                ],
                batch_size=500,
            )
            ReceiverImport.objects.filter(pk=pk).update(
                bytes_read=min(position, self.receiver_import.size),
                rows_read=self.done + len(pending),
                added=F("added") + counts.valid,
                rejected=F("rejected") + len(reasons),
                progress_at=now,
            )
        self.done += len(pending)
        self.alive.committed()

    def hand_on(self) -> str:
        """Back to Queued for a new task to go on: this one has had its time."""
        with transaction.atomic():
            if not ReceiverImport.objects.filter(
                pk=self.receiver_import.pk, status=ImportStatus.RUNNING, rows_read=self.done
            ).update(status=ImportStatus.QUEUED, progress_at=timezone.now()):
                raise _Lost
            publish_on_commit(self.receiver_import.pk)
        return ImportStatus.QUEUED

    def end(self, error: str) -> None:
        """Done (or failed with `error`): the list ready again, the file dropped."""
        now = timezone.now()
        changes: dict[str, Any] = {
            "status": ImportStatus.FAILED if error else ImportStatus.DONE,
            "error": error,
            "finished_at": now,
            "progress_at": now,
        }
        if not error:
            changes["bytes_read"] = self.receiver_import.size
        with transaction.atomic():
            if not ReceiverImport.objects.filter(
                pk=self.receiver_import.pk, status=ImportStatus.RUNNING, rows_read=self.done
            ).update(**changes):
                raise _Lost
            receiver_list = ReceiverList.objects.select_for_update().get(pk=self.receiver_list.pk)
            fields = ["status"]
            total = receiver_list.total_count
            receiver_list.status = ListStatus.COMPLETE if total else ListStatus.WAITING
            if not total and receiver_list.variables:
                # A list of no addresses has no data yet: the next file may bring any.
                receiver_list.variables = []
                fields.append("variables")
            receiver_list.save(update_fields=fields)
        Path(self.receiver_import.path).unlink(missing_ok=True)


def _chain(first: _Record, rest: Iterator[_Record]) -> Iterator[_Record]:
    yield first
    yield from rest
