"""domains.dns against a real DNS server on 127.0.0.1 (tests/dnsserver.py)."""

import socket
import threading

import dns.message
import dns.query
import dns.rcode
import dns.rdatatype
import pytest
from django.core.exceptions import ImproperlyConfigured

from domains import dns as lookups
from domains.dns import Outcome
from tests.dnsserver import DnsTestServer


def bounded(fn, *args, limit: float = 30.0):
    """fn(*args), failing the test instead of hanging if it never returns."""
    box = {}

    def run():
        box["result"] = fn(*args)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(limit)
    assert not thread.is_alive(), f"{fn.__name__}{args} did not return within {limit} s"
    return box["result"]


@pytest.fixture(params=[False, True], ids=["chain-in-answer", "chased"])
def chased(dns_zone, request) -> bool:
    """Whether the zone answers a CNAME alone, leaving the client to chase its target."""
    dns_zone.cname_only(request.param)
    return request.param


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_txt_found(dns_zone):
    dns_zone.add("example.com", "TXT", "v=spf1 include:spf.sesconsole.localhost ~all")
    result = lookups.lookup_txt("example.com")
    assert result.outcome is Outcome.FOUND
    assert result.ok and not result.is_dns_failure
    assert result.values == ("v=spf1 include:spf.sesconsole.localhost ~all",)
    assert (result.name, result.rdtype, result.cname_chain) == ("example.com", "TXT", ())
    assert dns_zone.address in result.detail


def test_split_txt_strings_are_concatenated_without_separator(dns_zone):
    dns_zone.add("sel._domainkey.example.com", "TXT", ["v=DKIM1; k=rsa; p=MIIB", "IjANBgkq", "hk"])
    assert lookups.lookup_txt("sel._domainkey.example.com").values == (
        "v=DKIM1; k=rsa; p=MIIBIjANBgkqhk",
    )


def test_several_txt_records_are_separate_values(dns_zone):
    dns_zone.add("example.com", "TXT", "v=spf1 -all")
    dns_zone.add("example.com", "TXT", "v=spf1 include:other.example ~all")
    dns_zone.add("example.com", "TXT", "google-site-verification=abc")
    result = lookups.lookup_txt("example.com")
    assert result.outcome is Outcome.FOUND
    assert sorted(result.values) == [
        "google-site-verification=abc",
        "v=spf1 -all",
        "v=spf1 include:other.example ~all",
    ]


def test_txt_invalid_utf8_is_replaced_not_fatal(dns_zone):
    dns_zone.add("example.com", "TXT", [b"v=spf1 \xff", b"-all"])
    assert lookups.lookup_txt("example.com").values == ("v=spf1 \ufffd-all",)


def test_answer_too_big_for_udp_comes_over_tcp(dns_zone):
    key = "v=DKIM1; k=rsa; p=" + "A" * 2000  # the server splits it into 255-byte strings
    dns_zone.add("big._domainkey.example.com", "TXT", key)
    assert lookups.lookup_txt("big._domainkey.example.com").values == (key,)
    assert ("big._domainkey.example.com.", "TXT", "udp") in dns_zone.queries
    assert ("big._domainkey.example.com.", "TXT", "tcp") in dns_zone.queries


def test_mx_sorted_by_preference_lowercased_with_final_dot(dns_zone):
    dns_zone.add("example.com", "MX", "20 MX2.Example.COM")
    dns_zone.add("example.com", "MX", "5 backup.example.net.")
    dns_zone.add("example.com", "MX", "10 mx1.example.com.")
    result = lookups.lookup_mx("example.com")
    assert result.values == ("5 backup.example.net.", "10 mx1.example.com.", "20 mx2.example.com.")
    assert result.mx_hosts == [
        (5, "backup.example.net."),
        (10, "mx1.example.com."),
        (20, "mx2.example.com."),
    ]


def test_null_mx_and_mx_hosts_of_other_types(dns_zone):
    dns_zone.add("example.com", "MX", "0 .")
    dns_zone.add("example.com", "TXT", "10 looks.like.mx.")
    assert lookups.lookup_mx("example.com").mx_hosts == [(0, ".")]
    assert lookups.lookup_txt("example.com").mx_hosts == []


def test_a_and_aaaa(dns_zone):
    dns_zone.add("host.example.com", "A", "192.0.2.1")
    dns_zone.add("host.example.com", "A", "192.0.2.2")
    dns_zone.add("host.example.com", "AAAA", "2001:db8::1")
    assert sorted(lookups.lookup_a("host.example.com").values) == ["192.0.2.1", "192.0.2.2"]
    assert lookups.lookup_aaaa("host.example.com").values == ("2001:db8::1",)


def test_no_record_when_the_name_has_other_types_or_only_children(dns_zone):
    dns_zone.add("example.com", "A", "192.0.2.1")
    dns_zone.add("sel._domainkey.example.com", "TXT", "v=DKIM1; p=x")
    result = lookups.lookup_txt("example.com")
    assert result.outcome is Outcome.NO_RECORD
    assert not result.ok and not result.is_dns_failure and result.values == ()
    assert lookups.lookup_txt("_domainkey.example.com").outcome is Outcome.NO_RECORD


def test_nxdomain_when_the_name_does_not_exist(dns_zone):
    dns_zone.add("example.com", "TXT", "v=spf1 -all")
    result = lookups.lookup_txt("missing.example.com")
    assert result.outcome is Outcome.NXDOMAIN
    assert not result.ok and not result.is_dns_failure
    assert "missing.example.com" in result.detail


def test_servfail_is_a_dns_failure(dns_zone):
    dns_zone.add("example.com", "TXT", "v=spf1 -all")
    dns_zone.servfail("example.com")
    result = lookups.lookup_txt("example.com")
    assert result.outcome is Outcome.SERVFAIL
    assert result.is_dns_failure and not result.ok and result.values == ()
    assert "SERVFAIL" in result.detail and dns_zone.address in result.detail
    # dnspython must not retry a SERVFAIL until the lifetime runs out.
    assert dns_zone.queries.count(("example.com.", "TXT", "udp")) == 1


def test_dropped_query_times_out(dns_zone):
    dns_zone.add("example.com", "TXT", "v=spf1 -all")
    dns_zone.drop("example.com")
    result = bounded(lookups.lookup_txt, "example.com")
    assert result.outcome is Outcome.TIMEOUT
    assert result.is_dns_failure and result.values == ()
    assert dns_zone.address in result.detail
    # SES_DNS_TRIES=2 in the fixture.
    assert dns_zone.queries.count(("example.com.", "TXT", "udp")) == 2


def test_no_server_listening_is_a_dns_failure(settings):
    settings.SES_DNS_NAMESERVERS = [f"127.0.0.1:{free_udp_port()}"]
    settings.SES_DNS_TIMEOUT, settings.SES_DNS_TRIES = 0.3, 1
    result = bounded(lookups.lookup_txt, "example.com")
    assert result.outcome is Outcome.TIMEOUT
    assert result.is_dns_failure


def test_malformed_answer_is_an_error(dns_zone):
    dns_zone.malformed("example.com")
    result = lookups.lookup_txt("example.com")
    assert result.outcome is Outcome.ERROR
    assert result.is_dns_failure
    assert "TCP" in result.detail


def test_second_server_answers_when_the_first_is_dead(dns_zone, settings):
    dns_zone.add("example.com", "TXT", "v=spf1 -all")
    settings.SES_DNS_NAMESERVERS = [f"127.0.0.1:{free_udp_port()}", dns_zone.address]
    settings.SES_DNS_TIMEOUT = 0.3
    assert bounded(lookups.lookup_txt, "example.com").values == ("v=spf1 -all",)


def test_cname_chain_is_followed_and_recorded(dns_zone, chased):
    dns_zone.add("sel._domainkey.example.com", "CNAME", "sel.dkim.provider.example.")
    dns_zone.add("sel.dkim.provider.example", "CNAME", "keys.provider.example")
    dns_zone.add("keys.provider.example", "TXT", "v=DKIM1; p=KEY")
    result = lookups.lookup_txt("sel._domainkey.example.com")
    assert result.outcome is Outcome.FOUND
    assert result.values == ("v=DKIM1; p=KEY",)
    assert result.cname_chain == ("sel.dkim.provider.example", "keys.provider.example")
    asked = [name for name, rdtype, _ in dns_zone.queries if rdtype == "TXT"]
    chased_names = ["sel.dkim.provider.example.", "keys.provider.example."]
    assert asked == ["sel._domainkey.example.com.", *(chased_names if chased else [])]


def test_cname_to_a_missing_name_is_nxdomain(dns_zone, chased):
    dns_zone.add("www.example.com", "CNAME", "gone.example.com")
    result = lookups.lookup_txt("www.example.com")
    assert result.outcome is Outcome.NXDOMAIN
    assert result.cname_chain == ("gone.example.com",)
    assert "gone.example.com" in result.detail


def test_cname_to_a_name_without_the_type_is_no_record(dns_zone, chased):
    dns_zone.add("www.example.com", "CNAME", "example.com")
    dns_zone.add("example.com", "A", "192.0.2.1")
    result = lookups.lookup_mx("www.example.com")
    assert result.outcome is Outcome.NO_RECORD
    assert result.cname_chain == ("example.com",)


def test_cname_loop_is_not_found(dns_zone, chased):
    dns_zone.add("a.example.com", "CNAME", "b.example.com")
    dns_zone.add("b.example.com", "CNAME", "a.example.com")
    result = bounded(lookups.lookup_txt, "a.example.com")
    assert result.outcome is Outcome.CNAME_LOOP
    assert not result.ok and result.values == ()
    assert "loop" in result.detail.lower()


def test_dns_failure_at_a_chased_cname_target(dns_zone):
    dns_zone.cname_only(True)
    dns_zone.add("www.example.com", "CNAME", "broken.example.net")
    dns_zone.servfail("broken.example.net")
    result = lookups.lookup_txt("www.example.com")
    assert result.outcome is Outcome.SERVFAIL
    assert result.cname_chain == ("broken.example.net",)


def test_unicode_name_is_queried_in_idna_lower_case(dns_zone):
    dns_zone.add("_dmarc.xn--bcher-kva.example", "TXT", "v=DMARC1; p=none")
    result = lookups.lookup_txt("_dmarc.Bücher.EXAMPLE.")
    assert result.outcome is Outcome.FOUND
    assert result.name == "_dmarc.xn--bcher-kva.example"
    assert dns_zone.queries == [("_dmarc.xn--bcher-kva.example.", "TXT", "udp")]


def test_ascii_names_are_case_insensitive_and_absolute(dns_zone):
    dns_zone.add("Example.COM", "TXT", "v=spf1 -all")
    result = lookups.lookup_txt(" EXAMPLE.com. ")
    assert (result.name, result.outcome) == ("example.com", Outcome.FOUND)


@pytest.mark.parametrize("name", ["", ".", "a..example.com", "x" * 64 + ".example.com"])
def test_invalid_name_is_reported_without_querying(dns_zone, name):
    result = lookups.lookup_txt(name)
    assert result.outcome is Outcome.INVALID_NAME
    assert not result.ok and not result.is_dns_failure
    assert dns_zone.queries == []


def test_changes_are_seen_at_once(dns_zone):
    dns_zone.add("example.com", "TXT", "v=spf1 -all", ttl=3600)
    assert lookups.lookup_txt("example.com").values == ("v=spf1 -all",)
    dns_zone.remove("example.com")
    assert lookups.lookup_txt("example.com").outcome is Outcome.NXDOMAIN
    dns_zone.add("example.com", "TXT", "v=spf1 ~all")
    assert lookups.lookup_txt("example.com").values == ("v=spf1 ~all",)
    dns_zone.remove("example.com", "TXT")
    dns_zone.add("example.com", "A", "192.0.2.1")
    assert lookups.lookup_txt("example.com").outcome is Outcome.NO_RECORD


PARSED = {
    "127.0.0.1": ("127.0.0.1", 53),
    "127.0.0.1:5353": ("127.0.0.1", 5353),
    " 10.0.0.1:53 ": ("10.0.0.1", 53),
    "::1": ("::1", 53),
    "[::1]": ("::1", 53),
    "[::1]:5353": ("::1", 5353),
    "[2001:db8::53]:53": ("2001:db8::53", 53),
}


@pytest.mark.parametrize(("text", "expected"), PARSED.items())
def test_parse_nameserver(text, expected):
    assert lookups.parse_nameserver(text) == expected


@pytest.mark.parametrize("text", ["dns.example:53", "1.2.3.4:0", "1.2.3.4:x", "[::1", "[::1]x"])
def test_parse_nameserver_rejects(text):
    with pytest.raises(ImproperlyConfigured):
        lookups.parse_nameserver(text)


def test_resolver_from_settings(settings):
    settings.SES_DNS_NAMESERVERS = ["127.0.0.1", "[::1]:5353"]
    settings.SES_DNS_TIMEOUT, settings.SES_DNS_TRIES = 1.5, 3
    res = lookups.resolver()
    assert [(ns.address, ns.port) for ns in res.nameservers] == [("127.0.0.1", 53), ("::1", 5353)]
    assert res.timeout == 1.5
    assert res.lifetime >= 1.5 * 3 * 2
    assert res.cache is None and res.search == [] and not res.retry_servfail


def test_nameserver_without_port_is_queried_on_53(system_dns, settings):
    system_dns.add("example.com", "TXT", "v=spf1 -all")
    settings.SES_DNS_NAMESERVERS = [system_dns.host]
    assert lookups.lookup_txt("example.com").values == ("v=spf1 -all",)


def _ask(zone: DnsTestServer, name: str, rdtype: str) -> dns.message.Message:
    return dns.query.udp(dns.message.make_query(name, rdtype), zone.host, 2, port=zone.port)


def test_server_nodata_and_nxdomain_carry_an_soa(dns_zone):
    dns_zone.add("a.example.com", "A", "192.0.2.1")
    nodata = _ask(dns_zone, "a.example.com", "TXT")
    nx = _ask(dns_zone, "b.example.com", "TXT")
    assert (nodata.rcode(), nodata.answer) == (dns.rcode.NOERROR, [])
    assert nx.rcode() == dns.rcode.NXDOMAIN
    assert nodata.authority[0].rdtype == nx.authority[0].rdtype == dns.rdatatype.SOA


def test_server_answers_tcp_on_the_same_port(dns_zone):
    dns_zone.add("example.com", "A", "192.0.2.1")
    query = dns.message.make_query("example.com", "A")
    response = dns.query.tcp(query, dns_zone.host, 2, port=dns_zone.port)
    assert response.answer[0][0].address == "192.0.2.1"
