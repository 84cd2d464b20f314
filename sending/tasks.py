"""The sending app's Celery tasks, each one call into the sub-package that does the work.

Their names are those beat's schedule and published messages use: keep them.
"""

from celery import shared_task

from sending.acceptance import suspension
from sending.batch import csvimport, expand, sweep, warmup
from sending.batch import dispatch as batch_dispatch
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


@shared_task(name="sending.expand_task", ignore_result=True)
def expand_task(task_id: int) -> int:
    """Expand a batch task's next chunks into Deliveries (published on creation, by
    itself when paced, and by the batch sweep)."""
    batch_dispatch.started(task_id)
    return expand.run(task_id)


@shared_task(name="sending.sweep_batches", ignore_result=True)
def sweep_batches() -> dict[str, int]:
    """Beat: resume tasks paused for the day, start due runs, take up abandoned tasks."""
    return sweep.sweep()


@shared_task(name="sending.evaluate_warmup", ignore_result=True)
def evaluate_warmup() -> int:
    """Beat: set each warming-up sender domain's cap for its new day."""
    return warmup.evaluate_all()


@shared_task(name="sending.import_receivers", ignore_result=True)
def import_receivers(import_id: int) -> str:
    """Import (on) a recipient list's CSV file (published on upload, by itself when it
    hands on, and by the import sweep)."""
    return csvimport.run(import_id)


@shared_task(name="sending.sweep_imports", ignore_result=True)
def sweep_imports() -> int:
    """Beat: publish again the CSV imports whose message or worker was lost."""
    return csvimport.sweep()
