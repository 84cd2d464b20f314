"""The six blocklist API actions through the gateway: shapes, counters, errors, expiry, tenancy."""

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.utils import timezone

from accounts.models import Account
from sending.models import CustomBlock, PlatformBlock, SendStatus
from sending.suppression import rules
from tests.sending.sendhelp import refusal
from tests.tc3 import ok

DETAIL_KEYS = {"Id", "Email", "CreateTime", "ExpireDate", "Status"}
COUNTER_KEYS = {"TotalCount", "ValidCount", "TooLongCount", "RepeatCount", "InvalidCount"}
WRONG_DATE = "InvalidParameterValue.WrongDate"
NOW = datetime(2025, 3, 10, 8, 30, tzinfo=UTC)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_api(account):
    # Many calls of one action happen within a second here.
    Account.objects.filter(pk=account.pk).update(api_rate_per_second=10_000)


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def add(call, emails, **params) -> dict:
    return ok(call("CreateCustomBlacklist", {"Emails": emails, **params}))


def custom(call, status=2, **params) -> dict:
    return ok(call("ListCustomBlacklist", {"Offset": 0, "Limit": 100, "Status": status, **params}))


def emails_of(call, status=2, **params) -> list[str]:
    return [row["Email"] for row in custom(call, status, **params)["Data"]]


def black(call, start="2025-03-01", end="2025-03-31", **params) -> dict:
    body = {"StartDate": start, "EndDate": end, "Limit": 100, "Offset": 0, **params}
    return ok(call("ListBlackEmailAddress", body))


# --- CreateCustomBlacklist ----------------------------------------------------------


def test_official_example_counters(call_api, account):
    response = add(call_api, ["resrse@sdasd.com", "resrse@sdasd.com", "asdasdasdasd"])
    assert set(response) == COUNTER_KEYS | {"RequestId"}
    counters = {k: response[k] for k in COUNTER_KEYS}
    assert counters == {
        "TotalCount": 3,
        "ValidCount": 1,
        "TooLongCount": 0,
        "RepeatCount": 1,
        "InvalidCount": 1,
    }
    assert list(CustomBlock.objects.values_list("account", "email", "expires_on")) == [
        (account.pk, "resrse@sdasd.com", None)
    ]


def test_counters_for_long_invalid_repeated_and_listed(call_api, account):
    add(call_api, ["listed@example.com"])
    long_address = "a" * 243 + "@example.com"  # 255 characters
    response = add(
        call_api,
        [
            "New@Example.COM",
            " new@example.com ",
            "LISTED@example.com",
            long_address,
            "no-at-sign",
            "",
            "two@@example.com",
            "ok@example.org",
        ],
    )
    assert {k: response[k] for k in COUNTER_KEYS} == {
        "TotalCount": 8,
        "ValidCount": 2,
        "TooLongCount": 1,
        "RepeatCount": 2,
        "InvalidCount": 3,
    }
    assert sorted(CustomBlock.objects.values_list("email", flat=True)) == [
        "listed@example.com",
        "new@example.com",
        "ok@example.org",
    ]


def test_address_of_254_characters_is_valid(call_api):
    address = "a" * 64 + "@" + "b" * 63 + "." + "c" * 63 + "." + "d" * 53 + ".example"
    assert len(address) == 254
    assert add(call_api, [address])["ValidCount"] == 1


def test_addresses_are_judged_as_recipients_are(call_api):
    """One address rule for sending and for the blocklists: a local part over 64
    characters can never receive mail, and an IDN domain is stored as recipients are."""
    counts = add(call_api, ["a" * 65 + "@example.com", "Ana@Bücher.example"])
    assert (counts["InvalidCount"], counts["ValidCount"]) == (1, 1)
    assert list(CustomBlock.objects.values_list("email", flat=True)) == [
        "ana@xn--bcher-kva.example"
    ]


def test_expire_date_is_stored_and_listed(call_api, frozen):
    add(call_api, ["a@example.com"], ExpireDate="2025-06-19")
    add(call_api, ["b@example.com"], ExpireDate="")
    assert dict(CustomBlock.objects.values_list("email", "expires_on")) == {
        "a@example.com": date(2025, 6, 19),
        "b@example.com": None,
    }


@pytest.mark.parametrize("value", ["2025/06/19", "20250619", "2025-02-30", "tomorrow", "2025-6-1"])
def test_malformed_expire_date(call_api, frozen, value):
    reply = call_api("CreateCustomBlacklist", {"Emails": ["a@example.com"], "ExpireDate": value})
    assert reply.code == "InvalidParameterValue.WrongDate"
    assert not CustomBlock.objects.exists()


def test_expire_date_today_is_allowed_yesterday_is_not(call_api, frozen):
    assert add(call_api, ["a@example.com"], ExpireDate="2025-03-10")["ValidCount"] == 1
    reply = call_api("CreateCustomBlacklist", {"Emails": ["b@x.com"], "ExpireDate": "2025-03-09"})
    assert reply.code == "InvalidParameterValue.WrongDate"
    assert "today" in reply.message


def test_empty_and_missing_emails(call_api):
    assert call_api("CreateCustomBlacklist", {"Emails": []}).code == (
        "MissingParameter.EmailsNecessary"
    )
    assert call_api("CreateCustomBlacklist", {}).code == "MissingParameter"
    assert call_api("CreateCustomBlacklist", {"Emails": "a@example.com"}).code == (
        "InvalidParameter"
    )


def test_too_many_addresses_at_once(call_api, monkeypatch):
    monkeypatch.setattr(rules, "MAX_ADD", 3)
    reply = call_api("CreateCustomBlacklist", {"Emails": [f"{i}@example.com" for i in range(4)]})
    assert reply.code == "LimitExceeded"
    assert not CustomBlock.objects.exists()


def test_re_adding_an_expired_address_activates_it(call_api, account, frozen):
    add(call_api, ["a@example.com"], ExpireDate="2025-03-11")
    frozen.shift(timedelta(days=2))
    assert refusal(account, "a@example.com") == SendStatus.OK
    response = add(call_api, ["a@example.com"], ExpireDate="2025-04-01")
    assert (response["ValidCount"], response["RepeatCount"]) == (1, 0)
    assert CustomBlock.objects.get().expires_on == date(2025, 4, 1)
    assert refusal(account, "A@example.com") == SendStatus.BLOCKLISTED


# --- ListCustomBlacklist ------------------------------------------------------------


def test_list_shape_order_and_paging(call_api, frozen):
    add(call_api, ["first@example.com"], ExpireDate="2025-06-19")
    frozen.shift(timedelta(minutes=1))
    add(call_api, ["second@example.com", "third@example.com"])
    response = custom(call_api)
    assert set(response) == {"TotalCount", "Data", "RequestId"}
    assert response["TotalCount"] == 3
    rows = response["Data"]
    assert all(set(row) == DETAIL_KEYS for row in rows)
    first = rows[-1]
    assert first == {
        "Id": CustomBlock.objects.get(email="first@example.com").pk,
        "Email": "first@example.com",
        "CreateTime": "2025-03-10 08:30:00",
        "ExpireDate": "2025-06-19",
        "Status": 1,
    }
    assert rows[0]["ExpireDate"] == "" and rows[0]["CreateTime"] == "2025-03-10 08:31:00"
    assert rows[0]["Id"] > rows[1]["Id"]  # newest first
    paged = ok(call_api("ListCustomBlacklist", {"Offset": 1, "Limit": 1, "Status": 2}))
    assert paged["TotalCount"] == 3
    assert [row["Email"] for row in paged["Data"]] == [rows[1]["Email"]]
    assert (
        ok(call_api("ListCustomBlacklist", {"Offset": 5, "Limit": 10, "Status": 2}))["Data"] == []
    )


def test_status_filter_follows_the_expiry_date(call_api, frozen):
    add(call_api, ["short@example.com"], ExpireDate="2025-03-11")
    add(call_api, ["long@example.com"], ExpireDate="2025-04-01")
    add(call_api, ["forever@example.com"])
    frozen.shift(timedelta(days=1))  # 2025-03-11: its last day still blocks
    assert len(emails_of(call_api, 1)) == 3
    assert {row["Status"] for row in custom(call_api)["Data"]} == {1}
    assert emails_of(call_api, 0) == []
    frozen.shift(timedelta(days=1))
    assert sorted(emails_of(call_api, 1)) == ["forever@example.com", "long@example.com"]
    assert emails_of(call_api, 0) == ["short@example.com"]
    assert custom(call_api, 0)["Data"][0]["Status"] == 0
    assert len(emails_of(call_api, 2)) == 3


def test_email_filter_matches_part_of_the_address(call_api):
    add(call_api, ["abc@foxmail.com", "abc@abc.com", "xyz@example.com"])
    assert sorted(emails_of(call_api, Email="ABC@")) == ["abc@abc.com", "abc@foxmail.com"]
    assert emails_of(call_api, Email="xyz@example.com") == ["xyz@example.com"]
    assert len(emails_of(call_api, Email="")) == 3


def test_list_errors(call_api):
    base = {"Offset": 0, "Limit": 10, "Status": 2}
    assert call_api("ListCustomBlacklist", {**base, "Limit": 101}).code == (
        "FailedOperation.InvalidLimit"
    )
    assert ok(call_api("ListCustomBlacklist", {**base, "Limit": 100}))["Data"] == []
    assert call_api("ListCustomBlacklist", {**base, "Status": 3}).code == "InvalidParameterValue"
    assert call_api("ListCustomBlacklist", {"Offset": 0, "Limit": 10}).code == "MissingParameter"


# --- UpdateCustomBlackList ----------------------------------------------------------


def update(call, **params):
    return call("UpdateCustomBlackList", params)


def test_update_changes_address_and_expiry(call_api, frozen):
    add(call_api, ["old@example.com"], ExpireDate="2025-04-01")
    block = CustomBlock.objects.get()
    reply = ok(update(call_api, Id=block.pk, Email="New@Example.com", ExpireDate="2025-05-01"))
    assert set(reply) == {"RequestId"}
    block.refresh_from_db()
    assert (block.email, block.expires_on) == ("new@example.com", date(2025, 5, 1))
    ok(update(call_api, Id=block.pk, Email="new@example.com"))  # no ExpireDate: never expires
    block.refresh_from_db()
    assert block.expires_on is None
    ok(update(call_api, Id=block.pk, Email="new@example.com", ExpireDate="2025-03-10"))
    assert custom(call_api)["Data"][0]["ExpireDate"] == "2025-03-10"


def test_update_errors(call_api, frozen):
    add(call_api, ["a@example.com", "b@example.com"])
    a = CustomBlock.objects.get(email="a@example.com")
    cases = [
        ({"Id": a.pk + 100, "Email": "c@example.com"}, "ResourceNotFound"),
        ({"Id": a.pk, "Email": "B@example.com"}, "InvalidParameterValue.RepeatEmailAddress"),
        ({"Id": a.pk, "Email": "not-an-address"}, "InvalidParameterValue.IllegalEmailAddress"),
        ({"Id": a.pk, "Email": "x" * 250 + "@a.com"}, "InvalidParameterValue.IllegalEmailAddress"),
        ({"Id": a.pk, "Email": "a@example.com", "ExpireDate": "2025-03-09"}, WRONG_DATE),
        ({"Id": a.pk, "Email": "a@example.com", "ExpireDate": "10/03/2026"}, WRONG_DATE),
        ({"Id": a.pk}, "MissingParameter"),
    ]
    for params, code in cases:
        assert update(call_api, **params).code == code, params
    a.refresh_from_db()
    assert (a.email, a.expires_on) == ("a@example.com", None)


# --- DeleteCustomBlackList ----------------------------------------------------------


def test_delete_custom(call_api, account):
    add(call_api, ["a@example.com", "b@example.com", "c@example.com"])
    reply = ok(call_api("DeleteCustomBlackList", {"Emails": ["A@Example.com", "nobody@x.com"]}))
    assert set(reply) == {"RequestId"}
    assert sorted(emails_of(call_api)) == ["b@example.com", "c@example.com"]
    assert refusal(account, "a@example.com") == SendStatus.OK
    assert refusal(account, "b@example.com") == SendStatus.BLOCKLISTED
    assert call_api("DeleteCustomBlackList", {"Emails": []}).code == (
        "MissingParameter.EmailsNecessary"
    )
    assert call_api("DeleteCustomBlackList", {}).code == "MissingParameter"


def test_custom_entry_blocks_through_its_expiry_date(call_api, account, frozen):
    add(call_api, ["a@example.com"], ExpireDate="2025-03-11")
    assert refusal(account, "a@example.com") == SendStatus.BLOCKLISTED
    frozen.move_to(datetime(2025, 3, 11, 23, 59, tzinfo=UTC))
    assert refusal(account, "a@example.com") == SendStatus.BLOCKLISTED
    frozen.move_to(datetime(2025, 3, 12, 0, 1, tzinfo=UTC))
    assert refusal(account, "a@example.com") == SendStatus.OK


def test_custom_blocklists_are_per_account(call_api, other_tenant_api, account):
    add(call_api, ["a@example.com"])
    a = CustomBlock.objects.get()
    b = other_tenant_api
    assert custom(b)["TotalCount"] == 0 and custom(b)["Data"] == []
    assert refusal(b.account, "a@example.com") == SendStatus.OK
    assert update(b, Id=a.pk, Email="hacked@example.com").code == "ResourceNotFound"
    ok(b("DeleteCustomBlackList", {"Emails": ["a@example.com"]}))
    # B lists the same address on its own: a separate entry, no repeat.
    assert add(b, ["a@example.com"])["ValidCount"] == 1
    ok(b("DeleteCustomBlackList", {"Emails": ["a@example.com"]}))
    a_after = CustomBlock.objects.get(account=account)
    assert (a_after.pk, a_after.email) == (a.pk, "a@example.com")
    assert refusal(account, "a@example.com") == SendStatus.BLOCKLISTED


# --- ListBlackEmailAddress / DeleteBlackList ----------------------------------------


REASON = "550 5.1.1 The email account that you tried to reach does not exist."


def test_platform_list_shape_and_date_range(call_api, account, frozen):
    frozen.move_to(datetime(2025, 3, 9, 23, 0, tzinfo=UTC))
    rules.block_hard_bounce("Old@Example.com", account, "550 no such user", task_id="7")
    frozen.move_to(NOW)
    rules.block_hard_bounce("new@example.com", account, REASON)
    response = black(call_api)
    assert set(response) == {"BlackList", "TotalCount", "RequestId"}
    assert response["TotalCount"] == 2
    assert response["BlackList"] == [
        {"BounceTime": "2025-03-10 08:30:00", "EmailAddress": "new@example.com", "IspDesc": REASON},
        {
            "BounceTime": "2025-03-09 23:00:00",
            "EmailAddress": "old@example.com",
            "IspDesc": "550 no such user",
        },
    ]
    only = black(call_api, "2025-03-10", "2025-03-10")
    assert [e["EmailAddress"] for e in only["BlackList"]] == ["new@example.com"]
    day_before = black(call_api, "2025-03-09", "2025-03-09")
    assert [e["EmailAddress"] for e in day_before["BlackList"]] == ["old@example.com"]
    assert black(call_api, "2025-03-11", "2025-04-01")["TotalCount"] == 0
    assert black(call_api, EmailAddress="OLD@example.com")["TotalCount"] == 1
    assert black(call_api, EmailAddress="old@example")["TotalCount"] == 0  # exact match
    assert black(call_api, TaskID="7")["BlackList"][0]["EmailAddress"] == "old@example.com"
    paged = ok(
        call_api(
            "ListBlackEmailAddress",
            {"StartDate": "2025-03-01", "EndDate": "2025-03-31", "Limit": 1, "Offset": 1},
        )
    )
    assert paged["TotalCount"] == 2
    assert [e["EmailAddress"] for e in paged["BlackList"]] == ["old@example.com"]


def test_platform_list_errors(call_api):
    base = {"StartDate": "2025-03-01", "EndDate": "2025-03-31", "Limit": 10, "Offset": 0}
    cases = [
        ({"Limit": 101}, "FailedOperation.InvalidLimit"),
        ({"StartDate": "2025/03/01"}, "InvalidParameter.InvalidStartTimeFormat"),
        ({"StartDate": "2025-02-30"}, "InvalidParameter.InvalidStartTimeFormat"),
        ({"EndDate": "31.03.2025"}, "InvalidParameter.InvalidEndTimeFormat"),
        ({"EndDate": "2025-02-28"}, "InvalidParameterValue.WrongDate"),
        ({"StartDate": None}, "MissingParameter"),
    ]
    for change, code in cases:
        params = {k: v for k, v in {**base, **change}.items() if v is not None}
        assert call_api("ListBlackEmailAddress", params).code == code, change


def test_platform_entries_expire(call_api, account, frozen, settings):
    settings.SES_BLOCKLIST_DAYS = 30
    block = rules.block_hard_bounce("a@example.com", account, REASON)
    assert block.expires_at == NOW + timedelta(days=30)
    frozen.shift(timedelta(days=29))
    assert refusal(account, "a@example.com") == SendStatus.BLOCKLISTED
    assert black(call_api)["TotalCount"] == 1
    frozen.shift(timedelta(days=1, seconds=1))
    assert refusal(account, "a@example.com") == SendStatus.OK
    assert black(call_api)["TotalCount"] == 0
    rules.block_hard_bounce("b@example.com", account, REASON)
    assert rules.purge_expired() == 1
    assert list(PlatformBlock.objects.values_list("email", flat=True)) == ["b@example.com"]


def test_default_expiry_is_180_days_and_a_new_bounce_renews(account, make_account, frozen):
    block = rules.block_hard_bounce("a@example.com", account, "first")
    assert block.expires_at - block.created_at == timedelta(days=180)
    other = make_account("other")
    frozen.shift(timedelta(days=10))
    renewed = rules.block_hard_bounce("A@example.com", other, "second", task_id=12)
    assert PlatformBlock.objects.count() == 1
    assert (renewed.pk, renewed.caused_by, renewed.reason, renewed.task_id) == (
        block.pk,
        other,
        "second",
        "12",
    )
    assert renewed.expires_at == timezone.now() + timedelta(days=180)


def test_delete_black_list_removes_own_entries(call_api, account):
    rules.block_hard_bounce("a@example.com", account, REASON)
    rules.block_hard_bounce("b@example.com", account, REASON)
    reply = ok(call_api("DeleteBlackList", {"EmailAddressList": ["A@example.com", "z@x.com"]}))
    assert set(reply) == {"RequestId"}
    assert list(PlatformBlock.objects.values_list("email", flat=True)) == ["b@example.com"]
    assert refusal(account, "a@example.com") == SendStatus.OK
    assert call_api("DeleteBlackList", {"EmailAddressList": []}).code == (
        "MissingParameter.EmailsNecessary"
    )
    assert call_api("DeleteBlackList", {}).code == "MissingParameter"


def test_another_accounts_bounce_blocks_but_stays_out_of_reach(call_api, other_tenant_api, account):
    rules.block_hard_bounce("a@example.com", account, REASON)
    b = other_tenant_api
    seen_by_b = black(b, "2000-01-01", "2099-12-31")
    assert (seen_by_b["BlackList"], seen_by_b["TotalCount"]) == ([], 0)
    assert black(b, "2000-01-01", "2099-12-31", EmailAddress="a@example.com")["BlackList"] == []
    ok(b("DeleteBlackList", {"EmailAddressList": ["a@example.com"]}))  # silently untouched
    assert PlatformBlock.objects.filter(email="a@example.com", caused_by=account).exists()
    assert refusal(b.account, "a@example.com") == SendStatus.BLOCKLISTED
    assert refusal(b.account, "A@Example.com") == SendStatus.BLOCKLISTED
    assert refusal(account, "a@example.com") == SendStatus.BLOCKLISTED
