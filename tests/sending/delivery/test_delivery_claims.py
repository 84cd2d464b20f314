"""Claiming: a Delivery is sent by one worker only, a task can run twice without sending
twice, and a dead worker's claim goes back to the queue."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from sending.delivery import claim, dispatch
from sending.delivery.outcomes import Try, record
from sending.models import Delivery, DeliveryStatus, Event
from sending.smtp.status import classify
from tests.sending.conftest import RCPT_DOMAIN
from tests.sending.deliveryhelp import deliver_all, status_of

pytestmark = pytest.mark.django_db


def test_a_claim_takes_rows_once(send_text, settings):
    for i in range(3):
        send_text(to=[f"u{i}@{RCPT_DOMAIN}"])
    first_token, first = claim.claim(RCPT_DOMAIN, 2)
    second_token, second = claim.claim(RCPT_DOMAIN, 5)
    third_token, third = claim.claim(RCPT_DOMAIN, 5)
    assert len(first) == 2 and len(second) == 1 and third == []
    assert {d.pk for d in first}.isdisjoint({d.pk for d in second})
    assert first_token != second_token and third_token == ""
    assert all(d.status == DeliveryStatus.SENDING for d in first + second)


def test_claims_are_per_destination(send_text):
    send_text(to=[f"a@{RCPT_DOMAIN}", "b@other.test"])
    _, claimed = claim.claim("other.test", 10)
    assert [d.recipient for d in claimed] == ["b@other.test"]
    assert dispatch.due_domains() == [RCPT_DOMAIN]


def test_running_twice_sends_once(recipient_mx, send_text):
    server = recipient_mx()
    send_text()
    assert deliver_all(RCPT_DOMAIN) == 1
    assert deliver_all(RCPT_DOMAIN) == 0
    assert len(server.handler.messages) == 1


def test_a_lost_claim_records_nothing(send_text):
    message = send_text()
    token, (delivery,) = claim.claim(RCPT_DOMAIN, 1)
    assert record(delivery, "not-the-token", [Try(classify(250, "2.0.0", "ok"))]) is None
    assert status_of(message).status == DeliveryStatus.SENDING
    assert not Event.objects.exists()
    assert record(delivery, token, [Try(classify(250, "2.0.0", "ok"))]) == "delivered"
    # Recorded once: the same result again finds no claim.
    assert record(delivery, token, [Try(classify(250, "2.0.0", "ok"))]) is None
    assert Event.objects.count() == 1


def test_stale_claims_return_to_the_queue(send_text, settings):
    settings.SES_DELIVERY_CLAIM_TIMEOUT = 600
    fresh = send_text()
    tried = send_text(to=[f"bob@{RCPT_DOMAIN}"])
    Delivery.objects.filter(message=tried).update(attempts=2)
    token, claimed = claim.claim(RCPT_DOMAIN, 10)
    assert len(claimed) == 2
    assert claim.return_stale() == 0  # a live claim is left alone
    with time_machine.travel(timezone.now() + timedelta(seconds=601), tick=False):
        assert claim.return_stale() == 2
        assert dispatch.due_domains() == [RCPT_DOMAIN]
    assert status_of(fresh).status == DeliveryStatus.QUEUED
    assert status_of(tried).status == DeliveryStatus.DEFERRED
    # The worker that held the claim comes back: its result is not recorded.
    assert record(claimed[0], token, [Try(classify(250, "2.0.0", "ok"))]) is None


def test_release_gives_back_only_unrecorded_rows(send_text):
    send_text(to=[f"a@{RCPT_DOMAIN}", f"b@{RCPT_DOMAIN}"])
    token, (done, left) = claim.claim(RCPT_DOMAIN, 10)
    record(done, token, [Try(classify(250, "2.0.0", "ok"))])
    assert claim.release(token, [done.pk, left.pk]) == 1
    statuses = dict(Delivery.objects.values_list("recipient", "status"))
    assert statuses == {f"a@{RCPT_DOMAIN}": "delivered", f"b@{RCPT_DOMAIN}": "queued"}


def test_accepted_mail_is_due_at_once(send_text):
    message = send_text()
    delivery = status_of(message)
    assert (delivery.status, delivery.domain) == (DeliveryStatus.QUEUED, RCPT_DOMAIN)
    assert delivery.next_attempt_at == message.created_at
