"""Suspension of accounts whose mail bounces too much.

The seed: sending stops when the share of an account's recent recipients that
ended on the blocklist reaches 8%. A recipient ends there by a hard bounce of a
bad mailbox (5.1.x: no such user, no such domain); a policy or reputation
refusal of our mail (5.7.x) or a full mailbox (5.2.2) is a soft bounce and is
not the address's fault, so it does not count. Counting the deliveries rather
than the blocklist entries keeps an account from lowering its share by removing
the entries its mail caused. Suspended until support staff lift it.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from accounts.models import Account
from sending.models import BounceCategory, BounceType, Delivery, DeliveryStatus

# The bounces that blocklist an address, and so count toward suspension.
HARD_MAILBOX = {
    "status": DeliveryStatus.BOUNCED,
    "bounce_type": BounceType.HARD,
    "bounce_category": BounceCategory.MAILBOX,
}


def bounce_share(account: Account, now: datetime | None = None) -> tuple[int, int]:
    """(recipients, of them hard-bounced) in the window."""
    now = now or timezone.now()
    since = now - timedelta(days=settings.SES_SUSPEND_WINDOW_DAYS)
    if account.suspension_lifted_at and account.suspension_lifted_at > since:
        since = account.suspension_lifted_at
    deliveries = Delivery.objects.filter(
        account=account, created_at__gte=since, simulated=False
    ).exclude(status=DeliveryStatus.DROPPED)
    total = deliveries.values("recipient").distinct().count()
    bounced = deliveries.filter(**HARD_MAILBOX).values("recipient").distinct().count()
    return total, bounced


def evaluate(account: Account, now: datetime | None = None) -> bool:
    """Suspend the account if its bounce share reached the threshold; say whether it did."""
    if account.sending_suspended:
        return False
    total, blocked = bounce_share(account, now)
    if total < settings.SES_SUSPEND_MIN_RECIPIENTS:
        return False
    share = blocked / total
    if share * 100 < settings.SES_SUSPEND_BOUNCE_PERCENT:
        return False
    reason = (
        f"{blocked} of {total} recent recipients ({share:.1%}) bounced and were blocklisted; "
        f"the limit is {settings.SES_SUSPEND_BOUNCE_PERCENT}%. Clean your recipient list, "
        "then ask support to lift the suspension."
    )
    return bool(
        Account.objects.filter(pk=account.pk, sending_suspended=False).update(
            sending_suspended=True, suspension_reason=reason, suspended_at=now or timezone.now()
        )
    )


def evaluate_all(now: datetime | None = None) -> int:
    now = now or timezone.now()
    since = now - timedelta(days=settings.SES_SUSPEND_WINDOW_DAYS)
    bounced = Delivery.objects.filter(created_at__gte=since, simulated=False, **HARD_MAILBOX)
    accounts = Account.objects.filter(
        sending_suspended=False, is_active=True, pk__in=bounced.values("account")
    )
    return sum(evaluate(account, now) for account in accounts)
