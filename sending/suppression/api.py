"""API actions of the platform (hard-bounce) blocklist and the custom blocklist.

Thin handlers: the rules live in sending.suppression.rules; this module pages the
lists and shapes the replies as api.json's BlackEmailAddress and
BlackAddressDetail.
"""

from datetime import datetime
from typing import Any, TypeVar

from django.db import transaction
from django.db.models import Model, QuerySet
from django.utils import timezone

from accounts.models import Account
from sending.suppression import rules
from sesconsole.api.paging import page_slice
from sesconsole.api.registry import ApiContext, action

TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
M = TypeVar("M", bound=Model)


def _page(queryset: QuerySet[M], params: dict[str, Any]) -> list[M]:
    return list(queryset[page_slice(params)])


def _local(moment: datetime) -> str:
    return timezone.localtime(moment).strftime(TIME_FORMAT)


# --- the platform blocklist --------------------------------------------------------


@action("ListBlackEmailAddress")
def list_black_email_address(ctx: ApiContext[Account], params: dict[str, Any]) -> dict[str, Any]:
    page_slice(params)  # refuses a bad Limit before any query
    blocks = rules.list_platform(
        ctx.account,
        params["StartDate"],
        params["EndDate"],
        email=params.get("EmailAddress"),
        task_id=params.get("TaskID"),
    )
    return {
        "BlackList": [
            {"BounceTime": _local(b.created_at), "EmailAddress": b.email, "IspDesc": b.reason}
            for b in _page(blocks, params)
        ],
        "TotalCount": blocks.count(),
    }


@action("DeleteBlackList")
def delete_black_list(ctx: ApiContext[Account], params: dict[str, Any]) -> dict[str, Any]:
    rules.delete_platform(ctx.account, params["EmailAddressList"])
    return {}


# --- the custom blocklist ----------------------------------------------------------


@action("CreateCustomBlacklist")
def create_custom_blacklist(ctx: ApiContext[Account], params: dict[str, Any]) -> dict[str, Any]:
    return rules.add_custom(ctx.account, params["Emails"], params.get("ExpireDate"))


@action("ListCustomBlacklist")
def list_custom_blacklist(ctx: ApiContext[Account], params: dict[str, Any]) -> dict[str, Any]:
    page_slice(params)  # refuses a bad Limit before any query
    blocks = rules.list_custom(ctx.account, params["Status"], params.get("Email"))
    today = timezone.localdate()
    return {
        "TotalCount": blocks.count(),
        "Data": [
            {
                "Id": b.pk,
                "Email": b.email,
                "CreateTime": _local(b.created_at),
                "ExpireDate": b.expires_on.isoformat() if b.expires_on else "",
                "Status": rules.custom_status(b, today),
            }
            for b in _page(blocks, params)
        ],
    }


@action("UpdateCustomBlackList")
def update_custom_black_list(ctx: ApiContext[Account], params: dict[str, Any]) -> dict[str, Any]:
    with transaction.atomic():
        rules.update_custom(ctx.account, params["Id"], params["Email"], params.get("ExpireDate"))
    return {}


@action("DeleteCustomBlackList")
def delete_custom_black_list(ctx: ApiContext[Account], params: dict[str, Any]) -> dict[str, Any]:
    with transaction.atomic():
        rules.delete_custom(ctx.account, params["Emails"])
    return {}
