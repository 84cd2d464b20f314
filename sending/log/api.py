"""API action GetSendEmailStatus: one day's recipients of the account, in Tencent's codes.

The day is one of the service's TIME_ZONE. The action's own documentation allows
the last 30 days (the NotSupportDate error text says 90; the action doc is
followed): an older day answers FailedOperation.NotSupportDate, a malformed or
future one InvalidParameterValue.WrongDate.
"""

import re
from datetime import datetime, time, timedelta
from typing import Any

from django.utils import timezone

from accounts.models import Account
from domains.services import parse_address
from sending.models import Delivery, DeliveryStatus, Event, EventType, SendStatus
from sesconsole.api.paging import page_slice
from sesconsole.api.registry import ApiContext, action
from sesconsole.refusals import Refusal

STATUS_DAYS = 30
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

# SendStatus: 0 accepted; otherwise why the service itself did not send. Keyed by the
# stored values (TextChoices members are those strings).
SEND_STATUS: dict[str, int] = {
    SendStatus.OK: 0,
    SendStatus.FREQUENCY_LIMIT: 1006,
    SendStatus.BLOCKLISTED: 1007,
    SendStatus.DAILY_LIMIT: 1010,
    SendStatus.UNSUBSCRIBED: 1013,
    SendStatus.BOUNCE_RATE: 3030,
}
# DeliverStatus: 0 accepted and queued, 1 delivered, 2 dropped, 3 rejected by the
# recipient's ESP, 8 delayed by it.
DELIVER_STATUS: dict[str, int] = {
    DeliveryStatus.QUEUED: 0,
    DeliveryStatus.SENDING: 0,
    DeliveryStatus.DELIVERED: 1,
    DeliveryStatus.DROPPED: 2,
    DeliveryStatus.BOUNCED: 3,
    DeliveryStatus.DEFERRED: 8,
}
USER_FLAGS = {
    EventType.OPEN: ("UserOpened",),
    EventType.CLICK: ("UserClicked",),
    EventType.UNSUBSCRIBE: ("UserUnsubscribed",),
    EventType.SPAMREPORT: ("UserComplainted", "UserComplained"),
}


def day_window(raw: str, now: datetime | None = None) -> tuple[datetime, datetime]:
    """[start, end) of the day RequestDate names, within the days that can be queried."""
    try:
        if not _DATE.match(raw or ""):
            raise ValueError
        day = datetime.strptime(raw, "%Y-%m-%d").date()
    except ValueError as error:
        raise Refusal(
            "InvalidParameterValue.WrongDate",
            f"RequestDate {raw[:40]!r} is not a date such as 2024-05-01.",
        ) from error
    today = timezone.localdate(now)
    if day > today:
        raise Refusal("InvalidParameterValue.WrongDate", f"RequestDate {raw} is in the future.")
    if (today - day).days > STATUS_DAYS:
        raise Refusal(
            "FailedOperation.NotSupportDate",
            f"Only the last {STATUS_DAYS} days can be queried; {raw} is older.",
        )
    zone = timezone.get_current_timezone()
    start = datetime.combine(day, time.min, tzinfo=zone)
    end = datetime.combine(day + timedelta(days=1), time.min, tzinfo=zone)
    return start, end


def _recipient(raw: str) -> str:
    """ToEmailAddress as deliveries store it (an IDN domain in IDNA form), when it parses."""
    try:
        local, host = parse_address(raw)
    except Refusal:
        return raw.strip()
    return f"{local}@{host}"


def _unix(moment: datetime | None) -> int:
    return int(moment.timestamp()) if moment else 0


def _deliver_message(delivery: Delivery) -> str:
    if delivery.last_reply:
        return delivery.last_reply
    if delivery.send_status != SendStatus.OK:
        return SendStatus(delivery.send_status).label
    return ""


def _deliver_time(delivery: Delivery) -> int:
    if delivery.delivered_at:
        return _unix(delivery.delivered_at)
    if delivery.status in (DeliveryStatus.BOUNCED, DeliveryStatus.DEFERRED):
        return _unix(delivery.updated_at)  # the attempt that bounced or was deferred
    return 0


def status_of(delivery: Delivery, event_types: set[str]) -> dict[str, Any]:
    """One SendEmailStatus."""
    status: dict[str, Any] = {
        "MessageId": delivery.message.message_id,
        "ToEmailAddress": delivery.recipient,
        "FromEmailAddress": delivery.message.from_address,
        "SendStatus": SEND_STATUS[delivery.send_status],
        "DeliverStatus": DELIVER_STATUS[delivery.status],
        "DeliverMessage": _deliver_message(delivery),
        "RequestTime": _unix(delivery.created_at),
        "DeliverTime": _deliver_time(delivery),
    }
    for event_type, fields in USER_FLAGS.items():
        for field in fields:
            status[field] = event_type in event_types
    return status


@action("GetSendEmailStatus")
def get_send_email_status(ctx: ApiContext[Account], params: dict[str, Any]) -> dict[str, Any]:
    start, end = day_window(params["RequestDate"])
    deliveries = Delivery.objects.filter(
        account=ctx.account, created_at__gte=start, created_at__lt=end
    )
    if params.get("MessageId"):
        deliveries = deliveries.filter(message__message_id=params["MessageId"])
    if params.get("ToEmailAddress"):
        deliveries = deliveries.filter(recipient__iexact=_recipient(params["ToEmailAddress"]))
    page = list(
        deliveries.select_related("message").order_by("created_at", "pk")[
            page_slice(params, require_limit=True)
        ]
    )
    events: dict[int, set[str]] = {}
    for delivery_id, event_type in (
        Event.objects.filter(delivery__in=page, type__in=list(USER_FLAGS))
        .values_list("delivery_id", "type")
        .distinct()
    ):
        events.setdefault(delivery_id, set()).add(event_type)
    return {"EmailStatusList": [status_of(d, events.get(d.pk, set())) for d in page]}
