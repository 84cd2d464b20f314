"""CSV files imported into a recipient list, by csvimport.run as a worker runs it (here
without one): encodings, CSV quoting, empty lines, repeats, invalid addresses, headers,
resuming after a killed worker, the list's capacity, and a large file read in a stream."""

import codecs
import tracemalloc
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile, UploadedFile
from django.utils import timezone

from sending.batch import csvimport, receivers
from sending.models import (
    AddressStatus,
    ImportStatus,
    ListStatus,
    ReceiverAddress,
    ReceiverImport,
    ReceiverList,
)
from sesconsole.refusals import Refusal

pytestmark = pytest.mark.django_db

HEADER = "email,name,code\n"


@pytest.fixture(autouse=True)
def import_dir(settings, tmp_path):
    settings.SES_IMPORT_DIR = tmp_path / "imports"
    return settings.SES_IMPORT_DIR


@pytest.fixture
def receiver_list(account):
    return receivers.create(account, "Customers")


def upload(receiver_list, content: bytes, name="list.csv") -> ReceiverImport:
    return csvimport.start(receiver_list, SimpleUploadedFile(name, content, "text/csv"))


def imported(receiver_list, content: bytes, status=ImportStatus.DONE) -> ReceiverImport:
    receiver_import = upload(receiver_list, content)
    assert csvimport.run(receiver_import.pk) == status
    receiver_import.refresh_from_db()
    receiver_list.refresh_from_db()
    assert receiver_import.status == status, receiver_import.error
    return receiver_import


def valid(receiver_list) -> dict[str, object]:
    return dict(
        receiver_list.addresses.filter(status=AddressStatus.VALID)
        .order_by("pk")
        .values_list("email", "data")
    )


def rejected(receiver_import) -> list[tuple[int, str, str]]:
    return [(r.line, r.content, r.reason) for r in receiver_import.rejections.all()]


def counts(receiver_import) -> tuple[int, int, int]:
    return receiver_import.rows_read, receiver_import.added, receiver_import.rejected


# --- encodings -------------------------------------------------------------------


def test_utf8_with_a_header_of_variables(receiver_list, import_dir):
    content = (HEADER + "ana@example.com,Ana,1\nbo@example.com,Bo,2\n").encode()
    receiver_import = imported(receiver_list, content)
    assert receiver_import.encoding == "utf-8"
    assert receiver_import.columns == ["email", "name", "code"]
    assert counts(receiver_import) == (2, 2, 0)
    assert receiver_import.percent == 100 and receiver_import.bytes_read == len(content)
    assert receiver_import.finished_at is not None
    assert valid(receiver_list) == {
        "ana@example.com": {"name": "Ana", "code": "1"},
        "bo@example.com": {"name": "Bo", "code": "2"},
    }
    assert receiver_list.variables == ["name", "code"]
    assert receiver_list.status == ListStatus.COMPLETE
    assert (receiver_list.valid_count, receiver_list.invalid_count) == (2, 0)
    # The upload is kept only until it is imported.
    assert list(import_dir.iterdir()) == []


def test_utf8_with_a_bom(receiver_list):
    content = codecs.BOM_UTF8 + "Email,name\r\nana@example.com,Zoë\r\n".encode()
    receiver_import = imported(receiver_list, content)
    assert receiver_import.encoding == "utf-8-sig"
    assert receiver_import.columns == ["Email", "name"]
    assert valid(receiver_list) == {"ana@example.com": {"name": "Zoë"}}


def test_gb18030_with_chinese_names(receiver_list):
    content = "邮箱,name,city\nwei@example.com,张伟,北京\nli@example.com,李娜,上海\n"
    receiver_import = imported(receiver_list, content.encode("gb18030"))
    assert receiver_import.encoding == "gb18030"
    assert valid(receiver_list) == {
        "wei@example.com": {"name": "张伟", "city": "北京"},
        "li@example.com": {"name": "李娜", "city": "上海"},
    }


@pytest.mark.parametrize(
    ("bom", "codec", "encoding"),
    [
        (codecs.BOM_UTF16_LE, "utf-16-le", "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16-be", "utf-16"),
        (b"", "utf-16-le", "utf-16-le"),
        (b"", "utf-16-be", "utf-16-be"),
    ],
    ids=["le-bom", "be-bom", "le-no-bom", "be-no-bom"],
)
def test_utf16_with_and_without_a_bom(receiver_list, bom, codec, encoding):
    content = HEADER + "ana@example.com,安娜,1\r\nbo@example.com,Bo,2\r\n"
    receiver_import = imported(receiver_list, bom + content.encode(codec))
    assert receiver_import.encoding == encoding
    assert valid(receiver_list) == {
        "ana@example.com": {"name": "安娜", "code": "1"},
        "bo@example.com": {"name": "Bo", "code": "2"},
    }


def test_utf8_is_told_from_gb18030_by_a_whole_sample(receiver_list, monkeypatch):
    # A multi-byte character across the end of the sample is still UTF-8.
    monkeypatch.setattr(csvimport, "SAMPLE", len(HEADER) + 17)
    content = (HEADER + "ana@example.com,安娜,1\n").encode()
    assert content[: csvimport.SAMPLE].decode("utf-8", errors="replace").endswith("\ufffd")
    receiver_import = imported(receiver_list, content)
    assert receiver_import.encoding == "utf-8"
    assert valid(receiver_list) == {"ana@example.com": {"name": "安娜", "code": "1"}}


def test_an_undecodable_file_fails_adding_nothing(receiver_list, import_dir):
    content = HEADER.encode() + b"ana@example.com,\xff\xfe\xfd,1\n"
    receiver_import = imported(receiver_list, content, ImportStatus.FAILED)
    assert "not text in UTF-8, UTF-16 or GB18030" in receiver_import.error
    assert f"byte {len(HEADER) + 17}" in receiver_import.error
    assert receiver_list.addresses.count() == 0
    assert receiver_list.status == ListStatus.WAITING
    assert receiver_list.variables == []
    assert list(import_dir.iterdir()) == []


def test_utf8_broken_after_the_sample_fails_rather_than_reading_gb18030(receiver_list, monkeypatch):
    monkeypatch.setattr(csvimport, "SAMPLE", 64)
    good = (HEADER + "".join(f"u{i}@example.com,安娜,{i}\n" for i in range(10))).encode()
    receiver_import = imported(
        receiver_list, good + b"x@example.com,\xe5\xae,1\n", ImportStatus.FAILED
    )
    assert receiver_import.encoding == ""
    assert f"not valid UTF-8 text: byte {len(good) + 15}" in receiver_import.error
    assert receiver_list.addresses.count() == 0


# --- CSV -------------------------------------------------------------------------


def test_quoted_commas_quotes_line_breaks_and_crlf(receiver_list):
    content = (
        b'email,name,code\r\n"ana@example.com","Smith, Ana","say ""hi"""\r\n'
        b'bo@example.com,"two\r\nlines",2\r\n'
        b"cy@example.com, Cy ,3\r\n"
    )
    receiver_import = imported(receiver_list, content)
    assert counts(receiver_import) == (3, 3, 0)
    assert valid(receiver_list) == {
        "ana@example.com": {"name": "Smith, Ana", "code": 'say "hi"'},
        "bo@example.com": {"name": "two\r\nlines", "code": "2"},
        "cy@example.com": {"name": "Cy", "code": "3"},
    }


def test_empty_lines_are_skipped_and_lines_numbered_in_the_file(receiver_list):
    content = (
        b"\n\nemail,name\n\nana@example.com,Ana\n   \n,\n"
        b'bo@example.com,"a\nb"\nnot-an-address,Cy\n\n'
    )
    receiver_import = imported(receiver_list, content)
    assert counts(receiver_import) == (3, 2, 1)
    assert rejected(receiver_import) == [
        (
            10,
            "not-an-address,Cy",
            "Kept as an invalid address: 'not-an-address' is not a valid email address.",
        )
    ]


def test_repeats_in_the_file_and_in_the_list(receiver_list):
    receivers.add(receiver_list, [("old@example.com", None)])
    content = b"email\nnew@example.com\nOLD@example.com\nNew@Example.com\nother@example.com\n"
    receiver_import = imported(receiver_list, content)
    assert counts(receiver_import) == (4, 2, 2)
    assert list(valid(receiver_list)) == ["old@example.com", "new@example.com", "other@example.com"]
    assert rejected(receiver_import) == [
        (3, "OLD@example.com", "The address is in the list already."),
        (4, "New@Example.com", "The address is in the list already."),
    ]
    assert (receiver_list.valid_count, receiver_list.invalid_count) == (3, 0)


def test_invalid_addresses_are_kept_invalid_and_bad_rows_rejected(receiver_list):
    content = (
        HEADER
        + "ana@example.com,Ana,1\n"
        + "ana at example.com,Bad,2\n"
        + ",Nobody,3\n"
        + "x" * 250
        + "@example.com,Long,4\n"
        + "bo@example.com,<b>Bo</b>,5\n"
        + "cy@example.com,Cy\n"
        + "dy@example.com,Dy,6,extra\n"
        + "ed@example.com,Ed,7,,\n"
        + "fa@example.com,F\x00a,8\n"
    ).encode()
    receiver_import = imported(receiver_list, content)
    assert counts(receiver_import) == (9, 2, 7)
    assert list(valid(receiver_list)) == ["ana@example.com", "ed@example.com"]
    invalid = receiver_list.addresses.get(status=AddressStatus.INVALID)
    assert invalid.email == "ana at example.com" and invalid.reason
    assert (receiver_list.valid_count, receiver_list.invalid_count) == (2, 1)
    reasons = {line: reason for line, _, reason in rejected(receiver_import)}
    assert reasons == {
        3: "Kept as an invalid address: 'ana at example.com' is not a single valid email address.",
        4: "The address is empty.",
        5: receivers.REASONS["too_long"],
        6: "The value of name contains HTML; template data must be plain text.",
        7: "The row has 2 columns; the header has 3: email, name, code.",
        8: "The row has 4 columns; the header has 3.",
        10: "The row contains a NUL character.",
    }
    contents = {line: content for line, content, _ in rejected(receiver_import)}
    assert contents[7] == "cy@example.com,Cy"
    assert contents[10] == "fa@example.com,F\ufffda,8"


def test_long_rows_are_kept_truncated(receiver_list):
    content = (HEADER + "bad," + "y" * 2000 + ",1\n").encode()
    receiver_import = imported(receiver_list, content)
    [(line, kept, _)] = rejected(receiver_import)
    assert line == 2 and len(kept) == csvimport.MAX_CONTENT and kept.startswith("bad,yyy")


def test_a_file_without_a_header(receiver_list):
    content = b"ana@example.com\nbo@example.com\nbo@example.com\n\ncy@example.com,extra\n"
    receiver_import = imported(receiver_list, content)
    assert receiver_import.columns == []
    assert counts(receiver_import) == (4, 2, 2)
    assert list(valid(receiver_list)) == ["ana@example.com", "bo@example.com"]
    assert [reason for _, _, reason in rejected(receiver_import)] == [
        "The address is in the list already.",
        "The row has 2 columns; a file without a header has one.",
    ]
    assert receiver_list.variables == []


# --- headers ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            "email,first name,code-2,ok\n",
            "made of letters A-Z, digits and _ only; these are not: first name, code-2.",
        ),
        ("email,,code\n", "these are not: (empty, column 2)."),
        ("name,code\nAna,1\n", "The first row must be a header with a column named email"),
        ("E-mail,Address\n", "more than one address column (E-mail, Address)"),
        ("email,code,code\n", "names these columns twice: code."),
        ("ana@example.com,Ana\n", "the file can have one column only"),
        ("\n\n", "The file has no rows."),
    ],
    ids=["bad-names", "empty-name", "no-address", "two-addresses", "twice", "no-header", "empty"],
)
def test_a_bad_header_fails_clearly(receiver_list, content, message):
    receiver_import = imported(receiver_list, content.encode(), ImportStatus.FAILED)
    assert message in receiver_import.error
    assert receiver_list.addresses.count() == 0
    assert receiver_list.status == ListStatus.WAITING


def test_trailing_empty_header_cells_are_ignored(receiver_list):
    receiver_import = imported(receiver_list, b"email,name,,\nana@example.com,Ana,,\n")
    assert receiver_import.columns == ["email", "name"]
    assert valid(receiver_list) == {"ana@example.com": {"name": "Ana"}}


def test_the_variables_must_be_the_lists(receiver_list):
    imported(receiver_list, (HEADER + "ana@example.com,Ana,1\n").encode())
    # Other columns, or none: refused; the same in another order: taken.
    other = imported(receiver_list, b"email,name\nbo@example.com,Bo\n", ImportStatus.FAILED)
    assert "has the variables name, code; these have name" in other.error
    bare = imported(receiver_list, b"email\nbo@example.com\n", ImportStatus.FAILED)
    assert "these have none" in bare.error
    assert receiver_list.status == ListStatus.COMPLETE
    reordered = imported(receiver_list, b"code,email,name\n2,bo@example.com,Bo\n")
    assert counts(reordered) == (1, 1, 0)
    assert valid(receiver_list)["bo@example.com"] == {"name": "Bo", "code": "2"}


def test_a_list_of_bare_addresses_takes_no_data(receiver_list):
    imported(receiver_list, b"email\nana@example.com\n")
    refused = imported(receiver_list, (HEADER + "bo@example.com,Bo,1\n").encode(), "failed")
    assert "addresses without template data" in refused.error
    assert receiver_list.variables == [] and receiver_list.total_count == 1


# --- running ---------------------------------------------------------------------


def test_an_upload_is_refused_while_another_runs(receiver_list, import_dir):
    upload(receiver_list, b"email\nana@example.com\n")
    receiver_list.refresh_from_db()
    assert receiver_list.status == ListStatus.UPLOADING
    with pytest.raises(Refusal) as refused:
        upload(receiver_list, b"email\nbo@example.com\n")
    assert refused.value.code == "OperationDenied.ReceiverIsOperating"
    # The refused file is not kept.
    assert len(list(import_dir.iterdir())) == 1
    with pytest.raises(Refusal) as busy:
        receivers.delete(receiver_list)
    assert busy.value.code == "OperationDenied.ReceiverIsOperating"


def test_an_empty_upload_is_refused(receiver_list, import_dir):
    with pytest.raises(Refusal) as refused:
        upload(receiver_list, b"")
    assert refused.value.param == csvimport.FILE_PARAM
    assert list(import_dir.iterdir()) == []
    assert ReceiverImport.objects.count() == 0


def test_running_twice_imports_once(receiver_list):
    receiver_import = imported(receiver_list, b"email\nana@example.com\n")
    assert csvimport.run(receiver_import.pk) == "skipped"
    receiver_import.refresh_from_db()
    assert counts(receiver_import) == (1, 1, 0)
    assert receiver_list.addresses.count() == 1


def rows(count: int, start: int = 0) -> str:
    return "".join(f"user{i}@example.com,User {i},{i}\n" for i in range(start, start + count))


def test_a_killed_worker_is_resumed_exactly(receiver_list):
    # 2,500 rows, among them a repeat and an invalid address past the first chunk.
    content = HEADER + rows(1500) + "user7@example.com,Again,7\nbad,Bad,0\n" + rows(998, 1500)
    receiver_import = upload(receiver_list, content.encode())
    # One chunk, then the worker's time is up: it hands the import on.
    assert csvimport.run(receiver_import.pk, budget=0) == ImportStatus.QUEUED
    receiver_import.refresh_from_db()
    assert counts(receiver_import) == (1000, 1000, 0)
    assert 0 < receiver_import.percent < 100
    # The next worker takes it, commits a chunk and is killed: Importing, its
    # progress stale; a chunk it was in the middle of was rolled back with it.
    assert csvimport.run(receiver_import.pk, budget=0) == ImportStatus.QUEUED
    ReceiverImport.objects.filter(pk=receiver_import.pk).update(
        status=ImportStatus.RUNNING, progress_at=timezone.now() - timedelta(minutes=1)
    )
    # Not stale yet: a live worker's import is not taken from it.
    assert csvimport.run(receiver_import.pk) == "skipped"
    assert list(csvimport.stale()) == []
    stale = timezone.now() - timedelta(seconds=csvimport.STALE_SECONDS + 1)
    ReceiverImport.objects.filter(pk=receiver_import.pk).update(progress_at=stale)
    assert list(csvimport.stale()) == [receiver_import]
    assert csvimport.run(receiver_import.pk) == ImportStatus.DONE
    receiver_import.refresh_from_db()
    receiver_list.refresh_from_db()
    assert counts(receiver_import) == (2500, 2498, 2)
    assert [(line, reason[:20]) for line, _, reason in rejected(receiver_import)] == [
        (1502, "The address is in th"),
        (1503, "Kept as an invalid a"),
    ]
    assert receiver_list.addresses.count() == 2499
    assert (receiver_list.valid_count, receiver_list.invalid_count) == (2498, 1)
    assert receiver_list.addresses.values("email").distinct().count() == 2499
    assert list(csvimport.stale()) == []


def test_the_sweep_finds_lost_messages(receiver_list):
    receiver_import = upload(receiver_list, b"email\nana@example.com\n")
    assert list(csvimport.stale()) == []
    later = timezone.now() + timedelta(seconds=csvimport.QUEUED_GRACE_SECONDS + 1)
    assert list(csvimport.stale(later)) == [receiver_import]
    # Published again, on the real broker (no worker here: the test runs it).
    ReceiverImport.objects.filter(pk=receiver_import.pk).update(
        created_at=timezone.now() - timedelta(minutes=5)
    )
    assert csvimport.sweep() == 1
    assert csvimport.run(receiver_import.pk) == ImportStatus.DONE
    assert csvimport.sweep() == 0


def test_an_unclosed_quote_that_swallows_the_file_fails(receiver_list):
    content = HEADER + 'ana@example.com,"Ana,1\n' + rows(5000)
    receiver_import = imported(receiver_list, content.encode(), ImportStatus.FAILED)
    assert receiver_import.error.startswith("Line 2 cannot be read as CSV (field larger than")
    assert "an unclosed double quote" in receiver_import.error


def test_the_capacity_stops_an_import(receiver_list, settings):
    settings.SES_RECEIVER_MAX_ADDRESSES = 5
    receivers.add(receiver_list, [("old@example.com", None)])
    # Repeats take no room: old, a (twice) and b, c, d fill the list; e is refused.
    content = b"email\nold@example.com\na@example.com\na@example.com\nb@example.com\n"
    content += b"c@example.com\nd@example.com\ne@example.com\nf@example.com\n"
    receiver_import = imported(receiver_list, content, ImportStatus.FAILED)
    assert "The list is full: it holds at most 5 addresses" in receiver_import.error
    assert "stopped at line 8" in receiver_import.error
    assert counts(receiver_import) == (6, 4, 2)
    assert receiver_list.total_count == 5
    assert receiver_list.status == ListStatus.COMPLETE


def test_a_missing_file_fails(receiver_list):
    receiver_import = upload(receiver_list, b"email\nana@example.com\n")
    Path(receiver_import.path).unlink()
    assert csvimport.run(receiver_import.pk) == ImportStatus.FAILED
    receiver_import.refresh_from_db()
    assert "no longer stored" in receiver_import.error


def write_rows(path: Path, total: int) -> int:
    """A file of `total` rows, every 40,000th repeating the one before it; its size."""
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write(HEADER)
        for i in range(total):
            n = i - 1 if i % 40_000 == 39_999 else i
            out.write(f"user{n}@example.com,User {n},{n}\n")
    return path.stat().st_size


def start_file(receiver_list, path: Path) -> ReceiverImport:
    with path.open("rb") as source:
        return csvimport.start(
            receiver_list, UploadedFile(source, name=path.name, size=path.stat().st_size)
        )


# Committed chunk by chunk, as a worker commits: at the end of a test's transaction
# Django checks the deferred foreign keys of every row, longer on PostgreSQL than the import.
@pytest.mark.django_db(transaction=True)
def test_a_large_file(receiver_list, tmp_path):
    total = 200_000
    path = tmp_path / "large.csv"
    assert write_rows(path, total) > 8_000_000
    receiver_import = start_file(receiver_list, path)
    assert csvimport.run(receiver_import.pk) == ImportStatus.DONE
    receiver_import.refresh_from_db()
    assert counts(receiver_import) == (total, total - 5, 5)
    assert [line for line, _, _ in rejected(receiver_import)] == [
        40_001 + 40_000 * k for k in range(5)
    ]
    assert ReceiverList.objects.get(pk=receiver_list.pk).valid_count == total - 5
    assert ReceiverAddress.objects.filter(receiver_list=receiver_list).count() == total - 5


def test_memory_does_not_grow_with_the_file(account, tmp_path, monkeypatch):
    # Smaller chunks and sample than in production, so that small files (tracing
    # every allocation is slow) are already many times what the import holds.
    monkeypatch.setattr(csvimport, "CHUNK", 100)
    monkeypatch.setattr(csvimport, "SAMPLE", 8192)

    def peak(name: str, total: int) -> tuple[int, int]:
        receiver_list = receivers.create(account, name)
        path = tmp_path / f"{name}.csv"
        size = write_rows(path, total)
        receiver_import = start_file(receiver_list, path)
        tracemalloc.start()
        try:
            assert csvimport.run(receiver_import.pk) == ImportStatus.DONE
            _, most = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert ReceiverImport.objects.get(pk=receiver_import.pk).added == total
        return size, most

    peak("warm-up", 300)  # what is loaded once (address checks' tables) is not counted
    small_size, small = peak("small", 3_000)
    big_size, big = peak("big", 15_000)
    assert big_size > 4 * small_size
    assert big < 1.5 * small, (
        f"{small:,} bytes at the peak for {small_size:,}, {big:,} for {big_size:,}"
    )
    assert big < big_size / 1.5
