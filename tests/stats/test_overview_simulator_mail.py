"""The Overview says how much of today's mail went to the mailbox simulator, and
that it does not count against the daily quota."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse

from accounts.models import Account
from domains.models import DomainStatus, SenderAddress, SenderDomain
from sending.acceptance.service import SendRequest, accept
from sending.models import Delivery

SIMULATOR = "simulator.test"


@pytest.fixture
def simulator(settings, account):
    settings.SES_SIMULATOR_DOMAIN = SIMULATOR
    Account.objects.filter(pk=account.pk).update(send_rate_per_second=10_000)
    account.refresh_from_db()


def make_sender(account, email):
    host = email.rpartition("@")[2]
    domain = SenderDomain.objects.create(account=account, name=host, status=DomainStatus.VERIFIED)
    return SenderAddress.objects.create(account=account, domain=domain, email=email)


def send(account, sender, *recipients):
    return accept(account, SendRequest(sender=sender, subject="s", to=list(recipients), text="t"))


@pytest.mark.django_db
def test_simulator_mail_is_shown_apart_from_the_quota(
    operator_client,
    operator,
    account,
    simulator,
    make_account,
    settings,
):
    settings.TIME_ZONE = "Asia/Shanghai"
    sender = make_sender(account, "noreply@mail.acme.test")
    other = make_account("other", send_rate_per_second=10_000)
    # A day in the future (Redis expires the counters by its own clock); 00:30 in Shanghai.
    day = (datetime.now(UTC) + timedelta(days=1)).date()
    with time_machine.travel(f"{day} 16:30:00+00:00", tick=False):
        send(account, sender, f"success@{SIMULATOR}", f"bounce@{SIMULATOR}", "ana@example.com")
        send(account, sender, f"ooto+1@{SIMULATOR}")
        send(other, make_sender(other, "x@mail.other.test"), f"success@{SIMULATOR}")
        # Sent an hour ago: 23:30 yesterday in Shanghai, another day.
        yesterday = send(account, sender, f"success@{SIMULATOR}")
        Delivery.objects.filter(message=yesterday).update(
            created_at=datetime(day.year, day.month, day.day, 15, 30, tzinfo=UTC)
        )
        operator_client.force_login(operator)  # a session of that day
        page = operator_client.get(reverse("overview"))

    assert page.context["sent_today"] == 1
    assert page.context["simulated_today"] == 3
    body = page.content.decode()
    assert '<span data-testid="simulated-today">3</span>' in body
    assert "to the mailbox simulator today" in body
    assert "not count against the daily quota" in body


@pytest.mark.django_db
def test_nothing_is_said_without_simulator_mail(operator_client, account):
    page = operator_client.get(reverse("overview"))
    assert page.context["simulated_today"] == 0
    assert 'data-testid="simulated-today"' not in page.content.decode()
