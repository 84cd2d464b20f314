"""Real SMTP servers on 127.0.0.1 for tests, each in its own thread.

    def test_x(smtp_server, tls_ca):
        server = smtp_server(Recorder(refuse={"bad@x.test": "550 5.1.1 no such user"}))
        server.port, server.handler.messages  # -> [Received(...)]
        tls = smtp_server(Recorder(), tls_context=tls_ca.server_context())  # STARTTLS
        smtps = smtp_server(Recorder(), implicit_tls=tls_ca.server_context())

`Recorder` accepts and records; its options refuse recipients, answer DATA with
a given reply, or drop the connection once the message is in. `SilentServer`
accepts connections and never says a word (for timeouts).
"""

from __future__ import annotations

import socket
import ssl
import threading
from dataclasses import dataclass

import pytest
import trustme

# aiosmtpd internal (pinned in pyproject.toml): _Controller overrides Controller's private
# _trigger_server.
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

# The name the test certificates are issued for (SNI and hostname checks).
TLS_HOSTNAME = "mx.smtp.test"


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    content: bytes
    tls: bool
    login: str | None


class Recorder:
    """An aiosmtpd handler that records accepted messages in `messages`."""

    def __init__(
        self,
        refuse: dict[str, str] | None = None,
        data_reply: str | None = None,
        drop_in_data: bool = False,
        mail_reply: str | None = None,
    ) -> None:
        self.mail_reply = mail_reply  # refuse MAIL FROM with this reply
        self.refuse = dict(refuse or {})  # rcpt -> reply line, e.g. "550 5.1.1 unknown"
        self.data_reply = data_reply  # e.g. "451 4.3.0 try later"; None: accept
        self.drop_in_data = drop_in_data  # close the connection instead of replying to DATA
        self.messages: list[Received] = []
        self.mail_options: list[list[str]] = []

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        self.mail_options.append(list(mail_options))
        return self.mail_reply or "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.drop_in_data:
            # The message was received, the reply never comes: the client cannot
            # tell whether it was delivered.
            server.transport.close()
            return "250 never sent"
        if self.data_reply:
            return self.data_reply
        login = session.auth_data.login.decode() if session.authenticated else None
        self.messages.append(
            Received(
                envelope.mail_from,
                list(envelope.rcpt_tos),
                envelope.original_content,
                session.ssl is not None,
                login,
            )
        )
        return "250 2.0.0 queued"


def authenticator(user: str, password: str):
    """An aiosmtpd authenticator accepting one user/password pair."""

    def check(server, session, envelope, mechanism, auth_data):
        ok = auth_data.login == user.encode() and auth_data.password == password.encode()
        return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)

    return check


class _Controller(Controller):
    # aiosmtpd connects to its own port to check it started; with port 0 (any free
    # port) it must first learn the port it was given.
    def _trigger_server(self):
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


class SmtpServer:
    def __init__(self, handler, *, implicit_tls: ssl.SSLContext | None = None, **smtp_params):
        self.handler = handler
        self.host = "127.0.0.1"
        self._controller = _Controller(
            handler, hostname=self.host, port=0, ssl_context=implicit_tls, **smtp_params
        )
        self.port = 0
        self.running = False

    def start(self) -> SmtpServer:
        self._controller.start()
        self.port = self._controller.port
        self.running = True
        return self

    def stop(self) -> None:
        if self.running:  # a test may stop it early, to leave its port closed
            self.running = False
            self._controller.stop()


class SilentServer:
    """Accepts TCP connections and never answers, like a wedged or filtering host."""

    def __init__(self) -> None:
        self._sock = socket.create_server(("127.0.0.1", 0))
        self.host, self.port = self._sock.getsockname()
        self._conns: list[socket.socket] = []
        self._thread = threading.Thread(target=self._accept, daemon=True)

    def start(self) -> SilentServer:
        self._thread.start()
        return self

    def _accept(self):
        while True:
            try:
                conn, _ = self._sock.accept()
            except OSError:  # closed by stop()
                return
            self._conns.append(conn)

    def stop(self) -> None:
        self._sock.close()
        for conn in self._conns:
            conn.close()
        self._thread.join(5)


class TlsCa:
    """A trustme CA and a certificate for TLS_HOSTNAME (and 127.0.0.1)."""

    def __init__(self):
        self.ca = trustme.CA()
        self.cert = self.ca.issue_cert(TLS_HOSTNAME, "127.0.0.1")

    def server_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.cert.configure_cert(context)
        return context

    def client_context(self) -> ssl.SSLContext:
        """A verifying client context that trusts this CA."""
        context = ssl.create_default_context()
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        self.ca.configure_trust(context)
        return context


@pytest.fixture(scope="session")
def tls_ca():
    return TlsCa()


@pytest.fixture
def smtp_server():
    """A factory: smtp_server(handler, **aiosmtpd SMTP params) -> a started SmtpServer."""
    started = []

    def start(handler=None, **params):
        server = SmtpServer(handler or Recorder(), **params).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def silent_server():
    server = SilentServer().start()
    yield server
    server.stop()
