"""Message bodies are purged after the retention period; the records stay."""

from datetime import timedelta

import pytest
from django.utils import timezone

from sending.delivery.retention import purge_bodies
from sending.models import Attachment, Delivery, Message


def message(account, days_ago):
    when = timezone.now() - timedelta(days=days_ago)
    m = Message.objects.create(
        account=account,
        message_id=f"m{days_ago}",
        subject="s",
        html="<p>body</p>",
        text="body",
        template_data={"name": "x"},
        created_at=when,
    )
    Attachment.objects.create(
        message=m, filename="a.pdf", content_type="application/pdf", content=b"%PDF", size=4
    )
    Delivery.objects.create(message=m, account=account, recipient="a@x.test")
    return m


@pytest.mark.django_db
def test_old_bodies_go_the_record_stays(account, settings):
    settings.SES_MESSAGE_RETENTION_DAYS = 30
    old, recent = message(account, 31), message(account, 29)
    assert purge_bodies() == 1
    old.refresh_from_db()
    recent.refresh_from_db()
    assert (old.html, old.text, old.template_data) == ("", "", {})
    assert bytes(old.attachments.get().content) == b"" and old.bodies_purged_at
    assert old.deliveries.count() == 1 and old.subject == "s"
    assert recent.html == "<p>body</p>" and bytes(recent.attachments.get().content) == b"%PDF"
    assert purge_bodies() == 0
