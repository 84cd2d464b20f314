"""A batch task keeps the rules of a single send, recipient by recipient: blocklists,
unsubscriptions, the per-recipient hourly cap, suspension and the mailbox simulator.
Each rule is one test over both paths: SendEmail (acceptance) and a task."""

from datetime import timedelta
from itertools import count

import pytest
from django.db import OperationalError, connection
from django.utils import timezone

from accounts.models import Account
from domains import warmup
from sending.acceptance import limits
from sending.acceptance.service import SendRequest, accept
from sending.batch import expand, receivers, service
from sending.models import (
    CustomBlock,
    Delivery,
    DeliveryStatus,
    Event,
    EventType,
    ListStatus,
    PlatformBlock,
    ReceiverList,
    SendStatus,
    SendTask,
    TaskStatus,
    Unsubscription,
)
from sending.suppression import rules
from sesconsole.refusals import Refusal
from tests.sending.batch.batchhelp import create_task, drain, make_list
from tests.sending.conftest import TEMPLATE_DATA

SIMULATOR = "simulator.test"
PATHS = ["send", "batch"]
_names = count()


@pytest.fixture
def fast(account, verified_sender):
    """A big quota, no pacing, no warm-up: only the rule under test refuses."""
    Account.objects.filter(pk=account.pk).update(
        daily_quota=100_000, send_rate_per_second=1_000_000
    )
    account.refresh_from_db()
    verified_sender.domain.warmup_step = None
    verified_sender.domain.save()
    return account


def via_send(account, sender, template, recipients) -> dict[str, SendStatus]:
    message = accept(
        account,
        SendRequest(
            sender=sender,
            subject="Your code",
            to=list(recipients),
            template_revision=template.approved,
            template_data=TEMPLATE_DATA,
        ),
    )
    return outcomes(Delivery.objects.filter(message=message))


def via_batch(account, sender, template, recipients) -> dict[str, SendStatus]:
    receiver_list = receivers.create(account, f"List {next(_names)}")
    receivers.add(receiver_list, [(email, None) for email in recipients])
    ReceiverList.objects.filter(pk=receiver_list.pk).update(status=ListStatus.COMPLETE)
    receiver_list.refresh_from_db()
    task = drain(create_task(account, sender, receiver_list, template))
    assert task.status == TaskStatus.DONE, task.error_message
    found = outcomes(Delivery.objects.filter(task=task))
    refused = [s for s in found.values() if s != SendStatus.OK]
    assert task.request_count == len(recipients)
    assert (task.sent_count, task.refused_count) == (len(found) - len(refused), len(refused))
    assert task.refusals == {str(s): refused.count(s) for s in set(refused)}
    return found


def outcomes(deliveries) -> dict[str, SendStatus]:
    """recipient -> SendStatus; a refused recipient is a dropped Delivery with its event."""
    found = {}
    for delivery in deliveries:
        refused = delivery.send_status != SendStatus.OK
        assert delivery.status == (DeliveryStatus.DROPPED if refused else DeliveryStatus.QUEUED)
        dropped = Event.objects.filter(delivery=delivery, type=EventType.DROPPED).exists()
        assert dropped == refused
        # A list keeps the domain as IDNA, lower-cased; the local part as given.
        found[delivery.recipient.lower()] = SendStatus(delivery.send_status)
    return found


SENDERS = {"send": via_send, "batch": via_batch}


def _custom(account, email):
    rules.add_custom(account, [email], None)


def _platform(account, email):
    PlatformBlock.objects.create(
        email=email, reason="550 5.1.1 unknown", expires_at=timezone.now() + timedelta(days=30)
    )


def _unsubscribed(account, email):
    Unsubscription.objects.create(account=account, email=email)


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize(
    ("listed", "status"),
    [
        (_custom, SendStatus.BLOCKLISTED),
        (_platform, SendStatus.BLOCKLISTED),
        (_unsubscribed, SendStatus.UNSUBSCRIBED),
    ],
    ids=["custom blocklist", "platform blocklist", "unsubscribed"],
)
def test_lists_refuse_a_recipient(fast, verified_sender, approved_template, path, listed, status):
    listed(fast, "ana@example.com")
    found = SENDERS[path](
        fast, verified_sender, approved_template, ["Ana@Example.com", "bo@example.com"]
    )
    assert found == {"ana@example.com": status, "bo@example.com": SendStatus.OK}
    assert limits.sent_today(fast) == 1  # the refused recipient cost nothing


@pytest.mark.parametrize("path", PATHS)
def test_a_custom_block_that_expired_no_longer_refuses(
    fast, verified_sender, approved_template, path
):
    CustomBlock.objects.create(
        account=fast, email="ana@example.com", expires_on=timezone.localdate() - timedelta(days=1)
    )
    found = SENDERS[path](fast, verified_sender, approved_template, ["ana@example.com"])
    assert found == {"ana@example.com": SendStatus.OK}


@pytest.mark.parametrize("path", PATHS)
def test_the_hourly_cap_per_recipient(
    counter_backend, fast, verified_sender, approved_template, path
):
    Account.objects.filter(pk=fast.pk).update(hourly_per_recipient=2)
    fast.refresh_from_db()
    # Warm-up on: the unit given back goes back to the domain's cap as well.
    domain = verified_sender.domain
    domain.warmup_step = 0
    domain.save()
    for _ in range(2):
        via_send(fast, verified_sender, approved_template, ["ana@example.com"])
    assert (limits.sent_today(fast), warmup.used_today(domain)) == (2, 2)

    found = SENDERS[path](
        fast, verified_sender, approved_template, ["ana@example.com", "bo@example.com"]
    )
    assert found == {"ana@example.com": SendStatus.FREQUENCY_LIMIT, "bo@example.com": SendStatus.OK}
    # ana's unit of the day went back: only bo's counts.
    assert (limits.sent_today(fast), warmup.used_today(domain)) == (3, 3)


def test_sendemail_to_a_capped_recipient_alone_is_refused(fast, verified_sender, approved_template):
    Account.objects.filter(pk=fast.pk).update(hourly_per_recipient=1)
    fast.refresh_from_db()
    via_batch(fast, verified_sender, approved_template, ["ana@example.com"])
    with pytest.raises(Refusal) as refused:
        via_send(fast, verified_sender, approved_template, ["ana@example.com"])
    assert refused.value.code == "FailedOperation.FrequencyLimit"


def test_a_chunk_that_failed_to_commit_costs_no_hourly_cap(
    counter_backend, fast, verified_sender, approved_template
):
    Account.objects.filter(pk=fast.pk).update(hourly_per_recipient=1)
    fast.refresh_from_db()
    task = create_task(fast, verified_sender, make_list(fast, 3), approved_template)

    def connection_lost(execute, sql, params, many, context):
        # The database goes away as the chunk's Deliveries are written: at their INSERT
        # (SQLite), or on PostgreSQL as their pks are reserved for their COPY.
        if sql.startswith('INSERT INTO "sending_delivery"') or (
            "pg_get_serial_sequence" in sql and '"sending_delivery"' in (params or ())
        ):
            raise OperationalError("server closed the connection unexpectedly")
        return execute(sql, params, many, context)

    with connection.execute_wrapper(connection_lost), pytest.raises(OperationalError):
        expand.run(task.pk)
    assert not Delivery.objects.filter(task=task).exists()
    assert limits.sent_today(fast) == 0  # the day's units went back

    task = drain(task)
    assert task.refusals == {}
    assert (task.status, task.sent_count) == (TaskStatus.DONE, 3)


@pytest.mark.parametrize("path", PATHS)
def test_the_simulator(counter_backend, fast, verified_sender, approved_template, settings, path):
    settings.SES_SIMULATOR_DOMAIN = SIMULATOR
    Account.objects.filter(pk=fast.pk).update(daily_quota=1)
    fast.refresh_from_db()
    domain = verified_sender.domain
    domain.warmup_step = 0
    domain.save()
    recipients = [
        f"success@{SIMULATOR}",
        f"success+two@{SIMULATOR}",
        f"suppressionlist@{SIMULATOR}",
        "ana@example.com",
    ]
    found = SENDERS[path](fast, verified_sender, approved_template, recipients)
    # Only ana counts toward the quota of one: the simulator is outside it (and the
    # warm-up cap), so nothing waits for tomorrow.
    assert found == {
        f"success@{SIMULATOR}": SendStatus.OK,
        f"success+two@{SIMULATOR}": SendStatus.OK,
        f"suppressionlist@{SIMULATOR}": SendStatus.BLOCKLISTED,
        "ana@example.com": SendStatus.OK,
    }
    assert (limits.sent_today(fast), warmup.used_today(domain)) == (1, 1)
    simulated = Delivery.objects.filter(simulated=True).values_list("recipient", flat=True)
    assert sorted(simulated) == sorted(recipients[:3])


@pytest.mark.parametrize("path", PATHS)
def test_suspension_stops_sending(fast, verified_sender, approved_template, path):
    Account.objects.filter(pk=fast.pk).update(
        sending_suspended=True, suspension_reason="12% of recent recipients bounced."
    )
    fast.refresh_from_db()
    receiver_list = make_list(fast, 3)
    # Both refuse at once: a task made now could not send (one suspended mid-way
    # stops in Error, keeping its cache: the next test).
    with pytest.raises(Refusal) as refused:
        if path == "send":
            via_send(fast, verified_sender, approved_template, ["ana@example.com"])
        else:
            create_task(fast, verified_sender, receiver_list, approved_template)
    assert refused.value.code == "FailedOperation.HighRejectionRate"
    assert "12% of recent recipients bounced." in refused.value.message
    assert not Delivery.objects.exists()
    assert not SendTask.objects.exists()
    assert limits.sent_today(fast) == 0


def test_a_task_suspended_midway_keeps_its_cache_and_resumes_after_lifting(
    fast, verified_sender, approved_template, settings
):
    # Chunks of 2 at one a second: the first run of the worker expands one chunk.
    settings.SES_BATCH_CHUNK = 2
    Account.objects.filter(pk=fast.pk).update(send_rate_per_second=1)
    fast.refresh_from_db()
    task = create_task(fast, verified_sender, make_list(fast, 5), approved_template)
    assert expand.run(task.pk) == 2

    Account.objects.filter(pk=fast.pk).update(
        sending_suspended=True, suspension_reason="Too many bounces."
    )
    task = drain(task)
    assert task.status == TaskStatus.ERROR and "Too many bounces." in task.error_message
    assert (task.request_count, task.sent_count, task.cached_count) == (5, 2, 3)
    assert Delivery.objects.filter(task=task).count() == 2
    # Still suspended, resuming fails again at once and sends nothing.
    service.resume(task)
    task = drain(task)
    assert (task.status, task.sent_count) == (TaskStatus.ERROR, 2)

    Account.objects.filter(pk=fast.pk).update(sending_suspended=False, suspension_reason="")
    service.resume(task)
    task = drain(task)
    assert (task.status, task.sent_count, task.cached_count, task.runs) == (
        TaskStatus.DONE,
        5,
        0,
        1,
    )
    recipients = list(Delivery.objects.filter(task=task).values_list("recipient", flat=True))
    assert sorted(recipients) == [f"user{i}@example.net" for i in range(5)]
    assert limits.sent_today(fast) == 5
