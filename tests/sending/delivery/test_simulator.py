"""The mailbox simulator: each mailbox drives the states and events real mail would,
without leaving the process, outside the daily quota and the bounce figures."""

import io
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from sending.acceptance import limits, suspension
from sending.acceptance.service import SendRequest, accept
from sending.models import (
    Attempt,
    Delivery,
    DeliveryStatus,
    EventType,
    PlatformBlock,
    SendStatus,
)
from sesconsole.refusals import Refusal
from tests.sending.conftest import SIMULATOR
from tests.sending.deliveryhelp import deliver_all, status_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def send_sim(account, signing_sender):
    def send(*mailboxes):
        request = SendRequest(
            sender=signing_sender,
            to=[f"{m}@{SIMULATOR}" for m in mailboxes],
            subject="Simulated",
            text="Hello simulator",
        )
        return accept(account, request)

    return send


def test_success(send_sim):
    message = send_sim("success", "success+label")
    assert deliver_all(SIMULATOR) == 2
    for delivery in message.deliveries.all():
        assert delivery.status == DeliveryStatus.DELIVERED
        assert delivery.simulated is True
        attempt = Attempt.objects.get(delivery=delivery)
        assert (attempt.mx_host, attempt.code) == ("simulator", 250)
        assert [e.type for e in delivery.events.all()] == [EventType.DELIVERED]


def test_bounce_is_hard_but_blocklists_nobody_and_counts_for_no_bounce_rate(
    send_sim, account, settings
):
    settings.SES_SUSPEND_MIN_RECIPIENTS = 1
    message = send_sim("bounce")
    deliver_all(SIMULATOR)
    delivery = status_of(message)
    assert delivery.status == DeliveryStatus.BOUNCED
    assert delivery.last_reply.startswith("550 5.1.1")
    assert delivery.events.get().detail["bounce_type"] == "hard"
    assert not PlatformBlock.objects.exists()
    assert suspension.bounce_share(account) == (0, 0)
    assert suspension.evaluate(account) is False


def test_ooto_delivers_then_auto_replies(send_sim):
    message = send_sim("ooto")
    deliver_all(SIMULATOR)
    delivery = status_of(message)
    assert delivery.status == DeliveryStatus.DELIVERED
    assert "Out of office" in delivery.events.get().detail["auto_reply"]


def test_complaint_delivers_then_reports_spam(send_sim, call_api):
    message = send_sim("complaint")
    deliver_all(SIMULATOR)
    delivery = status_of(message)
    assert delivery.status == DeliveryStatus.DELIVERED
    assert [e.type for e in delivery.events.all()] == [EventType.DELIVERED, EventType.SPAMREPORT]
    day = timezone.localdate().isoformat()
    response = call_api("GetSendEmailStatus", {"RequestDate": day, "Offset": 0, "Limit": 10})
    (status,) = response.response["EmailStatusList"]
    assert status["UserComplainted"] is True
    assert status["DeliverStatus"] == 1


def test_suppressionlist_is_refused_like_a_blocklisted_address(send_sim):
    with pytest.raises(Refusal) as refused:
        send_sim("suppressionlist")
    assert refused.value.code == "FailedOperation.EmailAddrInBlacklist"
    message = send_sim("success", "suppressionlist")
    statuses = dict(message.deliveries.values_list("recipient", "send_status"))
    assert statuses == {
        f"success@{SIMULATOR}": SendStatus.OK,
        f"suppressionlist@{SIMULATOR}": SendStatus.BLOCKLISTED,
    }


def test_defer_refuses_the_first_tries_then_delivers(send_sim):
    message = send_sim("defer")
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        for expected in ("deferred", "deferred", "delivered"):
            deliver_all(SIMULATOR)
            delivery = status_of(message)
            assert delivery.status == expected
            if expected == "deferred":
                assert delivery.last_reply.startswith("421 4.2.0")
                traveller.move_to(delivery.next_attempt_at + timedelta(seconds=1))
    assert [e.type for e in delivery.events.all()] == ["deferred", "deferred", "delivered"]


def test_unknown_mailbox_bounces_with_the_list(send_sim):
    message = send_sim("nobody")
    deliver_all(SIMULATOR)
    delivery = status_of(message)
    assert delivery.status == DeliveryStatus.BOUNCED
    assert "success" in delivery.last_reply


def test_outside_the_daily_quota_but_paced_by_the_rate(send_sim, account):
    account.daily_quota = 1
    account.send_rate_per_second = 2
    account.save()
    with time_machine.travel(timezone.now(), tick=False):
        first = send_sim("success", "success+2", "success+3")
        later = send_sim("success+4")
        assert limits.sent_today(account) == 0
    moments = sorted(
        Delivery.objects.filter(message__in=[first, later]).values_list(
            "next_attempt_at", flat=True
        )
    )
    assert [m - moments[0] for m in moments] == [timedelta(seconds=s / 2) for s in range(4)]


def test_the_demo_sends_to_the_simulator_from_the_console(
    client, delivery_settings, tmp_path, django_capture_on_commit_callbacks, mailoutbox
):
    """The README's walkthrough: `make run`'s demo account sends from the Send page."""
    from django.core import mail
    from django.core.management import call_command
    from django.urls import reverse

    from accounts.models import User
    from domains.models import SenderAddress
    from sending.models import Message
    from templates_app.models import EmailTemplate

    delivery_settings.VAR_DIR = tmp_path
    printed = io.StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seeddemo", stdout=printed)
    call_command("seeddemo", stdout=io.StringIO())  # idempotent: still one of each
    assert f"success@{SIMULATOR}" in printed.getvalue()
    assert mail.outbox == []  # no approval notice printed among `make run`'s logins
    operator = User.objects.get(email="demo@example.com")
    client.force_login(operator)
    (sender,) = SenderAddress.objects.filter(account=operator.account)
    (template,) = EmailTemplate.objects.filter(account=operator.account)
    assert template.approved_id is not None
    response = client.post(
        reverse("sending:send"),
        {
            "sender": sender.pk,
            "template": template.pk,
            "subject": "Hello from the demo",
            "to": f"success@{SIMULATOR}, bounce@{SIMULATOR}",
            "cc": "",
            "bcc": "",
            "var_name": "Ana",
            "send": "1",
        },
    )
    assert response.status_code == 302
    message = Message.objects.get(account=operator.account)
    assert deliver_all(SIMULATOR) == 2
    statuses = dict(message.deliveries.values_list("recipient", "status"))
    assert statuses == {f"success@{SIMULATOR}": "delivered", f"bounce@{SIMULATOR}": "bounced"}
    page = client.get(reverse("sending:message", args=[message.pk])).content.decode()
    assert "OK (mailbox simulator)" in page
