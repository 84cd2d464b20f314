"""Per-recipient sending limits and the account's delivery rate, atomic across
processes and hosts.

Each recipient takes one unit from every limit in turn: the account's daily
quota and the per-sender-and-recipient hourly cap. A recipient refused by one
limit gives back what it took from the others, so refusals cost nothing.

The per-second rate refuses nothing: a request the recipient limits allow is
accepted, and its deliveries are paced (`pace`) so that the account's mail
leaves at most `send_rate_per_second` a second. Refusing would be wrong twice:
a request with more recipients than the rate could never succeed, and a retry
costs the client more than a short wait costs the mail.

The counters and the pacing are sesconsole.ratelimit's (Redis, or an upsert on
the database).
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from accounts.models import Account
from sending.models import SendStatus
from sesconsole import ratelimit
from sesconsole.usage import day_start

HOUR = 3600
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Daily counters are named by their day's start and kept two days (see sesconsole.usage).
DAY_KEEP = 2 * 86400


@dataclass(frozen=True)
class Take:
    key: str
    period: int
    start: int | None


def _takes(
    account: Account, sender_email: str, recipient: str
) -> list[tuple[Take, int, SendStatus]]:
    return [
        (
            Take(f"send:day:{account.pk}", DAY_KEEP, day_start(tz=account.zone)),
            account.daily_quota,
            SendStatus.DAILY_LIMIT,
        ),
        (
            Take(f"send:pair:{account.pk}:{sender_email}:{recipient}", HOUR, None),
            account.hourly_per_recipient,
            SendStatus.FREQUENCY_LIMIT,
        ),
    ]


def take(
    account: Account, sender_email: str, recipient: str, *, count_quota: bool = True
) -> SendStatus:
    """Take one unit of each limit for one recipient.

    Returns SendStatus.OK, or the status of the first limit that refused it
    (having given back what it took).
    """
    limits = [
        entry
        for entry in _takes(account, sender_email, recipient)
        if count_quota or not entry[0].key.startswith("send:day:")
    ]
    # All at once (one Redis round trip); a refusal gives every unit back.
    totals = ratelimit.count_many((t.key, t.period, 1, t.start) for t, _, _ in limits)
    for (_, limit, refusal), total in zip(limits, totals, strict=True):
        if total > limit:
            give_back([t for t, _, _ in limits])
            return refusal
    return SendStatus.OK


def pace(account: Account, count: int, now: datetime) -> tuple[datetime, timedelta]:
    """(when the first of `count` deliveries accepted at `now` may go, the gap between
    them): the account's rate, held across every request and process."""
    gap = timedelta(seconds=1) / max(1, account.send_rate_per_second)
    micro = timedelta(microseconds=1)
    start = ratelimit.schedule(
        f"send:pace:{account.pk}", count, gap // micro, now_us=(now - EPOCH) // micro
    )
    return EPOCH + start * micro, gap


def give_back(taken: Iterable[Take]) -> None:
    ratelimit.count_many((t.key, t.period, -1, t.start) for t in taken)


def sent_today(account: Account) -> int:
    return ratelimit.peek(f"send:day:{account.pk}", DAY_KEEP, start=day_start(tz=account.zone))


def give_back_recipient(
    account: Account, sender_email: str, recipient: str, *, count_quota: bool = True
) -> None:
    """Return the units one accepted recipient took (its request failed later)."""
    give_back(
        take_
        for take_, _, _ in _takes(account, sender_email, recipient)
        if count_quota or not take_.key.startswith("send:day:")
    )


def take_budget(account: Account, wanted: int, warmup: tuple[str, int, int] | None = None) -> int:
    """Take up to `wanted` units of today's quota, and of a warm-up cap
    (`warmup` = (counter key, day start, cap)); how many both granted.

    What one refused is given back to the other: a chunk of a batch task takes
    what is left of the day in one round trip and leaves the rest cached.
    """
    if wanted <= 0:
        return 0
    day = Take(f"send:day:{account.pk}", DAY_KEEP, day_start(tz=account.zone))
    takes = [(day, account.daily_quota)]
    if warmup is not None:
        warm_key, warm_start, warm_cap = warmup
        takes.append((Take(warm_key, DAY_KEEP, warm_start), warm_cap))
    totals = ratelimit.count_many((t.key, t.period, wanted, t.start) for t, _ in takes)
    granted = wanted
    for (_, limit), total in zip(takes, totals, strict=True):
        granted = min(granted, max(0, limit - (total - wanted)))
    if granted < wanted:
        ratelimit.count_many((t.key, t.period, granted - wanted, t.start) for t, _ in takes)
    return granted


def give_back_budget(account: Account, amount: int, warmup: tuple[str, int, int] | None) -> None:
    if amount <= 0:
        return
    takes = [Take(f"send:day:{account.pk}", DAY_KEEP, day_start(tz=account.zone))]
    if warmup is not None:
        takes.append(Take(warmup[0], DAY_KEEP, warmup[1]))
    ratelimit.count_many((t.key, t.period, -amount, t.start) for t in takes)


def take_pairs(account: Account, sender_email: str, recipients: list[str]) -> list[bool]:
    """The per-sender-and-recipient hourly cap for many recipients in one round trip:
    whether each (lower-cased) recipient is within it; refused ones are given back."""
    pairs = [
        Take(f"send:pair:{account.pk}:{sender_email}:{recipient}", HOUR, None)
        for recipient in recipients
    ]
    totals = ratelimit.count_many((t.key, t.period, 1, t.start) for t in pairs)
    allowed = [total <= account.hourly_per_recipient for total in totals]
    give_back(t for t, ok in zip(pairs, allowed, strict=True) if not ok)
    return allowed


def give_back_pairs(account: Account, sender_email: str, recipients: list[str]) -> None:
    """Return the hourly-cap units take_pairs allowed (their chunk was not written)."""
    give_back(
        Take(f"send:pair:{account.pk}:{sender_email}:{recipient}", HOUR, None)
        for recipient in recipients
    )
