"""The Send, Message Log and message pages."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.models import User
from domains.models import DomainStatus, SenderAddress, SenderDomain
from sending.acceptance.service import SendRequest, accept
from sending.models import Attachment, Delivery, DeliveryStatus, Message, SendStatus, Source
from templates_app import workflow
from tests.templates_app.helpers import words
from tests.tenancy import assert_isolated


@pytest.fixture
def sender(account):
    domain = SenderDomain.objects.create(
        account=account, name="mail.acme.test", status=DomainStatus.VERIFIED
    )
    return SenderAddress.objects.create(
        account=account, domain=domain, email="news@mail.acme.test", sender_name="Acme"
    )


@pytest.fixture
def template(account):
    reviewer = User.objects.create_user(email="rita@platform.example", is_reviewer=True)
    html = "<p>Hello {{name}}, your code is {{code}}.</p><p>" + words(60) + "</p>"
    template = workflow.create_template(account, "Code", "transactional", html, "", submit=True)
    workflow.decide(template.latest, reviewer, "approved")
    template.refresh_from_db()
    return template


def form(sender, template, **extra):
    data = {
        "sender": sender.pk,
        "template": template.pk,
        "subject": "Your code",
        "to": "a@x.test, b@x.test",
        "cc": "",
        "bcc": "hidden@x.test",
        "var_name": "Ann <b>",
        "var_code": "1234",
        "send": "1",
    }
    data.update(extra)
    return data


@pytest.mark.django_db
def test_send_needs_a_sender_and_an_approved_template(operator_client):
    page = operator_client.get(reverse("sending:send"))
    assert b"Sending needs a sender address and an approved template" in page.content


@pytest.mark.django_db
def test_variables_come_from_the_chosen_template(operator_client, sender, template):
    page = operator_client.get(reverse("sending:send"), {"template": template.pk})
    body = page.content.decode()
    assert 'name="var_name"' in body and 'name="var_code"' in body


@pytest.mark.django_db
def test_preview_then_send(operator_client, sender, template, account):
    url = f"{reverse('sending:send')}?template={template.pk}"
    preview = operator_client.post(url, form(sender, template, send="", preview="1"))
    assert preview.status_code == 200
    assert b"srcdoc=" in preview.content
    assert b"Ann &amp;lt;b&amp;gt;" in preview.content  # escaped once by the render, once in srcdoc
    assert not Message.objects.exists()

    upload = SimpleUploadedFile("report.pdf", b"%PDF-1.4 test", content_type="application/pdf")
    response = operator_client.post(url, {**form(sender, template), "attachments": upload})
    message = Message.objects.get()
    assert response["Location"] == reverse("sending:message", args=[message.pk])
    assert message.source == Source.CONSOLE
    assert message.template_revision == template.approved
    assert message.template_data == {"name": "Ann <b>", "code": "1234"}
    assert sorted(message.deliveries.values_list("recipient", "kind")) == [
        ("a@x.test", "to"),
        ("b@x.test", "to"),
        ("hidden@x.test", "bcc"),
    ]
    assert Attachment.objects.get().filename == "report.pdf"
    page = operator_client.get(response["Location"]).content.decode()
    assert message.message_id in page and "report.pdf" in page and "Waiting for delivery" in page


@pytest.mark.django_db
def test_send_errors_are_shown(operator_client, sender, template, account):
    url = f"{reverse('sending:send')}?template={template.pk}"
    missing = operator_client.post(url, form(sender, template, var_code=""))
    assert b"This field is required" in missing.content
    account.daily_quota = 0
    account.save()
    refused = operator_client.post(url, form(sender, template))
    assert b"daily sending quota" in refused.content
    bad = operator_client.post(url, form(sender, template, to="not an address"))
    assert bad.context["form"].errors["to"] == [
        "To: 'not an address' is not a single valid email address."
    ]
    assert not Message.objects.exists()


@pytest.mark.django_db
def test_message_log_filters_and_pagination(operator_client, sender, account):
    account.daily_quota = 56
    account.send_rate_per_second = 10_000
    account.save()
    for i in range(55):
        accept(account, SendRequest(sender=sender, subject=f"s{i}", to=[f"r{i}@x.test"], text="t"))
    last = accept(
        account, SendRequest(sender=sender, subject="last", to=["y@x.test", "z@x.test"], text="t")
    )
    log = reverse("sending:messages")
    first = operator_client.get(log).content.decode()
    assert "Page 1 of 2" in first and "z@x.test" in first
    dropped = operator_client.get(log, {"status": DeliveryStatus.DROPPED}).content.decode()
    assert "z@x.test" in dropped and "r1@x.test" not in dropped
    assert Delivery.objects.get(recipient="z@x.test").send_status == SendStatus.DAILY_LIMIT
    by_id = operator_client.get(log, {"message_id": last.message_id}).content.decode()
    assert "y@x.test" in by_id and "z@x.test" in by_id and "r2@x.test" not in by_id
    by_recipient = operator_client.get(log, {"recipient": "r54@"}).content.decode()
    assert "r54@x.test" in by_recipient and "r53@x.test" not in by_recipient
    nothing = operator_client.get(log, {"day": "2001-01-01"}).content.decode()
    assert "No messages match these filters" in nothing
    second = operator_client.get(log, {"status": "", "page": 2}).content.decode()
    assert "Page 2 of 2" in second


@pytest.mark.django_db
def test_other_tenant_gets_404(client, sender, account, make_account, make_operator):
    message = accept(account, SendRequest(sender=sender, subject="s", to=["a@x.test"], text="t"))
    client.force_login(make_operator(make_account("other"), "mallory@other.example"))
    assert_isolated(client, [("get", reverse("sending:message", args=[message.pk]))])
    assert b"a@x.test" not in client.get(reverse("sending:messages")).content


@pytest.mark.django_db
def test_oversize_attachments_are_refused_before_reading(operator_client, sender, template):
    url = f"{reverse('sending:send')}?template={template.pk}"
    big = SimpleUploadedFile("big.pdf", b"%PDF" + b"0" * (4 * 1024 * 1024), "application/pdf")
    response = operator_client.post(url, {**form(sender, template), "attachments": big})
    assert b"Attachments may total at most 4 MB" in response.content
    assert not Message.objects.exists()
