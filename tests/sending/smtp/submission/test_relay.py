"""No open relay, in the manner of Postfix's relay tests: every combination of
{plaintext, unauthenticated, authenticated} x {own sender, foreign sender, sender on
an unverified domain} x {plain recipient, a%b@c, a@b@c, @route:a@b}, with the reply
to MAIL FROM and to RCPT TO each must get. Only an authenticated client sending as its
own sender to a plain recipient gets a message in."""

import pytest

from accounts.models import Account
from sending.models import Message
from tests.sending.smtp.submission.conftest import PASSWORD, SENDER_EMAIL, message, plain

pytestmark = pytest.mark.django_db(transaction=True)

FOREIGN = "news@mail.other.example"  # a verified sender address of another account
UNVERIFIED = "info@pending.acme.example"  # this account's, on a domain not verified

SENDERS = {"own": SENDER_EMAIL, "foreign": FOREIGN, "unverified domain": UNVERIFIED}
RECIPIENTS = {
    "plain": "ana@example.com",
    "a%b@c": "ana%example.com@relay.example",
    "a@b@c": "ana@example.com@relay.example",
    "@route:a@b": "@relay.example:ana@example.com",
}
NO_TLS = ("530 5.7.0", "530 5.7.0")
NO_AUTH = ("530 5.7.0", "530 5.7.0")
WEIRD = ("250 2.1.0", "553 5.1.3")
NOT_YOURS = ("550 5.7.1", "503 5.5.1")  # MAIL refused, so RCPT has no transaction


def expected(session: str, sender: str, recipient: str) -> tuple[str, str]:
    if session == "plaintext":
        return NO_TLS
    if session == "unauthenticated":
        return NO_AUTH
    if sender != "own":
        return NOT_YOURS
    return ("250 2.1.0", "250 2.1.5") if recipient == "plain" else WEIRD


CASES = [
    pytest.param(session, sender, recipient, id=f"{session}-{sender}-{recipient}")
    for session in ("plaintext", "unauthenticated", "authenticated")
    for sender in SENDERS
    for recipient in RECIPIENTS
]


@pytest.fixture
def senders(account, smtp_login, make_account, make_sender):
    other = make_account("other")
    make_sender(other, email=FOREIGN).set_smtp_password(PASSWORD)
    make_sender(account, email=UNVERIFIED, verified=False).set_smtp_password(PASSWORD)
    Account.objects.filter(pk=other.pk).update(allow_custom_content=True)


@pytest.mark.parametrize(("session", "sender", "recipient"), CASES)
def test_relay_table(smtpd, raw, senders, session, sender, recipient):
    address = SENDERS[sender]
    client = raw(smtpd(), tls=session != "plaintext", login=False)
    if session == "authenticated":
        # Each sender signs in as itself: the foreign one has no login here, so the
        # client is this account's sender trying another account's address.
        login = SENDER_EMAIL if sender == "foreign" else address
        assert client.cmd(f"AUTH PLAIN {plain(login, PASSWORD)}").startswith("235 ")

    mail = client.cmd(f"MAIL FROM:<{address}>")
    rcpt = client.cmd(f"RCPT TO:<{RECIPIENTS[recipient]}>")

    want_mail, want_rcpt = expected(session, sender, recipient)
    assert (mail[:9], rcpt[:9]) == (want_mail, want_rcpt), (mail, rcpt)
    data = client.cmd("DATA")
    if (want_mail, want_rcpt) == ("250 2.1.0", "250 2.1.5"):
        assert data.startswith("354")
        client.send(message(sender=address, to=RECIPIENTS[recipient]) + b".\r\n")
        assert client.reply().startswith("250 2.0.0 Ok: queued as qcloudses-")
        assert Message.objects.count() == 1
    else:
        assert data[:3] in ("530", "503"), data
        assert not Message.objects.exists()


def test_refusals_say_why(smtpd, raw, senders):
    """The texts name the problem, not just the code."""
    client = raw(smtpd())
    assert client.cmd(f"MAIL FROM:<{FOREIGN}>") == (
        f"550 5.7.1 You are authenticated as {SENDER_EMAIL}: MAIL FROM must be that "
        f"address, not <{FOREIGN}>"
    )
    assert client.cmd(f"MAIL FROM:<{SENDER_EMAIL}>") == "250 2.1.0 Sender OK"
    assert "source routes are not accepted" in client.cmd("RCPT TO:<@relay.example:a@b.example>")
    assert "has one @" in client.cmd("RCPT TO:<a@b.example@relay.example>")
    assert "relaying is not accepted" in client.cmd("RCPT TO:<a%b.example@relay.example>")
    assert "relaying is not accepted" in client.cmd("RCPT TO:<b.example!a@relay.example>")
    assert client.cmd("RCPT TO:<not an address>").startswith("553 5.1.3")
    assert client.cmd('RCPT TO:<"a b"@example.com>').startswith("553 5.1.3")

    unverified = raw(smtpd(), login=False)
    assert unverified.cmd(f"AUTH PLAIN {plain(UNVERIFIED, PASSWORD)}").startswith("235 ")
    assert unverified.cmd(f"MAIL FROM:<{UNVERIFIED}>") == (
        f"550 5.7.1 The domain pending.acme.example is not verified, so {UNVERIFIED} cannot send"
    )


def test_null_sender_and_header_from_of_another(smtpd, raw, senders):
    """A bounce address (<>) is no sender; the header From must be the login too."""
    client = raw(smtpd())
    assert client.cmd("MAIL FROM:<>").startswith("550 5.7.1 The null sender <> is for bounces")
    assert client.cmd(f"MAIL FROM:<{SENDER_EMAIL}>").startswith("250 ")
    assert client.cmd("RCPT TO:<ana@example.com>").startswith("250 ")
    assert client.cmd("DATA").startswith("354")
    client.send(message(sender=f"Someone Else <{FOREIGN}>") + b".\r\n")
    answer = client.reply()
    assert answer.startswith("550 5.7.1 The From header must be your sender address"), answer
    assert not Message.objects.exists()
