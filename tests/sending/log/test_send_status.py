"""GetSendEmailStatus: one status per recipient of one day, with Tencent's codes,
filters, pagination, the 30-day window and tenant isolation."""

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from accounts.models import Account
from sending.models import Delivery, DeliveryStatus, Event, EventType, Message
from tests.sending.sendhelp import change
from tests.tc3 import ok

FIELDS = {
    "MessageId",
    "ToEmailAddress",
    "FromEmailAddress",
    "SendStatus",
    "DeliverStatus",
    "DeliverMessage",
    "RequestTime",
    "DeliverTime",
    "UserOpened",
    "UserClicked",
    "UserUnsubscribed",
    "UserComplainted",
    "UserComplained",
}


@pytest.fixture(autouse=True)
def _fast(account):
    Account.objects.filter(pk=account.pk).update(
        api_rate_per_second=10_000, send_rate_per_second=10_000
    )


def send(call_api, params, *to) -> Message:
    if to:
        params = change("Destination", list(to))(params)
    return Message.objects.get(message_id=ok(call_api("SendEmail", params))["MessageId"])


def query(call_api, day=None, **params):
    day = day or timezone.localdate()
    params = {"RequestDate": str(day), "Offset": 0, "Limit": 100, **params}
    return call_api("GetSendEmailStatus", params)


def listed(call_api, day=None, **params):
    return ok(query(call_api, day, **params))["EmailStatusList"]


def test_a_status_per_recipient_with_every_field(call_api, send_params, verified_sender):
    message = send(call_api, {**send_params, "Cc": ["cy@example.org"], "Bcc": ["dee@example.net"]})
    rows = listed(call_api)
    assert [set(row) for row in rows] == [FIELDS] * 3
    assert [row["ToEmailAddress"] for row in rows] == [
        "ana@example.com",
        "cy@example.org",
        "dee@example.net",
    ]
    first = rows[0]
    assert first["MessageId"] == message.message_id
    assert first["FromEmailAddress"] == verified_sender.email
    assert (first["SendStatus"], first["DeliverStatus"], first["DeliverMessage"]) == (0, 0, "")
    assert first["RequestTime"] == int(message.created_at.timestamp())
    assert first["DeliverTime"] == 0
    flags = ("UserOpened", "UserClicked", "UserUnsubscribed", "UserComplainted", "UserComplained")
    assert [first[flag] for flag in flags] == [False] * 5


def test_delivery_states_and_user_events(call_api, send_params):
    send(call_api, send_params, "a@example.com", "b@example.com", "c@example.com", "d@example.com")
    a, b, c, d = Delivery.objects.order_by("pk")
    delivered_at = timezone.now().replace(microsecond=0)
    Delivery.objects.filter(pk=a.pk).update(
        status=DeliveryStatus.DELIVERED, delivered_at=delivered_at, last_reply="250 2.0.0 OK"
    )
    Delivery.objects.filter(pk=b.pk).update(
        status=DeliveryStatus.BOUNCED, last_reply="550 5.1.1 No such user"
    )
    Delivery.objects.filter(pk=c.pk).update(
        status=DeliveryStatus.DEFERRED, last_reply="451 4.7.1 Try again later"
    )
    Delivery.objects.filter(pk=d.pk).update(status=DeliveryStatus.SENDING)
    for event_type in (EventType.OPEN, EventType.OPEN, EventType.CLICK, EventType.SPAMREPORT):
        Event.objects.create(delivery=a, type=event_type)
    Event.objects.create(delivery=b, type=EventType.UNSUBSCRIBE)
    rows = {row["ToEmailAddress"]: row for row in listed(call_api)}
    summary = {
        to: (row["DeliverStatus"], row["DeliverMessage"], bool(row["DeliverTime"]))
        for to, row in rows.items()
    }
    assert summary == {
        "a@example.com": (1, "250 2.0.0 OK", True),
        "b@example.com": (3, "550 5.1.1 No such user", True),
        "c@example.com": (8, "451 4.7.1 Try again later", True),
        "d@example.com": (0, "", False),
    }
    assert rows["a@example.com"]["DeliverTime"] == int(delivered_at.timestamp())
    a_flags = [rows["a@example.com"][f] for f in ("UserOpened", "UserClicked", "UserUnsubscribed")]
    assert a_flags == [True, True, False]
    assert rows["a@example.com"]["UserComplainted"] is rows["a@example.com"]["UserComplained"]
    assert rows["a@example.com"]["UserComplained"] is True
    assert rows["b@example.com"]["UserUnsubscribed"] is True
    assert rows["b@example.com"]["UserOpened"] is False


def test_filters(call_api, send_params):
    first = send(call_api, send_params, "ana@example.com", "bo@example.com")
    second = send(call_api, send_params, "ana@example.com")
    by_message = listed(call_api, MessageId=first.message_id)
    assert [r["ToEmailAddress"] for r in by_message] == ["ana@example.com", "bo@example.com"]
    by_recipient = listed(call_api, ToEmailAddress="ANA@example.com")
    assert [r["MessageId"] for r in by_recipient] == [first.message_id, second.message_id]
    both = listed(call_api, MessageId=second.message_id, ToEmailAddress="bo@example.com")
    assert both == []
    assert listed(call_api, MessageId="qcloudses-30-1-date-20240101000000-nothing") == []
    assert listed(call_api, ToEmailAddress="not an address") == []
    idn = send(call_api, send_params, "ana@bücher.example")
    by_unicode = listed(call_api, ToEmailAddress="Ana@Bücher.example")
    assert [(r["MessageId"], r["ToEmailAddress"]) for r in by_unicode] == [
        (idn.message_id, "ana@xn--bcher-kva.example")
    ]


def test_pagination(call_api, send_params):
    to = [f"user{i}@example.com" for i in range(5)]
    send(call_api, send_params, *to)
    pages = [listed(call_api, Offset=offset, Limit=2) for offset in (0, 2, 4, 6)]
    assert [len(page) for page in pages] == [2, 2, 1, 0]
    assert [row["ToEmailAddress"] for page in pages for row in page] == to


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"Limit": 101}, "FailedOperation.InvalidLimit"),
        ({"Limit": 0}, "InvalidParameterValue"),
        ({"Offset": -1}, "InvalidParameterValue"),
        ({"Limit": "ten"}, "InvalidParameter"),
        ({"RequestDate": "2024/05/01"}, "InvalidParameterValue.WrongDate"),
        ({"RequestDate": "2024-02-30"}, "InvalidParameterValue.WrongDate"),
        ({"RequestDate": "2024-5-1"}, "InvalidParameterValue.WrongDate"),
        ({"RequestDate": "yesterday"}, "InvalidParameterValue.WrongDate"),
        ({"RequestDate": ""}, "InvalidParameterValue.WrongDate"),
        ({"RequestDate": "2024-05-01 00:00:00"}, "InvalidParameterValue.WrongDate"),
    ],
    ids=lambda value: str(value),
)
def test_wrong_values(call_api, params, code):
    reply = query(call_api, **params)
    assert reply.code == code, reply.message


def test_missing_parameters(call_api):
    assert call_api("GetSendEmailStatus", {"Offset": 0, "Limit": 10}).code == "MissingParameter"
    today = str(timezone.localdate())
    assert call_api("GetSendEmailStatus", {"RequestDate": today}).code == "MissingParameter"


def test_the_last_30_days_can_be_queried(call_api, send_params):
    today = timezone.localdate()
    assert query(call_api, today + timedelta(days=1)).code == "InvalidParameterValue.WrongDate"
    assert listed(call_api, today - timedelta(days=30)) == []
    reply = query(call_api, today - timedelta(days=31))
    assert reply.code == "FailedOperation.NotSupportDate"
    assert "30 days" in reply.message


def test_each_day_lists_its_own_requests(call_api, send_params):
    old = send(call_api, send_params, "old@example.com")
    three_days_ago = timezone.now() - timedelta(days=3)
    Delivery.objects.filter(message=old).update(created_at=three_days_ago)
    send(call_api, send_params, "new@example.com")
    assert [r["ToEmailAddress"] for r in listed(call_api)] == ["new@example.com"]
    day = timezone.localdate(three_days_ago)
    assert [r["ToEmailAddress"] for r in listed(call_api, day)] == ["old@example.com"]


def test_days_follow_the_service_time_zone(call_api, send_params, settings):
    settings.TIME_ZONE = "Asia/Shanghai"  # UTC+8, no daylight saving
    early, late = send(call_api, send_params), send(call_api, send_params)
    today = timezone.localdate()
    midnight = datetime.combine(today, time.min, tzinfo=ZoneInfo("Asia/Shanghai"))
    # 07:30 today in Shanghai is 23:30 yesterday in UTC; 23:30 yesterday there is 15:30 UTC.
    Delivery.objects.filter(message=early).update(created_at=midnight + timedelta(hours=7.5))
    Delivery.objects.filter(message=late).update(created_at=midnight - timedelta(minutes=30))
    assert (midnight + timedelta(hours=7.5)).astimezone(UTC).date() == today - timedelta(days=1)
    assert [r["MessageId"] for r in listed(call_api, today)] == [early.message_id]
    assert [r["MessageId"] for r in listed(call_api, today - timedelta(days=1))] == [
        late.message_id
    ]


def test_another_tenant_sees_none_of_it(call_api, other_tenant_api, send_params):
    message = send(call_api, send_params)
    params = {"RequestDate": str(timezone.localdate()), "Offset": 0, "Limit": 100}
    assert ok(other_tenant_api("GetSendEmailStatus", params))["EmailStatusList"] == []
    by_id = {**params, "MessageId": message.message_id}
    assert ok(other_tenant_api("GetSendEmailStatus", by_id))["EmailStatusList"] == []
    by_to = {**params, "ToEmailAddress": "ana@example.com"}
    assert ok(other_tenant_api("GetSendEmailStatus", by_to))["EmailStatusList"] == []
    assert len(listed(call_api)) == 1
