"""A real Celery worker process takes a task from the configured broker and answers."""

import secrets

import pytest

from sesconsole.tasks import ping


@pytest.mark.integration
def test_task_round_trip_through_a_worker(celery_worker_process):
    token = secrets.token_hex(8)
    result = ping.apply_async(args=[token])
    assert result.get(timeout=90) == f"pong:{token}"
    assert celery_worker_process.poll() is None


@pytest.mark.integration
def test_maintenance_task_goes_to_its_queue():
    from django.conf import settings

    from sesconsole.celery import app

    route = app.amqp.router.route({}, "sesconsole.tasks.prune_rate_windows")
    assert route["queue"].name == "maintenance"
    assert "maintenance" in settings.SES_CELERY_QUEUES
