"""The per-second rate paces deliveries and never refuses a request: a request the
recipient limits allow is accepted, and its deliveries are spread (next_attempt_at) so
that the account's mail leaves at `send_rate_per_second` a second at most, across
requests, processes and entry points (API, console, SMTP in tests/sending/smtp/submission)."""

import itertools
import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from accounts.models import Account
from sending.acceptance import limits
from sending.acceptance.service import SendRequest, accept
from sending.models import DeliveryStatus, Message
from sesconsole import ratelimit
from tests.sending.conftest import SIMULATOR, TEMPLATE_DATA
from tests.sending.sendhelp import change
from tests.workers import wait_for

GAP = timedelta(seconds=1) / 20  # the default rate: 20 a second


def times(message) -> list:
    return list(
        message.deliveries.order_by("next_attempt_at").values_list("next_attempt_at", flat=True)
    )


def gaps(moments) -> list:
    return [b - a for a, b in itertools.pairwise(moments)]


# --- the schedule itself ---------------------------------------------------------------


@pytest.mark.django_db
def test_an_idle_stream_starts_now_and_a_busy_one_queues(counter_backend):
    now = 1_900_000_000_000_000
    key = f"pace-test-{counter_backend}"
    assert ratelimit.schedule(key, 21, 50_000, now_us=now) == now
    assert ratelimit.schedule(key, 1, 50_000, now_us=now) == now + 21 * 50_000
    # Later than everything booked: it starts at the present again, never in the past.
    later = now + 10_000_000
    assert ratelimit.schedule(key, 1, 50_000, now_us=later) == later


@pytest.mark.django_db(transaction=True)
def test_concurrent_bookings_never_overlap(counter_backend):
    now = 1_900_000_000_000_000
    key = f"pace-threads-{counter_backend}"
    starts, errors = [], []

    def book():
        try:
            for _ in range(25):
                starts.append(ratelimit.schedule(key, 2, 1_000, now_us=now))
        except Exception as error:  # reported below: a thread's failure must fail the test
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=book) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    # 150 bookings of two units each: every start distinct, back to back.
    assert sorted(starts) == [now + 2_000 * i for i in range(150)]


# --- acceptance --------------------------------------------------------------------------


@pytest.mark.django_db
def test_more_recipients_than_the_rate_are_accepted_and_paced(
    call_api, account, send_params, counter_backend
):
    assert account.send_rate_per_second == 20  # the default, as a new account has it
    Account.objects.filter(pk=account.pk).update(api_rate_per_second=1000, hourly_per_recipient=50)
    recipients = [f"r{i}@example.com" for i in range(21)]
    reply = call_api("SendEmail", change("Destination", recipients)(send_params))
    assert reply.code is None, reply.message
    message = Message.objects.get(message_id=reply.response["MessageId"])
    moments = times(message)
    assert len(moments) == 21
    assert all(gap == GAP for gap in gaps(moments))
    assert moments[0] - message.created_at < timedelta(seconds=1)
    assert moments[-1] - moments[0] == GAP * 20  # a second for 21 at 20 a second

    # The next request queues behind the first.
    reply = call_api("SendEmail", change("Destination", ["late@example.com"])(send_params))
    assert reply.code is None, reply.message
    late = Message.objects.get(message_id=reply.response["MessageId"])
    assert times(late) == [moments[-1] + GAP]


@pytest.mark.django_db
def test_the_send_page_takes_21_recipients(
    operator_client, account, verified_sender, approved_template, counter_backend
):
    template = approved_template
    Account.objects.filter(pk=account.pk).update(hourly_per_recipient=50)
    recipients = "\n".join(f"r{i}@example.com" for i in range(21))
    data = {
        "sender": verified_sender.pk,
        "template": template.pk,
        "subject": "Your sign-in code",
        "to": recipients,
        "send": "1",
        **{f"var_{name}": value for name, value in TEMPLATE_DATA.items()},
    }
    response = operator_client.post(reverse("sending:send"), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    message = Message.objects.get()
    assert message.deliveries.count() == 21
    assert all(gap == GAP for gap in gaps(times(message)))


@pytest.mark.django_db
def test_refused_recipients_take_no_slot(account, verified_sender, counter_backend):
    Account.objects.filter(pk=account.pk).update(daily_quota=2)
    account.refresh_from_db()
    request = SendRequest(
        sender=verified_sender, subject="s", to=["a@x.test", "b@x.test", "c@x.test"], text="t"
    )
    message = accept(account, request)
    queued = message.deliveries.filter(status=DeliveryStatus.QUEUED)
    assert queued.count() == 2
    assert message.deliveries.get(recipient="c@x.test").next_attempt_at is None
    first, _ = limits.pace(account, 1, timezone.now())
    assert first - max(queued.values_list("next_attempt_at", flat=True)) == GAP


# --- delivery keeps up with the pace ------------------------------------------------------


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_a_worker_delivers_a_paced_request_without_the_sweep(
    account, signing_sender, delivery_settings, start_worker, settings
):
    """Five recipients at two a second: all delivered by a real worker within seconds,
    with no beat running (so no sweep), at the account's pace."""
    Account.objects.filter(pk=account.pk).update(send_rate_per_second=2)
    account.refresh_from_db()
    start_worker(SES_SIMULATOR_DOMAIN=SIMULATOR, SES_RELAY_URL="")
    to = [f"success+{i}@{SIMULATOR}" for i in range(5)]
    request = SendRequest(sender=signing_sender, subject="Paced", to=to, text="hello")
    message = accept(account, request)
    assert wait_for(
        lambda: (
            set(message.deliveries.values_list("status", flat=True)) == {DeliveryStatus.DELIVERED}
        ),
        timeout=30,
    )
    delivered = sorted(message.deliveries.values_list("delivered_at", flat=True))
    # Never faster than the rate: the n-th no sooner than n half-seconds after acceptance
    # (a worker that starts late only delays the first ones).
    for n, moment in enumerate(delivered):
        assert moment >= message.created_at + timedelta(seconds=n / 2), (n, delivered)
