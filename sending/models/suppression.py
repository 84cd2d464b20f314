"""The lists that stop mail to an address: the platform blocklist of hard bounces,
each account's own blocklist, and its unsubscribed recipients."""

from django.db import models
from django.utils import timezone


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

    def __str__(self) -> str:
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

    def __str__(self) -> str:
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

    def __str__(self) -> str:
        return self.email
