"""A check that fails says so on the domain page: per record, the outcome and time of
the last check, the reason, and that it is tried again; a bug of ours is logged with
its traceback and shown as a failed check, never as "Not checked" forever."""

import logging

import pytest
from django.urls import reverse

from domains import verification
from domains.models import CheckState, DomainStatus, RecordStatus, SenderDomain
from domains.tasks import check_domain
from tests.domains.publish import publish

pytestmark = pytest.mark.django_db


@pytest.fixture
def domain(account):
    return SenderDomain.create_with_keys(account, "mail.example.test")


def run_check(domain):
    SenderDomain.objects.filter(pk=domain.pk).update(check_state=CheckState.QUEUED)
    result = check_domain.apply(args=[domain.pk]).get()
    domain.refresh_from_db()
    return result


def page(operator_client, domain):
    response = operator_client.get(reverse("domains:detail", args=[domain.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_a_bug_in_a_check_is_logged_and_shown_as_a_failed_check(
    dns_zone, domain, operator_client, monkeypatch, caplog
):
    publish(dns_zone, domain)

    def broken(*args):
        raise RuntimeError("a bug in the MX judgement")

    monkeypatch.setattr(verification, "judge_mx", broken)
    with caplog.at_level(logging.ERROR, logger="domains.tasks"):
        assert run_check(domain) == DomainStatus.PENDING

    failures = [r for r in caplog.records if r.name == "domains.tasks"]
    assert failures and failures[0].exc_info[0] is RuntimeError
    assert "mail.example.test" in failures[0].getMessage()
    checks = list(domain.checks.all())
    assert len(checks) == 4
    assert {c.status for c in checks} == {RecordStatus.ERROR}
    assert all(c.checked_at is not None for c in checks)
    assert domain.last_checked_at is not None
    assert domain.check_state == CheckState.IDLE  # tried again, then left to beat

    html = page(operator_client, domain)
    assert "Not checked" not in html
    assert html.count("Check failed") >= 4
    assert "The check failed: an error of the service" in html
    assert 'data-testid="checked-at"' in html
    assert 'data-testid="check-retry"' in html
    assert "Checked again automatically at" in html


def test_a_dns_failure_shows_outcome_time_and_retry(dns_zone, domain, operator_client):
    publish(dns_zone, domain)
    dns_zone.servfail(domain.name)  # SPF and MX live at the domain's own name
    assert run_check(domain) == DomainStatus.PENDING
    html = page(operator_client, domain)
    assert html.count("DNS lookup failed") == 2
    assert "SERVFAIL from" in html
    assert "2 records were not checked to the end" in html
    next_check = domain.next_check_at
    assert next_check is not None and next_check > domain.last_checked_at
    assert f"Checked again automatically at {next_check:%Y-%m-%d}" in html


def test_a_failed_check_does_not_unverify_a_domain(dns_zone, domain, monkeypatch):
    publish(dns_zone, domain)
    assert run_check(domain) == DomainStatus.VERIFIED
    monkeypatch.setattr(verification, "judge_spf", lambda *a: 1 / 0)
    assert run_check(domain) == DomainStatus.VERIFIED
    assert "SPF check failed" in domain.status_reason


def test_while_retrying_the_page_says_so(dns_zone, domain, operator_client):
    publish(dns_zone, domain)
    dns_zone.servfail(domain.name)
    run_check(domain)
    SenderDomain.objects.filter(pk=domain.pk).update(check_state=CheckState.QUEUED)
    html = page(operator_client, domain)
    assert "Checking DNS" in html and "Trying again now." in html
