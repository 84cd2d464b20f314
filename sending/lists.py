"""The lists that stop mail to an address: the platform blocklist of hard
bounces (shared by all accounts), the account's own blocklist, and the
account's unsubscribed recipients."""

from django.db.models import Q
from django.utils import timezone

from .models import CustomBlock, PlatformBlock, SendStatus, Unsubscription


def refusal_for(account, address: str) -> SendStatus:
    """SendStatus.OK, or why mail from `account` may not go to `address`."""
    email = address.lower()
    now = timezone.now()
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
