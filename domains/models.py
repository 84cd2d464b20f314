from datetime import timedelta

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.db import models, transaction
from django.utils import timezone

from sesconsole import crypto

from . import keys


class DkimOption(models.IntegerChoices):
    """The API's DKIMOption codes."""

    RSA_1024 = 0, "RSA 1024-bit"
    RSA_2048 = 1, "RSA 2048-bit"
    DUAL = 2, "RSA 2048-bit and Ed25519 (dual signature)"


class DomainStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    VERIFIED = "verified", "Verified"
    FAILED = "failed", "Failed"


class CheckState(models.TextChoices):
    IDLE = "idle", "Idle"
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Checking"


class SenderDomainQuerySet(models.QuerySet["SenderDomain"]):
    def verified(self) -> "SenderDomainQuerySet":
        return self.filter(status=DomainStatus.VERIFIED)


class SenderDomain(models.Model):
    account = models.ForeignKey(
        "accounts.Account", on_delete=models.CASCADE, related_name="sender_domains"
    )
    name = models.CharField(max_length=253, help_text="ASCII (IDNA) form")
    dkim_option = models.PositiveSmallIntegerField(
        choices=DkimOption.choices, default=DkimOption.RSA_2048
    )
    tags = models.JSONField(default=list, blank=True)
    status = models.CharField(
        max_length=10, choices=DomainStatus.choices, default=DomainStatus.PENDING
    )
    status_reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    pending_since = models.DateTimeField(default=timezone.now)
    verified_at = models.DateTimeField(null=True, blank=True)
    last_checked_at = models.DateTimeField(null=True, blank=True)
    check_state = models.CharField(
        max_length=10, choices=CheckState.choices, default=CheckState.IDLE
    )
    check_requested_at = models.DateTimeField(null=True, blank=True)
    # Warm-up (domains.warmup): the day of SES_WARMUP_SCHEDULE the domain is on; None
    # once past it (and for the domains that sent before warm-up existed).
    warmup_step = models.PositiveSmallIntegerField(null=True, blank=True, default=0)
    warmup_evaluated_on = models.DateField(null=True, blank=True)

    objects = SenderDomainQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["account", "name"], name="senderdomain_account_name")
        ]
        indexes = [models.Index(fields=["name"]), models.Index(fields=["status"])]

    def __str__(self):
        return self.name

    @property
    def is_verified(self):
        return self.status == DomainStatus.VERIFIED

    @property
    def is_checking(self):
        return self.check_state != CheckState.IDLE

    @property
    def next_check_at(self):
        """When beat checks the domain again by itself (None: only when asked to)."""
        if self.is_checking or self.last_checked_at is None:
            return None
        if self.status == DomainStatus.PENDING:
            recheck = timedelta(minutes=settings.SES_DOMAIN_PENDING_RECHECK_MINUTES)
            window_end = self.pending_since + timedelta(hours=settings.SES_DOMAIN_PENDING_HOURS)
            return min(self.last_checked_at + recheck, window_end)
        if self.status == DomainStatus.VERIFIED:
            return self.last_checked_at + timedelta(
                hours=settings.SES_DOMAIN_VERIFIED_RECHECK_HOURS
            )
        return None

    @classmethod
    @transaction.atomic
    def create_with_keys(cls, account, name, dkim_option=DkimOption.RSA_2048, tags=()):
        domain = cls.objects.create(
            account=account, name=name, dkim_option=dkim_option, tags=list(tags)
        )
        domain.generate_keys()
        return domain

    def generate_keys(self):
        """Replace the DKIM keys with a new set for self.dkim_option."""
        self.dkim_keys.all().delete()
        specs = {
            DkimOption.RSA_1024: [("rsa", 1024)],
            DkimOption.RSA_2048: [("rsa", 2048)],
            DkimOption.DUAL: [("rsa", 2048), ("ed25519", 256)],
        }[DkimOption(self.dkim_option)]
        for algorithm, bits in specs:
            pem, public = keys.generate(algorithm, bits)
            DkimKey.objects.create(
                domain=self,
                algorithm=algorithm,
                bits=bits,
                selector=keys.new_selector(),
                private_key_encrypted=crypto.encrypt(pem),
                public_key=public,
            )

    def request_check(self):
        """Queue a DNS check (the Verify button, UpdateEmailIdentity).

        A failed domain gets a new 72-hour window of periodic checks.
        """
        from .tasks import check_domain

        now = timezone.now()
        fields = {"check_state": CheckState.QUEUED, "check_requested_at": now}
        if self.status == DomainStatus.FAILED:
            fields.update(status=DomainStatus.PENDING, pending_since=now, status_reason="")
        SenderDomain.objects.filter(pk=self.pk).update(**fields)
        for name, value in fields.items():
            setattr(self, name, value)
        check_domain.delay_on_commit(self.pk)


class DkimKey(models.Model):
    """A DKIM signing key of a domain. The private key is encrypted at rest."""

    domain = models.ForeignKey(SenderDomain, on_delete=models.CASCADE, related_name="dkim_keys")
    algorithm = models.CharField(max_length=10, choices=[("rsa", "RSA"), ("ed25519", "Ed25519")])
    bits = models.PositiveSmallIntegerField()
    selector = models.CharField(max_length=63)
    private_key_encrypted = models.TextField(editable=False)
    public_key = models.TextField(help_text="Base64, as published in the p= tag")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["algorithm", "created_at"]
        verbose_name = "DKIM key"

    def __str__(self):
        return f"{self.selector}._domainkey.{self.domain.name} ({self.algorithm})"

    @property
    def record_name(self):
        return f"{self.selector}._domainkey.{self.domain.name}"

    @property
    def txt_value(self):
        return keys.txt_value(self.algorithm, self.public_key)

    @property
    def private_key_pem(self) -> str:
        """crypto.UndecryptableSecret naming the key when no configured key opens it."""
        return crypto.decrypt(
            self.private_key_encrypted, what=f"The DKIM key {self.selector} of {self.domain.name}"
        )


class RecordStatus(models.TextChoices):
    UNCHECKED = "unchecked", "Not checked yet"
    OK = "ok", "OK"
    MISSING = "missing", "Missing"
    WRONG = "wrong", "Wrong value"
    DNS_ERROR = "dns_error", "DNS lookup failed"
    # The check itself failed (a fault of the service, not of DNS or the record).
    ERROR = "error", "Check failed"


# Whether the record is there is unknown: neither verifies nor fails a domain, and
# the check is tried again.
UNKNOWN = (RecordStatus.DNS_ERROR, RecordStatus.ERROR)


class RecordCheck(models.Model):
    """The last check of one required record of a domain."""

    domain = models.ForeignKey(SenderDomain, on_delete=models.CASCADE, related_name="checks")
    kind = models.CharField(max_length=20)
    name = models.CharField(max_length=253)
    type = models.CharField(max_length=10)
    current_value = models.TextField(blank=True)
    status = models.CharField(
        max_length=10, choices=RecordStatus.choices, default=RecordStatus.UNCHECKED
    )
    detail = models.TextField(blank=True)
    checked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["domain", "kind", "name"], name="recordcheck_uniq")
        ]

    def __str__(self):
        return f"{self.type} {self.name}: {self.status}"


def _password_is_strong(password: str) -> bool:
    digits = {c for c in password if c.isdigit()}
    lower = {c for c in password if c.islower()}
    upper = {c for c in password if c.isupper()}
    return 10 <= len(password) <= 20 and len(digits) >= 2 and len(lower) >= 2 and len(upper) >= 2


class SenderAddress(models.Model):
    """An address to send from, on a verified domain of the account."""

    account = models.ForeignKey(
        "accounts.Account", on_delete=models.CASCADE, related_name="sender_addresses"
    )
    domain = models.ForeignKey(
        SenderDomain, on_delete=models.PROTECT, related_name="sender_addresses"
    )
    email = models.CharField(max_length=254, help_text="ASCII local part @ IDNA domain")
    sender_name = models.CharField(max_length=100, blank=True)
    smtp_password_hash = models.CharField(max_length=256, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    smtp_password_changed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["email"]
        constraints = [
            models.UniqueConstraint(fields=["account", "email"], name="senderaddress_account_email")
        ]
        verbose_name_plural = "sender addresses"

    def __str__(self):
        return self.email

    @property
    def has_smtp_password(self):
        return bool(self.smtp_password_hash)

    @staticmethod
    def password_is_strong(password: str) -> bool:
        return _password_is_strong(password)

    def set_smtp_password(self, password: str):
        self.smtp_password_hash = make_password(password)
        self.smtp_password_changed_at = timezone.now()
        self.save(update_fields=["smtp_password_hash", "smtp_password_changed_at"])

    def check_smtp_password(self, password: str) -> bool:
        return bool(self.smtp_password_hash) and check_password(password, self.smtp_password_hash)


class SmtpAuthFailure(models.Model):
    """A failed SMTP login, kept for the Sender Address page ("recent failures").

    `account` is the account whose sender address the user name named; None when it
    named none (no tenant sees those).
    """

    account = models.ForeignKey(
        "accounts.Account",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="smtp_auth_failures",
    )
    username = models.CharField(max_length=254)
    client_ip = models.GenericIPAddressField()
    reason = models.CharField(max_length=100)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["account", "created_at"]),
            models.Index(fields=["created_at"]),
        ]

    def __str__(self):
        return f"{self.username} from {self.client_ip}: {self.reason}"
