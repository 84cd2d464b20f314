"""A batch's bulk writes (sending.batch.bulk): COPY on PostgreSQL, multi-row INSERTs on
SQLite; either way the rows are those the ORM's own INSERT writes, and a list keeps
each valid address once."""

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from sending.batch import bulk, receivers
from sending.models import (
    AddressStatus,
    Delivery,
    DeliveryStatus,
    Event,
    EventType,
    Message,
    ReceiverAddress,
    Recipient,
    SendStatus,
    new_message_id,
)

NAMES = ["receiver_list", "email", "data", "status", "reason", "created_at"]


def _deliveries(account, message, due, now):
    return [
        Delivery(
            message=message,
            account=account,
            recipient="ana@example.net",
            domain="example.net",
            kind=Recipient.TO,
            status=DeliveryStatus.QUEUED,
            send_status=SendStatus.OK,
            created_at=now,
            next_attempt_at=due,
            data={"name": "Zoë", "count": 3},
        ),
        Delivery(
            message=message,
            account=account,
            recipient="bo@example.net",
            domain="example.net",
            simulated=True,
            kind=Recipient.TO,
            status=DeliveryStatus.DROPPED,
            send_status=SendStatus.BLOCKLISTED,
            created_at=now,
            data=None,
        ),
    ]


def test_created_rows_are_the_ones_the_orm_writes(account):
    message = Message.objects.create(
        account=account,
        message_id=new_message_id(account.app_id),
        from_address="sender@example.com",
        subject="Hello",
        personal=True,
    )
    before = timezone.now()
    due = before + timedelta(seconds=5)
    ours = bulk.create(_deliveries(account, message, due, before))
    theirs = Delivery.objects.bulk_create(_deliveries(account, message, due, before))

    assert [d.pk for d in ours] == sorted(d.pk for d in ours)
    assert all(d.pk and not d._state.adding for d in ours)
    assert ours[0].updated_at >= before  # auto_now, as the ORM sets it

    def stored(objs):
        rows = Delivery.objects.filter(pk__in=[d.pk for d in objs]).order_by("pk").values()
        return [{k: v for k, v in row.items() if k not in ("id", "updated_at")} for row in rows]

    assert stored(ours) == stored(theirs)
    row = stored(ours)[0]
    assert (row["kind"], row["status"], row["send_status"]) == ("to", "queued", "accepted")
    assert row["data"] == {"name": "Zoë", "count": 3}
    assert row["next_attempt_at"] == due
    # No data is SQL NULL, not JSON null.
    assert Delivery.objects.filter(pk=ours[1].pk, data__isnull=True).exists()

    # The pks are there for what refers to the rows (a dropped Delivery's Event).
    events = bulk.create(
        Event(delivery=d, type=EventType.DROPPED, detail={"task": 1}) for d in ours
    )
    assert sorted(
        Event.objects.filter(delivery__in=ours).values_list("delivery_id", flat=True)
    ) == [d.pk for d in ours]
    assert len(events) == 2 and all(e.pk for e in events)
    assert bulk.create([]) == []


def _row(receiver_list, email, status=AddressStatus.VALID, data=None):
    return [receiver_list.pk, email, data, status, "", timezone.now()]


def test_a_valid_address_is_kept_once_per_list_whatever_its_case(account):
    customers = receivers.create(account, "Customers")
    others = receivers.create(account, "Others")
    first = [_row(customers, "Ana@Example.com", data={"name": "Ana"}), _row(customers, "bo@x.org")]
    assert bulk.insert(ReceiverAddress, NAMES, first, ignore_conflicts=True) == 2

    again = [
        _row(customers, "ana@example.com"),
        _row(customers, "cy@x.org"),
        _row(customers, "CY@x.org"),
        _row(others, "ana@example.com"),  # another list: its own
    ]
    assert bulk.insert(ReceiverAddress, NAMES, again, ignore_conflicts=True) == 2
    kept = ReceiverAddress.objects.filter(receiver_list=customers).order_by("pk")
    assert list(kept.values_list("email", "data")) == [
        ("Ana@Example.com", {"name": "Ana"}),
        ("bo@x.org", None),
        ("cy@x.org", None),
    ]
    assert ReceiverAddress.objects.filter(receiver_list=others).count() == 1
    assert bulk.insert(ReceiverAddress, NAMES, [], ignore_conflicts=True) == 0


def test_each_insert_in_one_transaction_writes_only_its_own_rows(account):
    """Several inserts before a commit (an API call adds 20 chunks in one transaction):
    none writes a row of an earlier one again. Invalid addresses have no uniqueness to
    hide a repeat."""
    customers = receivers.create(account, "Customers")
    with transaction.atomic():
        for n in range(3):
            row = _row(customers, f"not an address {n}", AddressStatus.INVALID)
            assert bulk.insert(ReceiverAddress, NAMES, [row], ignore_conflicts=True) == 1
        plain = [_row(customers, "not either", AddressStatus.INVALID)]
        assert bulk.insert(ReceiverAddress, NAMES, plain) == 1
    assert ReceiverAddress.objects.filter(receiver_list=customers).count() == 4


@pytest.mark.django_db(transaction=True)
def test_inserts_outside_a_transaction_commit_each_on_their_own(account):
    customers = receivers.create(account, "Customers")
    rows = [_row(customers, "ana@example.com"), _row(customers, "bo@example.com")]
    assert bulk.insert(ReceiverAddress, NAMES, rows, ignore_conflicts=True) == 2
    assert bulk.insert(ReceiverAddress, NAMES, rows, ignore_conflicts=True) == 0
    assert ReceiverAddress.objects.filter(receiver_list=customers).count() == 2
