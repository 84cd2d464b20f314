"""Publishing delivery work: after commit, at most one waiting task per destination
with Redis, and the sweep publishing whatever is due."""

import secrets

import pytest
from django.db import transaction

from sending.delivery import dispatch
from sesconsole.celery import app
from tests.conftest import need, redis_url
from tests.sending.conftest import RCPT_DOMAIN
from tests.workers import purge_queues


def waiting_tasks() -> int:
    with app.connection_for_write() as connection:
        try:
            declared = connection.default_channel.queue_declare("delivery", passive=True)
        except connection.channel_errors:  # Redis: a queue nobody declared yet is empty
            return 0
        return declared.message_count


@pytest.fixture
def empty_queue(db, settings):
    """An empty delivery queue, and "waiting" marks of this test only."""
    settings.SES_REDIS_PREFIX = f"test-{secrets.token_hex(6)}"
    purge_queues(["delivery"])
    yield
    purge_queues(["delivery"])


@pytest.mark.django_db(transaction=True)
def test_acceptance_publishes_after_commit(send_text, empty_queue):
    with transaction.atomic():
        send_text()
        assert waiting_tasks() == 0  # not before the rows are visible to a worker
    assert waiting_tasks() == 1


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_acceptance_publishes_nothing(send_text, empty_queue):
    with pytest.raises(RuntimeError), transaction.atomic():
        send_text()
        raise RuntimeError
    assert waiting_tasks() == 0


def test_one_waiting_task_per_destination_with_redis(settings, empty_queue):
    url = redis_url()
    need("redis", bool(url), "no Redis on 127.0.0.1:6379 and no REDIS_URL")
    settings.REDIS_URL = url
    dispatch.publish([RCPT_DOMAIN, "other.test"])
    dispatch.publish([RCPT_DOMAIN])
    assert waiting_tasks() == 2
    dispatch.started(RCPT_DOMAIN)  # a worker took it: new work needs a new task
    dispatch.publish([RCPT_DOMAIN])
    assert waiting_tasks() == 3


def test_the_sweep_publishes_every_due_destination(send_text, settings, empty_queue):
    url = redis_url()
    need("redis", bool(url), "no Redis on 127.0.0.1:6379 and no REDIS_URL")
    settings.REDIS_URL = url
    send_text()
    send_text(to=["bob@other.test"])
    dispatch.publish([RCPT_DOMAIN])  # marks RCPT_DOMAIN as waiting; the sweep ignores that
    assert dispatch.sweep() == (0, 2)
    assert waiting_tasks() == 3


def test_a_backlog_calls_a_second_worker(send_text, settings, empty_queue):
    from sending.delivery.engine import deliver

    url = redis_url()
    need("redis", bool(url), "no Redis on 127.0.0.1:6379 and no REDIS_URL")
    settings.REDIS_URL = url
    settings.SES_DELIVERY_BATCH = 2
    simulator = settings.SES_SIMULATOR_DOMAIN
    send_text(to=[f"success@{simulator}", f"success+2@{simulator}", f"success+3@{simulator}"])
    assert waiting_tasks() == 0  # this test's transaction never commits: nothing published
    assert deliver(simulator, budget=30) == 3
    assert waiting_tasks() == 1  # the first batch was full: one more task to share it


def test_a_small_batch_calls_nobody(send_text, settings, empty_queue):
    from sending.delivery.engine import deliver

    url = redis_url()
    need("redis", bool(url), "no Redis on 127.0.0.1:6379 and no REDIS_URL")
    settings.REDIS_URL = url
    simulator = settings.SES_SIMULATOR_DOMAIN
    send_text(to=[f"success@{simulator}"])
    assert deliver(simulator, budget=30) == 1
    assert waiting_tasks() == 0
