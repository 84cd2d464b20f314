"""Timed and recurring tasks keep their schedule: a timed task waits for its time; a
recurring one runs on its interval, each run the whole list again, until it is told
to stop (TermCycle, stop_cycle), reaches its last run or its end; runs missed while
the service was down are not made up.

The dates are in the future: Redis expires the counters by the real clock."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from accounts.models import Account
from sending.batch import expand, parse, receivers, service, sweep
from sending.models import Delivery, SendTask, TaskStatus
from tests.sending.batch.batchhelp import batch_params, create_task, drain, make_list

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(day, hour, minute=0, second=0):
    return datetime(2030, 6, day, hour, minute, second, tzinfo=SHANGHAI)


def text(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S")


@pytest.fixture
def fast(account, verified_sender):
    """No warm-up, no pacing, no quota in the way: only the schedule decides."""
    Account.objects.filter(pk=account.pk).update(
        daily_quota=1_000_000, send_rate_per_second=1_000_000, time_zone="Asia/Shanghai"
    )
    account.refresh_from_db()
    verified_sender.domain.warmup_step = None
    verified_sender.domain.save()
    return account


@pytest.fixture
def clock():
    with time_machine.travel(at(1, 9), tick=False) as traveller:
        yield traveller


def cyclic(account, sender, receiver_list, template, begin, hours, **spec_fields) -> SendTask:
    params = batch_params(
        sender,
        receiver_list,
        template,
        TaskType=3,
        CycleParam={"BeginTime": text(begin), "IntervalTime": hours},
    )
    spec = parse.parse_batch(account, params)
    for name, value in spec_fields.items():
        setattr(spec, name, value)
    return service.create(account, spec)


def sent(task) -> int:
    return Delivery.objects.filter(task=task).count()


def test_a_timed_task_waits_for_its_time(fast, verified_sender, approved_template, clock):
    receiver_list = make_list(fast, 5)
    task = create_task(
        fast,
        verified_sender,
        receiver_list,
        approved_template,
        TaskType=2,
        TimedParam={"BeginTime": text(at(1, 12))},
    )
    assert (task.status, task.next_run_at) == (TaskStatus.PENDING, at(1, 12))

    clock.move_to(at(1, 11, 59, 59))
    assert sweep.sweep()["started"] == 0
    task = drain(task)
    assert (task.status, task.runs, task.request_count, sent(task)) == (
        TaskStatus.PENDING,
        0,
        0,
        0,
    )

    clock.move_to(at(1, 12, 0, 30))
    task = drain(task)
    assert (task.status, task.runs, task.request_count, task.sent_count) == (
        TaskStatus.DONE,
        1,
        5,
        5,
    )
    assert task.run_started_at == at(1, 12, 0, 30)
    assert sent(task) == 5
    # Done is done: later sweeps start nothing.
    clock.move_to(at(3, 12))
    assert drain(task).runs == 1 and sent(task) == 5


def test_a_recurring_task_runs_on_its_interval_over_the_whole_list(
    fast, verified_sender, approved_template, clock
):
    receiver_list = make_list(fast, 3)
    task = cyclic(fast, verified_sender, receiver_list, approved_template, at(1, 10), 24)
    task = drain(task)
    assert (task.status, task.runs, sent(task)) == (TaskStatus.PENDING, 0, 0)

    clock.move_to(at(1, 10, 0, 5))
    task = drain(task)
    assert (task.status, task.runs, task.request_count, task.sent_count) == (
        TaskStatus.PENDING,
        1,
        3,
        3,
    )
    assert task.next_run_at == at(2, 10)

    clock.move_to(at(2, 9, 59))
    assert drain(task).runs == 1

    clock.move_to(at(2, 10, 1))
    task = drain(task)
    assert (task.runs, task.request_count, task.sent_count, task.next_run_at) == (
        2,
        6,
        6,
        at(3, 10),
    )

    # Addresses added between runs are in the next run: each run takes the list as it is.
    receivers.add(receiver_list, [("late@example.net", {"name": "Late", "code": "9"})])
    clock.move_to(at(3, 10, 1))
    task = drain(task)
    assert (task.runs, task.request_count, task.sent_count, task.cached_count) == (3, 10, 10, 0)
    recipients = Delivery.objects.filter(task=task).values_list("recipient", flat=True)
    counts = {email: list(recipients).count(email) for email in set(recipients)}
    assert counts == {
        "user0@example.net": 3,
        "user1@example.net": 3,
        "user2@example.net": 3,
        "late@example.net": 1,
    }

    service.stop_cycle(task)
    task.refresh_from_db()
    assert (task.status, task.next_run_at) == (TaskStatus.DONE, None)
    clock.move_to(at(5, 10, 1))
    task = drain(task)
    assert (task.status, task.runs, sent(task)) == (TaskStatus.DONE, 3, 10)


def test_stopping_during_a_run_finishes_that_run_and_no_other(
    fast, verified_sender, approved_template, clock
):
    receiver_list = make_list(fast, 4)
    task = cyclic(fast, verified_sender, receiver_list, approved_template, at(1, 10), 1)
    clock.move_to(at(1, 10))
    sweep.sweep()
    task.refresh_from_db()
    assert (task.status, task.runs) == (TaskStatus.SENDING, 1)
    service.stop_cycle(task)
    assert task.status == TaskStatus.SENDING  # the run goes on
    task = drain(task)
    assert (task.status, task.sent_count) == (TaskStatus.DONE, 4)
    clock.move_to(at(1, 15))
    assert drain(task).runs == 1 and sent(task) == 4


def test_term_cycle_makes_the_first_run_the_last(fast, verified_sender, approved_template, clock):
    params = batch_params(
        verified_sender,
        make_list(fast, 2),
        approved_template,
        TaskType=3,
        CycleParam={"BeginTime": text(at(1, 10)), "IntervalTime": 1, "TermCycle": 1},
    )
    task = service.create(fast, parse.parse_batch(fast, params))
    clock.move_to(at(1, 10))
    task = drain(task)
    assert (task.status, task.runs, task.sent_count) == (TaskStatus.DONE, 1, 2)
    clock.move_to(at(1, 14))
    assert drain(task).runs == 1


def test_max_runs_and_end_at(fast, verified_sender, approved_template, clock):
    receiver_list = make_list(fast, 2)
    counted = cyclic(
        fast, verified_sender, receiver_list, approved_template, at(1, 10), 1, max_runs=2
    )
    ending = cyclic(
        fast,
        verified_sender,
        receiver_list,
        approved_template,
        at(1, 10),
        1,
        end_at=at(1, 12, 30),
    )
    runs = []
    for hour in (10, 11, 12, 13, 14):
        clock.move_to(at(1, hour, 0, 1))
        counted, ending = drain(counted), drain(ending)
        runs.append((counted.runs, ending.runs))
    # max_runs=2: 10:00 and 11:00. end_at 12:30: 10:00, 11:00 and 12:00, nothing after.
    assert runs == [(1, 1), (2, 2), (2, 3), (2, 3), (2, 3)]
    assert (counted.status, ending.status) == (TaskStatus.DONE, TaskStatus.DONE)
    assert (sent(counted), sent(ending)) == (4, 6)
    assert (counted.request_count, ending.request_count) == (4, 6)


def test_runs_missed_while_down_are_not_made_up(fast, verified_sender, approved_template, clock):
    receiver_list = make_list(fast, 3)
    task = cyclic(fast, verified_sender, receiver_list, approved_template, at(1, 10), 1)
    clock.move_to(at(1, 10))
    task = drain(task)
    assert (task.runs, task.next_run_at) == (1, at(1, 11))

    # Down from 10:30 to 15:30: the runs of 11:00 to 15:00 are gone; one run now, and the
    # next on the task's own hour.
    clock.move_to(at(1, 15, 30))
    task = drain(task)
    assert (task.runs, task.request_count, task.sent_count) == (2, 6, 6)
    assert task.next_run_at == at(1, 16)
    clock.move_to(at(1, 15, 59))
    assert drain(task).runs == 2
    clock.move_to(at(1, 16))
    assert drain(task).runs == 3


def test_held_after_its_last_chunk_a_task_is_not_sent_again(
    fast, verified_sender, approved_template, clock
):
    # A slow rate: the worker stops after booking the chunk, before it sees the run end.
    Account.objects.filter(pk=fast.pk).update(send_rate_per_second=1)
    receiver_list = make_list(fast, 3)
    task = create_task(fast, verified_sender, receiver_list, approved_template)
    assert expand.run(task.pk) == 3
    task.refresh_from_db()
    assert (task.status, task.cursor) == (TaskStatus.SENDING, task.last_address)
    service.pause(task)
    service.resume(task)
    clock.move_to(at(1, 9, 1))
    task = drain(task)
    assert (task.status, task.runs, task.request_count, sent(task)) == (TaskStatus.DONE, 1, 3, 3)


def test_held_between_runs_a_recurring_task_keeps_its_schedule(
    fast, verified_sender, approved_template, clock
):
    receiver_list = make_list(fast, 2)
    task = cyclic(fast, verified_sender, receiver_list, approved_template, at(1, 10), 2)
    clock.move_to(at(1, 10))
    task = drain(task)
    assert (task.status, task.runs) == (TaskStatus.PENDING, 1)
    service.pause(task)
    clock.move_to(at(1, 12, 0, 1))
    assert drain(task).runs == 1  # held: the 12:00 run waits
    clock.move_to(at(1, 13))
    service.resume(task)
    task = drain(task)
    # Resumed after its time: the run starts now; the next is on the task's own hours.
    assert (task.runs, task.next_run_at, sent(task)) == (2, at(1, 14), 4)
    assert task.run_started_at == at(1, 13)
    assert timedelta(hours=1) == task.next_run_at - task.run_started_at


def test_a_cycle_stopped_while_a_worker_ends_its_run_is_done(
    fast, verified_sender, approved_template, clock
):
    receiver_list = make_list(fast, 2)
    task = cyclic(fast, verified_sender, receiver_list, approved_template, at(1, 10), 1)
    clock.move_to(at(1, 10))
    sweep.sweep()
    task.refresh_from_db()
    worker_copy = SendTask.objects.get(pk=task.pk)  # what a worker read before the stop
    service.stop_cycle(task)
    service.finish_run(worker_copy)
    task.refresh_from_db()
    assert (task.status, task.next_run_at) == (TaskStatus.DONE, None)


def test_a_cycle_stopped_while_held_before_its_first_run_never_runs(
    fast, verified_sender, approved_template, clock
):
    receiver_list = make_list(fast, 2)
    task = cyclic(fast, verified_sender, receiver_list, approved_template, at(1, 10), 1)
    service.pause(task)
    service.stop_cycle(task)
    clock.move_to(at(1, 11))
    service.resume(task)
    task = drain(task)
    assert (task.status, task.runs, sent(task)) == (TaskStatus.DONE, 0, 0)
