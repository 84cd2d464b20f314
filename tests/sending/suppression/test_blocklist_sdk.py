"""The official SDK's typed SesClient against a live server: the six blocklist actions."""

import pytest
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.ses.v20201002 import models

from sending.models import CustomBlock, PlatformBlock, SendStatus
from sending.suppression import rules
from tests.sdk import sdk_request
from tests.sending.sendhelp import refusal

pytestmark = pytest.mark.django_db(transaction=True)

request = sdk_request


@pytest.fixture
def client(ses_client):
    return ses_client


def test_custom_blocklist_actions(client, account):
    created = client.CreateCustomBlacklist(
        request(
            "CreateCustomBlacklistRequest",
            Emails=["resrse@sdasd.com", "resrse@sdasd.com", "asdasdasdasd", "B@Example.com"],
            ExpireDate="2099-06-19",
        )
    )
    assert created.RequestId
    assert (
        created.TotalCount,
        created.ValidCount,
        created.TooLongCount,
        created.RepeatCount,
        created.InvalidCount,
    ) == (4, 2, 0, 1, 1)

    listed = client.ListCustomBlacklist(
        request("ListCustomBlacklistRequest", Offset=0, Limit=10, Status=1)
    )
    assert listed.TotalCount == 2
    assert all(isinstance(row, models.BlackAddressDetail) for row in listed.Data)
    assert sorted(row.Email for row in listed.Data) == ["b@example.com", "resrse@sdasd.com"]
    assert {(row.ExpireDate, row.Status) for row in listed.Data} == {("2099-06-19", 1)}
    assert all(isinstance(row.Id, int) and len(row.CreateTime) == 19 for row in listed.Data)

    b = next(row for row in listed.Data if row.Email == "b@example.com")
    client.UpdateCustomBlackList(
        request("UpdateCustomBlackListRequest", Id=b.Id, Email="c@example.com")
    )
    found = client.ListCustomBlacklist(
        request("ListCustomBlacklistRequest", Offset=0, Limit=10, Status=2, Email="c@")
    )
    assert [(row.Id, row.Email, row.ExpireDate) for row in found.Data] == [
        (b.Id, "c@example.com", "")
    ]

    client.DeleteCustomBlackList(request("DeleteCustomBlackListRequest", Emails=["C@example.com"]))
    assert list(CustomBlock.objects.values_list("email", flat=True)) == ["resrse@sdasd.com"]
    assert refusal(account, "resrse@sdasd.com") == SendStatus.BLOCKLISTED


def test_platform_blocklist_actions(client, account, make_account):
    rules.block_hard_bounce("gone@example.com", account, "550 5.1.1 no such user")
    rules.block_hard_bounce("theirs@example.com", make_account("other"), "550 unknown")
    listed = client.ListBlackEmailAddress(
        request(
            "ListBlackEmailAddressRequest",
            StartDate="2000-01-01",
            EndDate="2099-12-31",
            Limit=10,
            Offset=0,
        )
    )
    assert listed.TotalCount == 1
    (entry,) = listed.BlackList
    assert isinstance(entry, models.BlackEmailAddress)
    assert (entry.EmailAddress, entry.IspDesc) == ("gone@example.com", "550 5.1.1 no such user")
    assert len(entry.BounceTime) == 19

    client.DeleteBlackList(
        request(
            "DeleteBlackListRequest", EmailAddressList=["gone@example.com", "theirs@example.com"]
        )
    )
    assert list(PlatformBlock.objects.values_list("email", flat=True)) == ["theirs@example.com"]
    assert refusal(account, "theirs@example.com") == SendStatus.BLOCKLISTED


@pytest.mark.parametrize(
    ("method", "cls", "fields", "code"),
    [
        (
            "ListBlackEmailAddress",
            "ListBlackEmailAddressRequest",
            {"StartDate": "2025-01-01", "EndDate": "2025-01-31", "Limit": 101, "Offset": 0},
            "FailedOperation.InvalidLimit",
        ),
        (
            "ListBlackEmailAddress",
            "ListBlackEmailAddressRequest",
            {"StartDate": "2025/01/01", "EndDate": "2025-01-31", "Limit": 10, "Offset": 0},
            "InvalidParameter.InvalidStartTimeFormat",
        ),
        (
            "CreateCustomBlacklist",
            "CreateCustomBlacklistRequest",
            {"Emails": ["a@example.com"], "ExpireDate": "2000-01-01"},
            "InvalidParameterValue.WrongDate",
        ),
        (
            "ListCustomBlacklist",
            "ListCustomBlacklistRequest",
            {"Offset": 0, "Limit": 10, "Status": 5},
            "InvalidParameterValue",
        ),
        (
            "UpdateCustomBlackList",
            "UpdateCustomBlackListRequest",
            {"Id": 999999, "Email": "a@example.com"},
            "ResourceNotFound",
        ),
        (
            "DeleteCustomBlackList",
            "DeleteCustomBlackListRequest",
            {"Emails": []},
            "MissingParameter.EmailsNecessary",
        ),
    ],
)
def test_errors_raise_sdk_exceptions(client, method, cls, fields, code):
    with pytest.raises(TencentCloudSDKException) as caught:
        getattr(client, method)(request(cls, **fields))
    assert caught.value.code == code
    assert caught.value.requestId
