"""What an account used today, from the shared counters in sesconsole.ratelimit."""

from datetime import datetime, time, tzinfo
from typing import Protocol

from django.utils import timezone

from sesconsole import ratelimit

# Counters are named by their day's start; they are kept two days so that a
# 25-hour day (daylight saving) cannot lose its counter before it ends.
KEEP = 2 * 86400


def day_start(now: datetime | None = None, tz: tzinfo | None = None) -> int:
    """Unix seconds of the last midnight in `tz` (default: the service's TIME_ZONE)."""
    local = timezone.localtime(now, tz)
    midnight = datetime.combine(local.date(), time.min, tzinfo=local.tzinfo)
    return int(midnight.timestamp())


class Tenant(Protocol):
    """An account as sesconsole counts it: accounts.models.Account, which this layer,
    below accounts, may not import."""

    @property
    def pk(self) -> object: ...


def _api_key(account: Tenant) -> str:
    return f"usage:api:{account.pk}"


def count_api_request(account: Tenant) -> None:
    ratelimit.count(_api_key(account), KEEP, start=day_start())


def api_requests_today(account: Tenant) -> int:
    return ratelimit.peek(_api_key(account), KEEP, start=day_start())


def next_day(now: datetime | None = None, tz: tzinfo | None = None) -> datetime:
    """The next midnight in `tz` (default: TIME_ZONE), as an aware datetime."""
    local = timezone.localtime(now, tz)
    tomorrow = local.date().toordinal() + 1
    return datetime.combine(datetime.fromordinal(tomorrow).date(), time.min, tzinfo=local.tzinfo)
