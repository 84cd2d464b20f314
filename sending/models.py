"""The durable message store: Messages, their per-recipient Deliveries and Events,
and the lists that stop mail (blocklists, unsubscriptions).

Vocabularies are DESIGN.md's: one DeliveryStatus, one EventType, everywhere.
"""

import secrets

from django.db import models
from django.utils import timezone


class DeliveryStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    SENDING = "sending", "Sending"
    DELIVERED = "delivered", "Delivered"
    DEFERRED = "deferred", "Deferred"
    BOUNCED = "bounced", "Bounced"
    DROPPED = "dropped", "Dropped"


class EventType(models.TextChoices):
    DELIVERED = "delivered", "Delivered"
    DEFERRED = "deferred", "Deferred"
    BOUNCE = "bounce", "Bounce"
    DROPPED = "dropped", "Dropped"
    OPEN = "open", "Open"
    CLICK = "click", "Click"
    UNSUBSCRIBE = "unsubscribe", "Unsubscribe"
    SPAMREPORT = "spamreport", "Spam report"


class BounceType(models.TextChoices):
    """Hard: the address will never take mail. Soft: the refusal may pass (a full
    mailbox, a policy or reputation refusal, a deferral that expired)."""

    HARD = "hard", "Hard"
    SOFT = "soft", "Soft"


class BounceCategory(models.TextChoices):
    MAILBOX = "mailbox", "Bad mailbox"
    POLICY = "policy", "Policy or reputation"
    FULL = "full", "Mailbox full"
    OTHER = "other", "Other"


class SendStatus(models.IntegerChoices):
    """Tencent's SendStatus codes: why the service itself did or did not send."""

    OK = 0, "Accepted"
    FREQUENCY_LIMIT = 1006, "Too many mails to this address"
    BLOCKLISTED = 1007, "Address in a blocklist"
    DAILY_LIMIT = 1010, "Daily quota exceeded"
    UNSUBSCRIBED = 1013, "Recipient unsubscribed"
    BOUNCE_RATE = 3030, "Sending suspended: bounce rate too high"


class Source(models.TextChoices):
    API = "api", "API"
    CONSOLE = "console", "Console"
    SMTP = "smtp", "SMTP"


def new_message_id(app_id: int, now=None) -> str:
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

    class Meta:
        indexes = [models.Index(fields=["account", "created_at"])]

    def __str__(self):
        return self.message_id


class Attachment(models.Model):
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments")
    filename = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    content = models.BinaryField()
    size = models.PositiveIntegerField()

    def __str__(self):
        return self.filename


class Recipient(models.TextChoices):
    TO = "to", "To"
    CC = "cc", "Cc"
    BCC = "bcc", "Bcc"


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
    send_status = models.PositiveIntegerField(choices=SendStatus.choices, default=SendStatus.OK)
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

    class Meta:
        verbose_name_plural = "deliveries"
        indexes = [
            models.Index(fields=["account", "created_at"]),
            models.Index(fields=["account", "recipient", "created_at"]),
            models.Index(fields=["status", "next_attempt_at"]),
            models.Index(
                fields=["domain", "next_attempt_at"],
                condition=models.Q(status__in=["queued", "deferred"]),
                name="delivery_due",
            ),
            models.Index(
                fields=["claimed_at"], condition=models.Q(status="sending"), name="delivery_claimed"
            ),
        ]

    def __str__(self):
        return f"{self.recipient} ({self.status})"


class Attempt(models.Model):
    """One try at handing a Delivery to a server: where, how, and what it answered."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempts_made")
    created_at = models.DateTimeField(default=timezone.now)
    outcome = models.CharField(max_length=10, choices=DeliveryStatus.choices)
    category = models.CharField(max_length=12, blank=True)  # smtp_replies.Outcome.category
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

    def __str__(self):
        return f"{self.outcome} {self.code or ''} {self.mx_host}"

    @property
    def reply_line(self) -> str:
        return " ".join(str(p) for p in (self.code, self.enhanced, self.reply) if p)


class Event(models.Model):
    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="events")
    type = models.CharField(max_length=12, choices=EventType.choices)
    created_at = models.DateTimeField(default=timezone.now)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["type", "created_at"])]

    def __str__(self):
        return f"{self.type} {self.delivery}"


class PlatformBlock(models.Model):
    """The platform blocklist of hard-bounced addresses, shared by all accounts."""

    email = models.CharField(max_length=254, unique=True)
    reason = models.TextField(blank=True)
    caused_by = models.ForeignKey(
        "accounts.Account", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    task_id = models.CharField(max_length=40, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(db_index=True)

    def __str__(self):
        return self.email


class CustomBlock(models.Model):
    """An account's own blocklist entry, with an optional expiry date."""

    account = models.ForeignKey("accounts.Account", on_delete=models.CASCADE, related_name="+")
    email = models.CharField(max_length=254)
    created_at = models.DateTimeField(default=timezone.now)
    expires_on = models.DateField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "email"], name="customblock_account_email")
        ]

    def __str__(self):
        return self.email


class Unsubscription(models.Model):
    """A recipient who unsubscribed from an account's mail (filled by issue 08)."""

    account = models.ForeignKey("accounts.Account", on_delete=models.CASCADE, related_name="+")
    email = models.CharField(max_length=254)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "email"], name="unsubscription_uniq")
        ]

    def __str__(self):
        return self.email
