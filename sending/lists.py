"""The lists that stop mail to an address: the platform blocklist of hard
bounces (shared by all accounts), the account's own blocklist, and the
account's unsubscribed recipients."""

from django.db.models import Q
from django.utils import timezone

from . import simulator
from .models import CustomBlock, PlatformBlock, SendStatus, Unsubscription


def refusals_for(account, addresses) -> dict[str, SendStatus]:
    """For many recipients in three queries: lower-cased address -> SendStatus.

    Only the refused addresses are in the answer.
    """
    emails = {a.lower() for a in addresses}
    if not emails:
        return {}
    now = timezone.now()
    refused = dict.fromkeys(
        Unsubscription.objects.filter(account=account, email__in=emails).values_list(
            "email", flat=True
        ),
        SendStatus.UNSUBSCRIBED,
    )
    blocked = set(
        PlatformBlock.objects.filter(email__in=emails, expires_at__gt=now).values_list(
            "email", flat=True
        )
    )
    blocked.update(
        CustomBlock.objects.filter(account=account, email__in=emails)
        .filter(Q(expires_on__isnull=True) | Q(expires_on__gte=timezone.localdate(now)))
        .values_list("email", flat=True)
    )
    blocked.update(e for e in emails if simulator.behaviour(e) == "suppressionlist")
    refused.update(dict.fromkeys(blocked, SendStatus.BLOCKLISTED))
    return refused


def refusal_for(account, address: str) -> SendStatus:
    """SendStatus.OK, or why mail from `account` may not go to `address`."""
    email = address.lower()
    now = timezone.now()
    if simulator.behaviour(email) == "suppressionlist":
        return SendStatus.BLOCKLISTED
    if PlatformBlock.objects.filter(email=email, expires_at__gt=now).exists():
        return SendStatus.BLOCKLISTED
    if (
        CustomBlock.objects.filter(account=account, email=email)
        .filter(Q(expires_on__isnull=True) | Q(expires_on__gte=timezone.localdate(now)))
        .exists()
    ):
        return SendStatus.BLOCKLISTED
    if Unsubscription.objects.filter(account=account, email=email).exists():
        return SendStatus.UNSUBSCRIBED
    return SendStatus.OK
