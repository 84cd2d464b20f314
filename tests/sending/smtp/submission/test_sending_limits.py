"""The API's limits through SMTP, each with its reply: temporary ones 4xx (the client
retries), permanent ones 5xx; recipient counts and the 4 MB message size."""

import smtplib
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Account
from sending.models import (
    CustomBlock,
    Delivery,
    DeliveryStatus,
    Message,
    PlatformBlock,
    SendStatus,
    Unsubscription,
)
from tests.sending.smtp.submission.conftest import SENDER_EMAIL, message

pytestmark = pytest.mark.django_db(transaction=True)

ANA = "ana@example.com"


def block_platform(account):
    PlatformBlock.objects.create(email=ANA, expires_at=timezone.now() + timedelta(days=1))


def block_custom(account):
    CustomBlock.objects.create(account=account, email=ANA)


def unsubscribe(account):
    Unsubscription.objects.create(account=account, email=ANA)


def limit(**fields):
    def apply(account):
        Account.objects.filter(pk=account.pk).update(**fields)

    return apply


REFUSALS = [
    ("daily quota", limit(daily_quota=0), 451, "4.7.1", "FailedOperation.ExceedSendLimit"),
    (
        "per-recipient hourly cap",
        limit(hourly_per_recipient=0),
        450,
        "4.7.1",
        "FailedOperation.FrequencyLimit",
    ),
    ("platform blocklist", block_platform, 550, "5.1.1", "FailedOperation.EmailAddrInBlacklist"),
    ("own blocklist", block_custom, 550, "5.1.1", "FailedOperation.EmailAddrInBlacklist"),
    ("unsubscribed", unsubscribe, 550, "5.7.1", "FailedOperation.ReceiverHasUnsubscribed"),
    (
        "suspended",
        limit(sending_suspended=True, suspension_reason="Too many hard bounces."),
        550,
        "5.7.1",
        "FailedOperation.HighRejectionRate",
    ),
]


@pytest.mark.parametrize(
    ("setup", "code", "enhanced", "api_code"),
    [pytest.param(*row[1:], id=row[0]) for row in REFUSALS],
)
def test_each_limit_has_its_reply(
    smtpd, smtp_login, connect, account, setup, code, enhanced, api_code
):
    setup(account)
    client = connect(smtpd())
    client.mail(SENDER_EMAIL)
    client.rcpt(ANA)
    answer_code, text = client.data(message())
    assert answer_code == code
    assert text.decode().startswith(f"{enhanced} ")
    assert text.decode().endswith(f"({api_code})")
    assert not Message.objects.exists()
    # The session goes on: a temporary refusal can be retried on it.
    assert client.noop()[0] == 250


def test_more_recipients_than_the_rate_are_accepted_and_paced(smtpd, smtp_login, connect, account):
    """The per-second rate refuses nothing, by SMTP as by the API: 21 recipients at 20 a
    second are one accepted message whose deliveries leave over a second."""
    limit(send_rate_per_second=20, hourly_per_recipient=50)(account)
    recipients = [f"r{i}@example.com" for i in range(21)]
    client = connect(smtpd())
    assert client.sendmail(SENDER_EMAIL, recipients, message(to=", ".join(recipients))) == {}
    moments = sorted(Delivery.objects.values_list("next_attempt_at", flat=True))
    assert len(moments) == 21
    assert moments[-1] - moments[0] == timedelta(seconds=1)


def test_suspension_reason_is_given(smtpd, smtp_login, connect, account):
    limit(sending_suspended=True, suspension_reason="Too many hard bounces.")(account)
    client = connect(smtpd())
    client.mail(SENDER_EMAIL)
    client.rcpt(ANA)
    assert client.data(message()) == (
        550,
        b"5.7.1 Sending is suspended: Too many hard bounces. (FailedOperation.HighRejectionRate)",
    )


def test_retry_after_a_temporary_refusal(smtpd, smtp_login, connect, account):
    limit(daily_quota=0)(account)
    client = connect(smtpd())
    with pytest.raises(smtplib.SMTPDataError) as refused:
        client.sendmail(SENDER_EMAIL, [ANA], message())
    assert refused.value.smtp_code == 451
    client.rset()
    limit(daily_quota=10)(account)
    assert client.sendmail(SENDER_EMAIL, [ANA], message()) == {}
    assert Message.objects.count() == 1


def test_one_refused_recipient_is_dropped_the_others_sent(smtpd, smtp_login, connect, account):
    """As with the API: a list refuses a recipient, not the message."""
    block_custom(account)
    client = connect(smtpd())
    client.sendmail(SENDER_EMAIL, [ANA, "bo@example.com"], message(to=f"{ANA}, bo@example.com"))
    outcome = dict(Delivery.objects.values_list("recipient", "send_status"))
    assert outcome == {ANA: SendStatus.BLOCKLISTED, "bo@example.com": SendStatus.OK}
    assert Delivery.objects.get(recipient=ANA).status == DeliveryStatus.DROPPED


def test_recipient_counts(smtpd, smtp_login, raw):
    """At most 90 envelope recipients (452 4.5.3 beyond, per RFC 5321 4.5.3.1.10), and
    per kind the API's 50 To, 20 Cc, 20 Bcc."""
    client = raw(smtpd())
    assert client.cmd(f"MAIL FROM:<{SENDER_EMAIL}>").startswith("250")
    for i in range(90):
        assert client.cmd(f"RCPT TO:<user{i}@example.com>").startswith("250 2.1.5")
    assert client.cmd("RCPT TO:<user0@example.com>").startswith("250 2.1.5")  # given before
    assert client.cmd("RCPT TO:<one.more@example.com>").startswith("452 4.5.3 Too many recipients")
    to_all = ", ".join(f"user{i}@example.com" for i in range(90))
    assert client.cmd("DATA").startswith("354")
    client.send(message(to=to_all) + b".\r\n")
    answer = client.reply()
    assert answer.startswith("550 5.5.3 Destination has 90 addresses; at most 50"), answer
    # 50 in To, 20 in Cc, 20 Bcc: within every limit.
    assert client.cmd(f"MAIL FROM:<{SENDER_EMAIL}>").startswith("250")
    for i in range(90):
        assert client.cmd(f"RCPT TO:<user{i}@example.com>").startswith("250 2.1.5")
    to = ", ".join(f"user{i}@example.com" for i in range(50))
    cc = ", ".join(f"user{i}@example.com" for i in range(50, 70))
    assert client.cmd("DATA").startswith("354")
    client.send(message(to=to, cc=cc) + b".\r\n")
    assert client.reply().startswith("250 2.0.0")
    kinds = list(Delivery.objects.values_list("kind", flat=True))
    assert (kinds.count("to"), kinds.count("cc"), kinds.count("bcc")) == (50, 20, 20)


def test_size_is_advertised_and_enforced(smtpd, smtp_login, connect, raw):
    server = smtpd()
    client = connect(server)
    assert client.has_extn("size")
    assert client.esmtp_features["size"] == str(4 * 1024 * 1024)
    # Declared too big: refused at MAIL FROM.
    code, text = client.mail(SENDER_EMAIL, ["SIZE=5000000"])
    assert (code, text) == (552, b"5.3.4 Message too big: at most 4194304 bytes (SIZE 4194304)")
    big = message(text="x" * 76 + "\n") + (b"y" * 998 + b"\r\n") * 4300
    client.rset()
    with pytest.raises(smtplib.SMTPSenderRefused) as refused:  # smtplib declares SIZE
        client.sendmail(SENDER_EMAIL, [ANA], big)
    assert refused.value.smtp_code == 552
    # Undeclared, and too big: refused after the data, and nothing kept.
    line = raw(server)
    assert line.cmd(f"MAIL FROM:<{SENDER_EMAIL}>").startswith("250")
    assert line.cmd(f"RCPT TO:<{ANA}>").startswith("250")
    assert line.cmd("DATA").startswith("354")
    line.send(big + b".\r\n")
    assert line.reply() == "552 5.3.4 Message too big: at most 4194304 bytes (SIZE 4194304)"
    assert line.cmd("NOOP").startswith("250")  # the session goes on
    assert not Message.objects.exists()
    # Just under the limit: accepted.
    client.rset()
    body = "z" * 900 + "\n"
    fits = message(text=body * 4400)
    assert len(fits) < 4 * 1024 * 1024
    assert client.sendmail(SENDER_EMAIL, [ANA], fits) == {}
    assert Message.objects.get().size > 3_900_000
