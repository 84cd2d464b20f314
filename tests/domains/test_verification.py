"""Domain verification against a real DNS server on loopback."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from domains.models import DkimOption, DomainStatus, RecordStatus, SenderDomain
from domains.verification import lookup_all, save_results
from tests.domains.publish import publish


def check(domain):
    save_results(domain, lookup_all(domain))
    domain.refresh_from_db()
    return {c.kind.split(":")[0]: c for c in domain.checks.all()}


@pytest.fixture
def domain(account):
    return SenderDomain.create_with_keys(account, "mail.example.test")


@pytest.mark.django_db
def test_all_records_right_verifies(dns_zone, domain):
    publish(dns_zone, domain)
    checks = check(domain)
    assert domain.status == DomainStatus.VERIFIED
    assert domain.verified_at is not None and domain.status_reason == ""
    assert {kind: c.status for kind, c in checks.items()} == {
        "dkim": RecordStatus.OK,
        "spf": RecordStatus.OK,
        "mx": RecordStatus.OK,
        "dmarc": RecordStatus.OK,
    }
    # The 2048-bit key was published as two strings and read back whole.
    key = domain.dkim_keys.get()
    assert len(key.txt_value) > 255
    assert checks["dkim"].current_value == key.txt_value


@pytest.mark.django_db
@pytest.mark.parametrize("kind", ["dkim", "spf", "mx", "dmarc"])
def test_each_missing_record_keeps_it_pending_and_says_which(dns_zone, domain, kind):
    publish(dns_zone, domain, skip=[kind])
    checks = check(domain)
    assert domain.status == DomainStatus.PENDING
    assert checks[kind].status == RecordStatus.MISSING
    others = [c.status for k, c in checks.items() if k != kind]
    assert others == [RecordStatus.OK] * 3
    label = {"dkim": "DKIM", "spf": "SPF", "mx": "MX", "dmarc": "DMARC"}[kind]
    assert label in domain.status_reason and "missing" in domain.status_reason


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("kind", "value"),
    [
        ("dkim", "v=DKIM1; k=rsa; p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAwrong"),
        ("spf", "v=spf1 include:_spf.google.com ~all"),
        ("mx", "mx.elsewhere.test."),
        ("dmarc", "v=DMARC1; rua=mailto:d@example.test"),
    ],
)
def test_each_wrong_record(dns_zone, domain, kind, value):
    publish(dns_zone, domain, replace={kind: value})
    checks = check(domain)
    assert domain.status == DomainStatus.PENDING
    assert checks[kind].status == RecordStatus.WRONG
    assert checks[kind].current_value
    assert checks[kind].detail


@pytest.mark.django_db
def test_existing_spf_gets_a_merged_record_to_publish(dns_zone, domain, settings):
    from domains.verification import required_records

    publish(dns_zone, domain, replace={"spf": "v=spf1 include:_spf.corp.test -all"})
    check(domain)
    spf = next(r for r in required_records(domain) if r.kind == "spf")
    assert spf.expected == f"v=spf1 include:{settings.SES_SPF_DOMAIN} include:_spf.corp.test -all"


@pytest.mark.django_db
def test_two_spf_records_are_wrong(dns_zone, domain):
    publish(dns_zone, domain)
    dns_zone.add(domain.name, "TXT", "v=spf1 include:other.test ~all")
    checks = check(domain)
    assert checks["spf"].status == RecordStatus.WRONG
    assert "exactly one" in checks["spf"].detail
    assert domain.status == DomainStatus.PENDING


@pytest.mark.django_db
def test_dkim_through_a_cname(dns_zone, domain):
    publish(dns_zone, domain, skip=["dkim"])
    key = domain.dkim_keys.get()
    dns_zone.add(key.record_name, "CNAME", "keys.provider.test.")
    from domains import keys as dkim_keys

    dns_zone.add("keys.provider.test", "TXT", dkim_keys.split_txt(key.txt_value))
    checks = check(domain)
    assert checks["dkim"].status == RecordStatus.OK
    assert domain.status == DomainStatus.VERIFIED


@pytest.mark.django_db
def test_subdomain_inherits_the_organizational_dmarc(dns_zone, domain):
    publish(dns_zone, domain, skip=["dmarc"])
    dns_zone.add("_dmarc.example.test", "TXT", "v=DMARC1; p=reject")
    checks = check(domain)
    assert checks["dmarc"].status == RecordStatus.OK
    assert "Inherited" in checks["dmarc"].detail


@pytest.mark.django_db
def test_nxdomain_is_missing_not_a_dns_failure(dns_zone, domain):
    checks = check(domain)  # nothing published: the name does not exist
    assert {c.status for c in checks.values()} == {RecordStatus.MISSING}
    assert domain.status == DomainStatus.PENDING


@pytest.mark.django_db
@pytest.mark.parametrize("failure", ["servfail", "drop"])
def test_dns_failure_is_shown_as_such_and_changes_nothing(dns_zone, domain, failure):
    publish(dns_zone, domain)
    getattr(dns_zone, failure)(f"_dmarc.{domain.name}")
    checks = check(domain)
    assert checks["dmarc"].status == RecordStatus.DNS_ERROR
    assert "wrong" not in checks["dmarc"].detail.lower()
    assert domain.status == DomainStatus.PENDING
    assert "DMARC lookup failed" in domain.status_reason

    # A verified domain is not unverified by a DNS outage either.
    SenderDomain.objects.filter(pk=domain.pk).update(status=DomainStatus.VERIFIED)
    domain.refresh_from_db()
    check(domain)
    assert domain.status == DomainStatus.VERIFIED
    assert "could not query DNS" in domain.status_reason


@pytest.mark.django_db
def test_records_removed_after_verification_fail_it_with_a_reason(dns_zone, domain):
    publish(dns_zone, domain)
    check(domain)
    assert domain.status == DomainStatus.VERIFIED
    dns_zone.remove(domain.dkim_keys.get().record_name)
    check(domain)
    assert domain.status == DomainStatus.FAILED
    assert "Verification lost" in domain.status_reason and "DKIM" in domain.status_reason


@pytest.mark.django_db
def test_pending_window_then_failed_until_asked_again(dns_zone, domain, settings):
    settings.SES_DOMAIN_PENDING_HOURS = 72
    start = domain.pending_since
    with time_machine.travel(start + timedelta(hours=71), tick=False):
        check(domain)
        assert domain.status == DomainStatus.PENDING
    with time_machine.travel(start + timedelta(hours=73), tick=False):
        check(domain)
        assert domain.status == DomainStatus.FAILED
        assert "within 72 hours" in domain.status_reason
        # Asked again: a new window, and the now published records verify it.
        publish(dns_zone, domain)
        domain.request_check()
        assert domain.status == DomainStatus.PENDING
        assert domain.pending_since == timezone.now()
        check(domain)
        assert domain.status == DomainStatus.VERIFIED


@pytest.mark.django_db
def test_dual_signing_needs_both_keys(dns_zone, account):
    domain = SenderDomain.create_with_keys(account, "dual.example.test", DkimOption.DUAL)
    algorithms = sorted(domain.dkim_keys.values_list("algorithm", flat=True))
    assert algorithms == ["ed25519", "rsa"]
    ed = domain.dkim_keys.get(algorithm="ed25519")
    publish(dns_zone, domain, skip=[f"dkim:{ed.selector}"])
    check(domain)
    assert domain.status == DomainStatus.PENDING
    publish(dns_zone, domain)
    check(domain)
    assert domain.status == DomainStatus.VERIFIED


@pytest.mark.django_db
def test_only_the_account_whose_key_is_published_verifies(dns_zone, make_account):
    owner, squatter = make_account("owner"), make_account("squatter")
    squatted = SenderDomain.create_with_keys(squatter, "mail.example.test")
    real = SenderDomain.create_with_keys(owner, "mail.example.test")
    publish(dns_zone, real)
    check(squatted)
    assert squatted.status == DomainStatus.PENDING  # its DKIM key is not published
    check(real)
    assert real.status == DomainStatus.VERIFIED
    # Even if the squatter's key were published later, the name is taken.
    publish(dns_zone, squatted, skip=["spf", "mx", "dmarc"])
    check(squatted)
    assert squatted.status == DomainStatus.FAILED
    assert "another account" in squatted.status_reason


@pytest.mark.django_db
def test_a_cname_loop_is_a_broken_record_not_a_missing_one(dns_zone, domain):
    publish(dns_zone, domain, skip=["dkim"])
    key = domain.dkim_keys.get()
    dns_zone.add(key.record_name, "CNAME", "loop-a.example.test.")
    dns_zone.add("loop-a.example.test", "CNAME", f"{key.record_name}.")
    checks = check(domain)
    assert checks["dkim"].status == RecordStatus.WRONG
    assert "loop" in checks["dkim"].detail.lower()
