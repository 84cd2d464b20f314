"""Telling workers which destinations have work.

Acceptance publishes one task per recipient domain after its transaction
commits. Publishing may fail (the broker is down) without losing anything: the
rows are durable and the beat sweep publishes every destination with due work,
which also picks up retries when their time comes and claims a crash left.
"""

import logging
from collections.abc import Collection, Iterable
from datetime import datetime
from functools import partial

from django.conf import settings
from django.db import transaction
from django.db.models import Min
from django.utils import timezone

from sending.delivery import claim
from sending.delivery.claim import DUE
from sending.models import Delivery
from sesconsole import ratelimit

logger = logging.getLogger(__name__)


# With Redis, a destination has at most one task waiting in the queue: a task
# clears its mark when it starts and then claims everything due, so publishing
# again before that would only queue a task that finds nothing. The mark
# expires, so a lost task holds nothing up for long (and the sweep ignores it).
PENDING_SECONDS = 30


def _pending_key(domain: str) -> str:
    return f"{settings.SES_REDIS_PREFIX}:deliver-pending:{domain}"


def _paced_key(domain: str) -> str:
    return f"{settings.SES_REDIS_PREFIX}:deliver-paced:{domain}"


# A paced backlog is taken in steps of at least this long: a task a second carries a
# second's worth of the account's rate in one session, rather than a task per message.
PACED_STEP = 1.0


def publish(domains: Iterable[str], *, dedupe: bool = True) -> None:
    """A delivery task for each of `domains`.

    A task starts SES_DELIVERY_GATHER_SECONDS after it is published (a short
    countdown, not a schedule: retries are rows), so that mail accepted in
    that moment travels in the same batch and session instead of a task each.
    """
    from sending.tasks import deliver_domain

    client = ratelimit.redis_client() if dedupe else None
    gather = settings.SES_DELIVERY_GATHER_SECONDS if dedupe else 0
    for domain in domains:
        if client is not None and not client.set(
            _pending_key(domain), 1, nx=True, ex=PENDING_SECONDS
        ):
            continue
        deliver_domain.apply_async((domain,), countdown=gather or None)


def started(domain: str) -> None:
    """A delivery task for `domain` has started: later work needs a new task."""
    client = ratelimit.redis_client()
    if client is not None:
        client.delete(_pending_key(domain))


def publish_when_due(domain: str, now: datetime | None = None) -> None:
    """A task for when `domain`'s next delivery is due, if that is sooner than the sweep.

    Acceptance paces an account's deliveries (sending.acceptance.limits.pace): they are due one
    after another, a fraction of a second apart, and the task that found nothing due
    yet must not leave them to the sweep.
    """
    from sending.tasks import deliver_domain

    now = now or timezone.now()
    # Only what is due later: mail due now has the task its acceptance published.
    due = Delivery.objects.filter(domain=domain, status__in=DUE, next_attempt_at__gt=now).aggregate(
        first=Min("next_attempt_at")
    )["first"]
    if due is None:
        return
    wait = max((due - now).total_seconds(), PACED_STEP)
    if wait > settings.SES_DELIVERY_SWEEP_SECONDS:
        return  # the sweep publishes it in time
    # One such task waits per destination; its mark lapses as it starts, so that the
    # task, finding more paced mail, can publish the next.
    client = ratelimit.redis_client()
    if client is not None and not client.set(_paced_key(domain), 1, nx=True, px=int(wait * 1000)):
        return
    deliver_domain.apply_async((domain,), countdown=wait)


def publish_on_commit(domains: Collection[str]) -> None:
    """Publish after the current transaction commits.

    Like Celery's delay_on_commit, but robust: the message is already durable,
    so a broker failure is logged rather than turned into an error for a caller
    whose mail was accepted. The sweep publishes it later.
    """
    if domains:
        transaction.on_commit(partial(publish, sorted(domains)), robust=True)


def due_domains(now: datetime | None = None) -> list[str]:
    now = now or timezone.now()
    return list(
        Delivery.objects.filter(status__in=DUE, next_attempt_at__lte=now)
        .order_by()
        .values_list("domain", flat=True)
        .distinct()
    )


def sweep(now: datetime | None = None) -> tuple[int, int]:
    """Beat: return stale claims to the queue, publish every destination with due work.

    Returns (claims returned, destinations published).
    """
    now = now or timezone.now()
    returned = claim.return_stale(now)
    domains = due_domains(now)
    publish(domains, dedupe=False)
    if returned:
        logger.warning("returned %d stale delivery claims to the queue", returned)
    return returned, len(domains)
