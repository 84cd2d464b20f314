"""Failed logins: limited per connection, per client address and per user name, with a
temporary refusal (421, 454 4.7.0) that holds even for the right password; each
failure recorded for the console."""

import time

import pytest
import time_machine

from accounts.models import Account
from domains.models import SmtpAuthFailure
from tests.sending.smtp.submission.conftest import PASSWORD, SENDER_EMAIL, RawClient, plain

pytestmark = pytest.mark.django_db(transaction=True)

WRONG = "Wrong4Pass7Word"
LOCKED = "454 4.7.0 Too many failed logins from your address or as this user; try again later"


def login(raw, server, user=SENDER_EMAIL, password=PASSWORD, source=None) -> str:
    client = raw(server, login=False, source=source)
    return client.cmd(f"AUTH PLAIN {plain(user, password)}")


def test_per_connection(smtpd, smtp_login, raw):
    client = raw(smtpd(auth_failures_per_session=3), login=False)
    for _ in range(2):
        assert client.cmd(f"AUTH PLAIN {plain(SENDER_EMAIL, WRONG)}") == (
            "535 5.7.8 Authentication credentials invalid"
        )
    assert client.cmd(f"AUTH PLAIN {plain(SENDER_EMAIL, WRONG)}") == (
        "421 4.7.0 Too many failed logins; closing the connection"
    )
    assert client.closed()


def test_per_client_address(smtpd, smtp_login, raw, settings):
    settings.SES_SMTPD_AUTH_FAILURES_PER_IP = 3
    server = smtpd()
    for user in (SENDER_EMAIL, "nobody@example.com", "x@mail.acme.example"):
        assert login(raw, server, user, WRONG).startswith("535 ")
    # Locked: the right password too, so that guessing learns nothing.
    assert login(raw, server) == LOCKED
    # Another address is not.
    assert login(raw, server, source="127.0.0.2").startswith("235 ")


def test_per_user_name(smtpd, smtp_login, raw, settings, account, make_sender):
    settings.SES_SMTPD_AUTH_FAILURES_PER_USER = 3
    other = make_sender(account, email="billing@mail.acme.example")
    other.set_smtp_password(PASSWORD)
    server = smtpd()
    for source in ("127.0.0.2", "127.0.0.3", "127.0.0.4"):
        assert login(raw, server, SENDER_EMAIL.upper(), WRONG, source=source).startswith("535 ")
    assert login(raw, server, source="127.0.0.5") == LOCKED
    # Other users, from anywhere, are not.
    assert login(raw, server, "billing@mail.acme.example", source="127.0.0.2").startswith("235 ")


def test_the_lock_ends_with_its_window(smtpd, smtp_login, raw, settings):
    settings.SES_SMTPD_AUTH_FAILURES_PER_IP = 1
    settings.SES_SMTPD_AUTH_FAILURE_WINDOW = 60
    server = smtpd()
    with time_machine.travel(time.time(), tick=True) as traveller:
        assert login(raw, server, password=WRONG).startswith("535 ")
        assert login(raw, server) == LOCKED
        traveller.shift(61)
        assert login(raw, server).startswith("235 ")


def test_failures_are_recorded(smtpd, smtp_login, raw, account, make_account, make_sender):
    inactive = make_account("gone", is_active=False)
    make_sender(inactive, email="old@mail.gone.example").set_smtp_password(PASSWORD)
    make_sender(account, email="nopass@mail.acme.example")
    server = smtpd()
    assert login(raw, server, password=WRONG).startswith("535 ")
    assert login(raw, server, "nobody@nowhere.example", WRONG, source="127.0.0.2").startswith(
        "535 "
    )
    assert login(raw, server, "old@mail.gone.example").startswith("535 ")
    assert login(raw, server, "nopass@mail.acme.example", "anything").startswith("535 ")
    assert login(raw, server, "bad\x01name", WRONG).startswith("535 ")
    rows = list(
        SmtpAuthFailure.objects.order_by("pk").values_list(
            "account__name", "username", "client_ip", "reason"
        )
    )
    assert rows == [
        ("acme", SENDER_EMAIL, "127.0.0.1", "wrong password"),
        (None, "nobody@nowhere.example", "127.0.0.2", "unknown user"),
        ("gone", "old@mail.gone.example", "127.0.0.1", "account inactive"),
        ("acme", "nopass@mail.acme.example", "127.0.0.1", "no SMTP password set"),
        (None, "bad?name", "127.0.0.1", "malformed user name"),
    ]


def test_an_inactive_account_cannot_log_in(smtpd, smtp_login, raw, account):
    Account.objects.filter(pk=account.pk).update(is_active=False)
    assert login(raw, smtpd()) == "535 5.7.8 Authentication credentials invalid"


def test_malformed_auth_exchanges(smtpd, smtp_login, raw, tls_ca):
    server = smtpd()
    client = raw(server, login=False)
    assert client.cmd("AUTH CRAM-MD5").startswith("504 5.5.4")
    assert client.cmd("AUTH PLAIN not-base64!").startswith("501 5.5.2")
    assert client.cmd("AUTH PLAIN " + "eA==").startswith("501 5.5.2")  # no NULs
    assert client.cmd("AUTH LOGIN").startswith("334 VXNlcm5hbWU6")
    assert client.cmd("*") == "501 5.7.0 Authentication aborted"
    assert client.cmd("AUTH PLAIN").startswith("334")
    assert client.cmd(plain(SENDER_EMAIL, PASSWORD)) == "235 2.7.0 Authentication successful"
    assert client.cmd("AUTH PLAIN x") == "503 5.5.1 Already authenticated"
    # HELO sessions get no AUTH; implicit TLS does.
    helo = RawClient(server.tls_port, implicit=True, context=tls_ca.client_context())
    assert helo.cmd("HELO client.test").startswith("250")
    assert helo.cmd(f"AUTH PLAIN {plain(SENDER_EMAIL, PASSWORD)}").startswith("503 5.5.1")
    assert not SmtpAuthFailure.objects.exists()
