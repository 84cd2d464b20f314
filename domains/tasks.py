import logging
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from .models import CheckState, DomainStatus, SenderDomain
from .verification import failed_check, has_dns_failures, lookup_all, save_results

logger = logging.getLogger(__name__)

# A check that has not finished by then was lost with its worker.
STALE_CLAIM = timedelta(minutes=10)
DNS_RETRIES = 3


@shared_task(bind=True, max_retries=DNS_RETRIES, acks_late=True)
def check_domain(self, domain_id: int) -> str:
    """Check one domain's DNS records. Runs once per request: a second delivery
    of the same task finds the claim taken and does nothing."""
    now = timezone.now()
    claimed = (
        SenderDomain.objects.filter(pk=domain_id)
        .filter(
            Q(check_state=CheckState.QUEUED)
            | Q(check_state=CheckState.RUNNING, check_requested_at__lt=now - STALE_CLAIM)
        )
        .update(check_state=CheckState.RUNNING, check_requested_at=now)
    )
    if not claimed:
        return "not claimed"
    domain = SenderDomain.objects.select_related("account").get(pk=domain_id)
    try:
        try:
            results = lookup_all(domain)
        except Exception:
            # A bug of ours must show on the page as a failed check, not as silence.
            logger.exception("The DNS check of %s (domain %s) failed", domain.name, domain_id)
            results = failed_check(domain)
        save_results(domain, results)
    except Exception:
        SenderDomain.objects.filter(pk=domain_id).update(check_state=CheckState.IDLE)
        raise
    retry = has_dns_failures(results) and self.request.retries < DNS_RETRIES
    next_state = CheckState.QUEUED if retry else CheckState.IDLE
    SenderDomain.objects.filter(pk=domain_id, check_state=CheckState.RUNNING).update(
        check_state=next_state
    )
    if retry:
        # DNS failures are transient: ask again soon, not in a day.
        raise self.retry(countdown=30 * (self.request.retries + 1))
    return domain.status


@shared_task
def recheck_domains() -> int:
    """Beat: pending domains every few minutes (for 72 hours), verified ones daily,
    and checks whose worker died."""
    now = timezone.now()
    pending_due = now - timedelta(minutes=settings.SES_DOMAIN_PENDING_RECHECK_MINUTES)
    verified_due = now - timedelta(hours=settings.SES_DOMAIN_VERIFIED_RECHECK_HOURS)
    due = SenderDomain.objects.filter(
        Q(check_state=CheckState.IDLE)
        & (
            Q(status=DomainStatus.PENDING)
            & (Q(last_checked_at__isnull=True) | Q(last_checked_at__lt=pending_due))
            | Q(status=DomainStatus.VERIFIED, last_checked_at__lt=verified_due)
        )
        | Q(check_state__in=[CheckState.QUEUED, CheckState.RUNNING])
        & Q(check_requested_at__lt=now - STALE_CLAIM)
    )
    count = 0
    for domain_id in due.values_list("pk", flat=True):
        queued = SenderDomain.objects.filter(pk=domain_id).update(
            check_state=CheckState.QUEUED, check_requested_at=now
        )
        if queued:
            check_domain.delay(domain_id)
            count += 1
    return count
