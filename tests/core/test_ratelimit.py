"""Fixed-window rate counters on the database and on Redis."""

import threading

import pytest
from django.db import connection

from sesconsole import ratelimit


@pytest.mark.django_db(transaction=True)
def test_counts_within_a_window_and_resets_in_the_next(counter_backend):
    now = 1_800_000_000.2
    assert [ratelimit.hit("k", 3, 1, now) for _ in range(4)] == [True, True, True, False]
    assert ratelimit.hit("k", 3, 1, now + 1)
    assert ratelimit.hit("other", 3, 1, now)


@pytest.mark.django_db(transaction=True)
def test_concurrent_hits_are_all_counted(counter_backend):
    now = 1_800_000_100.0
    results = []

    def worker():
        try:
            for _ in range(10):
                results.append(ratelimit.count("shared", 60, 1, now))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # Every increment saw a distinct total: none was lost to a race.
    assert sorted(results) == list(range(1, 41))


@pytest.mark.django_db(transaction=True)
def test_explicit_windows_and_peek(counter_backend):
    day_start = 1_800_028_800  # a local midnight, not a multiple of 86400
    assert ratelimit.peek("day", 86400, start=day_start) == 0
    ratelimit.count("day", 86400, 3, start=day_start)
    assert ratelimit.peek("day", 86400, start=day_start) == 3
    assert ratelimit.peek("day", 86400, start=day_start + 86400) == 0


@pytest.mark.django_db
def test_prune_drops_ended_windows_only(settings):
    settings.REDIS_URL = ""
    now = 1_800_000_000
    ratelimit.count("second", 1, 1, now=now - 10)
    ratelimit.count("day", 86400, 1, start=now - 3600)
    assert ratelimit.prune(now=now) == 1
    assert ratelimit.peek("day", 86400, start=now - 3600) == 1


@pytest.mark.django_db(transaction=True)
def test_giving_back_units(counter_backend):
    now = 1_800_000_500.0
    ratelimit.count("k", 60, 3, now)
    assert ratelimit.count("k", 60, -1, now) == 2
    assert ratelimit.peek("k", 60, now) == 2
    # Nothing taken, nothing to give back: no negative counts on the database.
    if counter_backend == "database":
        assert ratelimit.count("never", 60, -1, now) == 0
        assert ratelimit.peek("never", 60, now) == 0
