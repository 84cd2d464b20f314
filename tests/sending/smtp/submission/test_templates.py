"""Templates by SMTP: X-SES-Template-ID and X-SES-Template-Data name an approved
template and its data, rendered as for the API; template-only accounts cannot send
raw content."""

import email
import email.policy
import json

import pytest

from accounts.models import Account
from sending.build.mime import build
from sending.models import Message
from tests.sending.smtp.submission.conftest import SENDER_EMAIL, message

pytestmark = pytest.mark.django_db(transaction=True)

DATA = {"name": "Ana", "code": "1234"}


def send(client, mail: bytes, to="ana@example.com"):
    client.mail(SENDER_EMAIL)
    client.rcpt(to)
    return client.data(mail)


def template_mail(template_id, data=DATA, subject="Your code {{code}}", text="", **headers):
    return message(
        subject=subject,
        text=text,
        X_SES_Template_ID=str(template_id),
        X_SES_Template_Data=data if isinstance(data, str) else json.dumps(data, ensure_ascii=False),
        **headers,
    )


@pytest.fixture
def template_only(account, smtp_login):
    Account.objects.filter(pk=account.pk).update(allow_custom_content=False)


def test_template_only_account_cannot_send_raw_content(smtpd, connect, template_only):
    client = connect(smtpd())
    assert send(client, message()) == (
        550,
        b"5.7.1 You can only send emails with a template. (FailedOperation.WithOutPermission)",
    )
    assert not Message.objects.exists()


def test_template_headers_send_the_rendered_template(
    smtpd, connect, template_only, approved_template
):
    client = connect(smtpd())
    code, text = send(client, template_mail(approved_template.pk))
    assert code == 250, text
    stored = Message.objects.get()
    assert stored.template_revision == approved_template.approved
    assert stored.template_data == DATA
    assert stored.subject == "Your code 1234"
    assert (stored.html, stored.text) == ("", "")
    assert not any(name.lower().startswith("x-ses-") for name, _ in stored.headers)
    built = build(stored).decode()
    assert "Hello Ana, your code is 1234." in built
    assert "X-SES-Template" not in built


def test_non_ascii_template_data_in_encoded_words(smtpd, connect, template_only, approved_template):
    client = connect(smtpd())
    data = {"name": "安娜", "code": "Ω-5678"}
    mail = template_mail(approved_template.pk, data=data)
    assert b"=?utf-8?" in mail  # the mail library encoded the header (RFC 2047)
    code, text = send(client, mail)
    assert code == 250, text
    assert Message.objects.get().template_data == data


def test_attachments_go_with_a_template(smtpd, connect, template_only, approved_template):
    mail_bytes = template_mail(approved_template.pk)
    mail = email.message_from_bytes(mail_bytes, policy=email.policy.SMTP)
    mail.add_attachment(b"%PDF-1.4\n%x\n", "application", "pdf", filename="receipt.pdf")
    client = connect(smtpd())
    code, text = send(client, mail.as_bytes())
    assert code == 250, text
    stored = Message.objects.get()
    assert stored.template_revision_id is not None
    assert list(stored.attachments.values_list("filename", flat=True)) == ["receipt.pdf"]


@pytest.fixture
def other_template(make_account, make_template):
    return make_template(make_account("other"), name="Theirs")


REFUSALS = [
    ("unknown template", lambda t: template_mail(999999), "FailedOperation.InvalidTemplateID"),
    ("not a number", lambda t: template_mail("abc"), "FailedOperation.InvalidTemplateID"),
    (
        "data not JSON",
        lambda t: template_mail(t.pk, data="{name"),
        "FailedOperation.WrongContentJson",
    ),
    (
        "data not an object",
        lambda t: template_mail(t.pk, data='["Ana"]'),
        "FailedOperation.WrongContentJson",
    ),
    (
        "a variable missing",
        lambda t: template_mail(t.pk, data={"name": "Ana"}),
        "InvalidParameterValue.TemplateDataError",
    ),
    (
        "subject variable missing",
        lambda t: template_mail(t.pk, subject="Hi {{surname}}"),
        "InvalidParameterValue.TemplateDataError",
    ),
    ("no subject", lambda t: template_mail(t.pk, subject=None), "SubjectLengthError"),
]


@pytest.mark.parametrize(
    ("mail", "api_code"), [pytest.param(m, c, id=name) for name, m, c in REFUSALS]
)
def test_template_refusals(smtpd, connect, template_only, approved_template, mail, api_code):
    client = connect(smtpd())
    code, text = send(client, mail(approved_template))
    assert code == 550
    assert text.startswith(b"5.6.0 ")
    assert api_code.encode() in text
    assert not Message.objects.exists()


def test_pending_and_foreign_templates_are_refused(
    smtpd, connect, template_only, account, make_template, other_template
):
    pending = make_template(account, name="Draft", approve=False)
    client = connect(smtpd())
    code, text = send(client, template_mail(pending.pk))
    assert (code, text[:6]) == (550, b"5.6.0 ")
    assert b"has no approved version yet" in text
    client.rset()
    code, text = send(client, template_mail(other_template.pk))
    assert (code, text) == (
        550,
        f"5.6.0 There is no template {other_template.pk} of yours. "
        "(FailedOperation.InvalidTemplateID)".encode(),
    )


def test_template_and_body_together_are_refused(smtpd, connect, smtp_login, approved_template):
    client = connect(smtpd())
    code, text = send(client, template_mail(approved_template.pk, text="Some text too"))
    assert code == 550
    assert text == (
        b"5.6.0 Give either a template (X-SES-Template-ID) or a body, not both: "
        b"leave the body empty"
    )


def test_template_data_alone_and_unknown_ses_headers_are_refused(smtpd, connect, smtp_login):
    client = connect(smtpd())
    code, text = send(client, message(X_SES_Template_Data="{}"))
    assert (code, text) == (
        550,
        b"5.6.0 X-SES-Template-Data is given without X-SES-Template-ID",
    )
    client.rset()
    code, text = send(client, message(X_SES_Templat_ID="3"))
    assert code == 550
    assert text.startswith(b"5.6.0 X-SES-Templat-ID is not a header of this service")


def test_unsubscribe_and_trigger_type_headers(smtpd, connect, smtp_login):
    client = connect(smtpd())
    code, _ = send(client, message(X_SES_Unsubscribe="2", X_SES_Trigger_Type="1"))
    assert code == 250
    stored = Message.objects.get()
    assert (stored.unsubscribe, stored.trigger_type) == ("2", 1)
    client.rset()
    code, text = send(client, message(X_SES_Unsubscribe="13"))
    assert code == 550
    assert b"Unsubscribe must be 0 (no link) or a language of the link, 1 to 12." in text
