"""Message bodies are kept SES_MESSAGE_RETENTION_DAYS; the rows that record
who was sent what and what happened stay for the log and the statistics."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from sending.models import Attachment, Message


def purge_bodies(now: datetime | None = None, batch: int = 500) -> int:
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.SES_MESSAGE_RETENTION_DAYS)
    purged = 0
    while True:
        ids = list(
            Message.objects.filter(created_at__lt=cutoff, bodies_purged_at__isnull=True)
            .order_by("pk")
            .values_list("pk", flat=True)[:batch]
        )
        if not ids:
            return purged
        with transaction.atomic():
            Attachment.objects.filter(message_id__in=ids).update(content=b"")
            purged += Message.objects.filter(pk__in=ids).update(
                html="", text="", template_data={}, bodies_purged_at=now
            )
