"""Where a recipient domain's mail goes: the simulator, a relay, its MX hosts, or nowhere.

    route("example.com") -> Route(kind="mx", hosts=[("mx1.example.com", "192.0.2.1", 25), ...])

The order is fixed: the mailbox simulator's domain never leaves the process; a
configured relay (smarthost) takes everything else; otherwise MX lookup as RFC
5321 section 5.1 describes. A "fail" route says whether the failure is permanent
(bounce now) or temporary (retry later): DNS that could not answer must never
bounce mail, while NXDOMAIN or a null MX (RFC 7505) is a definitive "no".
"""

from __future__ import annotations

import ipaddress
import random
from dataclasses import dataclass, field
from itertools import groupby
from urllib.parse import unquote, urlsplit

from django.conf import settings

from domains import dns
from sending.delivery import simulator

_RELAY_SCHEMES = {"smtp": ("starttls", 25), "smtps": ("implicit", 465)}


@dataclass(frozen=True)
class Route:
    kind: str  # "simulator" | "relay" | "mx" | "fail"
    hosts: list[tuple[str, str, int]] = field(default_factory=list)  # (hostname, ip, port)
    tls: str = "starttls"  # "starttls" | "implicit"
    auth: tuple[str, str] | None = None  # (user, password), relay only
    # Verify the server certificate: on for a relay (we chose it and send credentials),
    # off for MX hosts, whose TLS is opportunistic as between MTAs (most hold
    # self-signed or mismatched certificates; refusing them would only force plaintext).
    tls_verify: bool = False
    permanent: bool = False  # for "fail": bounce now rather than retry
    reason: str = ""


def route(recipient_domain: str) -> Route:
    domain = recipient_domain.strip().rstrip(".").lower()
    if domain == simulator.domain():
        return Route("simulator", reason="mailbox simulator")
    relay_url = settings.SES_RELAY_URL
    if relay_url:
        try:
            return parse_relay_url(relay_url)
        except ValueError as error:
            # An operator's typo must not bounce mail: hold it until the setting is fixed.
            return Route("fail", permanent=False, reason=f"SES_RELAY_URL: {error}")
    return _mx_route(domain)


def parse_relay_url(url: str) -> Route:
    """A relay Route from smtp://[user:pass@]host[:port] or smtps://...; ValueError if bad."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if scheme not in _RELAY_SCHEMES:
        raise ValueError(f"scheme must be smtp or smtps, not {parts.scheme!r}")
    tls, default_port = _RELAY_SCHEMES[scheme]
    try:
        port = parts.port or default_port
    except ValueError as error:  # urllib's "Port out of range" / non-numeric port
        raise ValueError(f"bad port: {error}") from None
    host = parts.hostname
    if not host:
        raise ValueError("no host")
    auth = None
    if parts.username is not None:
        # Credentials may hold ":" "@" "/", which must be percent-encoded in the URL.
        auth = (unquote(parts.username), unquote(parts.password or ""))
    # The relay is the operator's own choice, possibly a name only /etc/hosts knows,
    # so it is left to the system resolver at connect time rather than to our DNS.
    verify = settings.SES_RELAY_TLS_VERIFY
    return Route("relay", [(host, host, port)], tls, auth, verify, reason=f"relay {host}:{port}")


def _mx_route(domain: str) -> Route:
    port = settings.SES_MX_PORT
    verify = settings.SES_MX_TLS_VERIFY
    mx = dns.lookup_mx(domain)
    if mx.outcome is dns.Outcome.FOUND:
        pairs = mx.mx_hosts
        if any(host == "." for _, host in pairs):
            if len(pairs) == 1:
                return Route("fail", permanent=True, reason=f"{domain}: null MX, accepts no mail")
            # RFC 7505 forbids mixing "." with real MX records; use the real ones.
            pairs = [(pref, host) for pref, host in pairs if host != "."]
        names = _ordered(pairs)
    elif mx.outcome is dns.Outcome.NO_RECORD:
        names = [domain]  # RFC 5321 5.1: no MX, the domain itself is the implicit MX
    elif mx.outcome in (dns.Outcome.NXDOMAIN, dns.Outcome.INVALID_NAME):
        return Route("fail", permanent=True, reason=f"{domain}: {mx.detail or mx.outcome}")
    else:  # SERVFAIL, TIMEOUT, ERROR, CNAME_LOOP: DNS gave no usable answer, ask again later
        return Route("fail", permanent=False, reason=f"{domain}: MX lookup: {mx.detail}")

    hosts: list[tuple[str, str, int]] = []
    failures: list[str] = []
    for name in names:
        addresses, failure = _addresses(name)
        if failure:
            failures.append(failure)
        hosts += [(name, ip, port) for ip in addresses if (name, ip, port) not in hosts]
    if hosts:
        return Route("mx", hosts, "starttls", None, verify, reason=f"MX for {domain}")
    # Only when every host is known not to exist is it permanent; one DNS failure
    # means an address may yet appear.
    return Route(
        "fail",
        permanent=not failures,
        reason=f"{domain}: no MX host has an address"
        + (f" ({'; '.join(failures)})" if failures else ""),
    )


def _ordered(pairs: list[tuple[int, str]]) -> list[str]:
    """Hosts by preference; equal preferences shuffled to spread load (RFC 5321 5.1)."""
    names: list[str] = []
    for _, group in groupby(sorted(pairs), key=lambda pair: pair[0]):
        hosts = [host.rstrip(".") for _, host in group]
        random.shuffle(hosts)
        names += [h for h in hosts if h not in names]
    return names


def _addresses(name: str) -> tuple[list[str], str]:
    """(addresses, DNS failure detail or ""): A records first, then AAAA."""
    try:  # an MX naming an address literal is invalid (RFC 5321 5.1) but tolerated
        return [str(ipaddress.ip_address(name))], ""
    except ValueError:
        pass
    addresses: list[str] = []
    failures: list[str] = []
    for lookup in (dns.lookup_a, dns.lookup_aaaa):
        result = lookup(name)
        if result.ok:
            addresses += result.values
        elif result.is_dns_failure:
            failures.append(result.detail or str(result.outcome))
    return addresses, "; ".join(failures)
