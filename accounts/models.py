import hashlib
import secrets
from datetime import timedelta
from typing import ClassVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone

from sesconsole import crypto


def validate_time_zone(name: str) -> None:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ValidationError(f"{name!r} is not a time zone (try Asia/Shanghai or UTC).") from error


class EmailUserManager(UserManager):
    use_in_migrations = True

    def _create_user(self, username, email, password, **extra_fields):
        email = self.normalize_email(email or username)
        user = self.model(email=email, username=email, **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    # Users are known by their email alone (save keeps username equal to it), so these
    # take no username, unlike UserManager's.
    def create_user(self, email=None, password=None, **extra_fields):  # type: ignore[override]
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, email, password, **extra_fields)

    def create_superuser(self, email=None, password=None, **extra_fields):  # type: ignore[override]
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        return self._create_user(email, email, password, **extra_fields)

    def get_by_natural_key(self, username):
        return self.get(email__iexact=username)


class User(AbstractUser):
    """A person. Signs in with the email address.

    Roles: an *operator* has a Membership in one Account; a *reviewer* works the
    template review queue across accounts and nothing else; *support* staff
    (is_staff) use the Django admin.
    """

    email = models.EmailField("email address", unique=True)
    is_reviewer = models.BooleanField(
        default=False, help_text="Platform staff who approve or reject templates of all accounts."
    )

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = []

    objects: ClassVar[EmailUserManager] = EmailUserManager()

    def save(self, *args, **kwargs):
        self.email = self.email.strip().lower()
        # username stays in step with email: AbstractUser keeps it unique.
        self.username = self.email
        super().save(*args, **kwargs)

    @property
    def account(self):
        """The account this user operates, or None."""
        membership = getattr(self, "membership", None)
        return membership.account if membership else None


class Account(models.Model):
    """The tenant: everything an operator manages belongs to one Account."""

    name = models.CharField(max_length=100, unique=True)
    app_id = models.BigIntegerField(
        unique=True, editable=False, help_text="Numeric id shown as `username` in callbacks"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    is_active = models.BooleanField(
        default=True, help_text="An inactive account cannot sign in or call the API."
    )
    # Limits (seed: a new account may send 500 mails a day). Support staff
    # change them in the admin.
    daily_quota = models.PositiveIntegerField(default=500, help_text="Emails per day")
    send_rate_per_second = models.PositiveIntegerField(
        default=20,
        validators=[MinValueValidator(1)],
        help_text="Emails per second: deliveries are paced to it, no request is refused for it",
    )
    hourly_per_recipient = models.PositiveIntegerField(
        default=10, help_text="Emails per sender and recipient per hour"
    )
    api_rate_per_second = models.PositiveIntegerField(
        default=20, help_text="API requests per second, per action"
    )
    reputation_level = models.PositiveSmallIntegerField(default=1)
    max_sender_domains = models.PositiveIntegerField(default=10)
    max_sender_addresses = models.PositiveIntegerField(default=10)
    max_templates = models.PositiveIntegerField(default=50)
    allow_custom_content = models.BooleanField(
        default=False, help_text="May send without a template (SendEmail Simple, raw SMTP)."
    )
    tls_required = models.BooleanField(
        default=False,
        help_text="Deliver only over TLS: a recipient server without it never gets the mail.",
    )
    time_zone = models.CharField(
        max_length=64,
        blank=True,
        # In the table too: rows written by code of before this field (migrations) get it.
        db_default="",
        validators=[validate_time_zone],
        help_text="Where the account's day starts (daily quota, paused batch tasks); "
        "empty: the service's TIME_ZONE",
    )
    sending_suspended = models.BooleanField(default=False)
    suspension_reason = models.TextField(blank=True)
    suspended_at = models.DateTimeField(null=True, blank=True)
    suspension_lifted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        if self.app_id is None:
            self.app_id = Account.next_app_id()
        super().save(*args, **kwargs)

    @staticmethod
    def next_app_id():
        last = Account.objects.aggregate(m=models.Max("app_id"))["m"]
        return (last or 1250000000) + secrets.randbelow(97) + 1

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone or settings.TIME_ZONE)

    @property
    def operators(self):
        return User.objects.filter(membership__account=self, is_active=True)


class Membership(models.Model):
    class Role(models.TextChoices):
        OPERATOR = "operator", "Operator"

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="membership")
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.OPERATOR)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return f"{self.user} ({self.role} of {self.account})"


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class InvitationQuerySet(models.QuerySet):
    def open(self):
        return self.filter(accepted_at__isnull=True, expires_at__gt=timezone.now())


class Invitation(models.Model):
    """An operator's invitation of another person into the same account.

    Only the token's hash is stored; the link with the token is emailed once.
    """

    VALID_FOR = timedelta(days=7)

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()
    invited_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)

    objects = InvitationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"invitation of {self.email} to {self.account}"

    @classmethod
    def issue(cls, account, email, invited_by):
        """Create an invitation and return it with its token (kept nowhere else)."""
        token = secrets.token_urlsafe(32)
        invitation = cls.objects.create(
            account=account,
            email=email.strip().lower(),
            invited_by=invited_by,
            token_hash=_hash_token(token),
            expires_at=timezone.now() + cls.VALID_FOR,
        )
        return invitation, token

    @classmethod
    def find_open(cls, token: str):
        return cls.objects.open().filter(token_hash=_hash_token(token)).first()

    @property
    def is_open(self):
        return self.accepted_at is None and self.expires_at > timezone.now()


class ApiKeyQuerySet(models.QuerySet):
    def usable(self):
        return self.filter(enabled=True, account__is_active=True)


class ApiKey(models.Model):
    """A SecretId/SecretKey pair for the Tencent-compatible API.

    The server has to recompute the request HMAC with the SecretKey, so it
    cannot keep only a hash: the key is encrypted at rest (sesconsole.crypto)
    and shown in clear once, when created.
    """

    MAX_PER_ACCOUNT = 10

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="api_keys")
    secret_id = models.CharField(max_length=64, unique=True, editable=False)
    secret_key_encrypted = models.TextField(editable=False)
    description = models.CharField(max_length=100, blank=True)
    enabled = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    last_used_at = models.DateTimeField(null=True, blank=True)

    objects = ApiKeyQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "API key"

    def __str__(self):
        return self.secret_id

    @classmethod
    def issue(cls, account, description="", created_by=None):
        """Create a key; return it with the SecretKey in clear (shown once)."""
        secret_key = secrets.token_urlsafe(24)
        key = cls.objects.create(
            account=account,
            secret_id="AKID" + secrets.token_hex(16),
            secret_key_encrypted=crypto.encrypt(secret_key),
            description=description,
            created_by=created_by,
        )
        return key, secret_key

    @property
    def secret_key(self) -> str:
        """The SecretKey; crypto.UndecryptableSecret naming this key when no key opens it."""
        return crypto.decrypt(self.secret_key_encrypted, what=f"API key {self.secret_id}")

    # Writing last_used_at on every request would turn each API call into a
    # write; a minute's precision is what the page shows anyway.
    LAST_USED_PRECISION = timedelta(minutes=1)

    def mark_used(self):
        now = timezone.now()
        if self.last_used_at and now - self.last_used_at < self.LAST_USED_PRECISION:
            return
        ApiKey.objects.filter(pk=self.pk).update(last_used_at=now)
        self.last_used_at = now
