"""Warm-up of a new sender domain: a daily cap that starts low and grows a step a day.

Mailbox providers distrust a domain that sends much at once before it has a
history, so a new domain's batch mail is held to SES_WARMUP_SCHEDULE: the cap of
the step it is on, one step a day while its bounces and complaints stay under
their thresholds, a step back after a day over them (sending.batch.warmup judges
the days). Past the last step there is no cap. Transactional mail (SendEmail,
SMTP) is never held back by the cap, but counts toward it.

The day is the account's (Account.zone); the use is a shared counter
(sesconsole.ratelimit), so every process sees the same figure.
"""

from datetime import datetime, tzinfo

from django.conf import settings

from domains.models import SenderDomain
from sesconsole import ratelimit
from sesconsole.usage import KEEP, day_start


def cap(domain: SenderDomain) -> int | None:
    """Today's cap of `domain`, or None when it is warmed up (no cap)."""
    step = domain.warmup_step
    schedule = settings.SES_WARMUP_SCHEDULE
    if step is None or step >= len(schedule):
        return None
    return schedule[step]


def key(domain: SenderDomain) -> str:
    return f"warmup:{domain.pk}"


def today(domain: SenderDomain, now: datetime | None = None, zone: tzinfo | None = None) -> int:
    """The window (day start, unix seconds) the domain's use is counted in: the day of
    its account (`zone`, when the caller has it at hand, saves reading the account)."""
    return day_start(now, tz=zone or domain.account.zone)


def used_today(domain: SenderDomain, now: datetime | None = None) -> int:
    return ratelimit.peek(key(domain), KEEP, start=today(domain, now))


def count(
    domain: SenderDomain, amount: int, now: datetime | None = None, zone: tzinfo | None = None
) -> None:
    """Count mail that is not held back by the cap (transactional sends)."""
    if amount and cap(domain) is not None:
        ratelimit.count(key(domain), KEEP, amount, start=today(domain, now, zone))


def step_to(domain: SenderDomain, step: int | None) -> None:
    """Move to `step` (None: warmed up); past the schedule's end means warmed up."""
    if step is not None and step >= len(settings.SES_WARMUP_SCHEDULE):
        step = None
    domain.warmup_step = None if step is None else max(0, step)


def describe(domain: SenderDomain) -> dict[str, object]:
    """What the domain's page shows: the step, today's cap and use, the next cap."""
    schedule = settings.SES_WARMUP_SCHEDULE
    limit = cap(domain)
    step = domain.warmup_step
    following = None
    if step is not None and step + 1 < len(schedule):
        following = schedule[step + 1]
    return {
        "warming": limit is not None,
        "day": (step or 0) + 1,
        "days": len(schedule),
        "cap": limit,
        "used": used_today(domain) if limit is not None else 0,
        "next_cap": following,
        "max_bounce_percent": settings.SES_WARMUP_MAX_BOUNCE_RATE * 100,
        "max_complaint_percent": settings.SES_WARMUP_MAX_COMPLAINT_RATE * 100,
    }
