from celery import shared_task

from . import blocklist, retention, suspension


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
    return blocklist.purge_expired()
