"""Review due times over business days, weekends and holidays."""

from datetime import datetime

import pytest
from django.utils import timezone

from templates_app.duetime import due_time


def at(text):
    return timezone.make_aware(datetime.fromisoformat(text))


@pytest.fixture(autouse=True)
def calendar(settings):
    settings.TIME_ZONE = "Asia/Shanghai"
    settings.SES_REVIEW_WORKDAYS = [0, 1, 2, 3, 4]
    settings.SES_REVIEW_HOLIDAYS = ["2026-10-01", "2026-10-02"]
    settings.SES_REVIEW_DAY_END = "18:00"


@pytest.mark.parametrize(
    ("submitted", "due"),
    [
        # Tuesday: within one business day.
        ("2026-11-24 10:30", "2026-11-25 10:30"),
        # Friday: the next business day is Monday.
        ("2026-11-27 16:00", "2026-11-30 16:00"),
        # Saturday and Sunday: by the end of Monday.
        ("2026-11-28 09:00", "2026-11-30 18:00"),
        ("2026-11-29 23:59", "2026-11-30 18:00"),
        # Wednesday before two holidays: the next business day is Monday.
        ("2026-09-30 11:00", "2026-10-05 11:00"),
        # On a holiday: by the end of the next business day.
        ("2026-10-01 08:00", "2026-10-05 18:00"),
    ],
)
def test_due_times(submitted, due):
    assert timezone.localtime(due_time(at(submitted))) == at(due)


def test_configurable_work_week(settings):
    settings.SES_REVIEW_WORKDAYS = [6, 0, 1, 2, 3]  # Sunday to Thursday
    # Friday is not a business day there: end of Sunday.
    assert timezone.localtime(due_time(at("2026-11-27 10:00"))) == at("2026-11-29 18:00")
