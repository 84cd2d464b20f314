"""What a submitted message becomes: Bcc removed, Message-ID kept (or made) and known
to the message log and GetSendEmailStatus, headers parsed strictly, bodies and
attachments by the API's rules."""

import email
import email.policy

import pytest
from django.urls import reverse
from django.utils import timezone

from sending.build.mime import build
from sending.models import Delivery, Message, Recipient
from tests.sending.smtp.submission.conftest import SENDER_EMAIL, message
from tests.tc3 import ok

pytestmark = pytest.mark.django_db(transaction=True)

SMTP = email.policy.SMTP


def send(client, mail: bytes, rcpts=("ana@example.com",)):
    client.mail(SENDER_EMAIL)
    for rcpt in rcpts:
        client.rcpt(rcpt)
    return client.data(mail)


def raw_mail(header: str, body: str = "Hello.\r\n") -> bytes:
    return (header.replace("\n", "\r\n") + "\r\n" + body).encode()


HEADER = f"From: Acme Shop <{SENDER_EMAIL}>\nTo: ana@example.com\nSubject: Hi\n"


def test_bcc_is_removed_and_envelope_decides(smtpd, smtp_login, connect):
    mail = message(to="ana@example.com", cc="bo@example.com", Bcc="hidden@example.com")
    client = connect(smtpd())
    code, text = send(client, mail, ["ana@example.com", "bo@example.com", "hidden@example.com"])
    assert code == 250, text
    stored = Message.objects.get()
    assert dict(stored.deliveries.values_list("recipient", "kind")) == {
        "ana@example.com": Recipient.TO,
        "bo@example.com": Recipient.CC,
        "hidden@example.com": Recipient.BCC,
    }
    assert not [h for h in stored.headers if h[0].lower() == "bcc"]
    built = build(stored)
    assert b"hidden@example.com" not in built
    assert b"\nBcc:" not in built
    # A header address that is not an envelope recipient receives nothing.
    assert not Delivery.objects.filter(recipient="someone@example.com").exists()


def test_message_id_is_kept_and_known_to_the_log_and_api(
    smtpd, smtp_login, connect, call_api, operator_client, account
):
    client = connect(smtpd())
    mail = message(Message_ID="<order-42.7@mail.acme.example>")
    _, text = send(client, mail)
    message_id = text.decode().rsplit(" ", 1)[1]
    stored = Message.objects.get()
    assert stored.message_id == message_id
    assert stored.smtp_message_id == "<order-42.7@mail.acme.example>"
    assert b"Message-ID: <order-42.7@mail.acme.example>" in build(stored)
    today = timezone.localdate().isoformat()
    listed = ok(
        call_api(
            "GetSendEmailStatus",
            {"RequestDate": today, "MessageId": message_id, "Offset": 0, "Limit": 10},
        )
    )
    assert [row["MessageId"] for row in listed["EmailStatusList"]] == [message_id]
    page = operator_client.get(reverse("sending:message", args=[stored.pk])).content.decode()
    assert "&lt;order-42.7@mail.acme.example&gt;" in page


def test_missing_message_id_and_date_are_added(smtpd, smtp_login, connect):
    mail = raw_mail(HEADER)
    code, text = send(connect(smtpd()), mail)
    assert code == 250, text
    stored = Message.objects.get()
    assert stored.smtp_message_id.startswith("<")
    assert stored.smtp_message_id.endswith("@mail.acme.example>")
    built = email.message_from_bytes(build(stored), policy=SMTP)
    assert built["Message-ID"] == stored.smtp_message_id
    assert built["Date"].datetime is not None


def test_headers_kept_and_removed(smtpd, smtp_login, connect):
    header = (
        "Received: from evil.example by relay.example; Tue, 1 Jan 2030 00:00:00 +0000\n"
        "Return-Path: <bounce@evil.example>\n"
        "DKIM-Signature: v=1; a=rsa-sha256; d=evil.example; s=x; b=AAAA\n"
        "List-Unsubscribe: <https://evil.example/u>\n"
        "Sender: other@evil.example\n"
        f"{HEADER}"
        "X-Campaign: spring\n"
        "In-Reply-To: <thread-1@mail.acme.example>\n"
        "X-Long: one\n\ttwo  three\n"
        "X-Encoded: =?utf-8?q?caf=C3=A9?=\n"
        "Reply-To: help@acme.example\n"
    )
    code, text = send(connect(smtpd()), raw_mail(header))
    assert code == 250, text
    stored = Message.objects.get()
    assert stored.headers == [
        ["X-Campaign", "spring"],
        ["In-Reply-To", "<thread-1@mail.acme.example>"],
        ["X-Long", "one two  three"],
        ["X-Encoded", "=?utf-8?q?caf=C3=A9?="],
    ]
    assert stored.reply_to == "help@acme.example"
    built = build(stored)
    for gone in (b"evil.example", b"Received:", b"Return-Path:", b"Sender:"):
        assert gone not in built


def test_non_ascii_subject_display_name_and_bodies(smtpd, smtp_login, connect):
    mail = message(
        subject="您的订单已发货 ✅",
        sender=f"阿克米商店 <{SENDER_EMAIL}>",
        text="您好 安娜\n",
        html="<p>您好 <b>安娜</b></p>\n",
    )
    code, text = send(connect(smtpd()), mail)
    assert code == 250, text
    stored = Message.objects.get()
    assert (stored.subject, stored.from_name) == ("您的订单已发货 ✅", "阿克米商店")
    assert (stored.text, stored.html) == ("您好 安娜\n", "<p>您好 <b>安娜</b></p>\n")


def test_html_only_and_8bit_utf8_headers(smtpd, smtp_login, connect):
    mail = raw_mail(
        f"From: {SENDER_EMAIL}\nTo: ana@example.com\nSubject: Olá\n"
        "MIME-Version: 1.0\nContent-Type: text/html; charset=utf-8\n"
        "Content-Transfer-Encoding: 8bit\n",
        "<p>Olá, Ana</p>\r\n",
    )
    code, text = send(connect(smtpd()), mail)
    assert code == 250, text
    stored = Message.objects.get()
    assert (stored.subject, stored.from_name, stored.text) == ("Olá", "Acme Shop", "")
    assert stored.html == "<p>Olá, Ana</p>\n"


def attachment_mail(*files):
    mail = email.message_from_bytes(message(), policy=SMTP)
    for name, content, maintype, subtype in files:
        mail.add_attachment(content, maintype, subtype, filename=name)
    return mail.as_bytes()


def test_attachments(smtpd, smtp_login, connect):
    mail = attachment_mail(
        ("发票.pdf", b"%PDF-1.4\n%x\n", "application", "pdf"),
        ("photo.png", b"\x89PNG\r\n\x1a\n" + bytes(200), "image", "png"),
    )
    code, text = send(connect(smtpd()), mail)
    assert code == 250, text
    stored = Message.objects.get()
    assert list(stored.attachments.order_by("pk").values_list("filename", "content_type")) == [
        ("发票.pdf", "application/pdf"),
        ("photo.png", "image/png"),
    ]
    assert bytes(stored.attachments.get(filename="photo.png").content)[:4] == b"\x89PNG"


REFUSED = [
    ("header line without a colon", raw_mail(HEADER + "not a header\n"), "5.6.0 The header has"),
    ("no header at all", b"just some text\r\nand more\r\n", "5.6.0 The header has"),
    ("two subjects", raw_mail(HEADER + "Subject: again\n"), "5.6.0 The message has more than"),
    ("bad date", raw_mail(HEADER + "Date: yesterday\n"), "5.6.0 The Date header is not"),
    (
        "bad message id",
        raw_mail(HEADER + "Message-ID: not an id\n"),
        "5.6.0 The Message-ID header must",
    ),
    ("bare LF", HEADER.encode() + b"\nHello.\n", "5.6.0 The message has a bare CR or LF"),
    (
        "header not UTF-8",
        raw_mail(HEADER).replace(b"Subject: Hi", b"Subject: H\xe9llo"),
        "5.6.0 The Subject header is neither ASCII nor UTF-8",
    ),
    (
        "line break encoded in the subject",
        raw_mail(HEADER.replace("Subject: Hi", "Subject: =?utf-8?q?Hi=0D=0ABcc:_x@evil.example?=")),
        "5.6.0 Subject must not contain line breaks",
    ),
    (
        "raw UTF-8 in an address header",
        raw_mail(HEADER.replace("From: Acme Shop", "From: Café")),
        "5.6.0 The From header has raw non-ASCII characters: encode them (RFC 2047)",
    ),
    ("no From", raw_mail("To: ana@example.com\nSubject: Hi\n"), "5.7.1 The message has no From"),
    (
        "two From addresses",
        raw_mail(HEADER.replace("From: ", "From: a@mail.acme.example, ")),
        "5.7.1 From must be one address",
    ),
    (
        "malformed To",
        raw_mail(HEADER.replace("To: ana@example.com", "To: ana@@example..com <")),
        "5.6.0 The To header is malformed",
    ),
    (
        "two Reply-To addresses",
        raw_mail(HEADER + "Reply-To: a@example.com, b@example.com\n"),
        "5.6.0 Reply-To must be one address",
    ),
    (
        "a custom header twice",
        raw_mail(HEADER + "X-Tag: a\nX-Tag: b\n"),
        "5.6.0 Message header: X-Tag is given more than once.",
    ),
    ("empty body", raw_mail(HEADER, ""), "5.6.0 The message has no text"),
    (
        "broken base64",
        raw_mail(
            HEADER + "MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n"
            "Content-Transfer-Encoding: base64\n",
            "SGVsbG8*\r\n",
        ),
        "5.6.0 The MIME structure is broken",
    ),
    (
        "unknown charset",
        raw_mail(
            HEADER + "MIME-Version: 1.0\nContent-Type: text/plain; charset=x-no-such\n",
            "Hello\r\n",
        ),
        "5.6.0 The text/plain body cannot be decoded",
    ),
    (
        "an executable attached",
        attachment_mail(("setup.exe", b"MZ\x90\x00", "application", "octet-stream")),
        "5.6.0 Attachment 'setup.exe': executables",
    ),
    (
        "a program under another name",
        attachment_mail(("report.pdf", b"MZ\x90\x00", "application", "pdf")),
        "5.6.0 Attachment 'report.pdf' is a program",
    ),
    (
        "a part without a file name",
        raw_mail(
            HEADER + 'MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="b"\n',
            "--b\r\nContent-Type: text/plain\r\n\r\nHello\r\n--b\r\n"
            "Content-Type: image/png\r\nContent-Transfer-Encoding: base64\r\n\r\niVBORw0K\r\n"
            "--b--\r\n",
        ),
        "5.6.0 A image/png part is neither the body nor an attachment",
    ),
    (
        "eleven attachments",
        attachment_mail(*[(f"f{i}.pdf", b"%PDF-1.4\n", "application", "pdf") for i in range(11)]),
        "5.6.0 An email carries at most 10 attachments, not 11.",
    ),
]


@pytest.mark.parametrize(("mail", "start"), [pytest.param(m, s, id=n) for n, m, s in REFUSED])
def test_refused_messages(smtpd, smtp_login, connect, mail, start):
    code, text = send(connect(smtpd()), mail)
    assert code in (550, 553), text
    assert text.decode().startswith(start), text
    assert not Message.objects.exists()
