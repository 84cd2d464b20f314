"""The sending app's Celery tasks, each one call into the sub-package that does the work.

Their names are those beat's schedule and published messages use: keep them.
"""

from celery import shared_task

from sending.acceptance import suspension
from sending.delivery import dispatch, engine, retention
from sending.suppression import rules


@shared_task
def check_suspensions() -> int:
    """Beat: suspend the accounts whose recent mail bounced too much."""
    return suspension.evaluate_all()


@shared_task
def purge_message_bodies() -> int:
    """Beat: drop message bodies past their retention."""
    return retention.purge_bodies()


@shared_task
def purge_expired_blocks() -> int:
    """Beat: drop platform blocklist entries past their 180 days."""
    return rules.purge_expired()


@shared_task(name="sending.deliver_domain", ignore_result=True)
def deliver_domain(domain: str) -> int:
    """Deliver one destination's due mail (published after acceptance and by the sweep)."""
    dispatch.started(domain)
    return engine.deliver(domain)


@shared_task(name="sending.sweep_deliveries", ignore_result=True)
def sweep_deliveries() -> tuple[int, int]:
    """Beat: stale claims back to the queue; every destination with due mail published."""
    return dispatch.sweep()
