"""TLS to recipients' servers: STARTTLS whenever offered, plaintext only where policy
allows, and never for an account that requires TLS."""

import ssl
import warnings
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from sending.models import Attempt, DeliveryStatus, EventType
from tests.sending.conftest import RCPT_DOMAIN
from tests.sending.deliveryhelp import deliver_all, status_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def tls_required(account):
    account.tls_required = True
    account.save(update_fields=["tls_required"])
    return account


def old_tls_only(tls_ca) -> ssl.SSLContext:
    """A server context that cannot agree with our client (TLS 1.2 at least)."""
    context = tls_ca.server_context()
    context.minimum_version = ssl.TLSVersion.MINIMUM_SUPPORTED
    with warnings.catch_warnings():  # deprecated, which is the point
        warnings.simplefilter("ignore", DeprecationWarning)
        context.maximum_version = ssl.TLSVersion.TLSv1_1
    return context


def test_tls_required_and_offered_delivers_over_tls(recipient_mx, send_text, tls_ca, tls_required):
    server = recipient_mx(tls_context=tls_ca.server_context())
    message = send_text()
    deliver_all(RCPT_DOMAIN)
    (got,) = server.handler.messages
    assert got.tls is True
    assert status_of(message).status == DeliveryStatus.DELIVERED


def test_tls_required_never_gives_mail_to_a_server_without_tls(
    recipient_mx, send_text, tls_required
):
    server = recipient_mx()  # no STARTTLS
    message = send_text()
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        for _ in range(40):
            deliver_all(RCPT_DOMAIN)
            delivery = status_of(message)
            if delivery.status != DeliveryStatus.DEFERRED:
                break
            attempt = Attempt.objects.filter(delivery=delivery).last()
            assert (attempt.category, attempt.enhanced) == ("tls", "4.7.4")
            traveller.move_to(delivery.next_attempt_at + timedelta(seconds=1))
    assert server.handler.messages == []  # not once
    assert delivery.status == DeliveryStatus.BOUNCED
    assert "TLS required by the account" in delivery.last_reply
    assert delivery.last_reply.startswith("Gave up after 72 hours")
    assert delivery.events.filter(type=EventType.BOUNCE).get().detail["bounce_type"] == "soft"


def test_failed_starttls_falls_back_to_plaintext_when_allowed(recipient_mx, send_text, tls_ca):
    server = recipient_mx(tls_context=old_tls_only(tls_ca))
    message = send_text()
    deliver_all(RCPT_DOMAIN)
    (got,) = server.handler.messages
    assert got.tls is False
    delivery = status_of(message)
    assert delivery.status == DeliveryStatus.DELIVERED
    attempts = list(Attempt.objects.filter(delivery=delivery))
    assert [(a.category, a.outcome) for a in attempts] == [
        ("tls", "deferred"),
        ("other", "delivered"),
    ]
    assert attempts[1].tls_version == ""


def test_failed_starttls_holds_mail_that_requires_tls(
    recipient_mx, send_text, tls_ca, tls_required
):
    server = recipient_mx(tls_context=old_tls_only(tls_ca))
    message = send_text()
    deliver_all(RCPT_DOMAIN)
    assert server.handler.messages == []
    assert status_of(message).status == DeliveryStatus.DEFERRED


def test_tls_requirement_is_per_account(
    recipient_mx, send_text, tls_required, make_account, make_sender, dns_zone
):
    """Two accounts' mail in one batch to a server without TLS: only the one that allows it goes."""
    from domains import keys
    from sending.acceptance.service import SendRequest, accept

    server = recipient_mx()
    other = make_account("beta")
    other.allow_custom_content = True
    other.save()
    sender = make_sender(other, email="hi@beta.example")
    sender.domain.generate_keys()
    for key in sender.domain.dkim_keys.all():
        dns_zone.add(key.record_name, "TXT", keys.split_txt(key.txt_value))
    strict = send_text()
    relaxed = accept(
        other, SendRequest(sender=sender, to=[f"bob@{RCPT_DOMAIN}"], subject="Hi", text="Hello")
    )
    deliver_all(RCPT_DOMAIN)
    assert status_of(strict).status == DeliveryStatus.DEFERRED
    assert status_of(relaxed).status == DeliveryStatus.DELIVERED
    assert [r.rcpt_tos for r in server.handler.messages] == [[f"bob@{RCPT_DOMAIN}"]]
