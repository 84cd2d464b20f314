"""DNS lookups for sender-domain verification, on dnspython.

Every lookup returns a `Lookup` whose `outcome` tells "the record is not there"
(NO_RECORD, NXDOMAIN) apart from "DNS could not tell us" (SERVFAIL, TIMEOUT,
ERROR): a domain must never lose its verification because a resolver failed.

Nothing is cached, so a check sees a record the moment its servers publish it.
The resolver is rebuilt from settings on every call (it is cheap), which lets
tests point it at a loopback server.
"""

from __future__ import annotations

import enum
import ipaddress
from dataclasses import dataclass

import dns.exception
import dns.message
import dns.name
import dns.nameserver
import dns.rdatatype
import dns.resolver
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

# As dnspython: a longer chain is treated as a loop.
MAX_CHAIN = dns.message.MAX_CHAIN


class Outcome(enum.StrEnum):
    FOUND = "found"
    """The name holds records of the type; `values` has them."""
    NO_RECORD = "no_record"
    """NOERROR/NODATA: the name exists but has no record of the type."""
    NXDOMAIN = "nxdomain"
    """The name (or the end of its CNAME chain) does not exist."""
    SERVFAIL = "servfail"
    """Every server answered with an error rcode (SERVFAIL, REFUSED, NOTIMP, ...)."""
    TIMEOUT = "timeout"
    """No server answered within the tries, or none could be reached."""
    ERROR = "error"
    """A server answered with a malformed or inconsistent message."""
    CNAME_LOOP = "cname_loop"
    """The CNAME chain loops or exceeds MAX_CHAIN links: the domain's own misconfiguration."""
    INVALID_NAME = "invalid_name"
    """The name cannot be put in a query (empty label, label over 63 bytes, bad IDNA)."""


_FAILURES = frozenset({Outcome.SERVFAIL, Outcome.TIMEOUT, Outcome.ERROR})


@dataclass(frozen=True)
class Lookup:
    """The result of one lookup. Names are ASCII (IDNA), lower-case, without the final dot."""

    name: str
    rdtype: str
    outcome: Outcome
    values: tuple[str, ...] = ()
    cname_chain: tuple[str, ...] = ()  # CNAME targets followed from `name`, in order
    detail: str = ""

    @property
    def ok(self) -> bool:
        """Records of the type were found."""
        return self.outcome is Outcome.FOUND

    @property
    def is_dns_failure(self) -> bool:
        """DNS did not answer the question: whether the record exists is unknown."""
        return self.outcome in _FAILURES

    @property
    def mx_hosts(self) -> list[tuple[int, str]]:
        """(preference, exchange) pairs of an MX lookup, most preferred first."""
        if self.rdtype != "MX":
            return []
        return sorted((int(pref), host) for pref, host in (v.split(" ", 1) for v in self.values))


def lookup_txt(name: str) -> Lookup:
    """TXT records, each one's character-strings joined without separators (RFC 7208 3.3)."""
    return _lookup(name, dns.rdatatype.TXT)


def lookup_mx(name: str) -> Lookup:
    """MX records as "preference exchange.", sorted by preference then exchange (see mx_hosts)."""
    return _lookup(name, dns.rdatatype.MX)


def lookup_a(name: str) -> Lookup:
    return _lookup(name, dns.rdatatype.A)


def lookup_aaaa(name: str) -> Lookup:
    return _lookup(name, dns.rdatatype.AAAA)


def parse_nameserver(text: str) -> tuple[str, int]:
    """("address", port) from "1.2.3.4", "1.2.3.4:5353", "::1" or "[::1]:5353"."""
    text = text.strip()
    host, port = text, "53"
    if text.startswith("["):
        host, sep, rest = text[1:].partition("]")
        if not sep or (rest and not rest.startswith(":")):
            raise ImproperlyConfigured(f"SES_DNS_NAMESERVERS: bad entry {text!r}")
        port = rest[1:] or "53"
    elif text.count(":") == 1:
        host, port = text.split(":")
    try:
        ipaddress.ip_address(host)
        number = int(port)
    except ValueError as error:
        raise ImproperlyConfigured(
            f"SES_DNS_NAMESERVERS: {text!r} is not an IP address with an optional port"
        ) from error
    if not 0 < number < 65536:
        raise ImproperlyConfigured(f"SES_DNS_NAMESERVERS: bad port in {text!r}")
    return host, number


def resolver() -> dns.resolver.Resolver:
    """A fresh, cache-less stub resolver configured from the SES_DNS_* settings.

    Without SES_DNS_NAMESERVERS it asks the system's resolvers, read from
    SES_DNS_RESOLV_CONF (/etc/resolv.conf); its search list is dropped below.
    """
    servers = [parse_nameserver(s) for s in settings.SES_DNS_NAMESERVERS if s.strip()]
    if servers:
        res = dns.resolver.Resolver(configure=False)
        res.nameservers = [dns.nameserver.Do53Nameserver(host, port) for host, port in servers]
    else:
        res = dns.resolver.Resolver(filename=settings.SES_DNS_RESOLV_CONF)
        # resolv.conf gives bare addresses, which dnspython keeps as strings; the
        # error reports below need Nameserver objects, as the configured path has.
        res.nameservers = [
            ns
            if isinstance(ns, dns.nameserver.Nameserver)
            else dns.nameserver.Do53Nameserver(ns, res.port)
            for ns in res.nameservers
        ]
    res.cache = None
    res.search = []
    res.use_search_by_default = False
    res.domain = dns.name.root
    res.rotate = False
    # A SERVFAIL is an answer to report, not something to retry until the lifetime ends.
    res.retry_servfail = False
    timeout = float(settings.SES_DNS_TIMEOUT)
    tries = max(1, int(settings.SES_DNS_TRIES))
    res.timeout = timeout
    # dnspython tries every server once per round and sleeps 0.1 s, 0.2 s, ... between
    # rounds; the lifetime buys `tries` full rounds.
    backoff = sum(min(0.1 * 2**i, 2.0) for i in range(tries - 1))
    res.lifetime = timeout * tries * max(1, len(res.nameservers)) + backoff
    return res


def _text(name: dns.name.Name) -> str:
    return name.to_text(omit_final_dot=True).lower() or "."


def _server(ns: str | None, port: int | None) -> str:
    if not ns:
        return "the resolver"
    host = f"[{ns}]" if ":" in ns else ns
    return f"{host}:{port}" if port else host


def _values(rrset, rdtype: int) -> tuple[str, ...]:
    if rdtype == dns.rdatatype.TXT:
        return tuple(b"".join(rd.strings).decode("utf-8", errors="replace") for rd in rrset)
    if rdtype == dns.rdatatype.MX:
        pairs = sorted((rd.preference, rd.exchange.to_text().lower()) for rd in rrset)
        return tuple(f"{pref} {host}" for pref, host in pairs)
    return tuple(rd.address for rd in rrset)


def _targets(cnames) -> list[dns.name.Name]:
    return [rrset[0].target for rrset in cnames]


def _lookup(raw: str, rdtype: dns.rdatatype.RdataType) -> Lookup:
    type_text = dns.rdatatype.to_text(rdtype)
    try:
        qname = dns.name.from_unicode(raw.strip()).canonicalize()
    except (dns.exception.DNSException, UnicodeError, ValueError) as error:
        return Lookup(raw, type_text, Outcome.INVALID_NAME, detail=f"{raw!r}: {error}")
    name = _text(qname)
    if qname == dns.name.root:
        return Lookup(name, type_text, Outcome.INVALID_NAME, detail="empty name")

    def result(outcome: Outcome, detail: str, values: tuple[str, ...] = ()) -> Lookup:
        return Lookup(name, type_text, outcome, values, tuple(_text(n) for n in chain), detail)

    try:
        res = resolver()
    except dns.resolver.NoResolverConfiguration as error:  # no usable /etc/resolv.conf
        return Lookup(name, type_text, Outcome.ERROR, detail=f"no nameservers: {error}")
    # dnspython names servers in its error lists as str(nameserver): "Do53:host@port".
    # Its setter makes every entry a Nameserver; the getter is typed more loosely.
    servers = [ns for ns in res.nameservers if isinstance(ns, dns.nameserver.Nameserver)]
    names = {str(ns): _server(ns.answer_nameserver(), ns.answer_port()) for ns in servers}
    chain: list[dns.name.Name] = []
    current = qname
    seen = {qname}
    while True:
        try:
            answer = res.resolve(current, rdtype, raise_on_no_answer=False, search=False)
        except dns.resolver.NXDOMAIN as error:
            chain += _nxdomain_chain(error, current)
            return result(Outcome.NXDOMAIN, f"NXDOMAIN: {_text(chain[-1] if chain else current)}")
        except dns.resolver.LifetimeTimeout as error:
            return result(Outcome.TIMEOUT, _timeout_detail(error, current, names))
        except dns.resolver.NoNameservers as error:
            outcome, detail = _classify(error.kwargs.get("errors") or [], names)
            return result(outcome, f"{detail} (querying {_text(current)} {type_text})")
        except dns.exception.DNSException as error:
            return result(Outcome.ERROR, f"{type(error).__name__}: {error}")
        where = _server(answer.nameserver, answer.port)
        chain += _targets(answer.chaining_result.cnames)
        if answer.rrset is not None:
            values = _values(answer.rrset, rdtype)
            return result(Outcome.FOUND, f"{len(values)} {type_text} from {where}", values)
        target = answer.canonical_name
        if target == current:
            return result(Outcome.NO_RECORD, f"no {type_text} at {_text(target)} ({where})")
        # The server gave the CNAME(s) without the target's records (it is not
        # authoritative for the target): dnspython does not chase, so we do.
        if target in seen or len(chain) >= MAX_CHAIN:
            return result(Outcome.CNAME_LOOP, f"CNAME loop or chain over {MAX_CHAIN} links")
        seen.update(chain)
        current = target


def _nxdomain_chain(error: dns.resolver.NXDOMAIN, qname: dns.name.Name) -> list[dns.name.Name]:
    try:
        return _targets(error.response(qname).resolve_chaining().cnames)
    except (KeyError, dns.exception.DNSException):
        return []


def _timeout_detail(
    error: dns.resolver.LifetimeTimeout, qname: dns.name.Name, names: dict[str, str]
) -> str:
    seconds = error.kwargs.get("timeout", 0.0)
    servers = sorted({names.get(e[0], e[0]) for e in error.kwargs.get("errors") or []})
    where = f" from {', '.join(servers)}" if servers else ""
    return f"no answer{where} for {_text(qname)} after {seconds:.1f} s"


def _classify(errors: list, names: dict[str, str]) -> tuple[Outcome, str]:
    """Outcome of dnspython's NoNameservers: every server was tried and given up on."""
    found: dict[Outcome, list[str]] = {}
    for server, tcp, _port, err, _response in errors:
        where = names.get(server, server) + (" over TCP" if tcp else "")
        if isinstance(err, dns.message.Truncated) and not tcp:
            continue  # dnspython then asked again over TCP
        if isinstance(err, str):  # dnspython records a bad rcode as its text
            found.setdefault(Outcome.SERVFAIL, []).append(f"{err} from {where}")
        elif isinstance(err, dns.message.ChainTooLong):
            found.setdefault(Outcome.CNAME_LOOP, []).append(f"CNAME loop in answer from {where}")
        elif isinstance(err, OSError | EOFError):
            found.setdefault(Outcome.TIMEOUT, []).append(f"no answer from {where}: {err}")
        else:
            text = f"{type(err).__name__}: {err}" if str(err) else type(err).__name__
            found.setdefault(Outcome.ERROR, []).append(f"bad answer from {where}: {text}")
    for outcome in (Outcome.CNAME_LOOP, Outcome.SERVFAIL, Outcome.ERROR, Outcome.TIMEOUT):
        if outcome in found:
            return outcome, "; ".join(dict.fromkeys(found[outcome]))
    return Outcome.ERROR, "no usable nameserver"
