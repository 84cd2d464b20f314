"""Beat's rounds over batch tasks (sending.sweep_batches):
- a new day's warm-up caps are set (sending.batch.warmup), then the tasks Paused
  for the day whose next day has started resume;
- timed and recurring tasks whose run is due start it;
- tasks Sending without a live lease whose next chunk is due are published again
  (their worker died, or their message was lost).
"""

from datetime import datetime

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from sending.batch import dispatch, service, warmup
from sending.models import SendTask, TaskStatus


def sweep(now: datetime | None = None) -> dict[str, int]:
    now = now or timezone.now()
    counts = {"resumed": 0, "started": 0, "published": 0}
    waking = SendTask.objects.filter(status=TaskStatus.PAUSED, resume_at__lte=now)
    if waking.exists():
        warmup.evaluate_all(now)
    for task in waking.order_by("pk"):
        resumed = SendTask.objects.filter(
            pk=task.pk, status=TaskStatus.PAUSED, resume_at__lte=now
        ).update(
            status=TaskStatus.SENDING,
            resume_at=None,
            error_message="",
            next_chunk_at=now,
            updated_at=now,
        )
        counts["resumed"] += resumed
    due = SendTask.objects.filter(status=TaskStatus.PENDING, next_run_at__lte=now)
    for task in due.select_related("receiver_list").order_by("next_run_at", "pk"):
        with transaction.atomic():
            counts["started"] += service.start_run(task, now)
    free = Q(leased_until__isnull=True) | Q(leased_until__lt=now)
    ready = Q(next_chunk_at__isnull=True) | Q(next_chunk_at__lte=now)
    for task_id in (
        SendTask.objects.filter(free, ready, status=TaskStatus.SENDING)
        .order_by("pk")
        .values_list("pk", flat=True)
    ):
        dispatch.publish(task_id)
        counts["published"] += 1
    return counts
