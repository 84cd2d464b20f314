"""Warm-up of a new sender domain: its batch mail is held to a daily cap that grows a
step a day, goes a step back after a day of too many bounces or complaints, and ends
past the schedule; SendEmail is never held back but counts; the domain's page shows it.

The dates are in the future: Redis expires the counters by the real clock. Bounces
come from a real SMTP exchange: the day's mail is delivered by the delivery engine to
an aiosmtpd MX that refuses some recipients with 550 5.1.1."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from accounts.models import Account
from domains import warmup
from domains.models import SenderDomain
from sending.acceptance.service import SendRequest, accept
from sending.batch import receivers
from sending.batch import warmup as judge
from sending.models import (
    Delivery,
    DeliveryStatus,
    Event,
    EventType,
    ListStatus,
    ReceiverList,
    TaskStatus,
)
from tests.sending.batch.batchhelp import create_task, drain, make_list
from tests.sending.conftest import RCPT_DOMAIN
from tests.sending.deliveryhelp import deliver_all
from tests.smtpservers import Recorder
from tests.tenancy import assert_isolated

SHANGHAI = ZoneInfo("Asia/Shanghai")
SCHEDULE = [10, 20, 40]


def at(day, hour=9, minute=0):
    return datetime(2030, 6, day, hour, minute, tzinfo=SHANGHAI)


@pytest.fixture
def clock():
    with time_machine.travel(at(1), tick=False) as traveller:
        yield traveller


@pytest.fixture
def warming(clock, settings, account, verified_sender):
    """verified_sender's domain new on 1 June 2030 (step 0), a small schedule, and an
    account whose quota and rate are out of the way."""
    settings.SES_WARMUP_SCHEDULE = SCHEDULE
    Account.objects.filter(pk=account.pk).update(
        daily_quota=100_000, send_rate_per_second=1_000_000, time_zone="Asia/Shanghai"
    )
    account.refresh_from_db()
    SenderDomain.objects.filter(pk=verified_sender.domain_id).update(
        created_at=at(1, 8), warmup_step=0, warmup_evaluated_on=None
    )
    verified_sender.domain.refresh_from_db()
    return verified_sender.domain


def domain_of(sender) -> SenderDomain:
    return SenderDomain.objects.select_related("account").get(pk=sender.domain_id)


def sent(task) -> int:
    return Delivery.objects.filter(task=task).count()


def test_the_cap_grows_a_step_a_day(
    counter_backend, warming, account, verified_sender, approved_template, clock
):
    task = drain(create_task(account, verified_sender, make_list(account, 80), approved_template))
    assert (task.status, task.sent_count, task.cached_count) == (TaskStatus.PAUSED, 10, 70)
    assert "warm-up cap of mail.acme.example for today (10)" in task.error_message
    assert task.resume_at == at(2, 0)
    assert warmup.used_today(warming) == 10

    clock.move_to(at(2, 0, 1))
    task = drain(task)
    assert domain_of(verified_sender).warmup_step == 1
    assert (task.status, task.sent_count) == (TaskStatus.PAUSED, 30)
    assert "(20)" in task.error_message

    clock.move_to(at(3, 0, 1))
    task = drain(task)
    assert (task.status, task.sent_count) == (TaskStatus.PAUSED, 70)

    # Past the schedule: no cap at all.
    clock.move_to(at(4, 0, 1))
    task = drain(task)
    assert domain_of(verified_sender).warmup_step is None
    assert (task.status, task.sent_count, task.cached_count) == (TaskStatus.DONE, 80, 0)
    assert sent(task) == 80


def test_a_new_domain_starts_on_the_first_step_of_the_default_schedule(
    clock, account, make_sender, approved_template, settings
):
    Account.objects.filter(pk=account.pk).update(
        daily_quota=100_000, send_rate_per_second=1_000_000
    )
    account.refresh_from_db()
    sender = make_sender(account, "news@fresh.acme.example")
    first = settings.SES_WARMUP_SCHEDULE[0]
    assert (sender.domain.warmup_step, warmup.cap(sender.domain)) == (0, first)
    task = drain(create_task(account, sender, make_list(account, first + 50), approved_template))
    assert (task.status, task.sent_count, task.cached_count) == (TaskStatus.PAUSED, first, 50)
    assert f"warm-up cap of fresh.acme.example for today ({first})" in task.error_message


def test_a_domain_from_before_warm_up_has_no_cap(
    warming, account, verified_sender, approved_template
):
    SenderDomain.objects.filter(pk=warming.pk).update(warmup_step=None)
    task = drain(create_task(account, verified_sender, make_list(account, 60), approved_template))
    assert (task.status, task.sent_count) == (TaskStatus.DONE, 60)
    assert warmup.cap(domain_of(verified_sender)) is None
    assert warmup.used_today(domain_of(verified_sender)) == 0


def test_sendemail_is_not_held_back_but_counts(
    counter_backend, warming, account, verified_sender, approved_template
):
    def send(count, first=0):
        request = SendRequest(
            sender=verified_sender,
            subject="Your receipt",
            to=[f"buyer{i}@example.com" for i in range(first, first + count)],
            text="Thanks",
        )
        return accept(account, request)

    send(4)
    assert warmup.used_today(warming) == 4
    task = drain(create_task(account, verified_sender, make_list(account, 10), approved_template))
    assert (task.status, task.sent_count) == (TaskStatus.PAUSED, 6)
    # Over the cap now, transactional mail still goes: every recipient is queued.
    message = send(12, first=4)
    assert set(message.deliveries.values_list("status", flat=True)) == {DeliveryStatus.QUEUED}
    assert warmup.used_today(warming) == 22
    assert (drain(task).sent_count, sent(task)) == (6, 6)


# --- a bad day takes the cap a step back ----------------------------------------------


@pytest.fixture
def second_day(warming, signing_sender, recipient_mx):
    """The domain on its second step (cap 20) since 1 June, signing, with an MX for
    RCPT_DOMAIN that refuses bad*@ recipients as unknown."""
    SenderDomain.objects.filter(pk=warming.pk).update(
        warmup_step=1, warmup_evaluated_on=at(1).date()
    )
    refuse = {f"bad{i}@{RCPT_DOMAIN}": "550 5.1.1 No such user" for i in range(2)}
    return recipient_mx(Recorder(refuse=refuse))


def forty_at_the_mx(account, first: str) -> ReceiverList:
    """40 recipients at RCPT_DOMAIN, the first two `first`0@ and `first`1@: expanded
    first, they are in the day's 20."""
    receiver_list = receivers.create(account, "Customers")
    receiver_list.variables = ["name", "code"]
    receiver_list.save(update_fields=["variables"])
    entries = [(f"{first}{i}@{RCPT_DOMAIN}", {"name": "A", "code": "0"}) for i in range(2)]
    entries += [(f"user{i}@{RCPT_DOMAIN}", {"name": "U", "code": str(i)}) for i in range(38)]
    receivers.add(receiver_list, entries)
    ReceiverList.objects.filter(pk=receiver_list.pk).update(status=ListStatus.COMPLETE)
    receiver_list.refresh_from_db()
    return receiver_list


@pytest.mark.parametrize("day", ["bounces", "complaints", "clean"])
def test_a_day_over_a_threshold_takes_the_cap_a_step_back(
    second_day, account, signing_sender, approved_template, clock, day
):
    receiver_list = forty_at_the_mx(account, "bad" if day == "bounces" else "good")
    task = drain(create_task(account, signing_sender, receiver_list, approved_template))
    assert (task.status, task.sent_count) == (TaskStatus.PAUSED, 20)
    clock.move_to(at(1, 10))  # the clock stands still: the paced mail is due later
    deliver_all(RCPT_DOMAIN)
    day_one = Delivery.objects.filter(task=task)
    bounced = 2 if day == "bounces" else 0  # 10%, over 5%
    assert day_one.filter(status=DeliveryStatus.BOUNCED).count() == bounced
    assert day_one.filter(status=DeliveryStatus.DELIVERED).count() == 20 - bounced
    assert len(second_day.handler.messages) == 20 - bounced
    if day == "complaints":
        # One complaint in 20 delivered (5%), far over 0.1%: recorded as the engine
        # records one, a spamreport event on the delivered mail (there is no feedback
        # loop intake yet to bring it).
        Event.objects.create(
            delivery=day_one.filter(status=DeliveryStatus.DELIVERED).first(),
            type=EventType.SPAMREPORT,
            created_at=at(1, 12),
            detail={"feedback_type": "abuse"},
        )
    assert judge.day_rates(domain_of(signing_sender), at(1).date()) == (
        20,
        bounced / 20,
        0.05 if day == "complaints" else 0.0,
    )

    clock.move_to(at(2, 0, 1))
    task = drain(task)
    if day == "clean":
        assert domain_of(signing_sender).warmup_step == 2
        assert (task.status, task.sent_count) == (TaskStatus.DONE, 40)
    else:
        assert domain_of(signing_sender).warmup_step == 0
        assert (task.status, task.sent_count) == (TaskStatus.PAUSED, 30)
        assert "for today (10)" in task.error_message


def test_the_simulator_counts_for_no_days_rates(
    warming, account, signing_sender, delivery_settings, clock
):
    bounce = f"bounce@{delivery_settings.SES_SIMULATOR_DOMAIN}"
    accept(account, SendRequest(sender=signing_sender, subject="Hi", to=[bounce], text="Hi"))
    clock.move_to(at(1, 10))
    deliver_all(delivery_settings.SES_SIMULATOR_DOMAIN)
    assert Delivery.objects.get(recipient=bounce).status == DeliveryStatus.BOUNCED
    assert warmup.used_today(warming) == 0
    assert judge.day_rates(domain_of(signing_sender), at(1).date()) == (0, 0.0, 0.0)
    assert judge.evaluate(domain_of(signing_sender), at(1, 23)) is False  # not a new day yet
    assert judge.evaluate(domain_of(signing_sender), at(2, 0, 1)) is True
    assert domain_of(signing_sender).warmup_step == 1
    assert judge.evaluate(domain_of(signing_sender), at(2, 12)) is False  # once a day


# --- the domain's page -----------------------------------------------------------------


def test_the_domain_page_shows_the_warm_up(
    warming, operator_client, account, verified_sender, approved_template
):
    url = reverse("domains:detail", args=[warming.pk])
    page = operator_client.get(url).content.decode()
    assert "Warm-up" in page
    assert "Day 1 of 3: today's cap 10, used 0." in page
    assert "Tomorrow's cap: 20" in page
    assert "less than 5%" in page and "less than 0.1%" in page

    drain(create_task(account, verified_sender, make_list(account, 4), approved_template))
    page = operator_client.get(url).content.decode()
    assert "today's cap 10, used 4." in page

    SenderDomain.objects.filter(pk=warming.pk).update(warmup_step=2)
    page = operator_client.get(url).content.decode()
    assert "Day 3 of 3: today's cap 40, used 4." in page
    assert "Tomorrow: no daily cap" in page

    SenderDomain.objects.filter(pk=warming.pk).update(warmup_step=None)
    page = operator_client.get(url).content.decode()
    assert "Warmed up: no daily cap." in page
    assert "today's cap" not in page


def test_another_tenant_cannot_see_the_warm_up(warming, client, make_account, make_operator):
    client.force_login(make_operator(make_account("other"), "eve@other.example"))
    assert_isolated(client, [("get", reverse("domains:detail", args=[warming.pk]))])
