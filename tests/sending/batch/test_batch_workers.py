"""Batch tasks on real Celery workers, delivered to an aiosmtpd MX: each recipient gets
its own signed mail, and a worker SIGKILLed in the middle of expansion or of delivery
leaves every recipient sent exactly once (counted at the MX by Message-ID)."""

import asyncio
import os
import signal
import threading
from collections import Counter

import pytest
from django.db.models import Q
from django.db.models.functions import Now

from accounts.models import Account
from sending.batch import sweep
from sending.delivery import dispatch
from sending.models import Delivery, DeliveryStatus, SendTask, TaskStatus
from tests.sending.batch.batchhelp import create_task, make_list
from tests.sending.conftest import RCPT_DOMAIN
from tests.sending.deliveryhelp import parsed, signatures_verify, worker_env
from tests.smtpservers import Recorder
from tests.workers import wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def batch_sender(account, signing_sender):
    signing_sender.domain.warmup_step = None
    signing_sender.domain.save(update_fields=["warmup_step"])
    Account.objects.filter(pk=account.pk).update(daily_quota=100_000)
    account.refresh_from_db()
    return signing_sender


def message_ids(server) -> Counter:
    return Counter(parsed(m.content)["Message-ID"] for m in server.handler.messages)


def all_delivered(task) -> bool:
    return not Delivery.objects.filter(task=task).exclude(status=DeliveryStatus.DELIVERED).exists()


def test_each_recipient_gets_its_own_signed_mail(
    account, batch_sender, approved_template, recipient_mx, dns_zone, start_worker, settings
):
    server = recipient_mx()
    start_worker(**worker_env(settings, dns_zone))
    receiver_list = make_list(account, 30, domain=RCPT_DOMAIN)
    task = create_task(account, batch_sender, receiver_list, approved_template)
    assert wait_for(lambda: len(server.handler.messages) == 30, timeout=90)
    assert wait_for(lambda: all_delivered(task), timeout=30)
    task.refresh_from_db()
    assert (task.status, task.sent_count, task.cached_count) == (TaskStatus.DONE, 30, 0)
    by_recipient = {m.rcpt_tos[0]: m for m in server.handler.messages}
    assert len(by_recipient) == 30
    mail = parsed(by_recipient[f"user7@{RCPT_DOMAIN}"].content)
    assert mail["To"] == f"user7@{RCPT_DOMAIN}"
    assert mail["Subject"] == "Hello User 7"
    assert "your code is 1007" in mail.get_body(("plain",)).get_content()
    assert signatures_verify(by_recipient[f"user7@{RCPT_DOMAIN}"].content) == [True, True]
    assert len(message_ids(server)) == 30


def _kill(worker) -> None:
    # --pool solo: the worker is the process doing the work; no cleanup at all.
    os.kill(worker.pid, signal.SIGKILL)
    worker.wait(10)


def _take_up(settings, task) -> None:
    """What beat does once a dead worker's hold has lapsed: claims back, tasks published."""
    free = Q(leased_until__isnull=True) | Q(leased_until__lt=Now())
    assert wait_for(lambda: SendTask.objects.filter(free, pk=task.pk).exists(), timeout=30)
    sweep.sweep()
    settings.SES_DELIVERY_CLAIM_TIMEOUT = 0
    dispatch.sweep()


def test_a_worker_killed_in_the_middle_of_expansion(
    account, batch_sender, approved_template, recipient_mx, dns_zone, start_worker, settings
):
    server = recipient_mx()
    # Small chunks at 100 a second: expansion takes a few seconds, a chunk at a time.
    Account.objects.filter(pk=account.pk).update(send_rate_per_second=100)
    env = worker_env(settings, dns_zone) | {
        "SES_BATCH_CHUNK": 10,
        "SES_BATCH_LEASE_SECONDS": 3,
    }
    worker = start_worker(**env)
    receiver_list = make_list(account, 400, domain=RCPT_DOMAIN)
    task = create_task(account, batch_sender, receiver_list, approved_template)
    assert wait_for(
        lambda: 0 < SendTask.objects.get(pk=task.pk).sent_count < 300, timeout=60, interval=0.01
    )
    _kill(worker)
    task.refresh_from_db()
    assert task.status == TaskStatus.SENDING and task.cursor < task.last_address

    start_worker(**env)
    _take_up(settings, task)
    assert wait_for(lambda: len(server.handler.messages) >= 400, timeout=120)
    assert wait_for(lambda: all_delivered(task), timeout=60)
    task.refresh_from_db()
    assert (task.status, task.sent_count) == (TaskStatus.DONE, 400)
    sent = message_ids(server)
    assert len(sent) == 400 and set(sent.values()) == {1}
    assert Delivery.objects.filter(task=task).count() == 400
    assert {m.rcpt_tos[0] for m in server.handler.messages} == {
        f"user{i}@{RCPT_DOMAIN}" for i in range(400)
    }


class StallOne(Recorder):
    """Holds the 5th DATA unanswered until the client goes away, recording nothing
    for it (the message never arrived); the others are accepted and recorded."""

    def __init__(self):
        super().__init__()
        self.stalled = threading.Event()
        self.seen = 0

    async def handle_DATA(self, server, session, envelope):
        self.seen += 1
        if self.seen == 5 and not self.stalled.is_set():
            self.stalled.set()
            while not server.transport.is_closing():
                await asyncio.sleep(0.05)
            return "451 4.3.0 never seen"
        return await super().handle_DATA(server, session, envelope)


def test_a_worker_killed_in_the_middle_of_delivery(
    account, batch_sender, approved_template, recipient_mx, dns_zone, start_worker, settings
):
    server = recipient_mx(StallOne())
    env = worker_env(settings, dns_zone) | {
        "SES_SMTP_DATA_TIMEOUT": 120,
        "SES_BATCH_LEASE_SECONDS": 3,
    }
    worker = start_worker(**env)
    receiver_list = make_list(account, 40, domain=RCPT_DOMAIN)
    task = create_task(account, batch_sender, receiver_list, approved_template)
    assert server.handler.stalled.wait(60)
    assert Delivery.objects.filter(task=task, status=DeliveryStatus.SENDING).exists()
    _kill(worker)

    start_worker(**env)
    _take_up(settings, task)
    assert wait_for(lambda: all_delivered(task), timeout=120)
    sent = message_ids(server)
    assert len(sent) == 40 and set(sent.values()) == {1}
    dispatch.sweep()
    assert not wait_for(lambda: len(server.handler.messages) > 40, timeout=2)
