"""The check task: claimed once, retried on DNS failure, re-queued by beat."""

from datetime import timedelta

import pytest
from django.utils import timezone

from domains.models import CheckState, DomainStatus, SenderDomain
from domains.tasks import check_domain, recheck_domains
from tests.domains.publish import publish


@pytest.fixture
def domain(account):
    return SenderDomain.create_with_keys(account, "mail.example.test")


def state(domain):
    domain.refresh_from_db()
    return domain.check_state


@pytest.mark.django_db
def test_runs_only_when_claimed(dns_zone, domain):
    publish(dns_zone, domain)
    assert check_domain.apply(args=[domain.pk]).get() == "not claimed"
    assert domain.checks.count() == 0
    SenderDomain.objects.filter(pk=domain.pk).update(check_state=CheckState.QUEUED)
    assert check_domain.apply(args=[domain.pk]).get() == DomainStatus.VERIFIED
    assert state(domain) == CheckState.IDLE
    # Delivered twice: the second run finds nothing to claim.
    assert check_domain.apply(args=[domain.pk]).get() == "not claimed"


@pytest.mark.django_db
def test_a_running_claim_is_taken_over_only_when_stale(dns_zone, domain):
    publish(dns_zone, domain)
    now = timezone.now()
    SenderDomain.objects.filter(pk=domain.pk).update(
        check_state=CheckState.RUNNING, check_requested_at=now - timedelta(minutes=1)
    )
    assert check_domain.apply(args=[domain.pk]).get() == "not claimed"
    SenderDomain.objects.filter(pk=domain.pk).update(check_requested_at=now - timedelta(hours=1))
    assert check_domain.apply(args=[domain.pk]).get() == DomainStatus.VERIFIED


@pytest.mark.django_db
def test_dns_failure_is_retried_then_left_idle(dns_zone, domain, settings):
    publish(dns_zone, domain)
    dns_zone.servfail(domain.name)
    SenderDomain.objects.filter(pk=domain.pk).update(check_state=CheckState.QUEUED)
    result = check_domain.apply(args=[domain.pk])
    # Eager retries run at once: every attempt met the same SERVFAIL.
    assert result.get() == DomainStatus.PENDING
    assert state(domain) == CheckState.IDLE
    assert domain.checks.get(kind="spf").status == "dns_error"
    assert "SPF lookup failed" in domain.status_reason


@pytest.mark.django_db
def test_beat_requeues_what_is_due(make_account):
    account = make_account("beat")
    now = timezone.now()

    def make(name, **fields):
        domain = SenderDomain.objects.create(account=account, name=name)
        SenderDomain.objects.filter(pk=domain.pk).update(**fields)
        return domain

    never = make("never.example.test")
    recent = make("recent.example.test", last_checked_at=now - timedelta(minutes=1))
    old_pending = make("old.example.test", last_checked_at=now - timedelta(hours=1))
    verified_today = make(
        "ok.example.test", status=DomainStatus.VERIFIED, last_checked_at=now - timedelta(hours=2)
    )
    verified_stale = make(
        "stale.example.test", status=DomainStatus.VERIFIED, last_checked_at=now - timedelta(days=2)
    )
    failed = make(
        "failed.example.test", status=DomainStatus.FAILED, last_checked_at=now - timedelta(days=9)
    )
    lost_claim = make(
        "lost.example.test",
        status=DomainStatus.VERIFIED,
        last_checked_at=now,
        check_state=CheckState.RUNNING,
        check_requested_at=now - timedelta(hours=1),
    )
    assert recheck_domains() == 4
    queued = set(
        SenderDomain.objects.filter(check_state=CheckState.QUEUED).values_list("name", flat=True)
    )
    assert queued == {never.name, old_pending.name, verified_stale.name, lost_claim.name}
    for domain in (recent, verified_today, failed):
        assert state(domain) == CheckState.IDLE
