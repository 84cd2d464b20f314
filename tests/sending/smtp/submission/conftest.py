"""The submission server for tests: started in a thread on free ports of 127.0.0.1,
with a trustme certificate written to PEM files and loaded as settings would.

    def test_x(smtpd, smtp_login, connect):
        server = smtpd()                        # or smtpd(max_commands=5, ...)
        client = connect(server)                # smtplib, STARTTLS, logged in
        client = connect(server, implicit=True, login=False)
        raw = RawClient(server.starttls_port)   # line by line, for exact replies

Tests that use it need committed data (`pytest.mark.django_db(transaction=True)`):
the server's threads have their own database connections.
"""

import base64
import contextlib
import email.message
import email.policy
import smtplib
import socket
import ssl
import uuid

import pytest

from accounts.models import Account
from sending.smtp.submission.server import Config, SubmissionServer, ThreadedServer
from sending.smtp.submission.tls import server_context
from tests.sending.conftest import (  # noqa: F401
    SENDER_EMAIL,
    SENDER_NAME,
    approved_template,
    delivery_settings,
    make_sender,
    make_template,
    recipient_mx,
    signing_sender,
    template_reviewer,
    verified_sender,
)

PASSWORD = "Smtp4Pass7Word"
HOST = "127.0.0.1"


@pytest.fixture(autouse=True)
def _own_counters(settings):
    """Counters of this test only: logins from 127.0.0.1 fail in many tests, and on
    Redis the failure counts of one would lock the next out."""
    settings.SES_REDIS_PREFIX = f"{settings.SES_REDIS_PREFIX}-{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="session")
def smtp_cert_files(tls_ca, tmp_path_factory):
    """(certificate chain PEM, key PEM) of tls_ca's certificate for 127.0.0.1."""
    folder = tmp_path_factory.mktemp("smtpd-tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    for blob in tls_ca.cert.cert_chain_pems:
        with cert.open("ab") as out:
            out.write(blob.bytes())
    tls_ca.cert.private_key_pem.write_to_path(str(key))
    return str(cert), str(key)


@pytest.fixture
def smtpd(transactional_db, smtp_cert_files, settings):
    """smtpd(**Config overrides) -> a started SubmissionServer (stopped after the test)."""
    started = []
    settings.SES_SMTPD_CERT_FILE, settings.SES_SMTPD_KEY_FILE = smtp_cert_files

    def start(**overrides):
        overrides.setdefault("hostname", "smtp.sesconsole.test")
        server = SubmissionServer(
            server_context(),
            bind=HOST,
            starttls_port=0,
            tls_port=0,
            config=Config.from_settings(**overrides),
        )
        runner = ThreadedServer(server).start()
        started.append(runner)
        return server

    yield start
    for runner in started:
        runner.stop()


@pytest.fixture
def smtp_login(account, verified_sender):  # noqa: F811
    """verified_sender with the SMTP password PASSWORD; the account may send custom
    content, and its rate does not get in the way."""
    verified_sender.set_smtp_password(PASSWORD)
    Account.objects.filter(pk=account.pk).update(
        allow_custom_content=True, send_rate_per_second=10_000
    )
    account.refresh_from_db()
    return verified_sender


@pytest.fixture
def connect(tls_ca):
    """connect(server, implicit=False, login=True, user=SENDER_EMAIL, password=PASSWORD,
    source=None) -> an smtplib client over verified TLS, closed after the test."""
    clients = []

    def open_client(
        server,
        implicit=False,
        login=True,
        user=SENDER_EMAIL,
        password=PASSWORD,
        source=None,
    ):
        context = tls_ca.client_context()
        source_address = (source, 0) if source else None
        if implicit:
            client = smtplib.SMTP_SSL(
                HOST, server.tls_port, context=context, timeout=10, source_address=source_address
            )
        else:
            client = smtplib.SMTP(
                HOST, server.starttls_port, timeout=10, source_address=source_address
            )
            client.starttls(context=context)
        clients.append(client)
        client.ehlo("client.test")
        if login:
            client.login(user, password)
        return client

    yield open_client
    for client in clients:
        with contextlib.suppress(OSError):
            client.close()


def message(
    subject="Your order has shipped",
    text="Hello Ana,\n\nyour order has shipped.\n",
    html=None,
    sender=f"{SENDER_NAME} <{SENDER_EMAIL}>",
    to="ana@example.com",
    cc=None,
    **headers,
) -> bytes:
    """A message as mail programs write it; headers given as keyword arguments
    (X_Tag="v" becomes X-Tag: v; None leaves one out)."""
    mail = email.message.EmailMessage()
    if sender:
        mail["From"] = sender
    if to:
        mail["To"] = to
    if cc:
        mail["Cc"] = cc
    if subject is not None:
        mail["Subject"] = subject
    for name, value in headers.items():
        if value is not None:
            mail[name.replace("_", "-")] = value
    mail.set_content(text)
    if html:
        mail.add_alternative(html, subtype="html")
    return mail.as_bytes(policy=email.policy.SMTP)


class RawClient:
    """A line-by-line SMTP client: send exactly what a test says, read each reply."""

    def __init__(self, port, *, implicit=False, context=None, source=None):
        sock = socket.create_connection(
            (HOST, port), timeout=10, source_address=(source, 0) if source else None
        )
        if implicit:
            sock = context.wrap_socket(sock, server_hostname=HOST)
        self.sock = sock
        self.buffer = b""
        self.greeting = self.reply()

    def send(self, data: bytes | str) -> None:
        self.sock.sendall(data.encode() if isinstance(data, str) else data)

    def _line(self) -> bytes:
        while b"\r\n" not in self.buffer:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError(f"closed by the server; unread: {self.buffer!r}")
            self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\r\n", 1)
        return line

    def reply(self) -> str:
        """One whole reply, its lines joined by newlines."""
        lines = [self._line()]
        while lines[-1][3:4] == b"-":
            lines.append(self._line())
        return "\n".join(line.decode() for line in lines)

    def cmd(self, line: str) -> str:
        self.send(line + "\r\n")
        return self.reply()

    def starttls(self, context) -> str:
        answer = self.cmd("STARTTLS")
        assert answer.startswith("220"), answer
        self.sock = context.wrap_socket(self.sock, server_hostname=HOST)
        return answer

    def closed(self, timeout=5.0) -> bool:
        """Whether the server closes the connection (reading whatever it still says)."""
        self.sock.settimeout(timeout)
        try:
            while True:
                if not self.sock.recv(65536):
                    return True
        except TimeoutError:
            return False
        except (ConnectionResetError, ssl.SSLError, OSError):
            return True

    def close(self):
        with contextlib.suppress(OSError):
            self.sock.close()


@pytest.fixture
def raw(tls_ca):
    """raw(server, tls=True, login=True, implicit=False, source=None) -> a RawClient past
    EHLO (and STARTTLS, AUTH PLAIN as the test sender); closed after the test."""
    clients = []

    def open_raw(server, tls=True, login=True, implicit=False, source=None):
        context = tls_ca.client_context()
        port = server.tls_port if implicit else server.starttls_port
        client = RawClient(port, implicit=implicit, context=context, source=source)
        clients.append(client)
        assert client.greeting.startswith("220 "), client.greeting
        assert client.cmd("EHLO client.test").startswith("250")
        if tls and not implicit:
            client.starttls(context)
            assert client.cmd("EHLO client.test").startswith("250")
        if login:
            answer = client.cmd(f"AUTH PLAIN {plain(SENDER_EMAIL, PASSWORD)}")
            assert answer.startswith("235 "), answer
        return client

    yield open_raw
    for client in clients:
        client.close()


def plain(user: str, password: str) -> str:
    return base64.b64encode(f"\0{user}\0{password}".encode()).decode()
