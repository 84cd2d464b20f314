"""Many shared counters at once: ratelimit.count_many (one statement per 200 keys on the
database, one round trip on Redis) totals as counting one by one does; and the batch
takes built on it (sending.acceptance.limits: take_budget, give_back_budget,
take_pairs) grant what is left and leave the counters at exactly what they granted.

Times are frozen in the future: Redis expires the counters by the real clock."""

from datetime import UTC, datetime

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from sending.acceptance import limits
from sending.models import SendStatus
from sesconsole import ratelimit
from sesconsole.usage import day_start

pytestmark = pytest.mark.django_db(transaction=True)

NOW = datetime(2031, 5, 6, 10, 15, tzinfo=UTC)
SENDER = "news@mail.acme.test"


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def inserts(queries) -> int:
    return sum(1 for q in queries if q["sql"].lstrip().upper().startswith("INSERT"))


# --- count_many ------------------------------------------------------------------------


def test_many_keys_total_as_one_by_one(counter_backend):
    amounts = [1 + i % 7 for i in range(450)]
    many = [(f"many:{i}", 60, amount, None) for i, amount in enumerate(amounts)]
    with CaptureQueriesContext(connection) as queries:
        first = ratelimit.count_many(many)
    assert first == amounts
    # Three statements for 450 keys on the database (200 a statement); none on Redis.
    assert inserts(queries.captured_queries) == (3 if counter_backend == "database" else 0)
    assert ratelimit.count_many(many) == [2 * a for a in amounts]

    one_by_one = []
    for i, amount in enumerate(amounts):
        ratelimit.count(f"one:{i}", 60, amount)
        one_by_one.append(ratelimit.count(f"one:{i}", 60, amount))
    assert one_by_one == [2 * a for a in amounts]
    assert [ratelimit.peek(f"many:{i}", 60) for i in range(450)] == [
        ratelimit.peek(f"one:{i}", 60) for i in range(450)
    ]


def test_new_and_existing_keys_and_windows_in_one_call(counter_backend):
    start = day_start(tz=UTC)
    ratelimit.count("old", 86400, 5, start=start)
    totals = ratelimit.count_many(
        [
            ("old", 86400, 2, start),
            ("old", 86400, 3, start + 86400),  # the same key, the next day's window
            ("new", 60, 4, None),
            ("new", 3600, 1, None),  # at 10:15, the hour's window is not the minute's
        ]
    )
    assert totals == [7, 3, 4, 1]
    assert ratelimit.peek("old", 86400, start=start) == 7
    assert ratelimit.peek("old", 86400, start=start + 86400) == 3


def test_a_key_given_twice_ends_at_its_sum(counter_backend):
    totals = ratelimit.count_many([("twice", 60, 2, None), ("twice", 60, 3, None)])
    # The database merges them into one row; Redis counts them in turn.
    assert totals[-1] == 5
    assert ratelimit.peek("twice", 60) == 5


def test_giving_back_many_at_once(counter_backend):
    ratelimit.count_many([(f"back:{i}", 60, 3, None) for i in range(250)])
    totals = ratelimit.count_many([(f"back:{i}", 60, -1, None) for i in range(250)])
    assert totals == [2] * 250
    mixed = ratelimit.count_many([("back:0", 60, 4, None), ("back:1", 60, -2, None)])
    assert mixed == [6, 0]
    if counter_backend == "database":
        # Nothing taken, nothing to give back: never a negative count.
        assert ratelimit.count_many([("never", 60, -1, None), ("back:2", 60, 1, None)]) == [0, 3]
        assert ratelimit.peek("never", 60) == 0


# --- take_budget, give_back_budget --------------------------------------------------------


@pytest.fixture
def limited(account):
    account.daily_quota = 10
    account.hourly_per_recipient = 2
    account.save(update_fields=["daily_quota", "hourly_per_recipient"])
    return account


def warm_up(account, cap):
    """A warm-up cap of `cap` today, as sending.batch gives it to take_budget."""
    return (f"warmup:test:{account.pk}", day_start(tz=account.zone), cap)


def warm_used(warmup) -> int:
    return ratelimit.peek(warmup[0], limits.DAY_KEEP, start=warmup[1])


def test_take_budget_grants_what_is_left_of_the_quota(counter_backend, limited):
    assert limits.take_budget(limited, 4) == 4
    assert limits.sent_today(limited) == 4
    assert limits.take_budget(limited, 10) == 6
    assert limits.sent_today(limited) == 10
    assert limits.take_budget(limited, 3) == 0
    assert limits.sent_today(limited) == 10  # what was refused is not counted
    assert limits.take_budget(limited, 0) == limits.take_budget(limited, -5) == 0
    assert limits.sent_today(limited) == 10

    limits.give_back_budget(limited, 3, None)
    assert limits.sent_today(limited) == 7
    assert limits.take_budget(limited, 5) == 3
    assert limits.sent_today(limited) == 10
    limits.give_back_budget(limited, 0, None)
    assert limits.sent_today(limited) == 10


def test_a_lowered_quota_grants_nothing_and_counts_nothing(counter_backend, limited):
    assert limits.take_budget(limited, 8) == 8
    limited.daily_quota = 5
    assert limits.take_budget(limited, 4) == 0
    assert limits.sent_today(limited) == 8


def test_take_budget_within_the_warm_up_cap(counter_backend, limited):
    warmup = warm_up(limited, 5)
    assert limits.take_budget(limited, 3, warmup) == 3
    assert (limits.sent_today(limited), warm_used(warmup)) == (3, 3)
    assert limits.take_budget(limited, 4, warmup) == 2  # the cap binds
    assert (limits.sent_today(limited), warm_used(warmup)) == (5, 5)
    assert limits.take_budget(limited, 1, warmup) == 0
    assert (limits.sent_today(limited), warm_used(warmup)) == (5, 5)

    limited.daily_quota = 6
    warmup = warm_up(limited, 100)
    assert limits.take_budget(limited, 4, warmup) == 1  # now the quota binds
    assert (limits.sent_today(limited), warm_used(warmup)) == (6, 6)

    limits.give_back_budget(limited, 2, warmup)
    assert (limits.sent_today(limited), warm_used(warmup)) == (4, 4)


def test_the_budget_and_single_sends_share_the_quota(counter_backend, limited):
    assert limits.take(limited, SENDER, "a@x.test") == SendStatus.OK
    assert limits.take_budget(limited, 20) == 9
    assert limits.take(limited, SENDER, "b@x.test") == SendStatus.DAILY_LIMIT
    assert limits.sent_today(limited) == 10


def test_the_quota_is_the_account_s_own(counter_backend, limited, make_account):
    other = make_account("other", daily_quota=3)
    assert limits.take_budget(limited, 10) == 10
    assert limits.take_budget(other, 10) == 3
    assert (limits.sent_today(limited), limits.sent_today(other)) == (10, 3)


# --- take_pairs -----------------------------------------------------------------------------


def pair_count(account, recipient, sender=SENDER) -> int:
    return ratelimit.peek(f"send:pair:{account.pk}:{sender}:{recipient}", limits.HOUR)


def test_take_pairs_refuses_recipients_over_the_hourly_cap(counter_backend, limited):
    assert limits.take_pairs(limited, SENDER, ["a@x.test", "b@x.test"]) == [True, True]
    assert limits.take_pairs(limited, SENDER, ["a@x.test"]) == [True]
    assert limits.take_pairs(limited, SENDER, ["a@x.test", "b@x.test", "c@x.test"]) == [
        False,
        True,
        True,
    ]
    # The refused one gave its unit back; the quota is not touched.
    assert [pair_count(limited, r) for r in ("a@x.test", "b@x.test", "c@x.test")] == [2, 2, 1]
    assert limits.take_pairs(limited, SENDER, ["b@x.test"]) == [False]
    assert pair_count(limited, "b@x.test") == 2
    assert limits.sent_today(limited) == 0

    # The same counters as a single send's; another sender has its own.
    assert limits.take(limited, SENDER, "a@x.test") == SendStatus.FREQUENCY_LIMIT
    assert limits.sent_today(limited) == 0
    assert limits.take_pairs(limited, "other@mail.acme.test", ["a@x.test"]) == [True]

    # The next hour starts afresh.
    with time_machine.travel(NOW.replace(hour=11, minute=0), tick=False):
        assert limits.take_pairs(limited, SENDER, ["a@x.test", "b@x.test"]) == [True, True]


def test_take_pairs_of_a_whole_chunk(counter_backend, limited):
    recipients = [f"user{i}@x.test" for i in range(450)]
    assert limits.take_pairs(limited, SENDER, recipients[:10]) == [True] * 10
    assert limits.take_pairs(limited, SENDER, recipients[:10]) == [True] * 10
    allowed = limits.take_pairs(limited, SENDER, recipients)
    assert allowed == [False] * 10 + [True] * 440
    assert {pair_count(limited, r) for r in recipients[:10]} == {2}
    assert {pair_count(limited, r) for r in recipients[10:]} == {1}
