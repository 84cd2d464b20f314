"""The durable message store: Messages, their attachments, a Delivery per recipient,
and each Delivery's Attempts (tries at a server) and Events (what happened)."""

import secrets
from datetime import datetime

from django.db import models
from django.utils import timezone

from sending.models.vocab import (
    AttemptCategory,
    BounceCategory,
    BounceType,
    DeliveryStatus,
    EventType,
    Recipient,
    SendStatus,
    Source,
)


def new_message_id(app_id: int, now: datetime | None = None) -> str:
    """Tencent's layout: qcloudses-30-{appId}-date-{YYYYmmddHHMMSS}-{random}."""
    now = timezone.localtime(now)
    return f"qcloudses-30-{app_id}-date-{now:%Y%m%d%H%M%S}-{secrets.token_urlsafe(9)}"


class Message(models.Model):
    account = models.ForeignKey("accounts.Account", on_delete=models.CASCADE, related_name="+")
    message_id = models.CharField(max_length=100, unique=True)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.API)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    sender = models.ForeignKey(
        "domains.SenderAddress", on_delete=models.SET_NULL, null=True, related_name="+"
    )
    from_address = models.CharField(max_length=254)
    from_name = models.CharField(max_length=100, blank=True)
    header_from = models.CharField(max_length=254, blank=True)
    reply_to = models.CharField(max_length=254, blank=True)
    subject = models.TextField()
    template = models.ForeignKey(
        "templates_app.EmailTemplate", on_delete=models.SET_NULL, null=True, related_name="+"
    )
    template_revision = models.ForeignKey(
        "templates_app.TemplateRevision", on_delete=models.SET_NULL, null=True, related_name="+"
    )
    template_data = models.JSONField(default=dict, blank=True)
    # Custom content (Simple), for accounts allowed to send it.
    html = models.TextField(blank=True)
    text = models.TextField(blank=True)
    headers = models.JSONField(default=list, blank=True, help_text="[[name, value], ...]")
    smtp_message_id = models.CharField(max_length=250, help_text="The Message-ID header")
    unsubscribe = models.CharField(max_length=4, blank=True)
    trigger_type = models.PositiveSmallIntegerField(default=0)
    size = models.PositiveIntegerField(default=0, help_text="Bytes of content and attachments")
    bodies_purged_at = models.DateTimeField(null=True, blank=True)
    # A batch task's content: each Delivery is its own mail (its own To, Message-ID,
    # subject and data filled from the recipient's Delivery.data).
    personal = models.BooleanField(default=False)

    class Meta:
        indexes = [models.Index(fields=["account", "created_at"])]

    def __str__(self) -> str:
        return self.message_id


class Attachment(models.Model):
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments")
    filename = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    content = models.BinaryField()
    size = models.PositiveIntegerField()

    def __str__(self) -> str:
        return self.filename


class Delivery(models.Model):
    """One recipient of one message: where the sending pipeline meets delivery."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="deliveries")
    account = models.ForeignKey("accounts.Account", on_delete=models.CASCADE, related_name="+")
    recipient = models.CharField(max_length=254)
    # The recipient's domain, lower-case: deliveries are claimed and sent by destination.
    domain = models.CharField(max_length=253, blank=True)
    # To the mailbox simulator: outside the daily quota and the bounce figures.
    simulated = models.BooleanField(default=False)
    kind = models.CharField(max_length=3, choices=Recipient.choices, default=Recipient.TO)
    status = models.CharField(
        max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.QUEUED
    )
    send_status = models.CharField(max_length=16, choices=SendStatus.choices, default=SendStatus.OK)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    claim_token = models.CharField(max_length=32, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    last_reply = models.TextField(blank=True)
    # Of a bounced Delivery: only hard mailbox bounces blame the address (and count
    # toward suspension); policy refusals and full mailboxes do not.
    bounce_type = models.CharField(max_length=4, choices=BounceType.choices, blank=True)
    bounce_category = models.CharField(max_length=7, choices=BounceCategory.choices, blank=True)
    # Of a batch task's Delivery: the task, and the recipient's own template data.
    task = models.ForeignKey(
        "sending.SendTask", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    data = models.JSONField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "deliveries"
        indexes = [
            models.Index(fields=["account", "created_at"]),
            models.Index(fields=["account", "recipient", "created_at"]),
            models.Index(fields=["status", "next_attempt_at"]),
            models.Index(fields=["task", "status"]),
            models.Index(
                fields=["domain", "next_attempt_at"],
                condition=models.Q(status__in=[DeliveryStatus.QUEUED, DeliveryStatus.DEFERRED]),
                name="delivery_due",
            ),
            models.Index(
                fields=["claimed_at"],
                condition=models.Q(status=DeliveryStatus.SENDING),
                name="delivery_claimed",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.recipient} ({self.status})"


class Attempt(models.Model):
    """One try at handing a Delivery to a server: where, how, and what it answered."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempts_made")
    created_at = models.DateTimeField(default=timezone.now)
    outcome = models.CharField(max_length=10, choices=DeliveryStatus.choices)
    category = models.CharField(max_length=12, choices=AttemptCategory.choices, blank=True)
    mx_host = models.CharField(max_length=255, blank=True)
    mx_ip = models.CharField(max_length=45, blank=True)
    port = models.PositiveIntegerField(null=True, blank=True)
    tls_version = models.CharField(max_length=10, blank=True)
    code = models.PositiveSmallIntegerField(null=True, blank=True)
    enhanced = models.CharField(max_length=12, blank=True)
    reply = models.TextField(blank=True)
    duration_ms = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.outcome} {self.code or ''} {self.mx_host}"

    @property
    def reply_line(self) -> str:
        from sending.smtp.status import reply_line

        return reply_line(self.code, self.enhanced, self.reply)


class Event(models.Model):
    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="events")
    type = models.CharField(max_length=12, choices=EventType.choices)
    created_at = models.DateTimeField(default=timezone.now)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["type", "created_at"])]

    def __str__(self) -> str:
        return f"{self.type} {self.delivery}"
