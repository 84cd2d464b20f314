"""The mail a task would send to the first valid recipient of its list, built from a
checked TaskSpec the way delivery builds it, without writing anything.

    shown = preview.first_mail(account, spec)   # shown.subject, .html, .text

The Message is made like service.create makes it (the ad marker in the subject,
the task's template and data) but never saved; sending.build.mime fills it with
the recipient's data (personalise) and renders its parts (render_parts), so what
the console shows is what the recipient would read.
"""

from dataclasses import dataclass, field

from django.utils import timezone

from accounts.models import Account
from sending.batch import service
from sending.batch.service import TaskSpec
from sending.build import mime
from sending.models import (
    AddressStatus,
    Delivery,
    ReceiverAddress,
    Recipient,
)
from sesconsole.refusals import Refusal


@dataclass
class Preview:
    recipient: str
    from_address: str
    subject: str
    html: str
    text: str
    data: dict[str, object] = field(default_factory=dict)
    attachments: list[str] = field(default_factory=list)


def first_mail(account: Account, spec: TaskSpec) -> Preview:
    """The mail of the list's first valid address (by pk, the order a run expands in)."""
    first = (
        ReceiverAddress.objects.filter(receiver_list=spec.receiver_list, status=AddressStatus.VALID)
        .order_by("pk")
        .first()
    )
    if first is None:  # parse refuses such a list; it may have emptied since
        raise Refusal(
            "OperationDenied.ReceiverStatusError",
            f"The list {spec.receiver_list.name!r} has no valid address.",
            "ReceiverId",
        )
    message = service.build_message(account, spec, timezone.now())
    delivery = Delivery(
        message=message,
        account=account,
        recipient=first.email,
        kind=Recipient.TO,
        data=first.data,
        created_at=timezone.now(),
    )
    try:
        mail = mime.personalise(message, delivery)
        html, text = mime.render_parts(mail)
    except mime.BuildError as error:
        raise Refusal("InvalidParameterValue.TemplateDataError", str(error), "Template") from error
    data = dict(mail.template_data or {})
    return Preview(
        recipient=first.email,
        from_address=(
            f"{message.from_name} <{message.from_address}>"
            if message.from_name
            else message.from_address
        ),
        subject=mail.subject,
        html=html,
        # What the mail's plain-text part carries: HTML alone gets one made from it.
        text=text or (mime.html_to_text(html) if html else ""),
        data=data,
        attachments=[name for name, _, _ in spec.attachments],
    )
