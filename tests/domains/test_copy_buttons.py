"""Copy buttons beside the DNS records to publish and the SMTP settings."""

import html
import re

import pytest
from django.conf import settings
from django.urls import reverse

from domains.models import DomainStatus, SenderAddress, SenderDomain


def copied(body):
    """What the page's copy buttons copy: data-copy texts and data-copy-from targets."""
    texts = [
        html.unescape(t)
        for t in re.findall(r'class="[^"]*copy-button[^"]*" data-copy="([^"]*)"', body)
    ]
    targets = re.findall(r'class="[^"]*copy-button[^"]*" data-copy-from="([^"]*)"', body)
    return texts, targets


@pytest.mark.django_db
def test_each_record_has_copy_buttons_for_host_and_value(operator_client, account):
    domain = SenderDomain.create_with_keys(account, "mail.acme.test")
    body = operator_client.get(reverse("domains:detail", args=[domain.pk])).content.decode()
    texts, _ = copied(body)
    key = domain.dkim_keys.get()
    assert f"{key.selector}._domainkey.mail" in texts
    assert "_dmarc.mail" in texts and "mail" in texts
    assert any(key.public_key in text for text in texts)
    assert f"{settings.SES_MX_HOST}." in texts
    assert any(f"include:{settings.SES_SPF_DOMAIN}" in text for text in texts)
    assert '<script src="/static/js/copy.js"></script>' in body


@pytest.mark.django_db
def test_the_smtp_settings_have_copy_buttons(operator_client, account):
    domain = SenderDomain.objects.create(
        account=account, name="mail.acme.test", status=DomainStatus.VERIFIED
    )
    SenderAddress.objects.create(account=account, domain=domain, email="news@mail.acme.test")
    body = operator_client.get(reverse("domains:senders")).content.decode()
    texts, targets = copied(body)
    assert settings.SES_SMTPD_HOSTNAME in texts
    assert str(settings.SES_SMTPD_STARTTLS_PORT) in texts
    assert str(settings.SES_SMTPD_TLS_PORT) in texts
    assert "news@mail.acme.test" in texts
    assert targets == ["#smtp-django-example"]
    assert 'id="smtp-django-example"' in body
