"""Real clients over real TLS on 127.0.0.1: smtplib with STARTTLS and with implicit
TLS, Django's SMTP email backend configured as an application configures it; AUTH is
neither offered nor accepted before TLS."""

import smtplib
import ssl

import pytest
from django.core.mail import EmailMultiAlternatives, get_connection

from sending.models import Delivery, Message, Recipient, Source
from sending.smtp.submission.certificate import write_self_signed
from sending.smtp.submission.server import Config, SubmissionServer, ThreadedServer
from sending.smtp.submission.tls import server_context
from tests.sending.smtp.submission.conftest import (
    HOST,
    PASSWORD,
    SENDER_EMAIL,
    RawClient,
    message,
    plain,
)

pytestmark = pytest.mark.django_db(transaction=True)


def accepted_id(reply: tuple[int, bytes]) -> str:
    code, text = reply
    assert code == 250, reply
    assert text.startswith(b"2.0.0 Ok: queued as qcloudses-"), text
    return text.decode().rsplit(" ", 1)[1]


def test_starttls_login_and_send(smtpd, smtp_login, connect):
    client = connect(smtpd())
    assert client.sock.version() in ("TLSv1.2", "TLSv1.3")
    client.mail(SENDER_EMAIL)
    client.rcpt("ana@example.com")
    message_id = accepted_id(client.data(message()))
    stored = Message.objects.get(message_id=message_id)
    assert stored.source == Source.SMTP
    assert stored.sender == smtp_login
    assert stored.subject == "Your order has shipped"
    assert stored.text == "Hello Ana,\n\nyour order has shipped.\n"
    assert list(stored.deliveries.values_list("recipient", "kind")) == [
        ("ana@example.com", Recipient.TO)
    ]


def test_implicit_tls_login_and_send(smtpd, smtp_login, connect):
    client = connect(smtpd(), implicit=True)
    code, features = client.ehlo("client.test")
    assert b"STARTTLS" not in features  # TLS already
    assert b"AUTH PLAIN LOGIN" in features
    code, _ = client.noop()
    assert code == 250
    refused = client.sendmail(SENDER_EMAIL, ["ana@example.com", "bo@example.com"], message())
    assert refused == {}
    assert Delivery.objects.filter(message__source=Source.SMTP).count() == 2


@pytest.mark.parametrize("mechanism", ["PLAIN", "LOGIN"])
def test_each_mechanism_logs_in(smtpd, smtp_login, connect, mechanism):
    client = connect(smtpd(), login=False)
    client.user, client.password = SENDER_EMAIL, PASSWORD
    method = client.auth_plain if mechanism == "PLAIN" else client.auth_login
    code, text = client.auth(mechanism, method, initial_response_ok=mechanism == "PLAIN")
    assert (code, text) == (235, b"2.7.0 Authentication successful")


def test_auth_before_starttls_is_neither_offered_nor_accepted(smtpd, smtp_login):
    server = smtpd()
    client = RawClient(server.starttls_port)
    features = client.cmd("EHLO client.test")
    assert "STARTTLS" in features
    assert "AUTH" not in features
    assert client.cmd(f"AUTH PLAIN {plain(SENDER_EMAIL, PASSWORD)}") == (
        "530 5.7.0 Must issue a STARTTLS command first"
    )
    assert client.cmd("AUTH LOGIN") == "530 5.7.0 Must issue a STARTTLS command first"
    assert client.cmd("MAIL FROM:<noreply@mail.acme.example>").startswith("530 5.7.0")
    # smtplib, the same: it refuses to send the password where the server offers no AUTH
    plain_client = smtplib.SMTP(HOST, server.starttls_port, timeout=10)
    plain_client.ehlo("client.test")
    with pytest.raises(smtplib.SMTPNotSupportedError):
        plain_client.login(SENDER_EMAIL, PASSWORD)
    plain_client.close()
    client.close()
    assert not Message.objects.exists()


def test_wrong_password_is_refused(smtpd, smtp_login, connect):
    with pytest.raises(smtplib.SMTPAuthenticationError) as refused:
        connect(smtpd(), password="Wrong4Pass7Word")
    assert refused.value.smtp_code == 535
    assert refused.value.smtp_error == b"5.7.8 Authentication credentials invalid"


def _django_backend(settings, tls_ca, monkeypatch, tmp_path, **email_settings):
    """Django's SMTP backend, configured through settings as an application does; the
    test CA trusted the way a deployment trusts its own (SSL_CERT_FILE)."""
    ca_file = tmp_path / "ca.pem"
    tls_ca.ca.cert_pem.write_to_path(str(ca_file))
    monkeypatch.setenv("SSL_CERT_FILE", str(ca_file))
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = HOST
    settings.EMAIL_HOST_USER = SENDER_EMAIL
    settings.EMAIL_HOST_PASSWORD = PASSWORD
    settings.EMAIL_TIMEOUT = 10
    settings.DEFAULT_FROM_EMAIL = f"Acme Shop <{SENDER_EMAIL}>"
    for name, value in email_settings.items():
        setattr(settings, name, value)
    return get_connection()


@pytest.mark.parametrize("mode", ["EMAIL_USE_TLS", "EMAIL_USE_SSL"])
def test_django_email_backend(smtpd, smtp_login, settings, tls_ca, monkeypatch, tmp_path, mode):
    server = smtpd()
    port = server.starttls_port if mode == "EMAIL_USE_TLS" else server.tls_port
    backend = _django_backend(
        settings, tls_ca, monkeypatch, tmp_path, EMAIL_PORT=port, **{mode: True}
    )
    mail = EmailMultiAlternatives(
        "Welcome, Ana",
        "Hello Ana, welcome aboard.",
        to=["ana@example.com"],
        cc=["team@example.com"],
        bcc=["audit@example.com"],
        headers={"X-Campaign": "welcome"},
        connection=backend,
    )
    mail.attach_alternative("<p>Hello Ana, <b>welcome</b> aboard.</p>", "text/html")
    mail.attach("terms.pdf", b"%PDF-1.4\n%terms\n", "application/pdf")
    assert mail.send() == 1
    stored = Message.objects.get()
    assert stored.from_name == "Acme Shop"
    assert stored.html == "<p>Hello Ana, <b>welcome</b> aboard.</p>"
    assert stored.text == "Hello Ana, welcome aboard."
    assert ["X-Campaign", "welcome"] in stored.headers
    assert list(stored.attachments.values_list("filename", "content")) == [
        ("terms.pdf", b"%PDF-1.4\n%terms\n")
    ]
    kinds = dict(stored.deliveries.values_list("recipient", "kind"))
    assert kinds == {
        "ana@example.com": Recipient.TO,
        "team@example.com": Recipient.CC,
        "audit@example.com": Recipient.BCC,
    }


def test_django_backend_refuses_an_untrusted_certificate(
    smtpd, smtp_login, settings, tls_ca, monkeypatch, tmp_path
):
    """The backend verifies the certificate: only a trusted one carries the password."""
    server = smtpd()
    backend = _django_backend(
        settings, tls_ca, monkeypatch, tmp_path, EMAIL_PORT=server.starttls_port, EMAIL_USE_TLS=True
    )
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "nothing-trusted.pem"))
    with pytest.raises(ssl.SSLCertVerificationError):
        backend.open()
    assert not Message.objects.exists()


def test_self_signed_certificate_of_make_run(transactional_db, smtp_login, tmp_path):
    """The pair `make run` writes serves TLS that verifies against itself for 127.0.0.1."""
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    write_self_signed(cert, key, [HOST, "localhost"])
    assert oct(key.stat().st_mode & 0o777) == "0o600"
    server = SubmissionServer(
        server_context(str(cert), str(key)),
        bind=HOST,
        starttls_port=0,
        tls_port=0,
        config=Config.from_settings(),
    )
    runner = ThreadedServer(server).start()
    try:
        context = ssl.create_default_context(cafile=str(cert))
        with smtplib.SMTP_SSL(HOST, server.tls_port, context=context, timeout=10) as client:
            client.login(SENDER_EMAIL, PASSWORD)
            client.sendmail(SENDER_EMAIL, ["ana@example.com"], message())
    finally:
        runner.stop()
    assert Message.objects.count() == 1


def test_starttls_only_once_and_not_on_the_tls_port(smtpd, smtp_login, raw):
    server = smtpd()
    assert raw(server, login=False).cmd("STARTTLS") == "503 5.5.1 TLS is already active"
    assert raw(server, login=False, implicit=True).cmd("STARTTLS") == (
        "503 5.5.1 TLS is already active"
    )
