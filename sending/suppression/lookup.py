"""The lists that stop mail to an address: the platform blocklist of hard
bounces (shared by all accounts), the account's own blocklist, and the
account's unsubscribed recipients."""

from collections.abc import Iterable

from django.db import models
from django.db.models import Q, Value
from django.utils import timezone

from accounts.models import Account
from sending.delivery import simulator
from sending.models import CustomBlock, PlatformBlock, SendStatus, Unsubscription


def refusals_for(account: Account, addresses: Iterable[str]) -> dict[str, SendStatus]:
    """For many recipients in one query: lower-cased address -> SendStatus.

    Only the refused addresses are in the answer; a blocklisted address is
    reported as such even when it also unsubscribed.
    """
    emails = {a.lower() for a in addresses}
    if not emails:
        return {}
    now = timezone.now()
    status = models.CharField()
    unsubscribed = Unsubscription.objects.filter(account=account, email__in=emails).annotate(
        status=Value(SendStatus.UNSUBSCRIBED.value, status)
    )
    platform = PlatformBlock.objects.filter(email__in=emails, expires_at__gt=now).annotate(
        status=Value(SendStatus.BLOCKLISTED.value, status)
    )
    custom = (
        CustomBlock.objects.filter(account=account, email__in=emails)
        .filter(Q(expires_on__isnull=True) | Q(expires_on__gte=timezone.localdate(now)))
        .annotate(status=Value(SendStatus.BLOCKLISTED.value, status))
    )
    rows = unsubscribed.values_list("email", "status").union(
        platform.values_list("email", "status"), custom.values_list("email", "status"), all=True
    )
    refused: dict[str, SendStatus] = {}
    for email, code in rows:
        if code == SendStatus.BLOCKLISTED or email not in refused:
            refused[email] = SendStatus(code)
    for email in emails:
        if simulator.behaviour(email) == "suppressionlist":
            refused[email] = SendStatus.BLOCKLISTED
    return refused
