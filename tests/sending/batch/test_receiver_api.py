"""The recipient-list API actions through the gateway: creating, listing and deleting
lists, adding addresses (CreateReceiverDetail), statuses, and tenancy. Addresses
with data and reading a list's addresses: test_receiver_details_api.py."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from accounts.models import Account
from sending.batch import receivers
from sending.models import ListStatus, ReceiverAddress, ReceiverList, TaskStatus
from tests.sending.batch.batchhelp import create_task, make_list
from tests.sending.batch.helpers import LONG_ADDRESS, add, add_data, create, details, lists
from tests.tc3 import ok

pytestmark = pytest.mark.django_db

NOW = datetime(2025, 3, 10, 8, 30, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _fast_api(account):
    Account.objects.filter(pk=account.pk).update(api_rate_per_second=10_000)


# --- CreateReceiver, ListReceivers ---------------------------------------------------


def test_created_list_is_listed_with_every_field(call_api, settings):
    settings.TIME_ZONE = "Asia/Shanghai"
    with time_machine.travel(NOW, tick=False):
        receiver_id = create(call_api, " Customers ", Desc="Signed up in May")
    assert isinstance(receiver_id, int)
    response = lists(call_api)
    assert response["TotalCount"] == 1
    assert response["Data"] == [
        {
            "ReceiverId": receiver_id,
            "ReceiversName": "Customers",
            "Count": 0,
            "Desc": "Signed up in May",
            "ReceiversStatus": 1,
            "CreateTime": "2025-03-10 16:30:00",  # Shanghai's time of NOW
            "InvalidCount": 0,
        }
    ]


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"ReceiversName": ""}, "InvalidParameterValue.ReceiverNameIllegal"),
        ({"ReceiversName": "   "}, "InvalidParameterValue.ReceiverNameIllegal"),
        ({"ReceiversName": "x" * 201}, "InvalidParameterValue.ReceiverNameIllegal"),
        ({"ReceiversName": "a<b>"}, "InvalidParameterValue.ReceiverNameIllegal"),
        ({"ReceiversName": "a\tb"}, "InvalidParameterValue.ReceiverNameIllegal"),
        ({"ReceiversName": "ok", "Desc": "x" * 301}, "InvalidParameterValue.ReceiverDescIllegal"),
        ({"ReceiversName": "ok", "Desc": "<b>"}, "InvalidParameterValue.ReceiverDescIllegal"),
        ({"Desc": "no name"}, "MissingParameter"),
        ({"ReceiversName": ["Customers"]}, "InvalidParameter"),
    ],
)
def test_create_refusals(call_api, params, code):
    assert call_api("CreateReceiver", params).code == code
    assert not ReceiverList.objects.exists()


def test_names_are_unique_per_account_and_lists_are_limited(call_api, settings):
    settings.SES_RECEIVER_MAX_LISTS = 2
    first = create(call_api, "Customers")
    assert call_api("CreateReceiver", {"ReceiversName": "Customers"}).code == (
        "InvalidParameterValue.RepeatReceiverName"
    )
    create(call_api, "customers")  # names are compared exactly
    reply = call_api("CreateReceiver", {"ReceiversName": "Third"})
    assert reply.code == "LimitExceeded.ExceedReceiverLimit"
    assert "2" in reply.message
    ok(call_api("DeleteReceiver", {"ReceiverId": first}))
    create(call_api, "Third")
    assert ReceiverList.objects.count() == 2


def test_lists_newest_first_paged_and_filtered(call_api):
    ids = {}
    for day, name in enumerate(["Alpha news", "Beta", "alpha VIP"]):
        with time_machine.travel(NOW + timedelta(days=day), tick=False):
            ids[name] = create(call_api, name)
    add(call_api, ids["Beta"], ["a@example.com"])
    ReceiverList.objects.filter(pk=ids["alpha VIP"]).update(status=ListStatus.UPLOADING)

    def names(**params):
        response = lists(call_api, **params)
        return response["TotalCount"], [row["ReceiversName"] for row in response["Data"]]

    assert names() == (3, ["alpha VIP", "Beta", "Alpha news"])
    assert names(Offset=1, Limit=1) == (3, ["Beta"])
    assert names(Offset=3) == (3, [])
    assert names(KeyWord="ALPHA") == (2, ["alpha VIP", "Alpha news"])
    assert names(KeyWord=" eta ") == (1, ["Beta"])
    assert names(Status=1) == (1, ["Alpha news"])
    assert names(Status=2) == (1, ["alpha VIP"])
    assert names(Status=3) == (1, ["Beta"])
    assert names(Status=3, KeyWord="alpha") == (0, [])
    assert names(Status=0) == names()
    assert [r["ReceiversStatus"] for r in lists(call_api)["Data"]] == [2, 3, 1]
    body = {"Offset": 0, "Limit": 10, "Status": 4}
    assert call_api("ListReceivers", body).code == "InvalidParameterValue"
    body = {"Offset": 0, "Limit": 101}
    assert call_api("ListReceivers", body).code == "FailedOperation.InvalidLimit"
    assert call_api("ListReceivers", {"Limit": 10}).code == "MissingParameter"


# --- CreateReceiverDetail ------------------------------------------------------------


def test_counters_of_an_upload(call_api):
    receiver_id = create(call_api)
    emails = [
        "ana@example.com",
        "ANA@Example.com",  # the same address, in other case
        "",
        "   ",
        LONG_ADDRESS,
        "not an address",
        "bob@example.com",
        "bob@example.com",
        "carol@bücher.example",
    ]
    # Total, valid, too long, empty, repeated: the invalid one is kept, not valid.
    assert add(call_api, receiver_id, emails) == [9, 3, 1, 2, 2]
    response = details(call_api, receiver_id)
    assert (response["TotalCount"], response["ValidCount"], response["InvalidCount"]) == (4, 3, 1)
    rows = {row["Email"]: row for row in response["Data"]}
    # In EmailId order: a chunk's valid addresses are written first, then the invalid ones.
    assert list(rows) == [
        "ana@example.com",
        "bob@example.com",
        "carol@xn--bcher-kva.example",
        "not an address",
    ]
    bad = rows["not an address"]
    assert (bad["Status"], bad["TemplateData"]) == (2, "")
    assert "not a single valid email address" in bad["Reason"]
    assert {(r["Status"], r["Reason"]) for e, r in rows.items() if e != "not an address"} == {
        (1, "")
    }
    (listed,) = lists(call_api)["Data"]
    assert (listed["Count"], listed["InvalidCount"], listed["ReceiversStatus"]) == (4, 1, 3)

    # Against the list: repeats of valid addresses whatever their case; invalid ones again.
    assert add(call_api, receiver_id, ["Bob@EXAMPLE.com", "dan@example.com", "not an address"]) == [
        3,
        1,
        0,
        0,
        1,
    ]
    list_row = ReceiverList.objects.get()
    assert (list_row.valid_count, list_row.invalid_count) == (4, 2)
    assert ReceiverAddress.objects.filter(status="valid").count() == 4


def test_an_upload_of_nothing_kept_leaves_the_list_waiting(call_api):
    receiver_id = create(call_api)
    assert add(call_api, receiver_id, ["", LONG_ADDRESS]) == [2, 0, 1, 1, 0]
    assert lists(call_api)["Data"][0]["ReceiversStatus"] == 1


def test_add_refusals(call_api, monkeypatch, settings):
    receiver_id = create(call_api)

    def code(params):
        return call_api("CreateReceiverDetail", params).code

    assert code({"Emails": ["a@example.com"]}) == "MissingParameter.ReceiverIdNecessary"
    assert code({"ReceiverId": None, "Emails": ["a@x.com"]}) == (
        "MissingParameter.ReceiverIdNecessary"
    )
    assert code({"ReceiverId": receiver_id}) == "MissingParameter.EmailsNecessary"
    assert code({"ReceiverId": receiver_id, "Emails": []}) == "MissingParameter.EmailsNecessary"
    assert code({"ReceiverId": receiver_id + 1, "Emails": ["a@x.com"]}) == (
        "OperationDenied.ReceiverNotExist"
    )
    assert code({"ReceiverId": "x", "Emails": ["a@x.com"]}) == "InvalidParameter"
    many = [f"u{i}@example.com" for i in range(20_001)]
    reply = call_api("CreateReceiverDetail", {"ReceiverId": receiver_id, "Emails": many})
    assert reply.code == "LimitExceeded.ReceiverDetailRequestLimit"
    assert "20000" in reply.message
    monkeypatch.setattr(receivers, "MAX_PER_REQUEST", 3)
    assert code({"ReceiverId": receiver_id, "Emails": ["a@x.com"] * 4}) == (
        "LimitExceeded.ReceiverDetailRequestLimit"
    )
    assert add(call_api, receiver_id, ["a@x.com", "b@x.com", "c@x.com"])[1] == 3

    settings.SES_RECEIVER_MAX_ADDRESSES = 4
    reply = call_api("CreateReceiverDetail", {"ReceiverId": receiver_id, "Emails": ["d@x", "e@x"]})
    assert reply.code == "LimitExceeded.ReceiverDetailCountLimit"
    assert "room for 1" in reply.message
    assert add(call_api, receiver_id, ["not an address"]) == [1, 0, 0, 0, 0]
    assert ReceiverAddress.objects.count() == 4


def test_an_uploading_list_takes_nothing_and_is_not_deleted(call_api):
    receiver_id = create(call_api)
    ReceiverList.objects.filter(pk=receiver_id).update(status=ListStatus.UPLOADING)
    operating = "OperationDenied.ReceiverIsOperating"
    assert call_api(
        "CreateReceiverDetail", {"ReceiverId": receiver_id, "Emails": ["a@x.com"]}
    ).code == (operating)
    assert add_data(call_api, receiver_id, ("a@x.com", {"name": "A"})).code == operating
    assert call_api("DeleteReceiver", {"ReceiverId": receiver_id}).code == operating
    assert ReceiverList.objects.get().status == ListStatus.UPLOADING
    assert not ReceiverAddress.objects.exists()


# --- DeleteReceiver ------------------------------------------------------------------------


def test_delete_removes_the_list_and_its_addresses(call_api):
    receiver_id = create(call_api)
    add(call_api, receiver_id, ["a@x.com", "bad"])
    assert set(ok(call_api("DeleteReceiver", {"ReceiverId": receiver_id}))) == {"RequestId"}
    assert not ReceiverList.objects.exists()
    assert not ReceiverAddress.objects.exists()
    response = lists(call_api)
    assert (response["TotalCount"], response["Data"]) == (0, [])
    again = call_api("DeleteReceiver", {"ReceiverId": receiver_id})
    assert again.code == "OperationDenied.ReceiverNotExist"
    assert call_api("DeleteReceiver", {}).code == "MissingParameter.ReceiverIdNecessary"


def test_a_list_an_unfinished_task_sends_to_is_not_deleted(
    call_api, account, verified_sender, approved_template
):
    receiver_list = make_list(account, 3)
    task = create_task(account, verified_sender, receiver_list, approved_template)
    reply = call_api("DeleteReceiver", {"ReceiverId": receiver_list.pk})
    assert reply.code == "OperationDenied.ReceiverIsOperating"
    assert f"Task {task.pk}" in reply.message
    assert ReceiverAddress.objects.count() == 3
    task.status = TaskStatus.CANCELED
    task.save(update_fields=["status"])
    ok(call_api("DeleteReceiver", {"ReceiverId": receiver_list.pk}))
    task.refresh_from_db()
    assert task.receiver_list is None
    assert task.receivers_name == "Customers"


# --- tenancy ---------------------------------------------------------------------------------


def test_another_account_can_neither_see_nor_change_a_list(call_api, other_tenant_api):
    receiver_id = create(call_api, "Customers", Desc="ours")
    add(call_api, receiver_id, ["a@x.com", "bad"])

    def snapshot():
        row = ReceiverList.objects.values().get(pk=receiver_id)
        return row, list(ReceiverAddress.objects.values().order_by("pk"))

    before = snapshot()
    missing = "OperationDenied.ReceiverNotExist"
    theirs = other_tenant_api
    assert ok(theirs("ListReceivers", {"Offset": 0, "Limit": 100}))["TotalCount"] == 0
    params = {"ReceiverId": receiver_id, "Offset": 0, "Limit": 10}
    assert theirs("ListReceiverDetails", params).code == missing
    params = {"ReceiverId": receiver_id, "Emails": ["b@x.com"]}
    assert theirs("CreateReceiverDetail", params).code == missing
    datas = [{"Email": "b@x.com", "TemplateData": '{"name": "B"}'}]
    params = {"ReceiverId": receiver_id, "Datas": datas}
    assert theirs("CreateReceiverDetailWithData", params).code == missing
    assert theirs("DeleteReceiver", {"ReceiverId": receiver_id}).code == missing
    assert snapshot() == before

    # Names are the account's own: B may use the same one, and sees only its list.
    theirs_id = ok(theirs("CreateReceiver", {"ReceiversName": "Customers"}))["ReceiverId"]
    listed = ok(theirs("ListReceivers", {"Offset": 0, "Limit": 100}))["Data"]
    assert [row["ReceiverId"] for row in listed] == [theirs_id]
    assert [row["ReceiverId"] for row in lists(call_api)["Data"]] == [receiver_id]
