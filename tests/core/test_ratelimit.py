"""Fixed-window rate counters on the database and on Redis."""

import threading

import pytest
from django.db import close_old_connections

from sesconsole import ratelimit
from tests.conftest import need, redis_url


@pytest.fixture(params=["database", "redis"])
def backend(request, settings):
    if request.param == "redis":
        url = redis_url()
        need("redis", bool(url), "no REDIS_URL and nothing on 127.0.0.1:6379")
        settings.REDIS_URL = url
        ratelimit._redis(url).flushdb()
    else:
        settings.REDIS_URL = ""
    return request.param


@pytest.mark.django_db(transaction=True)
def test_counts_within_a_window_and_resets_in_the_next(backend):
    now = 1_800_000_000.2
    assert [ratelimit.hit("k", 3, 1, now) for _ in range(4)] == [True, True, True, False]
    assert ratelimit.hit("k", 3, 1, now + 1)
    assert ratelimit.hit("other", 3, 1, now)


@pytest.mark.django_db(transaction=True)
def test_concurrent_hits_are_all_counted(backend):
    now = 1_800_000_100.0
    results = []

    def worker():
        try:
            for _ in range(10):
                results.append(ratelimit.count("shared", 60, 1, now))
        finally:
            close_old_connections()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # Every increment saw a distinct total: none was lost to a race.
    assert sorted(results) == list(range(1, 41))


@pytest.mark.django_db
def test_prune_drops_old_windows(settings):
    settings.REDIS_URL = ""
    ratelimit.count("old", 1, 1, now=1000.0)
    ratelimit.count("new", 1, 1)
    assert ratelimit.prune(older_than_seconds=3600) == 1
