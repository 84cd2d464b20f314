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
            Take(f"send:day:{account.pk}", DAY_KEEP, day_start()),
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
    return ratelimit.peek(f"send:day:{account.pk}", DAY_KEEP, start=day_start())


def give_back_recipient(
    account: Account, sender_email: str, recipient: str, *, count_quota: bool = True
) -> None:
    """Return the units one accepted recipient took (its request failed later)."""
    give_back(
        take_
        for take_, _, _ in _takes(account, sender_email, recipient)
        if count_quota or not take_.key.startswith("send:day:")
    )
