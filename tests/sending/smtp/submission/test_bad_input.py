"""No crash and no hang on bad input: mangled messages get a clear permanent refusal
(or are accepted whole), never a temporary one that a client would retry forever;
a server fed garbage keeps serving."""

import logging
import random
import smtplib

import pytest

from accounts.models import Account
from sending.acceptance import parse
from sending.models import Message
from sending.smtp.submission import replies
from sending.smtp.submission.message import Refused, parse_submission
from sesconsole.refusals import Refusal
from tests.sending.smtp.submission.conftest import SENDER_EMAIL, message

pytestmark = pytest.mark.django_db(transaction=True)

MULTIPART = message(html="<p>Hello <b>Ana</b></p>\n", cc="bo@example.com", X_Tag="one")


def mutations(seed: int, count: int):
    """Mangled copies of a valid multipart message: bytes flipped, cut, repeated."""
    rng = random.Random(seed)
    for _ in range(count):
        data = bytearray(MULTIPART)
        kind = rng.randrange(5)
        if kind == 0:  # flip bytes
            for _ in range(rng.randint(1, 20)):
                data[rng.randrange(len(data))] = rng.randrange(256)
        elif kind == 1:  # cut anywhere
            data = data[: rng.randrange(len(data))]
        elif kind == 2:  # a chunk repeated
            start = rng.randrange(len(data))
            data[start:start] = data[start : start + rng.randint(1, 300)] * rng.randint(2, 50)
        elif kind == 3:  # random bytes between lines
            lines = bytes(data).split(b"\r\n")
            at = rng.randrange(len(lines))
            lines.insert(at, bytes(rng.randrange(256) for _ in range(rng.randint(1, 80))))
            data = bytearray(b"\r\n".join(lines))
        else:  # special characters where structure is
            for token in (b":", b"<", b">", b"@", b'"', b";", b"=?", b"--", b"\\"):
                if rng.random() < 0.3:
                    at = rng.randrange(len(data))
                    data[at:at] = token
        yield bytes(data)


HEAD = f"From: {SENDER_EMAIL}\r\nTo: ana@example.com\r\nSubject: deep\r\n".encode()
NESTED = (
    HEAD
    + b"MIME-Version: 1.0\r\n"
    + b"".join(
        f'Content-Type: multipart/mixed; boundary="b{i}"\r\n\r\n--b{i}\r\n'.encode()
        for i in range(3000)
    )
    + b"Content-Type: text/plain\r\n\r\nHello\r\n"
)
ODD = [
    b"",
    b"\r\n",
    b"\r\n\r\n\r\n",
    b":\r\n\r\nx\r\n",
    b"From:\r\n\r\nx\r\n",
    b"From: <>\r\nSubject: x\r\n\r\nx\r\n",
    f"From: {SENDER_EMAIL}\r\nSubject: x\r\nContent-Type: multipart/mixed\r\n\r\nx\r\n".encode(),
    f"From: =?utf-8?b?????\r\nTo: {SENDER_EMAIL}\r\nSubject: x\r\n\r\nx\r\n".encode(),
    b'From: "\\\r\nTo: ,,,,@,<<>>\r\nSubject: x\r\n\r\nx\r\n',
    NESTED,
]


def outcome(account, sender, data: bytes) -> str:
    try:
        parse_submission(account, sender, ["ana@example.com", "bo@example.com"], data)
    except Refused as refused:
        return refused.reply[:3]
    except Refusal as error:
        return replies.for_refusal(error)[:3]
    return "ok"


@pytest.mark.parametrize("seed", range(4))
def test_mangled_messages_are_refused_or_taken_whole(smtp_login, account, seed):
    sender = smtp_login
    outcomes = [outcome(account, sender, data) for data in mutations(seed, 150)]
    assert "ok" in outcomes or seed  # some mutations are harmless
    assert set(outcomes) <= {"ok", "550", "552", "553"}


@pytest.mark.parametrize("data", ODD, ids=range(len(ODD)))
def test_odd_messages(smtp_login, account, data):
    assert outcome(account, smtp_login, data) != "ok"


def test_server_keeps_serving_after_bad_messages(smtpd, smtp_login, raw):
    Account.objects.filter(pk=smtp_login.account_id).update(send_rate_per_second=10_000)
    server = smtpd()
    client = raw(server)
    replies = []
    for data in [*list(mutations(7, 40)), *ODD]:
        assert client.cmd(f"MAIL FROM:<{SENDER_EMAIL}>").startswith("250")
        assert client.cmd("RCPT TO:<ana@example.com>").startswith("250")
        assert client.cmd("DATA").startswith("354")
        payload = data.replace(b"\r\n.", b"\r\n..")
        if not payload.endswith(b"\r\n"):
            payload += b"\r\n"
        client.send(payload + b".\r\n")
        replies.append(client.reply())
    codes = {reply[:3] for reply in replies}
    assert codes <= {"250", "500", "550", "552", "553"}, codes
    assert "451" not in codes  # nothing here is worth a retry
    assert client.cmd("NOOP") == "250 2.0.0 OK"
    assert Message.objects.count() == sum(r.startswith("250") for r in replies)


def test_a_message_the_parser_cannot_read_is_refused_for_good(smtpd, smtp_login, connect, caplog):
    """Only the parsing of the message itself answers 550: the client must change it."""
    client = connect(smtpd())
    with (
        caplog.at_level(logging.WARNING, logger="sending.smtp"),
        pytest.raises(smtplib.SMTPDataError) as refused,
    ):
        client.sendmail(SENDER_EMAIL, ["ana@example.com"], NESTED)
    assert refused.value.smtp_code == 550
    assert refused.value.smtp_error.startswith(b"5.6.0 The message cannot be parsed")
    assert any("could not be parsed" in r.getMessage() for r in caplog.records)
    assert not Message.objects.exists()


def test_a_bug_of_ours_is_a_temporary_failure_then_accepted(
    smtpd, smtp_login, connect, caplog, monkeypatch
):
    """A TypeError in our own rules (not in parsing) is 451 4.3.0 with its traceback
    logged: the client keeps the message and retries, and the retry succeeds once the
    bug is gone, where a 550 would have bounced valid mail for good."""

    def buggy_size_check(*args):
        raise TypeError("a bug in the size check")

    monkeypatch.setattr(parse, "check_size", buggy_size_check)
    client = connect(smtpd())
    with (
        caplog.at_level(logging.ERROR, logger="sending.smtp"),
        pytest.raises(smtplib.SMTPDataError) as refused,
    ):
        client.sendmail(SENDER_EMAIL, ["ana@example.com"], MULTIPART)
    assert refused.value.smtp_code == 451
    assert refused.value.smtp_error.startswith(b"4.3.0")
    (logged,) = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert logged.exc_info[0] is TypeError
    assert not Message.objects.exists()

    monkeypatch.undo()  # the bug is fixed; the client retries
    client.rset()
    assert client.sendmail(SENDER_EMAIL, ["ana@example.com"], MULTIPART) == {}
    assert Message.objects.count() == 1
