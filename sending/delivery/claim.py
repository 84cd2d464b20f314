"""Claiming work: a conditional UPDATE moves due Deliveries to `sending` under a token.

Two workers that pick the same rows both run the UPDATE, but its condition
(still due, not yet claimed) lets only one of them have each row; each then
reads back the rows that carry its own token. A claim that outlives
SES_DELIVERY_CLAIM_TIMEOUT (a worker killed mid-delivery) goes back to the
queue; the timeout exceeds the delivery task's hard time limit, so a live
worker never loses its claim.
"""

import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from sending.models import Delivery, DeliveryStatus

DUE = (DeliveryStatus.QUEUED, DeliveryStatus.DEFERRED)


def claim(domain: str, limit: int, now: datetime | None = None) -> tuple[str, list[Delivery]]:
    """(token, Deliveries) for up to `limit` due Deliveries to `domain`, oldest due first."""
    now = now or timezone.now()
    due = Delivery.objects.filter(domain=domain, status__in=DUE, next_attempt_at__lte=now)
    pks = list(due.order_by("next_attempt_at", "pk").values_list("pk", flat=True)[:limit])
    if not pks:
        return "", []
    token = secrets.token_hex(16)
    due.filter(pk__in=pks).update(
        status=DeliveryStatus.SENDING, claimed_at=now, claim_token=token, updated_at=now
    )
    claimed = (
        Delivery.objects.filter(pk__in=pks, claim_token=token, status=DeliveryStatus.SENDING)
        .select_related("message__sender__domain", "message__template_revision", "account")
        .order_by("message_id", "pk")
    )
    return token, list(claimed)


def release(token: str, pks: Iterable[int], now: datetime | None = None) -> int:
    """Give claimed Deliveries back unattempted (the task stopped early)."""
    now = now or timezone.now()
    mine = Delivery.objects.filter(
        pk__in=list(pks), claim_token=token, status=DeliveryStatus.SENDING
    )
    return _requeue(mine, now)


def return_stale(now: datetime | None = None) -> int:
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.SES_DELIVERY_CLAIM_TIMEOUT)
    return _requeue(
        Delivery.objects.filter(status=DeliveryStatus.SENDING, claimed_at__lt=cutoff), now
    )


def _requeue(deliveries: QuerySet[Delivery], now: datetime) -> int:
    common = {"claimed_at": None, "claim_token": "", "next_attempt_at": now, "updated_at": now}
    fresh = deliveries.filter(attempts=0).update(status=DeliveryStatus.QUEUED, **common)
    tried = deliveries.filter(attempts__gt=0).update(status=DeliveryStatus.DEFERRED, **common)
    return fresh + tried
