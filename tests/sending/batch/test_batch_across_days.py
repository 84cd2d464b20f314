"""A task bigger than the day's budget runs across days by itself: Paused (6) with
its counters still, then on at the start of the next day in the account's time zone.

The dates are in the future: Redis expires the counters by the real clock."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from accounts.models import Account
from sending.models import Delivery, DeliveryStatus, SendStatus, TaskStatus
from tests.sending.batch.batchhelp import create_task, drain, make_list

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def fast(account, verified_sender, counter_backend):
    """No warm-up, no pacing in the way: only the daily quota limits."""
    Account.objects.filter(pk=account.pk).update(
        daily_quota=500, send_rate_per_second=1_000_000, time_zone="Asia/Shanghai"
    )
    account.refresh_from_db()
    verified_sender.domain.warmup_step = None
    verified_sender.domain.save()
    return account


def test_a_task_over_the_quota_sends_500_a_day_and_ends_done(
    fast, verified_sender, approved_template
):
    start = datetime(2030, 12, 1, 9, 0, tzinfo=SHANGHAI)
    with time_machine.travel(start, tick=False) as traveller:
        receiver_list = make_list(fast, 1500)
        task = create_task(fast, verified_sender, receiver_list, approved_template)
        task = drain(task)
        assert task.status == TaskStatus.PAUSED
        assert (task.request_count, task.sent_count, task.cached_count) == (1500, 500, 1000)
        assert task.resume_at == datetime(2030, 12, 2, 0, 0, tzinfo=SHANGHAI)
        assert "quota" in task.error_message

        # Later the same day nothing moves: the progress is still.
        traveller.move_to(datetime(2030, 12, 1, 23, 59, tzinfo=SHANGHAI))
        task = drain(task)
        assert (task.status, task.sent_count) == (TaskStatus.PAUSED, 500)

        traveller.move_to(datetime(2030, 12, 2, 0, 1, tzinfo=SHANGHAI))
        task = drain(task)
        assert (task.status, task.sent_count, task.cached_count) == (TaskStatus.PAUSED, 1000, 500)

        traveller.move_to(datetime(2030, 12, 3, 0, 1, tzinfo=SHANGHAI))
        task = drain(task)
    assert (task.status, task.sent_count, task.cached_count) == (TaskStatus.DONE, 1500, 0)
    deliveries = Delivery.objects.filter(task=task)
    assert deliveries.count() == 1500
    assert deliveries.values("recipient").distinct().count() == 1500
    assert set(deliveries.values_list("status", flat=True)) == {DeliveryStatus.QUEUED}
    days = {
        d.astimezone(SHANGHAI).date().day for d in deliveries.values_list("created_at", flat=True)
    }
    assert days == {1, 2, 3}


def test_two_tasks_share_one_days_quota(fast, verified_sender, approved_template):
    with time_machine.travel(datetime(2030, 12, 1, 9, 0, tzinfo=SHANGHAI), tick=False):
        first = create_task(fast, verified_sender, make_list(fast, 300), approved_template)
        second = create_task(
            fast, verified_sender, make_list(fast, 300, name="Others", start=300), approved_template
        )
        first, second = drain(first), drain(second)
    assert first.sent_count + second.sent_count == 500
    assert {first.status, second.status} == {TaskStatus.DONE, TaskStatus.PAUSED}
    assert Delivery.objects.filter(task__in=[first, second]).count() == 500


def test_the_day_starts_in_the_accounts_time_zone(fast, verified_sender, approved_template):
    # 23:30 UTC on the 1st is 07:30 on the 2nd in Shanghai: a new day there already.
    with time_machine.travel(datetime(2030, 12, 1, 12, 0, tzinfo=SHANGHAI), tick=False) as t:
        task = drain(create_task(fast, verified_sender, make_list(fast, 700), approved_template))
        assert task.status == TaskStatus.PAUSED
        t.move_to(datetime(2030, 12, 1, 16, 1, tzinfo=ZoneInfo("UTC")))  # 00:01 in Shanghai
        task = drain(task)
    assert (task.status, task.sent_count) == (TaskStatus.DONE, 700)


def test_refused_recipients_are_counted_with_their_reason(fast, verified_sender, approved_template):
    from sending.suppression import rules

    with time_machine.travel(datetime(2030, 12, 1, 9, 0, tzinfo=SHANGHAI), tick=False):
        receiver_list = make_list(fast, 10)
        rules.add_custom(fast, ["user3@example.net", "USER4@example.net"], None)
        task = drain(create_task(fast, verified_sender, receiver_list, approved_template))
    assert (task.status, task.sent_count, task.refused_count) == (TaskStatus.DONE, 8, 2)
    assert task.refusals == {SendStatus.BLOCKLISTED: 2}
    dropped = Delivery.objects.filter(task=task, status=DeliveryStatus.DROPPED)
    assert sorted(dropped.values_list("recipient", flat=True)) == [
        "user3@example.net",
        "user4@example.net",
    ]
