from celery import shared_task

from . import ratelimit


@shared_task
def ping(token: str) -> str:
    """Answers its token: `manage.py checkworkers` uses it to see workers round-trip."""
    return f"pong:{token}"


@shared_task
def prune_rate_windows() -> int:
    return ratelimit.prune()
