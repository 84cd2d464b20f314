"""Recipient lists whose addresses have their own template data
(CreateReceiverDetailWithData), and reading a list's addresses (ListReceiverDetails):
pages, filters, times, and the codes of their refusals."""

import json
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from accounts.models import Account
from sending.batch import receivers
from sending.models import ReceiverAddress, ReceiverList
from tests.sending.batch.helpers import COUNTERS, add, add_data, create, details, emails_of
from tests.tc3 import ok

pytestmark = pytest.mark.django_db

NOW = datetime(2025, 3, 10, 8, 30, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _fast_api(account):
    Account.objects.filter(pk=account.pk).update(api_rate_per_second=10_000)


# --- CreateReceiverDetailWithData ----------------------------------------------------


def test_data_upload_fixes_the_variables_in_the_first_entry_s_order(call_api):
    receiver_id = create(call_api)
    reply = add_data(
        call_api,
        receiver_id,
        ("ana@example.com", {"name": "Ana", "code": 1234}),
        ("bob@example.com", {"code": "2", "name": "Bob"}),
        ("ANA@example.com", {"name": "Ana again", "code": "3"}),
        ("", {"name": "Nobody", "code": "4"}),
        ("long@example.com", {"name": "x" * 800, "code": "5"}),
        ("not an address", {"name": "Bad", "code": "6"}),
    )
    assert [ok(reply)[name] for name in COUNTERS] == [6, 2, 1, 1, 1]
    assert ReceiverList.objects.get().variables == ["name", "code"]
    rows = details(call_api, receiver_id)["Data"]
    assert [(r["Email"], r["TemplateData"], r["Status"]) for r in rows] == [
        ("ana@example.com", '{"name":"Ana","code":1234}', 1),
        ("bob@example.com", '{"name":"Bob","code":"2"}', 1),
        ("not an address", '{"name":"Bad","code":"6"}', 2),
    ]
    # Data of exactly 800 bytes is kept.
    data = {"name": "", "code": ""}
    data["name"] = "y" * (800 - len(json.dumps(data, separators=(",", ":"))))
    assert ok(add_data(call_api, receiver_id, ("dan@example.com", data)))["ValidCount"] == 1


BAD_DATA = [
    ("not json", "InvalidParameterValue.TemplateDataError"),
    ("", "InvalidParameterValue.TemplateDataError"),
    ("[]", "InvalidParameterValue.TemplateDataError"),
    ("{}", "InvalidParameterValue.TemplateDataError"),
    ('{"name": {"a": 1}}', "InvalidParameterValue.TemplateDataError"),
    ('{"name": true}', "InvalidParameterValue.TemplateDataError"),
    ('{"name": null}', "InvalidParameterValue.TemplateDataError"),
    ('{"name": NaN}', "InvalidParameterValue.TemplateDataError"),
    ('{"name": 1e400}', "InvalidParameterValue.TemplateDataError"),
    ('{"name": "a\\u0000b"}', "InvalidParameterValue.TemplateDataError"),
    ('{"name": "\\ud800"}', "InvalidParameterValue.TemplateDataError"),
    ("[" * 100_000, "InvalidParameterValue.TemplateDataError"),
    ('{"name": "<b>Ana</b>"}', "InvalidParameterValue.InValidTemplateData"),
    ('{"name": "<a href=x>"}', "InvalidParameterValue.InValidTemplateData"),
]


@pytest.mark.parametrize(("text", "code"), BAD_DATA)
def test_one_bad_data_refuses_the_whole_request(call_api, text, code):
    receiver_id = create(call_api)
    reply = add_data(
        call_api, receiver_id, ("ana@example.com", {"name": "Ana"}), ("bob@example.com", text)
    )
    assert reply.code == code
    assert "Datas.1" in reply.message
    assert "bob@example.com" in reply.message
    assert not ReceiverAddress.objects.exists()
    assert ReceiverList.objects.get().variables == []


def test_data_refusals(call_api, monkeypatch):
    receiver_id = create(call_api)

    def code(params):
        return call_api("CreateReceiverDetailWithData", params).code

    entry = {"Email": "a@x.com", "TemplateData": '{"name": "A"}'}
    assert code({"Datas": [entry]}) == "MissingParameter.ReceiverIdNecessary"
    assert code({"ReceiverId": receiver_id}) == "MissingParameter.EmailsNecessary"
    assert code({"ReceiverId": receiver_id, "Datas": []}) == "MissingParameter.EmailsNecessary"
    assert code({"ReceiverId": receiver_id, "Datas": [{"Email": "a@x.com"}]}) == "MissingParameter"
    assert code({"ReceiverId": 0, "Datas": [entry]}) == "OperationDenied.ReceiverNotExist"
    monkeypatch.setattr(receivers, "MAX_PER_REQUEST", 2)
    assert code({"ReceiverId": receiver_id, "Datas": [entry] * 3}) == (
        "LimitExceeded.ReceiverDetailRequestLimit"
    )


def test_every_address_of_a_list_has_the_same_variables(call_api):
    inconsistent = "InvalidParameterValue.TemplateDataInconsistent"
    receiver_id = create(call_api)
    reply = add_data(
        call_api, receiver_id, ("a@x.com", {"name": "A", "code": 1}), ("b@x.com", {"name": "B"})
    )
    assert reply.code == inconsistent
    assert "Datas.1 (b@x.com)" in reply.message
    ok(add_data(call_api, receiver_id, ("a@x.com", {"name": "A", "code": 1})))
    # Later uploads: the same names in any order, and never without data.
    ok(add_data(call_api, receiver_id, ("b@x.com", {"code": 2, "name": "B"})))
    assert add_data(call_api, receiver_id, ("c@x.com", {"name": "C"})).code == inconsistent
    assert add_data(call_api, receiver_id, ("c@x.com", {"nom": "C", "code": 3})).code == (
        inconsistent
    )
    body = {"ReceiverId": receiver_id, "Emails": ["c@x.com"]}
    assert call_api("CreateReceiverDetail", body).code == inconsistent

    # A list of addresses without data takes none with data.
    plain = create(call_api, "Plain")
    add(call_api, plain, ["a@x.com"])
    assert add_data(call_api, plain, ("b@x.com", {"name": "B"})).code == inconsistent
    assert ReceiverAddress.objects.filter(receiver_list_id=plain).count() == 1


# --- ListReceiverDetails ---------------------------------------------------------------


def test_details_paged_and_filtered(call_api):
    receiver_id = create(call_api)
    days = {0: ["Ana@Example.com", "bob@example.com"], 1: ["carol@other.example", "bad one"]}
    for day, emails in days.items():
        with time_machine.travel(NOW + timedelta(days=day), tick=False):
            add(call_api, receiver_id, emails)
    everyone = ["Ana@example.com", "bob@example.com", "carol@other.example", "bad one"]
    response = details(call_api, receiver_id, Offset=1, Limit=2)
    assert (response["TotalCount"], response["ValidCount"], response["InvalidCount"]) == (4, 3, 1)
    assert [r["Email"] for r in response["Data"]] == everyone[1:3]
    ids = [r["EmailId"] for r in details(call_api, receiver_id)["Data"]]
    assert ids == sorted(ids)
    assert details(call_api, receiver_id, Email="EXAMPLE.COM")["TotalCount"] == 2
    assert emails_of(call_api, receiver_id, Email="ana@") == ["Ana@example.com"]
    assert emails_of(call_api, receiver_id, Status=1) == everyone[:3]
    assert emails_of(call_api, receiver_id, Status=2) == ["bad one"]
    assert emails_of(call_api, receiver_id, Status=2, Email="ana") == []
    assert details(call_api, receiver_id, Status=2)["ValidCount"] == 3  # of the list
    assert details(call_api, receiver_id, Offset=10)["Data"] == []

    # Times: a date means the whole day, a moment is exact; both ends included.
    assert emails_of(call_api, receiver_id, CreateTimeBegin="2025-03-11") == everyone[2:]
    assert emails_of(call_api, receiver_id, CreateTimeEnd="2025-03-10") == everyone[:2]
    assert (
        emails_of(
            call_api,
            receiver_id,
            CreateTimeBegin="2025-03-10 08:30:00",
            CreateTimeEnd="2025-03-10 08:30:00",
        )
        == everyone[:2]
    )
    assert emails_of(call_api, receiver_id, CreateTimeBegin="2025-03-10 08:30:01") == everyone[2:]
    assert emails_of(call_api, receiver_id, CreateTimeEnd="2025-03-11 08:29:59") == everyone[:2]
    assert emails_of(call_api, receiver_id, CreateTimeBegin="", CreateTimeEnd="") == everyone
    assert emails_of(call_api, receiver_id, CreateTimeEnd="9999-12-31") == everyone
    assert emails_of(call_api, receiver_id, CreateTimeBegin="0001-01-01") == everyone


@pytest.mark.parametrize("value", ["2025/03/10", "2025-3-10", "2025-02-30", "10:00:00", "today"])
def test_malformed_times(call_api, value):
    receiver_id = create(call_api)
    body = {"ReceiverId": receiver_id, "Offset": 0, "Limit": 10}
    reply = call_api("ListReceiverDetails", {**body, "CreateTimeBegin": value})
    assert reply.code == "InvalidParameter.InvalidStartTimeFormat"
    reply = call_api("ListReceiverDetails", {**body, "CreateTimeEnd": value})
    assert reply.code == "InvalidParameter.InvalidEndTimeFormat"


def test_details_refusals(call_api):
    receiver_id = create(call_api)
    body = {"ReceiverId": receiver_id, "Offset": 0, "Limit": 10}

    def code(**params):
        return call_api("ListReceiverDetails", {**body, **params}).code

    assert code(Limit=101) == "FailedOperation.InvalidLimit"
    assert code(Limit=0) == "InvalidParameterValue"  # "all" of millions is not a page
    assert code(Status=3) == "InvalidParameterValue"
    assert code(ReceiverId=receiver_id + 1) == "OperationDenied.ReceiverNotExist"
    reply = call_api("ListReceiverDetails", {"Offset": 0, "Limit": 10})
    assert reply.code == "MissingParameter.ReceiverIdNecessary"
