"""Every status, event, outcome and category of mail in flight: one vocabulary,
stored as these values; Tencent's numeric codes are mapped at the API edge only."""

from django.db import models


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


class SendStatus(models.TextChoices):
    """Whether the service itself took a recipient, or why not (the API reports
    Tencent's numeric SendStatus for each: sending.log.api)."""

    OK = "accepted", "Accepted"
    FREQUENCY_LIMIT = "frequency_limit", "Too many mails to this address"
    BLOCKLISTED = "blocklisted", "Address in a blocklist"
    DAILY_LIMIT = "daily_limit", "Daily quota exceeded"
    UNSUBSCRIBED = "unsubscribed", "Recipient unsubscribed"
    BOUNCE_RATE = "bounce_rate", "Sending suspended: bounce rate too high"


class Source(models.TextChoices):
    API = "api", "API"
    CONSOLE = "console", "Console"
    SMTP = "smtp", "SMTP"


class Recipient(models.TextChoices):
    TO = "to", "To"
    CC = "cc", "Cc"
    BCC = "bcc", "Bcc"


class AttemptCategory(models.TextChoices):
    """What kind of answer one try at a server got (Attempt.category, Outcome.category).

    The first four are also a bounce's BounceCategory; the others say why a session
    failed or a message could not be sent at all.
    """

    MAILBOX = "mailbox", "Bad mailbox"
    POLICY = "policy", "Policy or reputation"
    FULL = "full", "Mailbox full"
    OTHER = "other", "Other"
    CONNECTION = "connection", "Connection"
    TLS = "tls", "TLS"
    AUTH = "auth", "Authentication"
    BUILD = "build", "Message not built"
