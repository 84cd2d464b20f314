"""The list core, sending.batch.receivers: add() in chunks keeps each valid address
once and its counters true; parse_data takes only what a JSON column stores."""

import json

import pytest

from sending.batch import receivers
from sending.models import AddressStatus, ReceiverAddress, ReceiverList
from sesconsole.refusals import Refusal

pytestmark = pytest.mark.django_db


@pytest.fixture
def receiver_list(account):
    return receivers.create(account, "Customers")


@pytest.fixture
def small_chunks(monkeypatch):
    monkeypatch.setattr(receivers, "CHUNK", 3)


def stored(receiver_list, status=None) -> list[str]:
    rows = ReceiverAddress.objects.filter(receiver_list=receiver_list)
    if status:
        rows = rows.filter(status=status)
    return list(rows.order_by("pk").values_list("email", flat=True))


def assert_counters_true(receiver_list):
    """The counters kept with every insert equal a count of the rows."""
    receiver_list.refresh_from_db()
    valid = ReceiverAddress.objects.filter(receiver_list=receiver_list, status=AddressStatus.VALID)
    invalid = ReceiverAddress.objects.filter(
        receiver_list=receiver_list, status=AddressStatus.INVALID
    )
    assert (receiver_list.valid_count, receiver_list.invalid_count) == (
        valid.count(),
        invalid.count(),
    )


def counts_of(counts: receivers.Counts) -> tuple[int, int, int, int, int, int]:
    return (
        counts.total,
        counts.valid,
        counts.invalid,
        counts.too_long,
        counts.empty,
        counts.repeated,
    )


def test_chunks_dedupe_across_their_boundaries(receiver_list, small_chunks):
    entries = [
        ("a@x.com", None),  # chunk 1
        ("b@x.com", None),
        ("A@X.com", None),  # a repeat in its own chunk
        ("c@x.com", None),  # chunk 2
        ("B@x.COM", None),  # a repeat of chunk 1
        ("", None),
        ("bad", None),  # chunk 3
        ("bad", None),  # invalid ones are each kept, with their reason
        ("  c@x.com ", None),
        ("d@x.com", None),  # chunk 4
    ]
    counts = receivers.add(receiver_list, entries)
    assert counts_of(counts) == (10, 4, 2, 0, 1, 3)
    assert stored(receiver_list, AddressStatus.VALID) == [
        "a@x.com",
        "b@x.com",
        "c@x.com",
        "d@x.com",
    ]
    assert stored(receiver_list, AddressStatus.INVALID) == ["bad", "bad"]
    # Positions are those of the whole call, not of a chunk.
    rejected = dict(counts.rejected)
    assert sorted(rejected) == [2, 4, 5, 6, 7, 8]
    assert {rejected[p] for p in (2, 4, 8)} == {receivers.REASONS["repeated"]}
    assert rejected[5] == receivers.REASONS["empty"]
    assert rejected[6] == "'bad' is not a valid email address."
    assert_counters_true(receiver_list)


def test_later_calls_dedupe_against_the_list(receiver_list, small_chunks):
    first = [(f"user{i}@x.com", None) for i in range(7)]
    assert receivers.add(receiver_list, first).valid == 7
    again = [(f"USER{i}@x.com", None) for i in range(5, 12)] + [("user0@x.com", None)]
    counts = receivers.add(receiver_list, again)
    assert counts_of(counts) == (8, 5, 0, 0, 0, 3)
    assert sorted(p for p, _ in counts.rejected) == [0, 1, 7]
    assert len(stored(receiver_list)) == 12
    assert_counters_true(receiver_list)


def test_many_chunks_of_the_real_size(receiver_list):
    emails = [f"user{i}@x.com" for i in range(2 * receivers.CHUNK + 10)]
    entries = [(e, None) for e in emails] + [(e.upper(), None) for e in emails[::100]]
    counts = receivers.add(receiver_list, entries)
    assert (counts.total, counts.valid, counts.repeated) == (len(entries), len(emails), 21)
    assert stored(receiver_list) == emails
    assert_counters_true(receiver_list)


def test_a_generator_is_read_once(receiver_list, small_chunks):
    entries = ((f"u{i}@x.com", None) for i in range(8))
    assert receivers.add(receiver_list, entries).valid == 8
    assert_counters_true(receiver_list)


def test_counters_of_other_lists_are_their_own(account, receiver_list, small_chunks):
    other = receivers.create(account, "Other")
    receivers.add(receiver_list, [("a@x.com", None), ("bad", None)])
    receivers.add(other, [("a@x.com", None)])  # the same address in another list
    assert stored(other) == ["a@x.com"]
    assert_counters_true(receiver_list)
    assert_counters_true(other)
    other.refresh_from_db()
    assert (other.valid_count, other.invalid_count) == (1, 0)


def test_too_long_entries(receiver_list):
    long_local = "a" * 64 + "@" + "b" * 185 + ".test"  # 255 characters
    # Under 254 as typed, over it in IDNA form: too long, not a crash on PostgreSQL.
    idn = "a" * 40 + "@" + ".".join(["ü" * 40] * 5) + ".de"
    assert len(idn) == 248  # 278 in IDNA form
    data = {"name": ""}
    data["name"] = "n" * (receivers.MAX_DATA_BYTES - receivers.data_size(data))
    over = {"name": data["name"] + "n"}
    wide = {"name": "名" * 267}  # 267 characters, 801 bytes of UTF-8
    counts = receivers.add(
        receiver_list,
        [
            (long_local, None),
            (idn, None),
            ("fits@x.com", data),
            ("over@x.com", over),
            ("wide@x.com", wide),
        ],
    )
    assert (counts.total, counts.valid, counts.too_long) == (5, 1, 4)
    assert stored(receiver_list) == ["fits@x.com"]
    assert ReceiverAddress.objects.get().data == data
    assert_counters_true(receiver_list)


def test_non_string_and_empty_addresses(receiver_list):
    counts = receivers.add(receiver_list, [(None, None), (7, None), ("\t", None)])
    assert counts_of(counts) == (3, 0, 0, 0, 3, 0)
    assert not ReceiverAddress.objects.exists()


def test_addresses_are_kept_normalised(receiver_list):
    receivers.add(receiver_list, [("Ana@Bücher.Example", None)])
    assert stored(receiver_list) == ["Ana@xn--bcher-kva.example"]
    counts = receivers.add(receiver_list, [("ana@bücher.example", None)])
    assert counts.repeated == 1


# --- parse_data, check_variables, check_capacity --------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        '{"name": "Ana", "age": 30, "score": 1.5}',
        {"name": "Ana", "age": 30, "score": 1.5},
    ],
)
def test_parse_data_takes_text_and_numbers(raw):
    assert receivers.parse_data(raw) == {"name": "Ana", "age": 30, "score": 1.5}


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("not json", "TemplateDataError"),
        ('["a"]', "TemplateDataError"),
        ('{"a": [1]}', "TemplateDataError"),
        ('{"a": false}', "TemplateDataError"),
        ('{"a": NaN}', "TemplateDataError"),
        ('{"a": -Infinity}', "TemplateDataError"),
        ('{"a": 1e999}', "TemplateDataError"),
        ({"a": float("nan")}, "TemplateDataError"),
        ('{"a": "\\u0000"}', "TemplateDataError"),
        ('{"\\u0000": "a"}', "TemplateDataError"),
        ('{"a": "\\udc00x"}', "TemplateDataError"),
        ('{"a": ' * 50_000, "TemplateDataError"),
        ("[" * 50_000 + "]" * 50_000, "TemplateDataError"),
        ('{"a": ' + "9" * 5_000 + "}", "TemplateDataError"),
        (7, "TemplateDataError"),
        ('{"a": "<p>hi</p>"}', "InValidTemplateData"),
        ('{"a": "</p>"}', "InValidTemplateData"),
        ('{"a": "<!-- x -->"}', "InValidTemplateData"),
        # Not tags to a browser either: text.
        ('{"a": "x < y and y > z"}', None),
        ('{"a": "1 <2"}', None),
        ('{"a": "<3 >"}', None),
    ],
)
def test_parse_data_refusals(raw, code):
    if code is None:
        assert receivers.parse_data(raw)
        return
    with pytest.raises(receivers.BadData) as raised:
        receivers.parse_data(raw)
    assert raised.value.code == f"InvalidParameterValue.{code}"


def test_what_parse_data_takes_the_database_stores(receiver_list):
    data = receivers.parse_data(json.dumps({"a": "é \u2028 😀", "b": 10**30, "c": -0.5}))
    receivers.add(receiver_list, [("a@x.com", data)])
    assert ReceiverAddress.objects.get().data == data


def test_check_variables_and_capacity(receiver_list, settings):
    receivers.check_variables(receiver_list, ["anything"])  # no variables yet
    receiver_list.variables = ["name", "code"]
    receivers.check_variables(receiver_list, ["code", "name"])
    with pytest.raises(receivers.BadData) as raised:
        receivers.check_variables(receiver_list, ["name"])
    assert raised.value.code == "InvalidParameterValue.TemplateDataInconsistent"

    settings.SES_RECEIVER_MAX_ADDRESSES = 3
    receivers.add(receiver_list, [("a@x.com", None), ("bad", None)])
    receivers.check_capacity(ReceiverList.objects.get(), 1)
    with pytest.raises(Refusal) as refused:
        receivers.check_capacity(ReceiverList.objects.get(), 2)
    assert refused.value.code == "LimitExceeded.ReceiverDetailCountLimit"
