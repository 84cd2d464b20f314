"""DNS through the system's resolvers: SES_DNS_NAMESERVERS unset, the way every real
host runs. dnspython reads resolv.conf into plain address strings, which the lookup's
error reporting once took for Nameserver objects and crashed on; these tests take the
path a default install takes, for domain verification and for MX routing."""

import pytest
from django.conf import settings as django_settings

from domains import dns
from domains.models import CheckState, DomainStatus, RecordStatus, SenderDomain
from domains.tasks import check_domain
from sending.delivery import routing
from tests.domains.publish import publish

pytestmark = pytest.mark.django_db


def test_the_default_reads_the_systems_resolv_conf():
    assert django_settings.SES_DNS_NAMESERVERS == []
    assert django_settings.SES_DNS_RESOLV_CONF == "/etc/resolv.conf"


def test_a_lookup_through_this_machines_own_resolver_answers(settings):
    """No test server: whatever this host's resolvers say (on CI, NXDOMAIN; offline, a
    timeout), the answer is a Lookup, never an exception."""
    settings.SES_DNS_TIMEOUT, settings.SES_DNS_TRIES = 1.0, 1
    lookup = dns.lookup_txt("sesconsole-test.invalid")
    assert isinstance(lookup.outcome, dns.Outcome)
    assert lookup.outcome is not dns.Outcome.FOUND
    assert lookup.detail


def test_records_found_through_resolv_conf(system_dns):
    system_dns.add("mail.example.com", "TXT", "v=spf1 -all")
    lookup = dns.lookup_txt("mail.example.com")
    assert lookup.values == ("v=spf1 -all",)
    assert lookup.detail == f"1 TXT from {system_dns.host}:53"


def test_the_search_list_of_resolv_conf_is_not_applied(system_dns):
    # resolv.conf says "search example.net": a relative-looking name must not become
    # mail.example.net.
    system_dns.add("mail.example.net", "TXT", "wrong")
    assert dns.lookup_txt("mail").outcome is dns.Outcome.NXDOMAIN


def test_a_silent_system_resolver_is_a_timeout_naming_it(system_dns):
    system_dns.drop("slow.example.com")
    lookup = dns.lookup_txt("slow.example.com")
    assert lookup.outcome is dns.Outcome.TIMEOUT
    assert f"{system_dns.host}:53" in lookup.detail


def test_a_failing_system_resolver_is_a_servfail_naming_it(system_dns):
    system_dns.servfail("bad.example.com")
    lookup = dns.lookup_txt("bad.example.com")
    assert lookup.outcome is dns.Outcome.SERVFAIL
    assert f"SERVFAIL from {system_dns.host}:53" in lookup.detail


def test_no_resolv_conf_is_an_error_not_a_crash(settings, tmp_path):
    settings.SES_DNS_NAMESERVERS = []
    settings.SES_DNS_RESOLV_CONF = str(tmp_path / "missing.conf")
    lookup = dns.lookup_txt("example.com")
    assert lookup.outcome is dns.Outcome.ERROR
    assert lookup.is_dns_failure
    assert "no nameservers" in lookup.detail


def test_a_domain_verifies_through_the_system_resolver(account, system_dns):
    domain = SenderDomain.create_with_keys(account, "mail.example.test")
    publish(system_dns, domain)
    SenderDomain.objects.filter(pk=domain.pk).update(check_state=CheckState.QUEUED)
    assert check_domain.apply(args=[domain.pk]).get() == DomainStatus.VERIFIED
    assert {c.status for c in domain.checks.all()} == {RecordStatus.OK}


def test_unpublished_records_say_what_the_system_resolver_answered(account, system_dns):
    """Verify on a domain with nothing published: every record has an outcome at once."""
    domain = SenderDomain.create_with_keys(account, "new.example.test")
    system_dns.add("example.test", "TXT", "v=spf1 -all")  # the zone exists, the domain not
    SenderDomain.objects.filter(pk=domain.pk).update(check_state=CheckState.QUEUED)
    assert check_domain.apply(args=[domain.pk]).get() == DomainStatus.PENDING
    checks = list(domain.checks.all())
    assert len(checks) == 4  # DKIM, SPF, MX, DMARC
    for check in checks:
        assert check.status == RecordStatus.MISSING, check
        assert check.checked_at is not None
        assert check.detail.startswith("No ")


def test_mx_routing_through_the_system_resolver(system_dns, settings):
    settings.SES_RELAY_URL = ""
    system_dns.add("rcpt.example", "MX", "10 mx.rcpt.example.")
    system_dns.add("mx.rcpt.example", "A", "127.0.0.1")
    route = routing.route("rcpt.example")
    assert route.kind == "mx"
    assert route.hosts == [("mx.rcpt.example", "127.0.0.1", settings.SES_MX_PORT)]


def test_mx_routing_of_a_missing_domain_through_the_system_resolver(system_dns, settings):
    settings.SES_RELAY_URL = ""
    system_dns.add("example", "TXT", "zone apex")
    route = routing.route("nowhere.example")
    assert (route.kind, route.permanent) == ("fail", True)
    assert "NXDOMAIN" in route.reason


def test_a_missing_resolv_conf_is_reported_by_the_checks(settings, tmp_path):
    from domains.checks import check_system_resolver

    assert check_system_resolver(None) == []  # this machine's own file
    settings.SES_DNS_RESOLV_CONF = str(tmp_path / "missing.conf")
    assert [w.id for w in check_system_resolver(None)] == ["domains.W003"]
    settings.SES_DNS_NAMESERVERS = ["127.0.0.1:5353"]  # configured: resolv.conf is not read
    assert check_system_resolver(None) == []
