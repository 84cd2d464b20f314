"""SendEmail: every field with a wrong value answers its exact error code and
writes nothing; no line break given anywhere reaches a header."""

import json

import pytest

from accounts.models import Account
from sending.models import Message
from tests.sending.conftest import SENDER_EMAIL, b64
from tests.sending.sendhelp import change, nothing_written
from tests.tc3 import ok

MIB = 1024 * 1024
PDF = b"%PDF-1.4\n" + b"0" * 100
INJECT = "\r\nBcc: victim@evil.example"


@pytest.fixture(autouse=True)
def _fast(account):
    Account.objects.filter(pk=account.pk).update(
        api_rate_per_second=10_000, send_rate_per_second=10_000
    )


def attachment(name="report.pdf", content=PDF, **extra):
    item = {"FileName": name, **extra}
    if content is not None:
        item["Content"] = content if isinstance(content, str) else b64(content)
    return item


def addresses(count, domain="example.com"):
    return [f"user{i}@{domain}" for i in range(count)]


def data(**values):
    return change("Template.TemplateData", json.dumps(values))


# The codes, short
NULL = "InvalidParameterValue.EmailAddressIsNULL"
SENDER = "FailedOperation.IncorrectSender"
ALIAS = "InvalidParameterValue.IllegalSenderName"
ADDRESS = "InvalidParameterValue.IllegalEmailAddress"
MANY = "FailedOperation.TooManyRecipients"
SUBJECT = "InvalidParameterValue.SubjectLengthError"
JSON_ = "FailedOperation.WrongContentJson"
VARIABLES = "InvalidParameterValue.TemplateDataError"
NAME = "FailedOperation.InvalidAttachName"
CONTENT = "InvalidParameterValue.AttachContentIsWrong"
VALUE = "InvalidParameterValue"
UNVERIFIED = "FailedOperation.NotAuthenticatedSender"
ATTACHED_TOO_LARGE = "FailedOperation.AttachContentToolarge"
EMAIL_TOO_LARGE = "FailedOperation.EmailContentToolarge"
TOO_MANY_ATTACHMENTS = "FailedOperation.TooManyAttachments"


def field(path, *rows):
    """(id, mutation, code) for each (name, value, code) row of one field."""
    return [(f"{path}: {name}", change(path, value), code) for name, value, code in rows]


def attach(name="report.pdf", content=PDF, **extra):
    return [attachment(name, content, **extra)]


def headers(value):
    return value if isinstance(value, str) else json.dumps(value)


LONG_ADDRESS = f"{'a' * 64}@{'b' * 60}.{'c' * 60}.{'d' * 60}.example"  # 255 characters

CASES = [
    *field(
        "FromEmailAddress",
        ("empty", "", NULL),
        ("no space before <", f"Acme<{SENDER_EMAIL}>", SENDER),
        ("no closing >", f"Acme <{SENDER_EMAIL}", SENDER),
        ("not an address", "not an address", SENDER),
        ("no domain", "noreply@", SENDER),
        ("alias with colon", f"Acme: Shop <{SENDER_EMAIL}>", ALIAS),
        ("alias of 81", f"{'A' * 81} <{SENDER_EMAIL}>", ALIAS),
        ("CRLF in alias", f"Acme{INJECT} <{SENDER_EMAIL}>", SENDER),
        ("CRLF after address", f"{SENDER_EMAIL}{INJECT}", SENDER),
        ("trailing LF", f"{SENDER_EMAIL}\n", SENDER),
        ("not ours", "other@mail.acme.example", "InvalidParameterValue.NoSuchSender"),
        ("unknown domain", "noreply@elsewhere.example", "InvalidParameterValue.NoSuchSender"),
    ),
    *field(
        "Destination",
        ("[]", [], NULL),
        ("not a list", "ana@example.com", "InvalidParameter"),
        ("51", addresses(51), MANY),
        ("empty item", [""], NULL),
        ("bad", ["not-an-address"], ADDRESS),
        ("no domain", ["ana@"], ADDRESS),
        ("TLD only", ["ana@com"], ADDRESS),
        ("with a name", ["Ana <ana@example.com>"], ADDRESS),
        ("two in one", ["a@example.com, b@example.com"], ADDRESS),
        ("CRLF", [f"ana@example.com{INJECT}"], ADDRESS),
        ("255 characters", [LONG_ADDRESS], ADDRESS),
    ),
    *field("Cc", ("21", addresses(21, "cc.example"), MANY), ("bad", ["bad"], ADDRESS)),
    *field(
        "Bcc",
        ("21", addresses(21, "bcc.example"), MANY),
        ("bad", ["bad@"], ADDRESS),
        ("repeats Destination", ["ANA@example.com"], VALUE),
    ),
    *field(
        "Subject",
        ("empty", "", SUBJECT),
        ("blank", "   ", SUBJECT),
        ("999", "x" * 999, SUBJECT),
        ("CRLF", f"Hello{INJECT}", VALUE),
        ("LF", "Hello\nthere", VALUE),
        ("CR", "Hello\rthere", VALUE),
        ("NEL", "Hello\x85there", VALUE),
        ("U+2028", "Hello\u2028there", VALUE),
        ("NUL", "Hello\x00", VALUE),
        ("variable not given", "Hi {{nickname}}", VARIABLES),
    ),
    *field("Template.TemplateID", ("unknown", 999_999, "FailedOperation.InvalidTemplateID")),
    *field("Template.TemplateID", ("text", "abc", "InvalidParameter")),
    *field(
        "Template.TemplateData",
        ("not JSON", "{name: Ana}", JSON_),
        ("array", "[1, 2]", JSON_),
        ("nested", json.dumps({"name": {"first": "Ana"}, "code": "1"}), JSON_),
        ("NaN", '{"name": NaN, "code": "1"}', JSON_),
        ("lacks code", json.dumps({"name": "Ana"}), VARIABLES),
        ("empty", "", VARIABLES),
    ),
    *field("Simple", ("no permission", {"Text": b64("hi")}, "FailedOperation.WithOutPermission")),
    *field(
        "Attachments",
        ("11", [attachment(f"r{i}.pdf") for i in range(11)], TOO_MANY_ATTACHMENTS),
        ("exe", attach("setup.exe"), NAME),
        ("EXE", attach("SETUP.EXE"), NAME),
        ("bat", attach("run.bat"), NAME),
        ("js after pdf", attach("invoice.pdf.js"), NAME),
        ("sh", attach("install.sh"), NAME),
        ("html", attach("page.html"), NAME),
        ("svg", attach("logo.svg"), NAME),
        ("docm", attach("macro.docm"), NAME),
        ("zip", attach("files.zip"), NAME),
        ("unknown type", attach("data.xyz"), NAME),
        ("no extension", attach("README"), NAME),
        ("extension only", attach(".pdf"), NAME),
        ("trailing dot", attach("setup.exe."), NAME),
        ("trailing space", attach("report.pdf "), NAME),
        ("path", attach("../etc/report.pdf"), NAME),
        ("backslash", attach("C:\\report.pdf"), NAME),
        ("CRLF in name", attach(f"report{INJECT}.pdf"), NAME),
        ("RTL override", attach("invoice\u202efdp.exe"), NAME),
        ("name of 256", attach("r" * 252 + ".pdf"), NAME),
        ("empty name", attach(""), NAME),
        ("no name", [{"Content": b64(PDF)}], "MissingParameter"),
        ("bad base64", attach(content="not base64!!"), CONTENT),
        ("bad padding", attach(content="QUJD="), CONTENT),
        ("no content", attach(content=None), CONTENT),
        ("empty content", attach(content=""), CONTENT),
        ("program as pdf", attach(content=b"MZ\x90\x00" + b"\x00" * 60), CONTENT),
        ("ELF as png", attach("a.png", b"\x7fELF\x02\x01"), CONTENT),
        ("script as txt", attach("notes.txt", b"#!/bin/sh\nrm -rf /\n"), CONTENT),
        (
            "FileURL",
            attach(content=None, FileURL="https://f.example/a.pdf"),
            "UnsupportedOperation",
        ),
        ("over 4 MB", attach(content=PDF.ljust(4 * MIB + 1, b"0")), ATTACHED_TOO_LARGE),
        ("email over 4 MB", attach(content=PDF.ljust(4 * MIB - 100, b"0")), EMAIL_TOO_LARGE),
    ),
    *field(
        "ReplyToAddresses",
        ("bad", "not-an-address", ADDRESS),
        ("two", "a@example.com,b@example.com", ADDRESS),
        ("CRLF", f"help@example.com{INJECT}", ADDRESS),
    ),
    *field("Unsubscribe", ("13", "13", VALUE), ("-1", "-1", VALUE), ("word", "en", VALUE)),
    *field("TriggerType", ("2", 2, VALUE), ("-1", -1, VALUE), ("text", "one", "InvalidParameter")),
    *field(
        "SmtpHeaders",
        ("not JSON", "X-Tag: a", VALUE),
        ("array", '[["X-Tag", "a"]]', VALUE),
        ("number value", '{"X-Tag": 1}', VALUE),
        ("space in name", headers({"X Tag": "a"}), VALUE),
        ("colon in name", headers({"X-Tag:": "a"}), VALUE),
        ("CRLF in name", headers({f"X-Tag{INJECT}": "a"}), VALUE),
        ("CRLF in value", headers({"X-Tag": f"a{INJECT}"}), VALUE),
        ("LF in value", headers({"X-Tag": "a\n b"}), VALUE),
        ("From", headers({"From": "ceo@bank.example"}), VALUE),
        ("from", headers({"from": "ceo@bank.example"}), VALUE),
        ("Bcc", headers({"Bcc": "victim@evil.example"}), VALUE),
        ("Subject", headers({"Subject": "x"}), VALUE),
        ("Message-ID", headers({"Message-ID": "<a@b.example>"}), VALUE),
        ("DKIM-Signature", headers({"DKIM-Signature": "v=1"}), VALUE),
        ("Content-Type", headers({"Content-Type": "text/html"}), VALUE),
        ("List-Unsubscribe", headers({"List-Unsubscribe": "<https://x>"}), VALUE),
        ("Resent-From", headers({"Resent-From": "x@y.example"}), VALUE),
        ("twice", '{"X-Tag": "a", "x-tag": "b"}', VALUE),
        ("51", headers({f"X-H{i}": "v" for i in range(51)}), VALUE),
        ("line over 998", headers({"X-Tag": "v" * 995}), VALUE),
    ),
    *field(
        "HeaderFrom",
        ("bad", "not-an-address", ADDRESS),
        ("CRLF", f"news@mail.acme.example{INJECT}", ADDRESS),
        ("alias with colon", "News: <news@mail.acme.example>", ALIAS),
        ("other domain", "ceo@bank.example", UNVERIFIED),
        ("parent domain", "news@acme.example", UNVERIFIED),
    ),
    *field(
        "SmtpMessageId",
        ("space", "<order 1@mail.acme.example>", VALUE),
        ("no @", "<order-1>", VALUE),
        ("empty left", "<@mail.acme.example>", VALUE),
        ("CRLF", f"<o-1@mail.acme.example>{INJECT}", VALUE),
        ("too long", f"<{'a' * 240}@mail.acme.example>", VALUE),
        ("non-ASCII", "<订单@mail.acme.example>", VALUE),
    ),
    ("FromEmailAddress: missing", change("FromEmailAddress"), "MissingParameter"),
    ("Subject: missing", change("Subject"), "MissingParameter"),
    ("Destination: none at all", change("Destination"), NULL),
    ("Template: neither it nor Simple", change("Template"), "FailedOperation.MissingEmailContent"),
    ("Template.TemplateData: missing", change("Template.TemplateData"), "MissingParameter"),
    ("unknown parameter", change("Priority", "high"), "UnknownParameter"),
]


@pytest.mark.parametrize(("mutate", "code"), [pytest.param(m, c, id=name) for name, m, c in CASES])
def test_wrong_value_answers_its_code_and_writes_nothing(call_api, send_params, mutate, code):
    reply = call_api("SendEmail", mutate(send_params))
    assert reply.code == code, reply.message
    assert reply.message
    assert nothing_written()


def test_missing_variables_are_named(call_api, send_params):
    params = change("Subject", "Hi {{nickname}}")(send_params)
    reply = call_api("SendEmail", change("Template.TemplateData", "{}")(params))
    assert reply.code == "InvalidParameterValue.TemplateDataError"
    assert reply.message == "Missing template variables: code, name, nickname."


def test_simple_refused_without_permission_names_the_rule(call_api, send_params):
    params = change("Template")(send_params)
    reply = call_api("SendEmail", change("Simple", {"Html": b64("<p>Hi</p>")})(params))
    assert reply.code == "FailedOperation.WithOutPermission"
    assert reply.message == "You can only send emails with a template."


WRONG = "InvalidParameterValue.EmailContentIsWrong"
NO_CONTENT = "FailedOperation.MissingEmailContent"
SIMPLE_CASES = [
    ("bad base64", {"Html": "<p>not base64</p>"}, WRONG),
    ("not UTF-8", {"Text": b64(b"\xff\xfe\x00")}, WRONG),
    ("NUL", {"Text": b64("a\x00b")}, WRONG),
    ("empty", {}, NO_CONTENT),
    ("blank", {"Html": b64("  "), "Text": ""}, NO_CONTENT),
]


@pytest.mark.parametrize(("simple", "code"), [pytest.param(s, c, id=n) for n, s, c in SIMPLE_CASES])
def test_simple_content_is_checked(call_api, account, send_params, simple, code):
    Account.objects.filter(pk=account.pk).update(allow_custom_content=True)
    reply = call_api("SendEmail", change("Simple", simple)(change("Template")(send_params)))
    assert reply.code == code, reply.message
    assert nothing_written()


def test_template_and_simple_together_are_refused(call_api, account, send_params):
    Account.objects.filter(pk=account.pk).update(allow_custom_content=True)
    reply = call_api("SendEmail", change("Simple", {"Text": b64("hello")})(send_params))
    assert reply.code == "InvalidParameterValue"
    assert nothing_written()


def test_bcc_may_not_repeat_cc(call_api, send_params):
    params = change("Cc", ["bo@example.com"])(send_params)
    reply = call_api("SendEmail", change("Bcc", ["bo@example.com"])(params))
    assert reply.code == "InvalidParameterValue"
    assert nothing_written()


def test_sender_on_a_domain_no_longer_verified(call_api, account, make_sender, send_params):
    make_sender(account, "noreply@lapsed.example", verified=False)
    reply = call_api("SendEmail", change("FromEmailAddress", "noreply@lapsed.example")(send_params))
    assert reply.code == "FailedOperation.NotAuthenticatedSender"
    assert nothing_written()


def test_template_not_yet_approved(call_api, account, make_template, send_params):
    pending = make_template(account, name="Pending", approve=False)
    reply = call_api("SendEmail", change("Template.TemplateID", pending.pk)(send_params))
    assert reply.code == "OperationDenied.TemplateStatusError"
    assert nothing_written()


def test_subject_filled_with_a_line_break_is_refused(call_api, send_params):
    params = change("Subject", "Hello {{name}}")(send_params)
    reply = call_api("SendEmail", data(name=f"Ana{INJECT}", code="1")(params))
    assert reply.code == "InvalidParameterValue.TemplateDataError"
    assert "name" in reply.message
    assert nothing_written()


def test_subject_filled_beyond_998_characters_is_refused(call_api, send_params):
    params = change("Subject", "Hello {{name}}")(send_params)
    reply = call_api("SendEmail", data(name="a" * 993, code="1")(params))
    assert reply.code == "InvalidParameterValue.SubjectLengthError"
    assert nothing_written()


def test_line_breaks_in_body_values_are_content_not_headers(call_api, send_params):
    """A line break in a value filling the body is text, and harmless there."""
    reply = call_api("SendEmail", data(name=f"Ana{INJECT}", code="1")(send_params))
    message = Message.objects.get(message_id=ok(reply)["MessageId"])
    assert message.template_data["name"] == f"Ana{INJECT}"
    assert "\n" not in message.subject and message.headers == []
