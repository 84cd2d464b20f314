"""Routing against a real DNS server on 127.0.0.1 (the dns_zone fixture)."""

import pytest

from sending.delivery.routing import parse_relay_url, route


@pytest.fixture(autouse=True)
def mx_settings(settings):
    settings.SES_RELAY_URL = ""
    settings.SES_SIMULATOR_DOMAIN = "simulator.sesconsole.localhost"
    settings.SES_MX_PORT = 2525


def test_mx_hosts_in_preference_order(dns_zone):
    dns_zone.add("example.test", "MX", "20 mx2.example.test.")
    dns_zone.add("example.test", "MX", "10 mx1.example.test.")
    dns_zone.add("mx1.example.test", "A", "127.0.0.1")
    dns_zone.add("mx1.example.test", "AAAA", "::1")
    dns_zone.add("mx2.example.test", "A", "127.0.0.2")
    result = route("Example.TEST.")
    assert (result.kind, result.tls, result.auth, result.tls_verify) == (
        "mx",
        "starttls",
        None,
        False,
    )
    assert result.hosts == [
        ("mx1.example.test", "127.0.0.1", 2525),
        ("mx1.example.test", "::1", 2525),
        ("mx2.example.test", "127.0.0.2", 2525),
    ]


def test_equal_preferences_are_shuffled(dns_zone):
    dns_zone.add("example.test", "MX", "10 a.example.test.")
    dns_zone.add("example.test", "MX", "10 b.example.test.")
    dns_zone.add("example.test", "MX", "5 first.example.test.")
    for name, ip in (("a", "127.0.0.1"), ("b", "127.0.0.2"), ("first", "127.0.0.3")):
        dns_zone.add(f"{name}.example.test", "A", ip)
    seen = set()
    for _ in range(40):  # each order has probability 1/2: 2**-39 to miss one
        hosts = [host for host, _, _ in route("example.test").hosts]
        assert hosts[0] == "first.example.test"
        seen.add(tuple(hosts[1:]))
        if len(seen) == 2:
            break
    assert seen == {
        ("a.example.test", "b.example.test"),
        ("b.example.test", "a.example.test"),
    }


def test_no_mx_falls_back_to_the_domain(dns_zone):
    dns_zone.add("example.test", "A", "127.0.0.1")
    result = route("example.test")
    assert (result.kind, result.hosts) == ("mx", [("example.test", "127.0.0.1", 2525)])


def test_no_mx_and_no_address_is_permanent(dns_zone):
    dns_zone.add("example.test", "TXT", "v=spf1 -all")
    result = route("example.test")
    assert (result.kind, result.permanent) == ("fail", True)


def test_null_mx_is_permanent(dns_zone):
    dns_zone.add("example.test", "MX", "0 .")
    dns_zone.add("example.test", "A", "127.0.0.1")
    result = route("example.test")
    assert (result.kind, result.permanent, result.hosts) == ("fail", True, [])
    assert "null MX" in result.reason


def test_nxdomain_is_permanent(dns_zone):
    dns_zone.add("other.test", "A", "127.0.0.1")
    result = route("missing.test")
    assert (result.kind, result.permanent) == ("fail", True)


def test_servfail_is_temporary(dns_zone):
    dns_zone.servfail("example.test")
    result = route("example.test")
    assert (result.kind, result.permanent) == ("fail", False)


def test_mx_host_address_servfail_is_temporary(dns_zone):
    dns_zone.add("example.test", "MX", "10 mx.example.test.")
    dns_zone.servfail("mx.example.test")
    result = route("example.test")
    assert (result.kind, result.permanent) == ("fail", False)


def test_unresolvable_mx_host_is_skipped(dns_zone):
    dns_zone.add("example.test", "MX", "10 gone.example.test.")
    dns_zone.add("example.test", "MX", "20 mx.example.test.")
    dns_zone.add("mx.example.test", "A", "127.0.0.1")
    assert route("example.test").hosts == [("mx.example.test", "127.0.0.1", 2525)]


def test_simulator_domain_needs_no_dns(settings, dns_zone):
    settings.SES_RELAY_URL = "smtp://relay.test:587"
    result = route("Simulator.Sesconsole.Localhost")
    assert (result.kind, result.hosts) == ("simulator", [])
    assert dns_zone.queries == []


def test_relay_takes_everything_else(settings, dns_zone):
    settings.SES_RELAY_URL = "smtp://user%40corp:p%3Ass@relay.test:587"
    result = route("example.test")
    assert result.kind == "relay"
    assert result.hosts == [("relay.test", "relay.test", 587)]
    assert (result.tls, result.auth, result.tls_verify) == ("starttls", ("user@corp", "p:ss"), True)
    assert dns_zone.queries == []


@pytest.mark.parametrize(
    ("url", "hosts", "tls", "auth"),
    [
        ("smtps://relay.test", [("relay.test", "relay.test", 465)], "implicit", None),
        ("smtp://10.0.0.5", [("10.0.0.5", "10.0.0.5", 25)], "starttls", None),
        ("SMTPS://u:@relay.test:2465", [("relay.test", "relay.test", 2465)], "implicit", ("u", "")),
        ("smtp://[::1]:2525", [("::1", "::1", 2525)], "starttls", None),
    ],
)
def test_parse_relay_url(url, hosts, tls, auth):
    result = parse_relay_url(url)
    assert (result.kind, result.hosts, result.tls, result.auth) == ("relay", hosts, tls, auth)


@pytest.mark.parametrize("url", ["http://relay.test", "smtp://", "smtp://relay.test:99999"])
def test_bad_relay_url_holds_mail(settings, url):
    with pytest.raises(ValueError):
        parse_relay_url(url)
    settings.SES_RELAY_URL = url
    result = route("example.test")
    assert (result.kind, result.permanent) == ("fail", False)
    assert "SES_RELAY_URL" in result.reason
