"""What one delivery attempt's result does to its Delivery.

A round may try several hosts (the first refused the connection, the second
took the message); every try becomes an Attempt row, and the last decides:

- delivered: status `delivered`, a `delivered` event.
- deferred (4xx, timeouts, lost connections, TLS required but absent): status
  `deferred` with the next attempt time on the row (backoff with jitter), a
  `deferred` event; once the Delivery is older than SES_DELIVERY_EXPIRY_HOURS,
  a soft `bounce` instead, with the last reason.
- bounced (5xx): a `bounce` event typed hard or soft. A bad mailbox (5.1.x)
  puts the address on the platform blocklist; a policy or reputation refusal
  (5.7.x) does not blame the recipient and is flagged for the operator.
- dropped: the message could not be built or signed; never sent.

Every write is conditional on the claim token, so a worker whose claim was
taken back (it ran past the claim timeout) records nothing.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from sending.delivery import pgwrite
from sending.models import (
    Attempt,
    AttemptCategory,
    BounceCategory,
    BounceType,
    Delivery,
    DeliveryStatus,
    Event,
    EventType,
)
from sending.smtp.status import Outcome
from sending.suppression import rules

EVENT_FOR = {
    DeliveryStatus.DELIVERED: EventType.DELIVERED,
    DeliveryStatus.DEFERRED: EventType.DEFERRED,
    DeliveryStatus.BOUNCED: EventType.BOUNCE,
    DeliveryStatus.DROPPED: EventType.DROPPED,
}


@dataclass
class Try:
    """One host tried for one Delivery, and how it went."""

    outcome: Outcome
    host: str = ""
    ip: str = ""
    port: int | None = None
    tls_version: str | None = None
    duration_ms: int = 0


@dataclass
class Extra:
    """What the mailbox simulator adds to a delivery: an auto-reply, a complaint."""

    detail: dict[str, Any] = field(default_factory=dict)
    events: list[tuple[str, dict[str, Any]]] = field(default_factory=list)


def retry_delay(attempt: int) -> timedelta:
    """The wait after the `attempt`-th failed try: the configured steps, jittered by 20%."""
    steps = settings.SES_RETRY_DELAYS
    base = steps[min(attempt, len(steps)) - 1] if attempt > 0 else steps[0]
    return timedelta(seconds=base * random.uniform(0.8, 1.2))  # noqa: S311 (jitter, not a secret)


def expired(delivery: Delivery, now: datetime) -> bool:
    return now - delivery.created_at >= timedelta(hours=settings.SES_DELIVERY_EXPIRY_HOURS)


def record(
    delivery: Delivery,
    token: str,
    tries: list[Try],
    extra: Extra | None = None,
    now: datetime | None = None,
) -> DeliveryStatus | None:
    """Record a round of tries for a claimed Delivery; the new status, or None if not ours."""
    now = now or timezone.now()
    final = tries[-1].outcome
    attempt = delivery.attempts + 1
    status = final.status
    detail = _detail(tries[-1], attempt)
    fields: dict[str, Any] = {
        "attempts": attempt,
        "claimed_at": None,
        "claim_token": "",
        "last_reply": final.reply_line,
        "updated_at": now,
        "next_attempt_at": None,
    }
    if status == DeliveryStatus.DEFERRED and expired(delivery, now):
        status = DeliveryStatus.BOUNCED
        hours = settings.SES_DELIVERY_EXPIRY_HOURS
        detail |= {"expired": True}
        detail["reason"] = f"Gave up after {hours:g} hours: {fields['last_reply']}"
        fields["last_reply"] = detail["reason"]
        fields |= bounce_columns(final, expired=True)
    elif status == DeliveryStatus.DEFERRED:
        fields["next_attempt_at"] = now + retry_delay(attempt)
        detail["next_attempt_at"] = fields["next_attempt_at"].isoformat()
    elif status == DeliveryStatus.BOUNCED:
        fields |= bounce_columns(final)
    elif status == DeliveryStatus.DELIVERED:
        fields["delivered_at"] = now
    if extra:
        detail |= extra.detail
    fields["status"] = status
    if status == DeliveryStatus.BOUNCED:
        detail["bounce_type"] = fields["bounce_type"]
    attempts = [_attempt(delivery, t, now) for t in tries]
    events = [Event(delivery=delivery, type=EVENT_FOR[status], created_at=now, detail=detail)]
    for offset, (event_type, event_detail) in enumerate(extra.events if extra else (), 1):
        moment = now + timedelta(microseconds=offset)
        events.append(
            Event(delivery=delivery, type=event_type, created_at=moment, detail=event_detail)
        )
    blocks = _blocklists(delivery, fields)
    if connection.vendor == "postgresql" and not blocks:
        if not pgwrite.write_outcome(delivery.pk, token, fields, attempts, events):
            return None
    else:
        with transaction.atomic():
            mine = Delivery.objects.filter(
                pk=delivery.pk, claim_token=token, status=DeliveryStatus.SENDING
            ).update(**fields)
            if not mine:
                return None
            Attempt.objects.bulk_create(attempts)
            Event.objects.bulk_create(events)
            if blocks:
                reason = fields["last_reply"]
                task_id = delivery.message.message_id
                rules.block_hard_bounce(delivery.recipient, delivery.account, reason, task_id)
    for name, value in fields.items():
        setattr(delivery, name, value)
    return status


def bounce_columns(final: Outcome, *, expired: bool = False) -> dict[str, str]:
    """Delivery.bounce_type and bounce_category of a bounce whose last reply was `final`."""
    category = (
        BounceCategory(final.category)
        if final.category in BounceCategory.values
        else BounceCategory.OTHER
    )
    hard = final.hard and not expired
    return {
        "bounce_type": BounceType.HARD if hard else BounceType.SOFT,
        "bounce_category": category,
    }


def _blocklists(delivery: Delivery, fields: dict[str, Any]) -> bool:
    """A hard mailbox bounce puts the address on the platform blocklist."""
    return (
        fields.get("bounce_type") == BounceType.HARD
        and fields.get("bounce_category") == BounceCategory.MAILBOX
        and not delivery.simulated
    )


def _detail(last: Try, attempt: int) -> dict[str, Any]:
    outcome = last.outcome
    detail: dict[str, Any] = {"attempt": attempt, "reason": outcome.reply_line}
    if outcome.code is not None:
        detail["code"] = outcome.code
    if outcome.enhanced:
        detail["enhanced"] = outcome.enhanced
    if outcome.category not in (AttemptCategory.OTHER, AttemptCategory.BUILD):
        detail["category"] = outcome.category
    if outcome.category == AttemptCategory.POLICY:
        # Not the recipient's fault: the operator should look at content or reputation.
        detail["policy"] = True
    if last.host:
        detail["mx"] = last.host
    if last.ip:
        detail["ip"] = last.ip
    if last.tls_version:
        detail["tls"] = last.tls_version
    return detail


def _attempt(delivery: Delivery, t: Try, now: datetime) -> Attempt:
    return Attempt(
        delivery=delivery,
        created_at=now,
        outcome=t.outcome.status,
        category=t.outcome.category,
        mx_host=t.host[:255],
        mx_ip=t.ip[:45],
        port=t.port,
        tls_version=t.tls_version or "",
        code=t.outcome.code,
        enhanced=t.outcome.enhanced[:12],
        reply=t.outcome.text,
        duration_ms=t.duration_ms,
    )
