"""Migration sending.0003 gives the bounces recorded before it their type and category,
read from their bounce events, so suspension counts old bounces by the new rule."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

BEFORE = [("sending", "0002_delivery")]
AFTER = [("sending", "0003_delivery_bounce_type")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_existing_bounces_get_type_and_category_from_their_events():
    apps = migrate(BEFORE)
    Account = apps.get_model("accounts", "Account")
    Message = apps.get_model("sending", "Message")
    Delivery = apps.get_model("sending", "Delivery")
    Event = apps.get_model("sending", "Event")
    account = Account.objects.create(name="old", app_id=424242)
    message = Message.objects.create(account=account, message_id="m-old", subject="s")
    details = {
        "unknown@x.test": {"bounce_type": "hard", "category": "mailbox", "code": 550},
        "policy@x.test": {"bounce_type": "soft", "category": "policy", "policy": True},
        "full@x.test": {"bounce_type": "soft", "category": "full"},
        "content@x.test": {"bounce_type": "hard"},  # 5.6.0: no category recorded
        "expired@x.test": {"bounce_type": "soft", "category": "connection", "expired": True},
    }
    for recipient, detail in details.items():
        delivery = Delivery.objects.create(
            message=message, account=account, recipient=recipient, status="bounced"
        )
        Event.objects.create(delivery=delivery, type="deferred", detail={"category": "full"})
        Event.objects.create(
            delivery=delivery, type="bounce", detail=detail, created_at=timezone.now()
        )
    Delivery.objects.create(
        message=message, account=account, recipient="ok@x.test", status="delivered"
    )

    apps = migrate(AFTER)
    Delivery = apps.get_model("sending", "Delivery")
    got = {
        d.recipient: (d.bounce_type, d.bounce_category)
        for d in Delivery.objects.filter(message__message_id="m-old")
    }
    assert got == {
        "unknown@x.test": ("hard", "mailbox"),
        "policy@x.test": ("soft", "policy"),
        "full@x.test": ("soft", "full"),
        "content@x.test": ("hard", "other"),
        "expired@x.test": ("soft", "other"),
        "ok@x.test": ("", ""),
    }
    Delivery.objects.filter(message__message_id="m-old").delete()
    apps.get_model("accounts", "Account").objects.filter(name="old").delete()


@pytest.fixture(autouse=True)
def _back_to_the_latest_state():
    yield
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
