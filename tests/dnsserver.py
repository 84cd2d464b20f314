"""A real authoritative DNS server on 127.0.0.1 for tests, UDP and TCP on one port.

    zone = DnsTestServer(); zone.start()
    zone.add("example.com", "TXT", "v=spf1 -all")
    zone.address  # "127.0.0.1:PORT", for SES_DNS_NAMESERVERS
    zone.stop()

It is authoritative for every name: a name that neither holds records nor is an
ancestor of one is NXDOMAIN; one that exists without the asked type is NODATA
(NOERROR, empty answer, SOA in authority). Names are ASCII and case-insensitive.
The zone may be changed while it serves.
"""

from __future__ import annotations

import errno
import random
import socketserver
import struct
import threading

import pytest
from dnslib import AAAA, CNAME, MX, QTYPE, RCODE, RR, SOA, TXT, A, DNSLabel, DNSRecord

_RDATA = {"A": A, "AAAA": AAAA, "CNAME": CNAME}


def _norm(name: str) -> str:
    name = name.strip().lower().rstrip(".")
    if not name.isascii():
        raise ValueError(f"{name!r}: give the zone ASCII (IDNA) names")
    return f"{name}." if name else "."


def _txt_strings(value: str | bytes | list | tuple) -> list[bytes]:
    if isinstance(value, list | tuple):
        strings = [v.encode() if isinstance(v, str) else bytes(v) for v in value]
        if any(len(s) > 255 for s in strings):
            raise ValueError("a TXT character-string holds at most 255 bytes")
        return strings
    data = value.encode() if isinstance(value, str) else bytes(value)
    # As zone tools do with a long value: one record of 255-byte strings.
    return [data[i : i + 255] for i in range(0, len(data), 255)] or [b""]


class DnsTestServer:
    def __init__(self, host: str = "127.0.0.1", port: int = 0):
        self.host = host
        self.port = port  # 0: an ephemeral port, the same for UDP and TCP
        self.queries: list[tuple[str, str, str]] = []  # (name, type, "udp"/"tcp") as received
        self._lock = threading.Lock()
        self._records: dict[str, list[RR]] = {}
        self._servfail: set[str] = set()
        self._dropped: set[str] = set()
        self._malformed: set[str] = set()
        self._cname_only = False
        self._stopping = threading.Event()
        self._servers: list[socketserver.BaseServer] = []
        self._threads: list[threading.Thread] = []

    # -- zone contents -------------------------------------------------------

    def add(self, name: str, rdtype: str, value, ttl: int = 60) -> None:
        """TXT: str (split into 255-byte strings) or list of strings; MX: "10 host."."""
        owner, rdtype = _norm(name), rdtype.upper()
        if rdtype == "TXT":
            rdata = TXT(_txt_strings(value))
        elif rdtype == "MX":
            pref, host = value.split()
            rdata = MX(_norm(host), int(pref))
        elif rdtype in _RDATA:
            rdata = _RDATA[rdtype](_norm(value) if rdtype == "CNAME" else value)
        else:
            raise ValueError(f"unsupported type {rdtype}")
        rr = RR(owner, getattr(QTYPE, rdtype), rdata=rdata, ttl=ttl)
        with self._lock:
            self._records.setdefault(owner, []).append(rr)

    def remove(self, name: str, rdtype: str | None = None) -> None:
        owner = _norm(name)
        with self._lock:
            kept = [
                rr
                for rr in self._records.get(owner, [])
                if rdtype is not None and rr.rtype != getattr(QTYPE, rdtype.upper())
            ]
            if kept:
                self._records[owner] = kept
            else:
                self._records.pop(owner, None)

    def clear(self) -> None:
        """Remove every record and every servfail/drop/malformed mark."""
        with self._lock:
            self._records.clear()
            self._servfail.clear()
            self._dropped.clear()
            self._malformed.clear()
            self._cname_only = False

    def servfail(self, name: str, enabled: bool = True) -> None:
        """Answer SERVFAIL to any query for the name."""
        self._mark(self._servfail, name, enabled)

    def drop(self, name: str, enabled: bool = True) -> None:
        """Never answer queries for the name, as a dead server would."""
        self._mark(self._dropped, name, enabled)

    def malformed(self, name: str, enabled: bool = True) -> None:
        """Answer truncated (TC) over UDP and with a cut-off message over TCP."""
        self._mark(self._malformed, name, enabled)

    def cname_only(self, enabled: bool = True) -> None:
        """Answer a CNAME alone, as a server not authoritative for its target does."""
        with self._lock:
            self._cname_only = enabled

    def _mark(self, marks: set[str], name: str, enabled: bool) -> None:
        with self._lock:
            (marks.add if enabled else marks.discard)(_norm(name))

    # -- life cycle ------------------------------------------------------------

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    def start(self) -> DnsTestServer:
        server = self
        self._stopping.clear()

        class Udp(socketserver.BaseRequestHandler):
            def handle(self):
                data, sock = self.request
                reply = server.answer(data, "udp")
                if reply is not None:
                    sock.sendto(reply, self.client_address)

        class Tcp(socketserver.StreamRequestHandler):
            def handle(self):
                while not server._stopping.is_set():
                    head = self.rfile.read(2)
                    if len(head) < 2:
                        return
                    reply = server.answer(self.rfile.read(struct.unpack("!H", head)[0]), "tcp")
                    if reply is None:  # hold the connection open, unanswered
                        server._stopping.wait(30)
                        return
                    self.wfile.write(struct.pack("!H", len(reply)) + reply)

        udp, tcp = self._bind(Udp, Tcp)
        self.port = udp.server_address[1]
        self._servers = [udp, tcp]
        for srv in self._servers:
            thread = threading.Thread(
                target=srv.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
            )
            thread.start()
            self._threads.append(thread)
        return self

    def _bind(self, udp_handler, tcp_handler):
        # UDP picks a free port; TCP must then get the same number, which another
        # process may hold, so try again with a new UDP port.
        for _ in range(50):
            udp = socketserver.UDPServer((self.host, self.port), udp_handler)
            try:
                tcp = _TcpServer((self.host, udp.server_address[1]), tcp_handler)
            except OSError as error:
                udp.server_close()
                if error.errno != errno.EADDRINUSE or self.port:
                    raise
                continue
            return udp, tcp
        raise RuntimeError("no port free for both UDP and TCP")

    def stop(self) -> None:
        self._stopping.set()
        for srv in self._servers:
            srv.shutdown()
            srv.server_close()
        for thread in self._threads:
            thread.join(5)
        self._servers, self._threads = [], []

    def __enter__(self) -> DnsTestServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- answering -----------------------------------------------------------

    def answer(self, data: bytes, proto: str) -> bytes | None:
        """The wire reply to a query, or None to stay silent."""
        try:
            request = DNSRecord.parse(data)
            qname, qtype = _norm(str(request.q.qname)), request.q.qtype
        except Exception:  # garbage or a question-less message
            return None
        reply = request.reply(ra=0)
        with self._lock:
            self.queries.append((qname, QTYPE.get(qtype), proto))
            if qname in self._dropped:
                return None
            if qname in self._malformed:
                if proto == "udp":
                    reply.header.tc = 1
                    return reply.pack()
                return reply.pack()[:15]
            if qname in self._servfail:
                reply.header.rcode = RCODE.SERVFAIL
                return reply.pack()
            rcode, answers, authority = self._resolve(qname, qtype)
        reply.header.rcode = rcode
        for rr in answers:
            reply.add_answer(rr)
        for rr in authority:
            reply.add_auth(rr)
        wire = reply.pack()
        if proto == "udp" and len(wire) > self._udp_limit(request):
            reply = request.reply(ra=0)
            reply.header.tc = 1
            wire = reply.pack()
        return wire

    @staticmethod
    def _udp_limit(request: DNSRecord) -> int:
        opt = [rr for rr in request.ar if rr.rtype == QTYPE.OPT]
        return max(512, opt[0].rclass) if opt else 512

    def _resolve(self, qname: str, qtype: int) -> tuple[int, list[RR], list[RR]]:
        """(rcode, answer, authority) for the question; the caller holds the lock."""
        answers: list[RR] = []
        name, seen = qname, set()
        while True:
            records = self._records.get(name, [])
            cnames = [rr for rr in records if rr.rtype == QTYPE.CNAME]
            if cnames and qtype != QTYPE.CNAME:
                answers.append(cnames[0])
                target = _norm(str(cnames[0].rdata.label))
                seen.add(name)
                stop = self._servfail | self._dropped | self._malformed
                if self._cname_only or target in seen or target in stop:
                    return RCODE.NOERROR, answers, []
                name = target
                continue
            matching = [rr for rr in records if rr.rtype == qtype]
            if matching:
                return RCODE.NOERROR, answers + matching, []
            rcode = RCODE.NOERROR if self._exists(name) else RCODE.NXDOMAIN
            return rcode, answers, [self._soa(name)]

    def _exists(self, name: str) -> bool:
        return name == "." or any(
            owner == name or owner.endswith("." + name) for owner in self._records
        )

    @staticmethod
    def _soa(name: str) -> RR:
        apex = ".".join(name.rstrip(".").split(".")[-2:]) + "."
        soa = SOA(DNSLabel("ns." + apex), DNSLabel("hostmaster." + apex), (1, 3600, 600, 86400, 60))
        return RR(apex, QTYPE.SOA, rdata=soa, ttl=60)


class _TcpServer(socketserver.ThreadingTCPServer):
    # A handler holding a dropped query open must not delay stop().
    daemon_threads = True


@pytest.fixture
def dns_zone(settings):
    """A running DnsTestServer that SES_DNS_* settings point at, with short timeouts."""
    zone = DnsTestServer().start()
    settings.SES_DNS_NAMESERVERS = [zone.address]
    settings.SES_DNS_TIMEOUT = 0.5
    settings.SES_DNS_TRIES = 2
    try:
        yield zone
    finally:
        zone.stop()


@pytest.fixture
def system_dns(settings, tmp_path):
    """A DnsTestServer reached as a real host reaches its resolvers: SES_DNS_NAMESERVERS
    unset, the server named in a resolv.conf file, answering on port 53.

    resolv.conf cannot name a port, so the server listens on port 53 of a random
    loopback address (127.0.0.0/8 is all loopback on Linux), which needs root: CI
    runs as root and requires it (SES_TEST_REQUIRE=port53).
    """
    from tests.conftest import need

    host = f"127.{random.randint(1, 254)}.{random.randint(1, 254)}.{random.randint(2, 254)}"
    zone = DnsTestServer(host=host, port=53)
    try:
        zone.start()
    except OSError as error:
        if error.errno in (errno.EACCES, errno.EADDRINUSE, errno.EADDRNOTAVAIL):
            need("port53", False, f"cannot serve DNS on {host}:53 here: {error}")
        raise
    resolv_conf = tmp_path / "resolv.conf"
    # What a real one holds besides the server: a search list, which lookups must ignore.
    resolv_conf.write_text(f"search example.net\nnameserver {host}\noptions timeout:5\n")
    settings.SES_DNS_NAMESERVERS = []
    settings.SES_DNS_RESOLV_CONF = str(resolv_conf)
    settings.SES_DNS_TIMEOUT = 0.5
    settings.SES_DNS_TRIES = 2
    try:
        yield zone
    finally:
        zone.stop()
