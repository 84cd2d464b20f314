"""API action SendEmail: its MessageId is answered only once the Message and a Delivery
per recipient are committed (service.accept); a refused request writes nothing."""

from typing import Any

from accounts.models import Account
from sending.acceptance import service
from sending.acceptance.parse import parse_send_email
from sesconsole.api.registry import ApiContext, action


@action("SendEmail")
def send_email(ctx: ApiContext[Account], params: dict[str, Any]) -> dict[str, Any]:
    service.check_account(ctx.account)  # a suspended account learns that first
    request = parse_send_email(ctx.account, params)
    message = service.accept(ctx.account, request)
    return {"MessageId": message.message_id}
