"""The Send page names refusals as a person reads the form: under the field
they concern, with the form's label, never the API parameter's name."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils.html import escape

from sending.models import Message


def field_block(body: str, field: str) -> str:
    """The HTML crispy renders for one field: its label, input, help and errors."""
    start = body.index(f'id="div_id_{field}"')
    end = body.find('id="div_id_', start + 1)
    return body[start : end if end != -1 else len(body)]


def post(client, sender, template, **extra):
    data = {
        "sender": sender.pk,
        "template": template.pk,
        "subject": "Your code",
        "to": "ana@example.com",
        "cc": "",
        "bcc": "",
        "var_name": "Ana",
        "var_code": "1234",
        "send": "1",
        **extra,
    }
    return client.post(reverse("sending:send"), data)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("extra", "field", "message"),
    [
        ({"to": "not-an-address"}, "to", "To: 'not-an-address' is not a valid email address."),
        (
            {"to": "ana@example.com, bad address"},
            "to",
            "To: 'bad address' is not a single valid email address.",
        ),
        ({"cc": "nobody"}, "cc", "Cc: 'nobody' is not a valid email address."),
        (
            {"bcc": "ana@example.com"},
            "bcc",
            "Bcc: ana@example.com is in Bcc and also in To or Cc: give each address once.",
        ),
        (
            {"to": ", ".join(f"u{i}@example.com" for i in range(51))},
            "to",
            "To has 51 addresses; at most 50 are allowed.",
        ),
        (
            {"subject": "Hello {{first}}"},
            "subject",
            "Subject: Missing template variables: first.",
        ),
    ],
)
def test_a_refusal_is_shown_under_its_field(
    operator_client, verified_sender, approved_template, extra, field, message
):
    response = post(operator_client, verified_sender, approved_template, **extra)
    form = response.context["form"]
    assert form.errors[field] == [message]
    assert not form.non_field_errors()
    body = response.content.decode()
    assert 'data-testid="send-error"' not in body
    assert escape(message) in field_block(body, field)
    assert "Destination" not in body
    assert not Message.objects.exists()


@pytest.mark.django_db
def test_an_attachment_refusal_is_shown_under_attachments(
    operator_client, verified_sender, approved_template
):
    upload = SimpleUploadedFile("setup.exe", b"MZ...", content_type="application/octet-stream")
    response = post(operator_client, verified_sender, approved_template, attachments=upload)
    assert response.context["form"].errors["attachments"] == [
        "Attachments: Attachment 'setup.exe': executables, scripts and web pages cannot be "
        "attached."
    ]


@pytest.mark.django_db
def test_a_refusal_of_no_field_stays_above_the_form(
    operator_client, account, verified_sender, approved_template
):
    account.daily_quota = 0
    account.save()
    response = post(operator_client, verified_sender, approved_template)
    form = response.context["form"]
    assert not any(name != "__all__" for name in form.errors)
    assert "daily sending quota" in " ".join(form.non_field_errors())
    assert b'data-testid="send-error"' in response.content
