"""The official SDK's typed SesClient against a live server: the six recipient-list
actions, and their refusals raised as TencentCloudSDKException."""

import json

import pytest
from tencentcloud.common import credential
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.ses.v20201002 import models
from tencentcloud.ses.v20201002 import ses_client as ses_client_module

from accounts.models import Account, ApiKey
from sending.models import ReceiverAddress, ReceiverList
from tests.sdk import sdk_profile, sdk_request

pytestmark = pytest.mark.django_db(transaction=True)

request = sdk_request


def entry(email: str, **data) -> models.ReceiverInputData:
    item = models.ReceiverInputData()
    item.Email, item.TemplateData = email, json.dumps(data)
    return item


def counters(response) -> tuple[int, int, int, int, int]:
    return (
        response.TotalCount,
        response.ValidCount,
        response.TooLongCount,
        response.EmptyEmailCount,
        response.RepeatCount,
    )


def refused(call, req) -> TencentCloudSDKException:
    with pytest.raises(TencentCloudSDKException) as raised:
        call(req)
    assert raised.value.get_request_id()
    return raised.value


def test_the_six_actions(ses_client):
    client = ses_client
    created = client.CreateReceiver(
        request("CreateReceiverRequest", ReceiversName="Customers", Desc="Signed up in May")
    )
    assert created.RequestId
    plain = created.ReceiverId
    assert isinstance(plain, int)

    added = client.CreateReceiverDetail(
        request(
            "CreateReceiverDetailRequest",
            ReceiverId=plain,
            Emails=["a@example.com", "A@example.com", "", "not an address", "b@example.com"],
        )
    )
    assert counters(added) == (5, 2, 0, 1, 1)

    with_data = client.CreateReceiver(
        request("CreateReceiverRequest", ReceiversName="VIP")
    ).ReceiverId
    added = client.CreateReceiverDetailWithData(
        request(
            "CreateReceiverDetailWithDataRequest",
            ReceiverId=with_data,
            Datas=[
                entry("ana@example.com", name="Ana", code="1"),
                entry("bob@example.com", name="x" * 800, code="2"),
            ],
        )
    )
    assert counters(added) == (2, 1, 1, 0, 0)

    listed = client.ListReceivers(request("ListReceiversRequest", Offset=0, Limit=10))
    assert listed.TotalCount == 2
    assert all(isinstance(row, models.ReceiverData) for row in listed.Data)
    assert [
        (r.ReceiverId, r.ReceiversName, r.Count, r.InvalidCount, r.ReceiversStatus)
        for r in listed.Data
    ] == [
        (with_data, "VIP", 1, 0, 3),
        (plain, "Customers", 3, 1, 3),
    ]
    assert listed.Data[1].Desc == "Signed up in May"
    assert all(len(r.CreateTime) == 19 for r in listed.Data)
    found = client.ListReceivers(
        request("ListReceiversRequest", Offset=0, Limit=10, Status=3, KeyWord="cust")
    )
    assert [r.ReceiverId for r in found.Data] == [plain]

    details = client.ListReceiverDetails(
        request("ListReceiverDetailsRequest", ReceiverId=plain, Offset=0, Limit=10)
    )
    assert (details.TotalCount, details.ValidCount, details.InvalidCount) == (3, 2, 1)
    assert all(isinstance(row, models.ReceiverDetail) for row in details.Data)
    assert [(r.Email, r.Status, r.TemplateData) for r in details.Data] == [
        ("a@example.com", 1, ""),
        ("b@example.com", 1, ""),
        ("not an address", 2, ""),
    ]
    assert details.Data[2].Reason
    ids = [r.EmailId for r in details.Data]
    assert ids == sorted(ids)
    invalid = client.ListReceiverDetails(
        request(
            "ListReceiverDetailsRequest",
            ReceiverId=plain,
            Offset=0,
            Limit=10,
            Status=2,
            Email="ADDRESS",
            CreateTimeBegin="2000-01-01",
            CreateTimeEnd="2999-12-31 23:59:59",
        )
    )
    assert [r.Email for r in invalid.Data] == ["not an address"]
    (ana,) = client.ListReceiverDetails(
        request("ListReceiverDetailsRequest", ReceiverId=with_data, Offset=0, Limit=10)
    ).Data
    assert json.loads(ana.TemplateData) == {"name": "Ana", "code": "1"}

    deleted = client.DeleteReceiver(request("DeleteReceiverRequest", ReceiverId=plain))
    assert deleted.RequestId
    assert list(ReceiverList.objects.values_list("pk", flat=True)) == [with_data]
    assert ReceiverAddress.objects.filter(receiver_list_id=plain).count() == 0


def test_refusals_surface_with_their_codes(ses_client, make_account):
    client = ses_client
    receiver_id = client.CreateReceiver(
        request("CreateReceiverRequest", ReceiversName="Customers")
    ).ReceiverId

    error = refused(
        client.CreateReceiver, request("CreateReceiverRequest", ReceiversName="Customers")
    )
    assert error.get_code() == "InvalidParameterValue.RepeatReceiverName"

    # The SDK leaves an unset ReceiverId out; the action's own code answers.
    error = refused(
        client.CreateReceiverDetail, request("CreateReceiverDetailRequest", Emails=["a@x.com"])
    )
    assert error.get_code() == "MissingParameter.ReceiverIdNecessary"
    error = refused(
        client.CreateReceiverDetail,
        request("CreateReceiverDetailRequest", ReceiverId=receiver_id, Emails=[]),
    )
    assert error.get_code() == "MissingParameter.EmailsNecessary"

    error = refused(
        client.CreateReceiverDetailWithData,
        request(
            "CreateReceiverDetailWithDataRequest",
            ReceiverId=receiver_id,
            Datas=[entry("a@x.com", name="A"), entry("b@x.com", name="<b>B</b>")],
        ),
    )
    assert error.get_code() == "InvalidParameterValue.InValidTemplateData"
    assert "Datas.1 (b@x.com)" in error.get_message()

    error = refused(
        client.ListReceiverDetails,
        request(
            "ListReceiverDetailsRequest",
            ReceiverId=receiver_id,
            Offset=0,
            Limit=10,
            CreateTimeBegin="yesterday",
        ),
    )
    assert error.get_code() == "InvalidParameter.InvalidStartTimeFormat"
    error = refused(client.ListReceivers, request("ListReceiversRequest", Offset=0, Limit=500))
    assert error.get_code() == "FailedOperation.InvalidLimit"

    # Another account's list is no list at all.
    other = ReceiverList.objects.create(account=make_account("other"), name="Theirs")
    error = refused(client.DeleteReceiver, request("DeleteReceiverRequest", ReceiverId=other.pk))
    assert error.get_code() == "OperationDenied.ReceiverNotExist"
    assert ReceiverList.objects.filter(pk=other.pk).exists()
    assert not ReceiverAddress.objects.exists()


def test_data_through_get_requests(sdk_endpoint, account):
    """GET flattens Datas into Datas.0.Email=...: the same counts as POST."""
    Account.objects.filter(pk=account.pk).update(api_rate_per_second=10_000)
    key, secret = ApiKey.issue(account, description="get")
    client = ses_client_module.SesClient(
        credential.Credential(key.secret_id, secret),
        "ap-guangzhou",
        sdk_profile(sdk_endpoint, method="GET"),
    )
    receiver_id = client.CreateReceiver(
        request("CreateReceiverRequest", ReceiversName="客户 2025")
    ).ReceiverId
    added = client.CreateReceiverDetailWithData(
        request(
            "CreateReceiverDetailWithDataRequest",
            ReceiverId=receiver_id,
            Datas=[
                entry("ana@example.com", name="安娜", code=1),
                entry("ANA@example.com", name="A", code=2),
            ],
        )
    )
    assert counters(added) == (2, 1, 0, 0, 1)
    (row,) = client.ListReceiverDetails(
        request("ListReceiverDetailsRequest", ReceiverId=receiver_id, Offset=0, Limit=1)
    ).Data
    assert json.loads(row.TemplateData) == {"name": "安娜", "code": 1}
    listed = client.ListReceivers(
        request("ListReceiversRequest", Offset=0, Limit=1, KeyWord="客户")
    )
    assert [r.ReceiversName for r in listed.Data] == ["客户 2025"]
