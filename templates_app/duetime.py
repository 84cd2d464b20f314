"""When a submitted template must be reviewed by (the seed: a template submitted
on a business day is reviewed within one business day; one submitted on another
day, by the end of the next business day).

Business days and holidays come from settings (SES_REVIEW_WORKDAYS,
SES_REVIEW_HOLIDAYS), days end at SES_REVIEW_DAY_END, all in TIME_ZONE.
"""

from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.utils import timezone


def is_business_day(day: date) -> bool:
    return day.weekday() in settings.SES_REVIEW_WORKDAYS and (
        day.isoformat() not in settings.SES_REVIEW_HOLIDAYS
    )


def next_business_day(day: date) -> date:
    # A year of holidays in a row would be a misconfiguration; stop looking then.
    for offset in range(1, 366):
        candidate = day + timedelta(days=offset)
        if is_business_day(candidate):
            return candidate
    raise ValueError("no business day within a year: check SES_REVIEW_WORKDAYS/HOLIDAYS")


def day_end() -> time:
    hours, _, minutes = settings.SES_REVIEW_DAY_END.partition(":")
    return time(int(hours), int(minutes or 0))


def due_time(submitted: datetime) -> datetime:
    local = timezone.localtime(submitted)
    zone = local.tzinfo
    following = next_business_day(local.date())
    if is_business_day(local.date()):
        # Within one business day: the same time on the next business day.
        return datetime.combine(following, local.timetz().replace(tzinfo=None), tzinfo=zone)
    return datetime.combine(following, day_end(), tzinfo=zone)
