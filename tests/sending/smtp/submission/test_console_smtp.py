"""The Sender Address page: SMTP host, ports, TLS modes and user name; a Django
settings example that works as shown; the account's recent failed sign-ins, and no
other account's."""

import html
import re

import pytest
from django.core import mail as django_mail
from django.urls import reverse

from domains.models import SmtpAuthFailure
from sending.models import Message
from tests.sending.smtp.submission.conftest import HOST, PASSWORD, SENDER_EMAIL, plain

pytestmark = pytest.mark.django_db(transaction=True)


def page(client) -> str:
    response = client.get(reverse("domains:senders"))
    assert response.status_code == 200
    return response.content.decode()


def django_example(content: str) -> dict:
    block = re.search(r'data-testid="smtp-django-example">(.*?)</pre>', content, re.S)
    assert block is not None
    namespace: dict = {}
    exec(html.unescape(block.group(1)), namespace)  # our own page's example, as shown
    return {k: v for k, v in namespace.items() if k.isupper()}


def test_page_shows_how_to_connect(operator_client, smtp_login, settings):
    settings.SES_SMTPD_HOSTNAME = "smtp.ses.example.com"
    settings.SES_SMTPD_STARTTLS_PORT = 587
    settings.SES_SMTPD_TLS_PORT = 465
    content = page(operator_client)
    assert '<code data-testid="smtp-host">smtp.ses.example.com</code>' in content
    assert '<code data-testid="smtp-starttls-port">587</code> with STARTTLS' in content
    assert '<code data-testid="smtp-tls-port">465</code> with implicit TLS' in content
    assert f"User name: the sender address, e.g. <code>{SENDER_EMAIL}</code>" in content
    assert "X-SES-Template-ID" in content
    assert django_example(content) == {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "smtp.ses.example.com",
        "EMAIL_PORT": 587,
        "EMAIL_USE_TLS": True,
        "EMAIL_HOST_USER": SENDER_EMAIL,
        "EMAIL_HOST_PASSWORD": "the SMTP password of that address",
        "DEFAULT_FROM_EMAIL": f"Acme Shop <{SENDER_EMAIL}>",
        "EMAIL_TIMEOUT": 30,
    }
    assert 'data-testid="smtp-no-failures"' in content


def test_the_django_example_sends(
    operator_client, smtp_login, smtpd, settings, tls_ca, tmp_path, monkeypatch
):
    server = smtpd()
    settings.SES_SMTPD_HOSTNAME = HOST
    settings.SES_SMTPD_STARTTLS_PORT = server.starttls_port
    example = django_example(page(operator_client))
    ca_file = tmp_path / "ca.pem"
    tls_ca.ca.cert_pem.write_to_path(str(ca_file))
    monkeypatch.setenv("SSL_CERT_FILE", str(ca_file))
    for name, value in example.items():
        setattr(settings, name, value)
    settings.EMAIL_HOST_PASSWORD = PASSWORD  # what the operator noted down
    sent = django_mail.send_mail("Hello", "Sent as the page says.", None, ["ana@example.com"])
    assert sent == 1
    stored = Message.objects.get()
    assert (stored.from_name, stored.from_address) == ("Acme Shop", SENDER_EMAIL)
    assert stored.text.rstrip("\n") == "Sent as the page says."


def test_recent_failures_of_this_account_only(
    smtpd, smtp_login, raw, operator_client, client, make_account, make_operator, make_sender
):
    other = make_account("other")
    make_sender(other, email="news@mail.other.example").set_smtp_password(PASSWORD)
    server = smtpd()
    for user, source in ((SENDER_EMAIL, "127.0.0.7"), ("news@mail.other.example", "127.0.0.8")):
        session = raw(server, login=False, source=source)
        assert session.cmd(f"AUTH PLAIN {plain(user, 'Wrong4Pass7Word')}").startswith("535")
    assert SmtpAuthFailure.objects.count() == 2

    mine = page(operator_client)
    assert 'data-testid="smtp-failures"' in mine
    assert "127.0.0.7" in mine
    assert "wrong password" in mine
    assert "127.0.0.8" not in mine
    assert "news@mail.other.example" not in mine

    client.force_login(make_operator(other, "bob@other.example"))
    theirs = page(client)
    assert "127.0.0.8" in theirs
    assert "127.0.0.7" not in theirs
    assert SENDER_EMAIL not in theirs
