"""Delivery to a recipient's MX host found in DNS: the message as received, signed, over TLS."""

import time

import pytest

from sending.build import verp
from sending.models import Attempt, DeliveryStatus, EventType
from tests.sending.conftest import RCPT_DOMAIN, SENDER_EMAIL
from tests.sending.deliveryhelp import deliver_all, parsed, signatures_verify, status_of
from tests.smtpservers import Recorder

pytestmark = pytest.mark.django_db


def test_delivered_message_is_complete_and_verifies(recipient_mx, send_text):
    server = recipient_mx()
    message = send_text(
        to=[f"ana@{RCPT_DOMAIN}", f"bob@{RCPT_DOMAIN}"],
        cc=[f"cy@{RCPT_DOMAIN}"],
        bcc=[f"hidden@{RCPT_DOMAIN}"],
        from_name="Ácme Shop",
        reply_to="help@mail.acme.example",
        subject="Votre commande est expédiée",
        html="<p>Hello <b>Ana</b></p>",
        text="Hello Ana",
        headers=[("X-Campaign", "spring")],
        attachments=[("invoice.pdf", "application/pdf", b"%PDF-1.4 fake")],
    )

    assert deliver_all(RCPT_DOMAIN) == 4

    received = {r.rcpt_tos[0]: r for r in server.handler.messages}
    assert sorted(received) == sorted(
        [f"ana@{RCPT_DOMAIN}", f"bob@{RCPT_DOMAIN}", f"cy@{RCPT_DOMAIN}", f"hidden@{RCPT_DOMAIN}"]
    )
    for rcpt, got in received.items():
        delivery = status_of(message, rcpt)
        # One transaction per recipient, with its own VERP return path on the sender's domain.
        assert got.rcpt_tos == [rcpt]
        assert got.mail_from == verp.verp_address(delivery, "mail.acme.example")
        assert verp.parse_verp(got.mail_from) == delivery.pk
        assert signatures_verify(got.content) == [True, True]  # RSA and Ed25519
        assert got.tls is False  # this server offers no STARTTLS
        mail = parsed(got.content)
        assert str(mail["From"]) == f"Ácme Shop <{SENDER_EMAIL}>"
        assert str(mail["Subject"]) == "Votre commande est expédiée"
        assert mail["To"] == f"ana@{RCPT_DOMAIN}, bob@{RCPT_DOMAIN}"
        assert mail["Cc"] == f"cy@{RCPT_DOMAIN}"
        assert mail["Bcc"] is None and b"hidden@" not in got.content
        assert mail["Reply-To"] == "help@mail.acme.example"
        assert mail["X-Campaign"] == "spring"
        assert mail["Message-ID"] == message.smtp_message_id
        assert mail["Date"]
        assert mail.get_content_type() == "multipart/mixed"
        body = mail.get_body(("html",))
        assert "<b>Ana</b>" in body.get_content()
        assert mail.get_body(("plain",)).get_content().strip() == "Hello Ana"
        (attachment,) = list(mail.iter_attachments())
        assert attachment.get_filename() == "invoice.pdf"
        assert attachment.get_content() == b"%PDF-1.4 fake"
        # The outcome, recorded.
        assert delivery.status == DeliveryStatus.DELIVERED
        assert delivery.delivered_at is not None
        assert delivery.attempts == 1
        assert delivery.last_reply == "250 2.0.0 queued"
        attempt = Attempt.objects.get(delivery=delivery)
        assert (attempt.mx_host, attempt.mx_ip, attempt.port) == (
            f"mx.{RCPT_DOMAIN}",
            "127.0.0.1",
            server.port,
        )
        assert (attempt.outcome, attempt.code, attempt.enhanced) == ("delivered", 250, "2.0.0")
        assert [e.type for e in delivery.events.all()] == [EventType.DELIVERED]


def test_starttls_is_used_when_offered(recipient_mx, send_text, tls_ca):
    server = recipient_mx(tls_context=tls_ca.server_context())
    message = send_text()
    deliver_all(RCPT_DOMAIN)
    (got,) = server.handler.messages
    assert got.tls is True
    attempt = Attempt.objects.get(delivery__message=message)
    assert attempt.tls_version in ("TLSv1.2", "TLSv1.3")
    event = status_of(message).events.get()
    assert event.detail["tls"] == attempt.tls_version
    assert signatures_verify(got.content) == [True, True]


def test_one_session_carries_a_whole_batch(recipient_mx, send_text):
    connections = []

    class Counting(Recorder):
        async def handle_EHLO(self, server, session, envelope, hostname, responses):
            connections.append(hostname)
            session.host_name = hostname
            return responses

    server = recipient_mx(Counting())
    for i in range(5):
        send_text(to=[f"user{i}@{RCPT_DOMAIN}"])
    assert deliver_all(RCPT_DOMAIN) == 5
    assert len(server.handler.messages) == 5
    assert connections == ["out.sesconsole.test"]  # one EHLO: one session, our HELO name


def test_a_session_is_reused_by_the_next_batch_while_fresh(
    recipient_mx, send_text, delivery_settings
):
    sessions = []  # the server side of each session

    class Counting(Recorder):
        async def handle_EHLO(self, server, session, envelope, hostname, responses):
            sessions.append(server)
            session.host_name = hostname
            return responses

    server = recipient_mx(Counting())
    send_text()
    deliver_all(RCPT_DOMAIN)
    send_text(to=[f"bob@{RCPT_DOMAIN}"])
    deliver_all(RCPT_DOMAIN)
    assert len(server.handler.messages) == 2
    assert len(sessions) == 1  # the second batch found the first one's session open

    # Closed by the server meanwhile: found out by NOOP, a new session, nothing deferred.
    delivery_settings.SES_SMTP_CONNECTION_CACHE_SECONDS = 60
    first = sessions[0]
    first.loop.call_soon_threadsafe(first.transport.close)
    time.sleep(0.2)
    message = send_text(to=[f"cy@{RCPT_DOMAIN}"])
    deliver_all(RCPT_DOMAIN)
    assert status_of(message).status == DeliveryStatus.DELIVERED
    assert len(sessions) == 2


def test_no_session_is_kept_when_caching_is_off(recipient_mx, send_text, delivery_settings):
    delivery_settings.SES_SMTP_CONNECTION_CACHE_SECONDS = 0
    ehlos = []

    class Counting(Recorder):
        async def handle_EHLO(self, server, session, envelope, hostname, responses):
            ehlos.append(hostname)
            session.host_name = hostname
            return responses

    recipient_mx(Counting())
    send_text()
    deliver_all(RCPT_DOMAIN)
    send_text(to=[f"bob@{RCPT_DOMAIN}"])
    deliver_all(RCPT_DOMAIN)
    assert len(ehlos) == 2


def test_each_message_is_built_once_per_batch_and_signed_per_message(recipient_mx, send_text):
    server = recipient_mx()
    first = send_text(to=[f"a@{RCPT_DOMAIN}", f"b@{RCPT_DOMAIN}"], text="first")
    second = send_text(to=[f"c@{RCPT_DOMAIN}"], text="second")
    deliver_all(RCPT_DOMAIN)
    by_rcpt = {r.rcpt_tos[0]: r.content for r in server.handler.messages}
    # Same content for the recipients of one message, apart from nothing: one build.
    assert by_rcpt[f"a@{RCPT_DOMAIN}"] == by_rcpt[f"b@{RCPT_DOMAIN}"]
    assert by_rcpt[f"c@{RCPT_DOMAIN}"] != by_rcpt[f"a@{RCPT_DOMAIN}"]
    assert first.smtp_message_id.encode() in by_rcpt[f"a@{RCPT_DOMAIN}"]
    assert second.smtp_message_id.encode() in by_rcpt[f"c@{RCPT_DOMAIN}"]


def test_mx_preference_order_and_fallback_to_the_next_host(
    smtp_server, dns_zone, delivery_settings, send_text
):
    server = smtp_server(Recorder())
    delivery_settings.SES_MX_PORT = server.port
    # The preferred host has an address where nothing listens: connection refused.
    dns_zone.add(RCPT_DOMAIN, "MX", "10 down.rcpt.test.")
    dns_zone.add(RCPT_DOMAIN, "MX", "20 up.rcpt.test.")
    dns_zone.add("down.rcpt.test", "A", "127.0.0.9")
    dns_zone.add("up.rcpt.test", "A", "127.0.0.1")
    message = send_text()
    deliver_all(RCPT_DOMAIN)
    assert len(server.handler.messages) == 1
    delivery = status_of(message)
    assert delivery.status == DeliveryStatus.DELIVERED
    attempts = list(Attempt.objects.filter(delivery=delivery))
    assert [(a.mx_host, a.outcome) for a in attempts] == [
        ("down.rcpt.test", "deferred"),
        ("up.rcpt.test", "delivered"),
    ]
    assert attempts[0].category == "connection"
    assert delivery.attempts == 1  # one round, two hosts


def test_no_mx_falls_back_to_the_domains_address(
    smtp_server, dns_zone, delivery_settings, send_text
):
    server = smtp_server(Recorder())
    delivery_settings.SES_MX_PORT = server.port
    dns_zone.add(RCPT_DOMAIN, "A", "127.0.0.1")
    message = send_text()
    deliver_all(RCPT_DOMAIN)
    assert len(server.handler.messages) == 1
    assert Attempt.objects.get(delivery__message=message).mx_host == RCPT_DOMAIN


def test_null_mx_bounces_at_once_and_blocklists(dns_zone, delivery_settings, send_text):
    from sending.models import PlatformBlock

    dns_zone.add(RCPT_DOMAIN, "MX", "0 .")
    message = send_text()
    deliver_all(RCPT_DOMAIN)
    delivery = status_of(message)
    assert delivery.status == DeliveryStatus.BOUNCED
    assert "null MX" in delivery.last_reply
    event = delivery.events.get()
    assert (event.type, event.detail["bounce_type"]) == (EventType.BOUNCE, "hard")
    assert PlatformBlock.objects.filter(email=f"ana@{RCPT_DOMAIN}").exists()


def test_dns_failure_defers_rather_than_bounces(dns_zone, delivery_settings, send_text):
    dns_zone.servfail(RCPT_DOMAIN)
    message = send_text()
    deliver_all(RCPT_DOMAIN)
    delivery = status_of(message)
    assert delivery.status == DeliveryStatus.DEFERRED
    assert delivery.next_attempt_at is not None


def test_relay_with_auth_takes_all_mail(smtp_server, delivery_settings, send_text, tls_ca):
    from aiosmtpd.smtp import AuthResult  # noqa: F401 (the server below authenticates)

    from tests.smtpservers import authenticator

    relay = smtp_server(
        Recorder(),
        tls_context=tls_ca.server_context(),
        authenticator=authenticator("relayuser", "p@ss:word"),
        auth_require_tls=True,
    )
    delivery_settings.SES_RELAY_URL = f"smtp://relayuser:p%40ss%3Aword@127.0.0.1:{relay.port}"
    delivery_settings.SES_RELAY_TLS_VERIFY = False  # trustme's CA is not the system's
    message = send_text(to=["someone@elsewhere.test"])
    deliver_all("elsewhere.test")
    (got,) = relay.handler.messages
    assert (got.login, got.tls, got.rcpt_tos) == ("relayuser", True, ["someone@elsewhere.test"])
    assert signatures_verify(got.content) == [True, True]
    assert status_of(message).status == DeliveryStatus.DELIVERED


def test_relay_with_wrong_password_holds_the_mail(
    smtp_server, delivery_settings, send_text, tls_ca
):
    from tests.smtpservers import authenticator

    relay = smtp_server(
        Recorder(),
        tls_context=tls_ca.server_context(),
        authenticator=authenticator("relayuser", "right"),
        auth_require_tls=True,
    )
    delivery_settings.SES_RELAY_URL = f"smtp://relayuser:wrong@127.0.0.1:{relay.port}"
    delivery_settings.SES_RELAY_TLS_VERIFY = False
    message = send_text(to=["someone@elsewhere.test"])
    deliver_all("elsewhere.test")
    delivery = status_of(message)
    assert delivery.status == DeliveryStatus.DEFERRED
    assert relay.handler.messages == []
    assert Attempt.objects.get(delivery=delivery).category == "auth"


def test_delivered_through_the_system_resolver(
    send_text, smtp_server, delivery_settings, system_dns
):
    """SES_DNS_NAMESERVERS unset, as on every real host: the MX comes from resolv.conf's
    server (listed last, so its settings win over the signing fixture's loopback DNS)."""
    server = smtp_server()
    delivery_settings.SES_MX_PORT = server.port
    system_dns.add(RCPT_DOMAIN, "MX", f"10 mx.{RCPT_DOMAIN}.")
    system_dns.add(f"mx.{RCPT_DOMAIN}", "A", "127.0.0.1")
    assert delivery_settings.SES_DNS_NAMESERVERS == []
    message = send_text()
    assert deliver_all(RCPT_DOMAIN) == 1
    assert status_of(message).status == DeliveryStatus.DELIVERED
    assert [r.rcpt_tos for r in server.handler.messages] == [[f"ana@{RCPT_DOMAIN}"]]
    assert Attempt.objects.get().mx_host == f"mx.{RCPT_DOMAIN}"
