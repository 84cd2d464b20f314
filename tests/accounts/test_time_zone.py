"""An account's day: where its daily quota starts again (and paused batch tasks go on).
Empty, the default, is the service's TIME_ZONE."""

from datetime import datetime
from zoneinfo import ZoneInfo

import time_machine
from django.urls import reverse

from accounts.models import Account
from sending.acceptance import limits
from sesconsole.usage import day_start, next_day

UTC = ZoneInfo("UTC")


def test_the_default_is_the_services_time_zone(account, settings):
    assert account.time_zone == ""
    assert account.zone == ZoneInfo(settings.TIME_ZONE)
    moment = datetime(2030, 6, 1, 23, 30, tzinfo=UTC)
    assert day_start(moment, account.zone) == day_start(moment)
    assert next_day(moment, account.zone) == datetime(
        2030, 6, 2, tzinfo=ZoneInfo(settings.TIME_ZONE)
    )


def test_the_operator_sets_it_on_the_delivery_settings_page(operator_client, account):
    url = reverse("delivery_settings")
    page = operator_client.get(url).content.decode()
    assert "Asia/Shanghai" in page and "The service&#x27;s (" in page
    operator_client.post(url, {"time_zone": "Asia/Shanghai"})
    account.refresh_from_db()
    assert account.time_zone == "Asia/Shanghai"
    refused = operator_client.post(url, {"time_zone": "Mars/Olympus"})
    assert refused.status_code == 200
    assert "Select a valid choice" in refused.content.decode()
    account.refresh_from_db()
    assert account.time_zone == "Asia/Shanghai"


def test_the_quota_starts_again_at_the_accounts_midnight(account, counter_backend):
    Account.objects.filter(pk=account.pk).update(time_zone="Asia/Shanghai", daily_quota=1)
    account.refresh_from_db()
    # 15:30 UTC is 23:30 in Shanghai; 16:30 UTC is the next day there, not yet in UTC.
    with time_machine.travel(datetime(2030, 6, 1, 15, 30, tzinfo=UTC), tick=False) as t:
        assert limits.take(account, "a@x.example", "b@y.example") == "accepted"
        assert limits.take(account, "a@x.example", "c@y.example") == "daily_limit"
        t.move_to(datetime(2030, 6, 1, 16, 30, tzinfo=UTC))
        assert limits.sent_today(account) == 0
        assert limits.take(account, "a@x.example", "c@y.example") == "accepted"
