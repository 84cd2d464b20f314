"""API actions of recipient lists ("Receivers"): create, add addresses (with or
without each one's template data), list them, read one's addresses, delete.

Thin handlers: the rules live in sending.batch.receivers; this module maps
Tencent's numbers to the statuses, pages the lists and shapes the replies as
api.json's ReceiverData and ReceiverDetail. Adding is synchronous (Tencent's is
asynchronous): the addresses are durable when the reply goes.
"""

import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from accounts.models import Account
from sending.batch import receivers
from sending.models import AddressStatus, ListStatus, ReceiverAddress, ReceiverList
from sending.models.batch import local_time
from sesconsole.api.paging import page_slice
from sesconsole.api.registry import ApiContext, action
from sesconsole.refusals import Refusal

LIST_STATUS = {1: ListStatus.WAITING, 2: ListStatus.UPLOADING, 3: ListStatus.COMPLETE}
LIST_STATUS_NUMBER = {status: number for number, status in LIST_STATUS.items()}
ADDRESS_STATUS = {1: AddressStatus.VALID, 2: AddressStatus.INVALID}
ADDRESS_STATUS_NUMBER = {status: number for number, status in ADDRESS_STATUS.items()}

NEED_ID = {"ReceiverId": "MissingParameter.ReceiverIdNecessary"}
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_MOMENT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}")


def _status(params: dict[str, Any], choices: Mapping[int, str]) -> str | None:
    """The status a Status filter asks for; None (absent or 0) for all."""
    number = params.get("Status") or 0
    if not number:
        return None
    if number not in choices:
        raise Refusal(
            "InvalidParameterValue",
            f"Status must be one of {', '.join(map(str, choices))}, or left out for all.",
            "Status",
        )
    return choices[number]


def _request_size(entries: list[Any], param: str) -> None:
    if not entries:
        raise Refusal("MissingParameter.EmailsNecessary", f"Give at least one entry in {param}.")
    if len(entries) > receivers.MAX_PER_REQUEST:
        raise Refusal(
            "LimitExceeded.ReceiverDetailRequestLimit",
            f"{param} has {len(entries)} entries; at most {receivers.MAX_PER_REQUEST} "
            "are allowed in one request.",
            param,
        )


# --- lists ----------------------------------------------------------------------


@action("CreateReceiver")
def create_receiver(ctx: ApiContext[Account], params: dict[str, Any]) -> dict[str, Any]:
    created = receivers.create(ctx.account, params["ReceiversName"], params.get("Desc", ""))
    return {"ReceiverId": created.pk}


@action("ListReceivers")
def list_receivers(ctx: ApiContext[Account], params: dict[str, Any]) -> dict[str, Any]:
    window = page_slice(params)
    status = _status(params, LIST_STATUS)
    lists = ReceiverList.objects.filter(account=ctx.account)
    if status is not None:
        lists = lists.filter(status=status)
    if keyword := (params.get("KeyWord") or "").strip():
        lists = lists.filter(name__icontains=keyword)
    return {
        "TotalCount": lists.count(),
        "Data": [
            {
                "ReceiverId": r.pk,
                "ReceiversName": r.name,
                "Count": r.total_count,
                "Desc": r.description,
                "ReceiversStatus": LIST_STATUS_NUMBER[ListStatus(r.status)],
                "CreateTime": local_time(r.created_at),
                "InvalidCount": r.invalid_count,
            }
            for r in lists.order_by("-created_at", "-pk")[window]
        ],
    }


@action("DeleteReceiver", missing=NEED_ID)
def delete_receiver(ctx: ApiContext[Account], params: dict[str, Any]) -> dict[str, Any]:
    receivers.delete(receivers.get(ctx.account, params["ReceiverId"]))
    return {}


# --- addresses -------------------------------------------------------------------


@action(
    "CreateReceiverDetail",
    missing={**NEED_ID, "Emails": "MissingParameter.EmailsNecessary"},
)
def create_receiver_detail(ctx: ApiContext[Account], params: dict[str, Any]) -> dict[str, Any]:
    emails: list[str] = params["Emails"]
    _request_size(emails, "Emails")
    counts = receivers.append(ctx.account, params["ReceiverId"], [(e, None) for e in emails])
    return counts.as_api()


@action(
    "CreateReceiverDetailWithData",
    missing={**NEED_ID, "Datas": "MissingParameter.EmailsNecessary"},
)
def create_receiver_detail_with_data(
    ctx: ApiContext[Account], params: dict[str, Any]
) -> dict[str, Any]:
    datas: list[dict[str, str]] = params["Datas"]
    _request_size(datas, "Datas")
    entries, keys = _parse_datas(datas)
    counts = receivers.append(ctx.account, params["ReceiverId"], entries, keys)
    return counts.as_api()


def _parse_datas(
    datas: list[dict[str, str]],
) -> tuple[list[tuple[object, dict[str, Any] | None]], list[str]]:
    """(email, data) of every entry and the names they all have, or the refusal of
    the first bad one: one bad entry refuses the request, nothing is added."""
    entries: list[tuple[object, dict[str, Any] | None]] = []
    keys: list[str] = []
    for position, item in enumerate(datas):
        email = item["Email"]
        where = f"Datas.{position} ({email.strip()[:100] or 'no address'})"
        try:
            data = receivers.parse_data(item["TemplateData"])
        except receivers.BadData as error:
            raise Refusal(error.code, f"{where}: {error.message}", f"Datas.{position}") from error
        if not data:
            raise Refusal(
                "InvalidParameterValue.TemplateDataError",
                f"{where}: TemplateData has no variables; add addresses without data with "
                "CreateReceiverDetail.",
                f"Datas.{position}",
            )
        if position == 0:
            keys = list(data)
        elif sorted(data) != sorted(keys):
            raise Refusal(
                "InvalidParameterValue.TemplateDataInconsistent",
                f"{where}: TemplateData has the variables {', '.join(data)}; the first entry "
                f"has {', '.join(keys)}. Every address of a list has the same ones.",
                f"Datas.{position}",
            )
        entries.append((email, data))
    return entries, keys


@action("ListReceiverDetails", missing=NEED_ID)
def list_receiver_details(ctx: ApiContext[Account], params: dict[str, Any]) -> dict[str, Any]:
    # A list holds millions: Limit 0 may not mean "all the rest" here.
    window = page_slice(params, require_limit=True)
    receiver_list = receivers.get(ctx.account, params["ReceiverId"])
    addresses = _filtered(receiver_list, params)
    variables = receiver_list.variables
    return {
        "TotalCount": addresses.count(),
        "ValidCount": receiver_list.valid_count,
        "InvalidCount": receiver_list.invalid_count,
        "Data": [
            {
                "Email": a.email,
                "CreateTime": local_time(a.created_at),
                "TemplateData": _data_text(a.data, variables),
                "Reason": a.reason,
                "Status": ADDRESS_STATUS_NUMBER[AddressStatus(a.status)],
                "EmailId": a.pk,
            }
            for a in addresses.order_by("pk")[window]
        ],
    }


def _filtered(receiver_list: ReceiverList, params: dict[str, Any]) -> QuerySet[ReceiverAddress]:
    begin = _moment(
        params.get("CreateTimeBegin"), "InvalidParameter.InvalidStartTimeFormat", end=False
    )
    end = _moment(params.get("CreateTimeEnd"), "InvalidParameter.InvalidEndTimeFormat", end=True)
    status = _status(params, ADDRESS_STATUS)
    query = Q(receiver_list=receiver_list)
    if status is not None:
        query &= Q(status=status)
    if email := (params.get("Email") or "").strip():
        query &= Q(email__icontains=email)
    if begin is not None:
        query &= Q(created_at__gte=begin)
    if end is not None:
        query &= Q(created_at__lt=end)
    return ReceiverAddress.objects.filter(query)


def _moment(raw: str | None, code: str, *, end: bool) -> datetime | None:
    """CreateTimeBegin/End, "YYYY-mm-dd HH:MM:SS" or "YYYY-mm-dd" in local time, as the
    bound it makes: from the moment (begin), or up to and including it (end; a day
    includes all of it). None: no bound."""
    text = (raw or "").strip()
    if not text:
        return None
    name = "CreateTimeEnd" if end else "CreateTimeBegin"
    try:
        if _MOMENT.fullmatch(text):
            moment = datetime.strptime(text, "%Y-%m-%d %H:%M:%S")
            step = timedelta(seconds=1)
        elif _DAY.fullmatch(text):
            moment = datetime.strptime(text, "%Y-%m-%d")
            step = timedelta(days=1)
        else:
            raise ValueError(text)
    except ValueError as error:
        raise Refusal(
            code, f'{name} must be "YYYY-mm-dd HH:MM:SS" or "YYYY-mm-dd", a real date.', name
        ) from error
    try:
        bound = timezone.make_aware(moment + step if end else moment)
        bound.astimezone(UTC)
    except OverflowError:
        # At the ends of the calendar (0001-01-01, 9999-12-31): no bound at all.
        return None
    return bound


def _data_text(data: dict[str, Any] | None, variables: list[str]) -> str:
    """An address's TemplateData as JSON text, its names in the list's order."""
    if not data:
        return ""
    ordered = {name: data[name] for name in variables if name in data}
    ordered.update((name, value) for name, value in data.items() if name not in ordered)
    return json.dumps(ordered, ensure_ascii=False, separators=(",", ":"))
