"""Real Celery workers: mail sent through the official SDK is delivered by a worker, signed;
a worker killed in the middle of a delivery leaves nothing stuck and nothing doubled."""

import asyncio
import base64
import os
import signal
import threading

import pytest

from sending.delivery import dispatch
from sending.models import Attempt, Delivery, DeliveryStatus
from tests.sdk import sdk_request
from tests.sending.conftest import RCPT_DOMAIN, SENDER_EMAIL, SIMULATOR
from tests.sending.deliveryhelp import parsed, signatures_verify, worker_env
from tests.smtpservers import Recorder
from tests.workers import wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def simple(text: str) -> dict:
    return {"Text": base64.b64encode(text.encode()).decode()}


def test_sent_by_the_sdk_delivered_by_a_worker(
    ses_client, signing_sender, recipient_mx, dns_zone, start_worker, settings
):
    server = recipient_mx()
    start_worker(**worker_env(settings, dns_zone))
    reply = ses_client.SendEmail(
        sdk_request(
            "SendEmailRequest",
            FromEmailAddress=SENDER_EMAIL,
            Destination=[f"ana@{RCPT_DOMAIN}", f"success@{SIMULATOR}"],
            Subject="Delivered by a worker",
            Simple=simple("Hello from the worker"),
        )
    )
    assert wait_for(lambda: len(server.handler.messages) == 1, timeout=60)
    (got,) = server.handler.messages
    assert signatures_verify(got.content) == [True, True]
    assert parsed(got.content)["Subject"] == "Delivered by a worker"
    finished = (DeliveryStatus.DELIVERED,)
    assert wait_for(
        lambda: (
            set(
                Delivery.objects.filter(message__message_id=reply.MessageId).values_list(
                    "status", flat=True
                )
            )
            == set(finished)
        ),
        timeout=60,
    )
    assert Delivery.objects.get(recipient=f"success@{SIMULATOR}").simulated


class StallFirst(Recorder):
    """Holds the first DATA without answering until the client goes away, recording
    nothing (the message never arrived); later ones are accepted and recorded."""

    def __init__(self):
        super().__init__()
        self.stalled = threading.Event()

    async def handle_DATA(self, server, session, envelope):
        if not self.stalled.is_set():
            self.stalled.set()
            while not server.transport.is_closing():
                await asyncio.sleep(0.05)
            return "451 4.3.0 never seen"
        return await super().handle_DATA(server, session, envelope)


def test_a_killed_worker_delivers_once_after_restart(
    account, send_text, recipient_mx, dns_zone, start_worker, settings
):
    server = recipient_mx(StallFirst())
    env = worker_env(settings, dns_zone) | {"SES_SMTP_DATA_TIMEOUT": 120}
    worker = start_worker(**env)
    message = send_text()
    assert server.handler.stalled.wait(60)
    delivery = Delivery.objects.get(message=message)
    assert delivery.status == DeliveryStatus.SENDING
    # The pool process is the worker itself (--pool solo): SIGKILL, no cleanup at all.
    os.kill(worker.pid, signal.SIGKILL)
    worker.wait(10)
    assert Delivery.objects.get(pk=delivery.pk).status == DeliveryStatus.SENDING

    start_worker(**env)
    settings.SES_DELIVERY_CLAIM_TIMEOUT = 0  # the beat sweep, once the claim has expired
    returned, published = dispatch.sweep()
    assert (returned, published) == (1, 1)
    assert wait_for(lambda: len(server.handler.messages) == 1, timeout=60)
    assert wait_for(
        lambda: Delivery.objects.get(pk=delivery.pk).status == DeliveryStatus.DELIVERED,
        timeout=30,
    )
    assert len(server.handler.messages) == 1
    assert Attempt.objects.filter(delivery=delivery).count() == 1  # the killed try left no record
    dispatch.sweep()  # nothing more to do: no second copy
    assert not wait_for(lambda: len(server.handler.messages) > 1, timeout=2)
