"""A message submitted by SMTP is delivered by the delivery workers to the recipient's
server (aiosmtpd on 127.0.0.1, found through the loopback DNS) and verifies with DKIM,
as an application configured with the address and SMTP password would see it."""

import json

import pytest
from django.core.mail import EmailMessage, get_connection

from sending.models import Delivery, DeliveryStatus, Message
from tests.sending.conftest import RCPT_DOMAIN
from tests.sending.deliveryhelp import deliver_all, parsed, signatures_verify, worker_env
from tests.sending.smtp.submission.conftest import HOST, PASSWORD, SENDER_EMAIL, message
from tests.workers import wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_submitted_by_smtp_delivered_by_a_worker_dkim_signed(
    smtpd,
    smtp_login,
    signing_sender,
    recipient_mx,
    dns_zone,
    start_worker,
    settings,
    tls_ca,
    tmp_path,
    monkeypatch,
):
    recipient = recipient_mx()
    start_worker(**worker_env(settings, dns_zone))
    server = smtpd()
    # The application: Django's SMTP backend with the address and its SMTP password.
    ca_file = tmp_path / "ca.pem"
    tls_ca.ca.cert_pem.write_to_path(str(ca_file))
    monkeypatch.setenv("SSL_CERT_FILE", str(ca_file))
    backend = get_connection(
        "django.core.mail.backends.smtp.EmailBackend",
        host=HOST,
        port=server.starttls_port,
        username=SENDER_EMAIL,
        password=PASSWORD,
        use_tls=True,
        timeout=10,
    )
    mail = EmailMessage(
        "Delivered from SMTP",
        "Hello Ana, this came in by SMTP.",
        f"Acme Shop <{SENDER_EMAIL}>",
        [f"ana@{RCPT_DOMAIN}"],
        bcc=[f"audit@{RCPT_DOMAIN}"],
        connection=backend,
    )
    assert mail.send() == 1

    assert wait_for(lambda: len(recipient.handler.messages) == 2, timeout=60)
    for got in recipient.handler.messages:
        assert signatures_verify(got.content) == [True, True]
        delivered = parsed(got.content)
        assert delivered["Subject"] == "Delivered from SMTP"
        assert delivered["From"] == f"Acme Shop <{SENDER_EMAIL}>"
        assert "audit@" not in got.content.decode()  # Bcc: only in its envelope
        assert delivered.get_body(("plain",)).get_content().strip() == (
            "Hello Ana, this came in by SMTP."
        )
    assert sorted(r for got in recipient.handler.messages for r in got.rcpt_tos) == [
        f"ana@{RCPT_DOMAIN}",
        f"audit@{RCPT_DOMAIN}",
    ]
    stored = Message.objects.get()
    assert {parsed(got.content)["Message-ID"] for got in recipient.handler.messages} == {
        stored.smtp_message_id
    }
    assert wait_for(
        lambda: (
            set(Delivery.objects.values_list("status", flat=True)) == {DeliveryStatus.DELIVERED}
        ),
        timeout=60,
    )


def test_a_template_by_smtp_is_rendered_signed_and_delivered(
    smtpd, smtp_login, signing_sender, recipient_mx, connect, approved_template
):
    recipient = recipient_mx()
    client = connect(smtpd())
    data = {"name": "Ana", "code": "4321"}
    submitted = message(
        subject="Your code {{code}}",
        text="",
        to=f"ana@{RCPT_DOMAIN}",
        X_SES_Template_ID=str(approved_template.pk),
        X_SES_Template_Data=json.dumps(data),
    )
    assert client.sendmail(SENDER_EMAIL, [f"ana@{RCPT_DOMAIN}"], submitted) == {}
    assert deliver_all(RCPT_DOMAIN) == 1
    (got,) = recipient.handler.messages
    assert signatures_verify(got.content) == [True, True]
    delivered = parsed(got.content)
    assert delivered["Subject"] == "Your code 4321"
    assert "Hello Ana, your code is 4321." in delivered.get_body(("plain",)).get_content()
    assert "X-SES-Template" not in got.content.decode()
