"""Telling workers which tasks have work: a `sending.expand_task` per task.

Losing one (the broker down, a worker killed) loses nothing: the task's row says
what is left, and the sweep (sending.batch.sweep) publishes every task that has
work and no live lease.
"""

from django.conf import settings

from sesconsole import ratelimit


def _pending_key(task_id: int) -> str:
    return f"{settings.SES_REDIS_PREFIX}:expand-pending:{task_id}"


def publish(task_id: int, countdown: float | None = None) -> None:
    from sending.tasks import expand_task

    client = ratelimit.redis_client()
    # With Redis, one waits per task: a second would only find the lease taken.
    hold = max(5, int((countdown or 0) + 5))
    if client is not None and not client.set(_pending_key(task_id), 1, nx=True, ex=hold):
        return
    expand_task.apply_async((task_id,), countdown=countdown or None)


def started(task_id: int) -> None:
    client = ratelimit.redis_client()
    if client is not None:
        client.delete(_pending_key(task_id))
