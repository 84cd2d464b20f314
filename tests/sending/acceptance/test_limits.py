"""Sending limits: per recipient, refunded when refused, atomic across processes."""

import os
import subprocess
import sys

import pytest

from domains.models import DomainStatus, SenderAddress, SenderDomain
from sending.acceptance import limits
from sending.acceptance.service import SendRequest, accept
from sending.models import Delivery, DeliveryStatus, SendStatus
from sesconsole.refusals import Refusal
from tests.workers import ROOT, test_database_url


@pytest.fixture
def sender(account):
    domain = SenderDomain.objects.create(
        account=account, name="mail.acme.test", status=DomainStatus.VERIFIED
    )
    return SenderAddress.objects.create(account=account, domain=domain, email="news@mail.acme.test")


def send(account, sender, *to):
    return accept(account, SendRequest(sender=sender, subject="Hi", to=list(to), text="hello"))


@pytest.mark.django_db(transaction=True)
def test_daily_quota_counts_recipients_and_refused_ones_cost_nothing(
    counter_backend, account, sender
):
    account.daily_quota = 3
    account.save()
    message = send(account, sender, "a@x.test", "b@x.test", "c@x.test", "d@x.test")
    statuses = dict(message.deliveries.values_list("recipient", "send_status"))
    assert statuses == {
        "a@x.test": SendStatus.OK,
        "b@x.test": SendStatus.OK,
        "c@x.test": SendStatus.OK,
        "d@x.test": SendStatus.DAILY_LIMIT,
    }
    assert limits.sent_today(account) == 3
    with pytest.raises(Refusal) as refused:
        send(account, sender, "e@x.test")
    assert refused.value.code == "FailedOperation.ExceedSendLimit"
    assert limits.sent_today(account) == 3
    assert Delivery.objects.filter(status=DeliveryStatus.DROPPED).count() == 1


@pytest.mark.django_db(transaction=True)
def test_hourly_cap_per_sender_and_recipient(counter_backend, account, sender):
    account.hourly_per_recipient = 2
    account.save()
    send(account, sender, "a@x.test")
    send(account, sender, "A@x.test", "b@x.test")
    message = send(account, sender, "a@x.test", "b@x.test")
    assert dict(message.deliveries.values_list("recipient", "send_status")) == {
        "a@x.test": SendStatus.FREQUENCY_LIMIT,
        "b@x.test": SendStatus.OK,
    }
    with pytest.raises(Refusal) as refused:
        send(account, sender, "a@x.test")
    assert refused.value.code == "FailedOperation.FrequencyLimit"
    # The refused recipient did not use up the daily quota.
    assert limits.sent_today(account) == 4


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_two_processes_never_exceed_the_quota_or_the_cap(
    counter_backend, account, sender, settings
):
    account.daily_quota = 15
    account.hourly_per_recipient = 1000
    account.send_rate_per_second = 100_000
    account.save()
    env = {**os.environ, "DATABASE_URL": test_database_url(), "REDIS_URL": settings.REDIS_URL}
    command = [sys.executable, "-m", "tests.sending.send_worker", str(account.pk), str(sender.pk)]
    workers = [
        subprocess.Popen(
            [*command, "12", f"p{n}@x.test"], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True
        )
        for n in range(2)
    ]
    outputs = [w.communicate(timeout=120)[0].split() for w in workers]
    assert all(w.returncode == 0 for w in workers)
    accepted = sum(int(out[0]) for out in outputs)
    assert accepted == 15
    assert Delivery.objects.filter(status=DeliveryStatus.QUEUED).count() == 15
    assert limits.sent_today(account) == 15


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_two_processes_respect_the_per_recipient_cap(counter_backend, account, sender, settings):
    account.hourly_per_recipient = 10
    account.send_rate_per_second = 100_000
    account.save()
    env = {**os.environ, "DATABASE_URL": test_database_url(), "REDIS_URL": settings.REDIS_URL}
    command = [sys.executable, "-m", "tests.sending.send_worker", str(account.pk), str(sender.pk)]
    workers = [
        subprocess.Popen(
            [*command, "8", "same@x.test"], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    for w in workers:
        w.communicate(timeout=120)
    assert (
        Delivery.objects.filter(recipient="same@x.test", status=DeliveryStatus.QUEUED).count() == 10
    )


@pytest.mark.django_db
def test_lists_are_checked_in_one_query(account, sender, django_assert_num_queries):
    from sending.models import CustomBlock, Unsubscription
    from sending.suppression.lookup import refusals_for

    CustomBlock.objects.create(account=account, email="blocked@x.test")
    Unsubscription.objects.create(account=account, email="gone@x.test")
    # Both unsubscribed and blocked: reported as blocked, whichever row comes first.
    Unsubscription.objects.create(account=account, email="both@x.test")
    CustomBlock.objects.create(account=account, email="both@x.test")
    addresses = [f"r{i}@x.test" for i in range(50)]
    addresses += ["Blocked@x.test", "gone@x.test", "both@x.test"]
    with django_assert_num_queries(1):
        refused = refusals_for(account, addresses)
    assert refused == {
        "blocked@x.test": SendStatus.BLOCKLISTED,
        "gone@x.test": SendStatus.UNSUBSCRIBED,
        "both@x.test": SendStatus.BLOCKLISTED,
    }
