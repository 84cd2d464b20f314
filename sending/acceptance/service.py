"""Accepting mail: one SendRequest becomes a durable Message with a Delivery per recipient.

The API, the console's Send page and the SMTP server all come here, so every
rule holds the same way for each. The caller learns the MessageId only
after the transaction that wrote the rows has committed.
"""

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.utils import make_msgid
from typing import Any

from django.db import transaction
from django.utils import timezone

from accounts.models import Account
from domains import warmup
from domains.models import SenderAddress
from sending.acceptance import limits
from sending.delivery import simulator
from sending.delivery.dispatch import publish_on_commit
from sending.models import (
    Attachment,
    Delivery,
    DeliveryStatus,
    Event,
    EventType,
    Message,
    Recipient,
    SendStatus,
    Source,
    new_message_id,
)
from sending.suppression.lookup import refusals_for
from sesconsole.refusals import Refusal
from templates_app.models import TemplateRevision

# (address, To/Cc/Bcc, whether the service took it or why not), one per recipient.
Verdict = tuple[str, Recipient, SendStatus]


@dataclass
class SendRequest:
    """A validated request to send (see sending.acceptance.parse for the API's parsing)."""

    sender: SenderAddress  # of the account, on a verified domain
    subject: str
    to: list[str] = field(default_factory=list)
    cc: list[str] = field(default_factory=list)
    bcc: list[str] = field(default_factory=list)
    from_name: str = ""
    header_from: str = ""
    template_revision: TemplateRevision | None = None  # approved
    template_data: dict[str, Any] = field(default_factory=dict)
    html: str = ""  # custom content (Simple), for accounts allowed to send it
    text: str = ""
    attachments: list[tuple[str, str, bytes]] = field(default_factory=list)
    reply_to: str = ""
    unsubscribe: str = ""
    trigger_type: int = 0
    headers: list[tuple[str, str]] = field(default_factory=list)
    smtp_message_id: str = ""
    source: str = Source.API
    size: int = 0

    def recipients(self) -> Iterator[tuple[str, Recipient]]:
        """(address, kind) once per address, To before Cc before Bcc."""
        seen: set[str] = set()
        kinds = ((Recipient.TO, self.to), (Recipient.CC, self.cc), (Recipient.BCC, self.bcc))
        for kind, addresses in kinds:
            for address in addresses:
                key = address.lower()
                if key not in seen:
                    seen.add(key)
                    yield address, kind


# What a request answers when every recipient was refused for the same reason.
REFUSAL_ERRORS = {
    SendStatus.DAILY_LIMIT: (
        "FailedOperation.ExceedSendLimit",
        "The daily sending quota of this account is used up.",
    ),
    SendStatus.FREQUENCY_LIMIT: (
        "FailedOperation.FrequencyLimit",
        "Too many emails to this address in the last hour.",
    ),
    SendStatus.BLOCKLISTED: ("FailedOperation.EmailAddrInBlacklist", "The address is blocklisted."),
    SendStatus.UNSUBSCRIBED: (
        "FailedOperation.ReceiverHasUnsubscribed",
        "The recipient has unsubscribed.",
    ),
}


def check_account(account: Account) -> None:
    if account.sending_suspended:
        raise Refusal(
            "FailedOperation.HighRejectionRate",
            f"Sending is suspended: {account.suspension_reason or 'contact support.'}",
        )


def accept(account: Account, request: SendRequest) -> Message:
    """Check every recipient, write the message, and return it once committed."""
    check_account(account)
    verdicts: list[Verdict] = []
    taken_any = False
    recipients = list(request.recipients())
    refused = refusals_for(account, [address for address, _ in recipients])
    try:
        for address, kind in recipients:
            status = refused.get(address.lower(), SendStatus.OK)
            if status == SendStatus.OK:
                status = limits.take(
                    account,
                    request.sender.email,
                    address.lower(),
                    count_quota=not simulator.is_simulated(address),
                )
                taken_any = taken_any or status == SendStatus.OK
            verdicts.append((address, kind, status))
    except BaseException:  # the counters failed half-way: what was taken goes back
        _give_back(account, request, verdicts)
        raise
    if not taken_any:
        # Every recipient refused: answer with the reason of the first.
        code, text = REFUSAL_ERRORS[verdicts[0][2]]
        raise Refusal(code, text)
    try:
        message = _write(account, request, verdicts)
    except BaseException:
        _give_back(account, request, verdicts)
        raise
    # Transactional mail is not held back by the sender domain's warm-up, but counts in it.
    warmup.count(
        request.sender.domain,
        sum(s == SendStatus.OK and not simulator.is_simulated(a) for a, _, s in verdicts),
        zone=account.zone,
    )
    return message


def _give_back(account: Account, request: SendRequest, verdicts: list[Verdict]) -> None:
    for address, _, status in verdicts:
        if status == SendStatus.OK:
            limits.give_back_recipient(
                account,
                request.sender.email,
                address.lower(),
                count_quota=not simulator.is_simulated(address),
            )


def _write(account: Account, request: SendRequest, verdicts: list[Verdict]) -> Message:
    now = timezone.now()
    # The account's rate: this request's deliveries queue behind what is booked already.
    accepted = sum(status == SendStatus.OK for _, _, status in verdicts)
    first, gap = limits.pace(account, accepted, now)
    due = (first + gap * i for i in itertools.count())
    with transaction.atomic():
        message = Message.objects.create(
            account=account,
            message_id=new_message_id(account.app_id, now),
            source=request.source,
            created_at=now,
            sender=request.sender,
            from_address=request.sender.email,
            from_name=request.from_name,
            header_from=request.header_from,
            reply_to=request.reply_to,
            subject=request.subject,
            template_id=getattr(request.template_revision, "template_id", None),
            template_revision=request.template_revision,
            template_data=request.template_data,
            html=request.html,
            text=request.text,
            headers=[list(h) for h in request.headers],
            smtp_message_id=request.smtp_message_id
            or make_msgid(domain=request.sender.email.rpartition("@")[2]),
            unsubscribe=request.unsubscribe,
            trigger_type=request.trigger_type,
            size=request.size,
        )
        Attachment.objects.bulk_create(
            Attachment(
                message=message,
                filename=name,
                content_type=content_type,
                content=content,
                size=len(content),
            )
            for name, content_type, content in request.attachments
        )
        deliveries = Delivery.objects.bulk_create(
            Delivery(
                message=message,
                account=account,
                recipient=address,
                domain=address.rpartition("@")[2].lower(),
                simulated=simulator.is_simulated(address),
                kind=kind,
                created_at=now,
                next_attempt_at=next(due) if status == SendStatus.OK else None,
                send_status=status,
                status=DeliveryStatus.QUEUED if status == SendStatus.OK else DeliveryStatus.DROPPED,
            )
            for address, kind, status in verdicts
        )
        Event.objects.bulk_create(
            Event(
                delivery=delivery,
                type=EventType.DROPPED,
                created_at=now,
                detail={"reason": SendStatus(delivery.send_status).label},
            )
            for delivery in deliveries
            if delivery.status == DeliveryStatus.DROPPED
        )
        publish_on_commit({d.domain for d in deliveries if d.status == DeliveryStatus.QUEUED})
    return message
