"""What recipients' servers answer, and what it does: delivered, deferred and retried with
backoff until 72 hours have passed, bounced hard or soft, blocklisted, flagged."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from sending.acceptance.service import SendRequest, accept
from sending.delivery import dispatch, outcomes
from sending.models import Attempt, DeliveryStatus, EventType, PlatformBlock
from sesconsole.refusals import Refusal
from tests.sending.conftest import RCPT_DOMAIN
from tests.sending.deliveryhelp import deliver_all, status_of
from tests.smtpservers import Recorder

pytestmark = pytest.mark.django_db
ANA = f"ana@{RCPT_DOMAIN}"


class DeferFirst(Recorder):
    """Answers DATA with 451 the first `times` times, then accepts."""

    def __init__(self, times=1, **kwargs):
        super().__init__(**kwargs)
        self.times = times

    async def handle_DATA(self, server, session, envelope):
        if self.times > 0:
            self.times -= 1
            return "451 4.3.0 Temporary local problem, try later"
        return await super().handle_DATA(server, session, envelope)


def test_deferred_then_retried_when_due(recipient_mx, send_text):
    server = recipient_mx(DeferFirst(times=1))
    message = send_text()
    deliver_all(RCPT_DOMAIN)
    delivery = status_of(message)
    assert delivery.status == DeliveryStatus.DEFERRED
    assert delivery.last_reply == "451 4.3.0 Temporary local problem, try later"
    wait = delivery.next_attempt_at - timezone.now()
    assert timedelta(seconds=45) < wait < timedelta(seconds=75)  # 60 s, jittered 20%
    event = delivery.events.get()
    assert (event.type, event.detail["code"], event.detail["attempt"]) == ("deferred", 451, 1)

    # Not due yet: nothing is claimed, nothing sent.
    assert deliver_all(RCPT_DOMAIN) == 0
    assert dispatch.due_domains() == []
    with time_machine.travel(delivery.next_attempt_at + timedelta(seconds=1), tick=False):
        assert dispatch.due_domains() == [RCPT_DOMAIN]
        assert deliver_all(RCPT_DOMAIN) == 1
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED
    assert delivery.attempts == 2
    assert len(server.handler.messages) == 1
    assert [e.type for e in delivery.events.all()] == ["deferred", "delivered"]
    assert [a.outcome for a in Attempt.objects.filter(delivery=delivery)] == [
        "deferred",
        "delivered",
    ]


def test_backoff_grows_and_gives_up_after_72_hours_as_a_soft_bounce(recipient_mx, send_text):
    server = recipient_mx(Recorder(data_reply="421 4.7.0 Try again later, closing"))
    message = send_text()
    start = timezone.now()
    waits = []
    moment = start
    with time_machine.travel(moment, tick=False) as traveller:
        while True:
            deliver_all(RCPT_DOMAIN)
            delivery = status_of(message)
            if delivery.status != DeliveryStatus.DEFERRED:
                break
            waits.append((delivery.next_attempt_at - timezone.now()).total_seconds())
            traveller.move_to(delivery.next_attempt_at + timedelta(seconds=1))
        gave_up_after = timezone.now() - start
    assert delivery.status == DeliveryStatus.BOUNCED
    assert server.handler.messages == []
    # 60 s, 5 min, 15 min, ... 4 h, each within 20%; the last step repeats.
    for wait, step in zip(waits, [60, 300, 900, 1800, 3600, 7200, 14400], strict=False):
        assert step * 0.8 <= wait <= step * 1.2
    assert all(14400 * 0.8 <= w <= 14400 * 1.2 for w in waits[7:])
    assert timedelta(hours=72) <= gave_up_after < timedelta(hours=72 + 5)
    bounce = delivery.events.filter(type=EventType.BOUNCE).get()
    assert bounce.detail["bounce_type"] == "soft"
    assert (delivery.bounce_type, delivery.bounce_category) == ("soft", "policy")  # 4.7.0
    assert bounce.detail["expired"] is True
    assert delivery.last_reply.startswith("Gave up after 72 hours: 421 4.7.0 Try again later")
    assert not PlatformBlock.objects.exists()  # a soft bounce blames nobody
    assert delivery.attempts == len(waits) + 1


@pytest.mark.parametrize(
    ("reply", "bounce_type", "category", "blocklisted", "policy"),
    [
        ("550 5.1.1 No such user", "hard", "mailbox", True, False),
        ("550 5.7.1 Message refused by policy: reputation", "soft", "policy", False, True),
        ("552 5.2.2 Mailbox full", "soft", "full", False, False),
        ("554 5.6.0 Message content rejected", "hard", "other", False, False),
    ],
)
def test_bounces_are_classified(
    recipient_mx, send_text, reply, bounce_type, category, blocklisted, policy
):
    recipient_mx(Recorder(data_reply=reply))
    message = send_text()
    deliver_all(RCPT_DOMAIN)
    delivery = status_of(message)
    assert delivery.status == DeliveryStatus.BOUNCED
    assert (delivery.bounce_type, delivery.bounce_category) == (bounce_type, category)
    delivery.refresh_from_db()  # written to the row, not only to the object
    assert (delivery.bounce_type, delivery.bounce_category) == (bounce_type, category)
    assert delivery.last_reply == reply
    event = delivery.events.get()
    assert event.type == EventType.BOUNCE
    assert event.detail["bounce_type"] == bounce_type
    assert event.detail.get("policy", False) is policy
    assert PlatformBlock.objects.filter(email=ANA).exists() is blocklisted
    if blocklisted:
        block = PlatformBlock.objects.get(email=ANA)
        assert block.caused_by_id == message.account_id
        assert block.reason == reply
        # The next message to the address is refused at acceptance.
        with pytest.raises(Refusal) as refused:
            accept(message.account, SendRequest(sender=message.sender, to=[ANA], subject="x"))
        assert refused.value.code == "FailedOperation.EmailAddrInBlacklist"


def test_some_recipients_refused_others_delivered(recipient_mx, send_text):
    server = recipient_mx(Recorder(refuse={f"gone@{RCPT_DOMAIN}": "550 5.1.1 User unknown"}))
    message = send_text(to=[ANA, f"gone@{RCPT_DOMAIN}", f"bob@{RCPT_DOMAIN}"])
    deliver_all(RCPT_DOMAIN)
    statuses = dict(message.deliveries.values_list("recipient", "status"))
    assert statuses == {
        ANA: "delivered",
        f"gone@{RCPT_DOMAIN}": "bounced",
        f"bob@{RCPT_DOMAIN}": "delivered",
    }
    assert sorted(r.rcpt_tos[0] for r in server.handler.messages) == [ANA, f"bob@{RCPT_DOMAIN}"]
    assert PlatformBlock.objects.filter(email=f"gone@{RCPT_DOMAIN}").exists()


def test_refused_sender_is_not_the_recipients_fault(recipient_mx, send_text):
    recipient_mx(Recorder(mail_reply="550 5.7.26 Unauthenticated email is not accepted"))
    message = send_text()
    deliver_all(RCPT_DOMAIN)
    delivery = status_of(message)
    assert delivery.status == DeliveryStatus.BOUNCED
    assert delivery.events.get().detail["policy"] is True
    assert not PlatformBlock.objects.exists()


def test_a_server_that_never_answers_defers(silent_server, dns_zone, delivery_settings, send_text):
    delivery_settings.SES_MX_PORT = silent_server.port
    delivery_settings.SES_SMTP_TIMEOUT = 1
    dns_zone.add(RCPT_DOMAIN, "MX", "10 mx.rcpt.test.")
    dns_zone.add("mx.rcpt.test", "A", "127.0.0.1")
    first, second = send_text(), send_text(to=[f"bob@{RCPT_DOMAIN}"])
    deliver_all(RCPT_DOMAIN)
    for message in (first, second):
        delivery = status_of(message)
        assert delivery.status == DeliveryStatus.DEFERRED
        attempt = Attempt.objects.get(delivery=delivery)
        assert (attempt.category, attempt.code) == ("connection", None)
        assert "timed out" in attempt.reply


def test_connection_lost_in_data_defers_and_the_rest_go_on(recipient_mx, send_text):
    class DropFirst(Recorder):
        dropped = False

        async def handle_DATA(self, server, session, envelope):
            if not self.dropped:
                self.dropped = True
                server.transport.close()
                return "250 never sent"
            return await super().handle_DATA(server, session, envelope)

    server = recipient_mx(DropFirst())
    first = send_text()
    second = send_text(to=[f"bob@{RCPT_DOMAIN}"])
    deliver_all(RCPT_DOMAIN)
    assert status_of(first).status == DeliveryStatus.DEFERRED
    assert status_of(second).status == DeliveryStatus.DELIVERED  # on a new session
    assert [r.rcpt_tos for r in server.handler.messages] == [[f"bob@{RCPT_DOMAIN}"]]


def test_message_that_cannot_be_built_is_dropped(recipient_mx, send_text):
    server = recipient_mx()
    message = send_text()
    message.bodies_purged_at = timezone.now()
    message.save(update_fields=["bodies_purged_at"])
    deliver_all(RCPT_DOMAIN)
    delivery = status_of(message)
    assert delivery.status == DeliveryStatus.DROPPED
    assert "purged" in delivery.events.get().detail["reason"]
    assert server.handler.messages == []


def test_retry_delay_schedule(settings):
    settings.SES_RETRY_DELAYS = [10, 20]
    for attempt, base in [(1, 10), (2, 20), (3, 20), (9, 20)]:
        for _ in range(20):
            assert base * 0.8 <= outcomes.retry_delay(attempt).total_seconds() <= base * 1.2


def test_a_fault_of_ours_defers_that_delivery_alone(recipient_mx, send_text):
    from sending.models import Message

    server = recipient_mx()
    broken = send_text()
    Message.objects.filter(pk=broken.pk).update(headers=[["X-Only-A-Name"]])  # a corrupt row
    fine = send_text(to=[f"bob@{RCPT_DOMAIN}"])
    assert deliver_all(RCPT_DOMAIN) == 2
    delivery = status_of(broken)
    assert delivery.status == DeliveryStatus.DEFERRED
    assert delivery.last_reply.startswith("4.3.0 Internal error, will retry: ValueError")
    assert delivery.next_attempt_at > timezone.now()  # backoff, not an immediate loop
    assert status_of(fine).status == DeliveryStatus.DELIVERED
    assert [r.rcpt_tos for r in server.handler.messages] == [[f"bob@{RCPT_DOMAIN}"]]
