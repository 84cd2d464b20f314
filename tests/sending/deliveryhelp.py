"""Helpers for the delivery tests: DKIM verification against the loopback DNS, and
reading what a recipient server received."""

import email
import email.policy
import time
from datetime import timedelta

import dkim
from django.db.models import Min
from django.utils import timezone

from domains import dns
from sending.delivery.claim import DUE
from sending.delivery.engine import deliver
from sending.models import Delivery


def dnsfunc(name, timeout=5):
    """dkimpy's DNS hook, answered through domains.dns by the loopback server."""
    lookup = dns.lookup_txt(name.decode().rstrip("."))
    return lookup.values[0].encode() if lookup.ok else None


def signatures_verify(content: bytes) -> list[bool]:
    """dkim.verify for each DKIM-Signature of `content`, top first."""
    count = content.count(b"DKIM-Signature:")
    results = []
    for idx in range(count):
        try:
            results.append(dkim.DKIM(content).verify(idx=idx, dnsfunc=dnsfunc))
        except dkim.DKIMException:
            results.append(False)
    return results


def parsed(content: bytes):
    return email.message_from_bytes(content, policy=email.policy.default)


def deliver_all(domain: str) -> int:
    """Deliver `domain`'s mail as workers would: what is due now, then what acceptance
    paced for the next moments (a worker gets a task for it; here we wait for it)."""
    finished = 0
    for _ in range(20):
        finished += deliver(domain, budget=30)
        due = Delivery.objects.filter(domain=domain, status__in=DUE).aggregate(
            first=Min("next_attempt_at")
        )["first"]
        if due is None or due - timezone.now() > timedelta(seconds=3):
            return finished
        time.sleep(max(0.0, (due - timezone.now()).total_seconds()) + 0.01)
    return finished


def status_of(message, recipient=None):
    deliveries = Delivery.objects.filter(message=message)
    if recipient:
        deliveries = deliveries.filter(recipient=recipient)
    return deliveries.get()


def worker_env(settings, dns_zone):
    """The environment of a worker process that routes as the test's settings do."""
    return {
        "SES_DNS_NAMESERVERS": dns_zone.address,
        "SES_DNS_TIMEOUT": settings.SES_DNS_TIMEOUT,
        "SES_DNS_TRIES": settings.SES_DNS_TRIES,
        "SES_MX_PORT": settings.SES_MX_PORT,
        "SES_SIMULATOR_DOMAIN": settings.SES_SIMULATOR_DOMAIN,
        "SES_HELO_NAME": settings.SES_HELO_NAME,
        "SES_RELAY_URL": "",
        "SES_SMTP_TIMEOUT": 10,
    }
