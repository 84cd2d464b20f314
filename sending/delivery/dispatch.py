"""Telling workers which destinations have work.

Acceptance publishes one task per recipient domain after its transaction
commits. Publishing may fail (the broker is down) without losing anything: the
rows are durable and the beat sweep publishes every destination with due work,
which also picks up retries when their time comes and claims a crash left.
"""

import logging
from functools import partial

from django.db import transaction
from django.utils import timezone

from ..models import Delivery, DeliveryStatus
from . import claim

logger = logging.getLogger(__name__)

DUE = (DeliveryStatus.QUEUED, DeliveryStatus.DEFERRED)


def publish(domains) -> None:
    from ..tasks import deliver_domain

    for domain in domains:
        deliver_domain.delay(domain)


def publish_on_commit(domains) -> None:
    """Publish after the current transaction commits.

    Like Celery's delay_on_commit, but robust: the message is already durable,
    so a broker failure is logged rather than turned into an error for a caller
    whose mail was accepted. The sweep publishes it later.
    """
    if domains:
        transaction.on_commit(partial(publish, sorted(domains)), robust=True)


def due_domains(now=None) -> list[str]:
    now = now or timezone.now()
    return list(
        Delivery.objects.filter(status__in=DUE, next_attempt_at__lte=now)
        .order_by()
        .values_list("domain", flat=True)
        .distinct()
    )


def sweep(now=None) -> tuple[int, int]:
    """Beat: return stale claims to the queue, publish every destination with due work.

    Returns (claims returned, destinations published).
    """
    now = now or timezone.now()
    returned = claim.return_stale(now)
    domains = due_domains(now)
    publish(domains)
    if returned:
        logger.warning("returned %d stale delivery claims to the queue", returned)
    return returned, len(domains)
