"""Building the message (RFC 5322, MIME): sending.build.mime."""

import email
import email.policy
import re
from email.header import decode_header, make_header

import pytest

from sending.acceptance.service import SendRequest, accept
from sending.build import mime
from sending.delivery.retention import purge_bodies
from sending.models import Attachment, Delivery, Message, Recipient
from tests.sending.conftest import SENDER_DOMAIN, SENDER_EMAIL

ALIAS = "阿娜的小店 🎉"
SUBJECT = "你好 🎉 您的订单 #1234 已发货 — thanks for shopping with us! 🚚 " * 3
PDF = b"%PDF-1.7\r\n\x00\x01\x02\xff binary\n\r\x00 end" * 50
PHOTO = bytes(range(256)) * 4
IN_REPLY_TO = "<" + "b" * 120 + "@mail.example.com>"


@pytest.fixture(autouse=True)
def _fast_account(account):
    account.send_rate_per_second = 1000
    account.save()


def content(part) -> str:
    """A text part's content with the wire's CRLF line endings back to newlines."""
    return part.get_content().replace("\r\n", "\n")


def send(account, sender, **fields) -> Message:
    fields.setdefault("subject", "Your sign-in code")
    fields.setdefault("to", ["ana@example.com"])
    return accept(account, SendRequest(sender=sender, **fields))


def wire(message, **kwargs) -> email.message.EmailMessage:
    """Build, check what holds for every message on the wire, and parse it back."""
    raw = mime.build(message, **kwargs)
    assert isinstance(raw, bytes)
    raw.decode("ascii")  # 7bit: every non-ASCII byte is encoded
    assert b"\r" not in raw.replace(b"\r\n", b"") and b"\n" not in raw.replace(b"\r\n", b"")
    assert raw.endswith(b"\r\n")
    assert max(len(line) for line in raw.split(b"\r\n")) <= 998
    head = raw.split(b"\r\n\r\n", 1)[0].decode("ascii")
    for line in head.split("\r\n"):  # each line a header or its folded continuation
        assert re.match(r"^([!-9;-~]+: |[ \t]+\S)", line), line
    assert "bcc" not in head.lower()
    return email.message_from_bytes(raw, policy=email.policy.default)


def header_names(parsed) -> list[str]:
    return [name.lower() for name, _ in parsed.raw_items()]


# A template send: every header, the rendered parts


def test_template_send_has_every_header_and_both_rendered_parts(
    account, verified_sender, approved_template
):
    data = {"name": '<Ana & "Bo">', "code": 1234}
    message = send(
        account,
        verified_sender,
        from_name="Acme Shop",
        to=["ana@example.com", "bo@example.com"],
        cc=["carl@example.com"],
        bcc=["secret@example.com"],
        reply_to="help@acme.example",
        template_revision=approved_template.approved,
        template_data=data,
        headers=[("X-Campaign", "spring 2025"), ("In-Reply-To", IN_REPLY_TO)],
    )
    assert Delivery.objects.filter(message=message, kind=Recipient.BCC).exists()
    raw = mime.build(message)
    assert b"secret@example.com" not in raw
    parsed = wire(message)

    assert str(parsed["From"]) == f"Acme Shop <{SENDER_EMAIL}>"
    assert [a.addr_spec for a in parsed["To"].addresses] == ["ana@example.com", "bo@example.com"]
    assert [a.addr_spec for a in parsed["Cc"].addresses] == ["carl@example.com"]
    assert "Bcc" not in parsed
    assert str(parsed["Reply-To"]) == "help@acme.example"
    assert str(parsed["Subject"]) == "Your sign-in code"
    assert parsed["Date"].datetime == message.created_at.replace(microsecond=0)
    assert parsed["Message-ID"] == message.smtp_message_id
    assert message.smtp_message_id.endswith(f"@{SENDER_DOMAIN}>")
    assert parsed["MIME-Version"] == "1.0"
    assert parsed["X-Campaign"] == "spring 2025"
    assert parsed["In-Reply-To"] == IN_REPLY_TO
    assert f"In-Reply-To: {IN_REPLY_TO}\r\n".encode() in raw  # as given, not encoded
    assert header_names(parsed)[:8] == [
        "from", "to", "cc", "reply-to", "subject", "date", "message-id", "mime-version",
    ]  # fmt: skip
    assert header_names(parsed).count("mime-version") == 1

    assert parsed.get_content_type() == "multipart/alternative"
    text, html = parsed.iter_parts()
    assert (text.get_content_type(), html.get_content_type()) == ("text/plain", "text/html")
    assert "MIME-Version" not in text and "MIME-Version" not in html
    assert "Hello &lt;Ana &amp; &quot;Bo&quot;&gt;, your code is 1234." in content(html)
    assert 'Hello <Ana & "Bo">, your code is 1234.' in content(text)
    rendered = mime.render_parts(message)
    assert rendered == (content(html).removesuffix("\n"), content(text))


def test_render_parts_renders_the_template_revision_with_the_data(
    account, verified_sender, approved_template
):
    message = send(
        account,
        verified_sender,
        template_revision=approved_template.approved,
        template_data={"name": "Ana", "code": "{{name}}"},
    )
    html, text = mime.render_parts(message)
    assert "Hello Ana, your code is {{name}}." in html
    assert text.startswith("Hello Ana, your code is {{name}}.")


def test_the_stored_subject_is_not_rendered_again(account, verified_sender, approved_template):
    message = send(
        account,
        verified_sender,
        subject="Code {{code}} for {{name}}",  # as stored: already filled
        template_revision=approved_template.approved,
        template_data={"name": "Ana", "code": "1"},
    )
    assert str(wire(message)["Subject"]) == "Code {{code}} for {{name}}"


# Encoded words: aliases and subjects in Chinese, with emoji


def test_alias_and_subject_in_chinese_with_emoji_round_trip(account, verified_sender):
    message = send(account, verified_sender, from_name=ALIAS, subject=SUBJECT, text="你好")
    raw = mime.build(message)
    assert b"=?utf-8?" in raw
    parsed = wire(message)
    assert parsed["From"].addresses[0].display_name == ALIAS
    assert parsed["From"].addresses[0].addr_spec == SENDER_EMAIL
    assert str(parsed["Subject"]) == SUBJECT
    assert content(parsed) == "你好\n"


def test_a_long_alias_is_split_into_encoded_words_between_characters(account, verified_sender):
    alias = ("阿娜的小店 🎉 Ana's shop " * 6)[:100]
    message = send(account, verified_sender, from_name=alias, text="hi")
    raw = mime.build(message).decode("ascii")
    head = re.search(r"^From: (.*?)\r\n(?=\S)", raw, re.S | re.M)[1]
    words = re.findall(r"=\?utf-8\?[bq]\?[^?]*\?=", head)
    assert len(words) > 1 and all(len(word) <= 75 for word in words)
    for word in words:  # each word decodes on its own: no character split across two
        [(data, charset)] = decode_header(word)
        data.decode(charset)
    # Python 3.11's own parser puts spaces between the words of a phrase; the
    # RFC 2047 reading (and mail programs) join them.
    display = head.rpartition(" <")[0]
    assert str(make_header(decode_header(display))) == alias
    assert head.endswith(f" <{SENDER_EMAIL}>")


@pytest.mark.parametrize(
    "alias",
    ['Acme, "Shop" Inc.', "Ana (support)", "=?utf-8?q?not_encoded?= Shop", "Acme Shop"],
)
def test_ascii_aliases_are_quoted_or_encoded_as_needed(account, verified_sender, alias):
    message = send(account, verified_sender, from_name=alias, text="hi")
    assert wire(message)["From"].addresses[0].display_name == alias


@pytest.mark.parametrize(
    "subject",
    [
        "Re: 订单 =?utf-8?q?x?= ok",  # literal text that looks like an encoded word
        "x" * 998,  # one word: no space to fold at
        " ".join(["word"] * 199),
        "Ünïcödé " * 124,
        "a  b   c",
    ],
)
def test_subjects_round_trip_within_the_line_limits(account, verified_sender, subject):
    message = send(account, verified_sender, subject=subject, text="hi")
    assert str(wire(message)["Subject"]) == subject


def test_no_to_or_cc_says_undisclosed_recipients(account, verified_sender):
    message = send(account, verified_sender, to=[], bcc=["hidden@example.com"], text="hi")
    raw = mime.build(message)
    assert b"To: undisclosed-recipients:;\r\n" in raw
    assert b"hidden@example.com" not in raw
    wire(message)


def test_cc_only_has_no_to(account, verified_sender):
    message = send(account, verified_sender, to=[], cc=["carl@example.com"], text="hi")
    parsed = wire(message)
    assert "To" not in parsed
    assert str(parsed["Cc"]) == "carl@example.com"


def test_many_recipients_are_folded_between_addresses(account, verified_sender):
    to = [f"recipient{i:02}@example.com" for i in range(30)]
    message = send(account, verified_sender, to=to, text="hi")
    raw = mime.build(message).decode("ascii")
    to_header = re.search(r"^To: .*?\r\n(?=\S)", raw, re.S | re.M)[0]
    assert to_header.count("\r\n") > 1
    assert all(len(line) <= 78 for line in to_header.split("\r\n"))
    assert [a.addr_spec for a in wire(message)["To"].addresses] == to


def test_addresses_and_message_ids_go_out_as_given(account, verified_sender):
    message_id = "<=?utf-8?q?odd?=." + "i" * 200 + "@mail.acme.example>"
    message = send(
        account,
        verified_sender,
        to=["a=?b?=@example.com"],
        reply_to="x=?y@example.com",
        smtp_message_id=message_id,
        text="hi",
    )
    raw = mime.build(message)
    assert f"Message-ID: {message_id}\r\n".encode() in raw
    assert b"To: a=?b?=@example.com\r\n" in raw
    assert b"Reply-To: x=?y@example.com\r\n" in raw
    assert wire(message)["Message-ID"] == message_id


def test_header_from_replaces_the_from_address(account, verified_sender):
    message = send(
        account, verified_sender, from_name="News", header_from=f"news@{SENDER_DOMAIN}", text="hi"
    )
    assert str(wire(message)["From"]) == f"News <news@{SENDER_DOMAIN}>"


# Custom headers


def test_custom_headers_go_out_as_given_or_encoded_when_not_ascii(account, verified_sender):
    long_name = "X-" + "N" * 74
    headers = [
        ("X-Campaign", "spring"),
        ("X-Url", "https://example.com/" + "c" * 200),
        ("X-Pre-Encoded", "=?utf-8?q?caf=C3=A9?="),
        ("X-Note", "春季促销 🌸 spring sale"),
        ("Content-Language", "zh-CN"),
        (long_name, "长" * 200),
        ("References", " ".join(f"<id{i}@mail.example.com>" for i in range(20))),
    ]
    message = send(account, verified_sender, text="hi", headers=headers)
    raw = mime.build(message)
    assert b"X-Url: https://example.com/" + b"c" * 200 + b"\r\n" in raw
    assert b"X-Pre-Encoded: =?utf-8?q?caf=C3=A9?=\r\n" in raw
    parsed = wire(message)
    for name, value in headers:
        expected = "café" if name == "X-Pre-Encoded" else value
        assert str(parsed[name]) == expected, name
    assert parsed["Content-Language"] == "zh-CN"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("headers", [["X-Evil", "a\r\nBcc: victim@example.com"]]),
        ("headers", [["X-Evil\r\nBcc", "victim@example.com"]]),
        ("headers", [["X-Evil", "a\u2028b"]]),
        ("subject", "Hi\nBcc: victim@example.com"),
        ("from_name", "Acme\r\nBcc: victim@example.com"),
        ("reply_to", "a@example.com\r\nBcc: victim@example.com"),
        ("smtp_message_id", "<a@b>\nBcc: victim@example.com"),
    ],
)
def test_a_line_break_that_slipped_into_a_row_is_refused(account, verified_sender, field, value):
    message = send(account, verified_sender, text="hi")
    setattr(message, field, value)
    with pytest.raises(mime.BuildError):
        mime.build(message)


# Bodies


def test_text_only_is_a_single_text_plain_part(account, verified_sender):
    message = send(account, verified_sender, text="Hello Ana,\n\n" + "long line " * 200)
    parsed = wire(message)
    assert parsed.get_content_type() == "text/plain"
    assert not parsed.is_multipart()
    assert content(parsed) == "Hello Ana,\n\n" + "long line " * 200 + "\n"


def test_html_only_gets_a_plain_text_alternative_made_from_it(account, verified_sender):
    html = (
        "<html><head><title>T</title><style>p {color: red}</style></head><body>"
        "<h1>Hello Ana</h1><p>Your order &amp; its <b>invoice</b>.</p>"
        "<ul><li>One</li><li>Two</li></ul>"
        '<p><a href="https://acme.example/track?id=1">Track it</a></p>'
        "<script>alert(1)</script></body></html>"
    )
    message = send(account, verified_sender, html=html)
    parsed = wire(message)
    assert parsed.get_content_type() == "multipart/alternative"
    text, html_part = parsed.iter_parts()
    assert content(html_part) == html + "\n"
    assert content(text) == (
        "Hello Ana\n\nYour order & its invoice.\n\n- One\n- Two\n\n"
        "Track it (https://acme.example/track?id=1)\n"
    )


def test_html_and_text_are_alternatives_text_first(account, verified_sender):
    message = send(account, verified_sender, html="<p>你好 Ana</p>", text="你好 Ana")
    parsed = wire(message)
    text, html = parsed.iter_parts()
    assert content(text) == "你好 Ana\n"
    assert content(html) == "<p>你好 Ana</p>\n"
    assert {text["Content-Transfer-Encoding"], html["Content-Transfer-Encoding"]} <= {
        "quoted-printable",
        "base64",
    }


# Attachments


@pytest.mark.parametrize("bodies", [{"text": "See."}, {"html": "<p>See</p>", "text": "See"}])
def test_attachments_are_byte_identical_with_their_names(account, verified_sender, bodies):
    long_name = "年度报告" * 60 + ".pdf"
    attachments = [
        ("invoice.pdf", "application/pdf", PDF),
        ("发票 2024 résumé.pdf", "application/pdf", PDF[:100]),
        ("photo.png", "image/png", PHOTO),
        ("notes.txt", "text/plain", "纯文本\r\nno newline at end".encode()),
        (long_name, "application/pdf", b"x"),
    ]
    message = send(account, verified_sender, attachments=attachments, **bodies)
    parsed = wire(message)
    assert parsed.get_content_type() == "multipart/mixed"
    body, *parts = parsed.iter_parts()
    kind = "multipart/alternative" if "html" in bodies else "text/plain"
    assert body.get_content_type() == kind
    got = [
        (part.get_filename(), part.get_content_type(), part.get_payload(decode=True))
        for part in parts
    ]
    assert got == attachments
    assert all(part.get_content_disposition() == "attachment" for part in parts)
    assert all("MIME-Version" not in part for part in parsed.walk() if part is not parsed)


def test_attachments_can_be_given_and_odd_types_fall_back(account, verified_sender):
    message = send(account, verified_sender, text="hi")
    given = [mime_attachment("a.bin", "", b"\x00"), mime_attachment("b", "multipart/x", b"y")]
    parsed = wire(message, attachments=given)
    types = [part.get_content_type() for part in parsed.iter_attachments()]
    assert types == ["application/octet-stream", "application/octet-stream"]


def mime_attachment(filename, content_type, content):
    return Attachment(filename=filename, content_type=content_type, content=content)


# Content that is gone


def test_purged_bodies_cannot_be_built(account, verified_sender):
    message = send(account, verified_sender, text="hi")
    Message.objects.filter(pk=message.pk).update(created_at=message.created_at.replace(year=2000))
    purge_bodies()
    message.refresh_from_db()
    with pytest.raises(mime.BuildError):
        mime.build(message)


def test_a_deleted_template_cannot_be_built(account, verified_sender, approved_template):
    message = send(
        account,
        verified_sender,
        template_revision=approved_template.approved,
        template_data={"name": "Ana", "code": "1"},
    )
    approved_template.delete()
    message.refresh_from_db()
    with pytest.raises(mime.BuildError):
        mime.render_parts(message)
