"""Calling the recipient-list API actions in tests (call_api or other_tenant_api).

receiver_id = create(call_api, "Customers")
assert add(call_api, receiver_id, ["a@x.com"]) == [1, 1, 0, 0, 0]
"""

import json

from tests.tc3 import ok

# The counters of CreateReceiverDetail(WithData), in the order add() returns them.
COUNTERS = ["TotalCount", "ValidCount", "TooLongCount", "EmptyEmailCount", "RepeatCount"]
LONG_ADDRESS = "a" * 64 + "@" + "b" * 190 + ".example.com"  # 267 characters


def create(call, name="Customers", **params) -> int:
    return ok(call("CreateReceiver", {"ReceiversName": name, **params}))["ReceiverId"]


def add(call, receiver_id, emails) -> list[int]:
    """CreateReceiverDetail: its counters, in COUNTERS order."""
    response = ok(call("CreateReceiverDetail", {"ReceiverId": receiver_id, "Emails": emails}))
    assert set(response) == {*COUNTERS, "RequestId"}
    return [response[name] for name in COUNTERS]


def add_data(call, receiver_id, *entries):
    """CreateReceiverDetailWithData of (email, data: dict or JSON text) pairs: the Reply."""
    datas = [
        {"Email": e, "TemplateData": d if isinstance(d, str) else json.dumps(d)} for e, d in entries
    ]
    return call("CreateReceiverDetailWithData", {"ReceiverId": receiver_id, "Datas": datas})


def lists(call, **params) -> dict:
    return ok(call("ListReceivers", {"Offset": 0, "Limit": 100, **params}))


def details(call, receiver_id, **params) -> dict:
    body = {"ReceiverId": receiver_id, "Offset": 0, "Limit": 100, **params}
    return ok(call("ListReceiverDetails", body))


def emails_of(call, receiver_id, **params) -> list[str]:
    return [row["Email"] for row in details(call, receiver_id, **params)["Data"]]
