"""Batch sending: recipient lists (Tencent's "Receivers") with their addresses and
CSV imports, and send tasks that expand a list into Deliveries day by day.

Statuses are stored as these words; Tencent's numbers are mapped at the API edge
(sending.batch.api).
"""

from datetime import datetime

from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone


class ListStatus(models.TextChoices):
    WAITING = "waiting", "Waiting for addresses"  # 1
    UPLOADING = "uploading", "Uploading"  # 2
    COMPLETE = "complete", "Ready"  # 3


class AddressStatus(models.TextChoices):
    VALID = "valid", "Valid"  # 1
    INVALID = "invalid", "Invalid"  # 2


class ImportStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Importing"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class TaskType(models.TextChoices):
    IMMEDIATE = "immediate", "Immediate"  # 1
    TIMED = "timed", "Timed"  # 2
    CYCLIC = "cyclic", "Recurring"  # 3


class TaskStatus(models.TextChoices):
    PENDING = "pending", "Waiting to start"  # 1
    SENDING = "sending", "Sending"  # 5
    PAUSED = "paused", "Paused for today"  # 6: the day's budget is used; cached
    HELD = "held", "Paused by you"  # 6
    ERROR = "error", "Error"  # 7
    DONE = "done", "Done"  # 10
    CANCELED = "canceled", "Canceled"  # 10, with ErrMsg


UNFINISHED = (
    TaskStatus.PENDING,
    TaskStatus.SENDING,
    TaskStatus.PAUSED,
    TaskStatus.HELD,
    TaskStatus.ERROR,
)


class ReceiverList(models.Model):
    account = models.ForeignKey("accounts.Account", on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=200)
    description = models.CharField(max_length=300, blank=True)
    status = models.CharField(max_length=10, choices=ListStatus.choices, default=ListStatus.WAITING)
    created_at = models.DateTimeField(default=timezone.now)
    # The names of the per-address template data, in column order (empty: addresses only).
    variables = models.JSONField(default=list, blank=True)
    # Kept with every insert (F() updates in the same transaction), never counted.
    valid_count = models.PositiveIntegerField(default=0)
    invalid_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["account", "name"], name="receiverlist_account_name")
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def total_count(self) -> int:
        return self.valid_count + self.invalid_count


class ReceiverAddress(models.Model):
    receiver_list = models.ForeignKey(
        ReceiverList, on_delete=models.CASCADE, related_name="addresses"
    )
    email = models.CharField(max_length=254)
    data = models.JSONField(null=True, blank=True)
    status = models.CharField(
        max_length=7, choices=AddressStatus.choices, default=AddressStatus.VALID
    )
    reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["receiver_list", "status", "id"])]
        constraints = [
            # A valid address once per list: no recipient of a task is sent twice.
            models.UniqueConstraint(
                "receiver_list",
                Lower("email"),
                condition=models.Q(status="valid"),
                name="receiveraddress_once",
            )
        ]

    def __str__(self) -> str:
        return self.email


class ReceiverImport(models.Model):
    """A CSV file being added to a list, in the background."""

    receiver_list = models.ForeignKey(
        ReceiverList, on_delete=models.CASCADE, related_name="imports"
    )
    file_name = models.CharField(max_length=255)
    path = models.CharField(max_length=500, help_text="Where the upload is kept until imported")
    size = models.PositiveBigIntegerField(default=0)
    status = models.CharField(
        max_length=8, choices=ImportStatus.choices, default=ImportStatus.QUEUED
    )
    encoding = models.CharField(max_length=20, blank=True)
    columns = models.JSONField(default=list, blank=True)
    # Progress, committed with each chunk: a restarted import goes on after rows_read.
    bytes_read = models.PositiveBigIntegerField(default=0)
    rows_read = models.PositiveIntegerField(default=0)
    added = models.PositiveIntegerField(default=0)
    rejected = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    # When a worker last claimed the import or committed progress: a running import
    # without progress for a while lost its worker, and another takes it up.
    progress_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.file_name

    @property
    def percent(self) -> int:
        if self.status == ImportStatus.DONE:
            return 100
        return int(100 * self.bytes_read / self.size) if self.size else 0


class ImportRejection(models.Model):
    """A row of a CSV file that was not added, and why."""

    receiver_import = models.ForeignKey(
        ReceiverImport, on_delete=models.CASCADE, related_name="rejections"
    )
    line = models.PositiveIntegerField()
    content = models.TextField()
    reason = models.CharField(max_length=200)

    class Meta:
        ordering = ["line", "pk"]

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"


class SendTask(models.Model):
    """A batch send: the list's valid addresses expanded into Deliveries chunk by chunk.

    `cursor` is the last ReceiverAddress pk of the current run that was expanded (sent
    or refused): it moves in the transaction that writes the chunk's Deliveries, so a
    recipient is expanded exactly once whatever crashes. What is past the cursor is the
    cache: it waits for the next day's budget while the task is paused.
    """

    account = models.ForeignKey("accounts.Account", on_delete=models.CASCADE, related_name="+")
    receiver_list = models.ForeignKey(
        ReceiverList, on_delete=models.SET_NULL, null=True, related_name="tasks"
    )
    receivers_name = models.CharField(max_length=200)
    # The content every run sends: one Message whose Deliveries are each their own mail.
    message = models.OneToOneField(
        "sending.Message", on_delete=models.PROTECT, related_name="send_task"
    )
    sender = models.ForeignKey(
        "domains.SenderAddress", on_delete=models.SET_NULL, null=True, related_name="+"
    )
    from_address = models.CharField(max_length=254)
    task_type = models.CharField(max_length=9, choices=TaskType.choices)
    status = models.CharField(max_length=8, choices=TaskStatus.choices, default=TaskStatus.PENDING)
    error_message = models.TextField(blank=True)
    ad_location = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    # Schedule: the first run (timed, recurring), the interval, when to stop.
    begin_at = models.DateTimeField(null=True, blank=True)
    interval_hours = models.PositiveIntegerField(null=True, blank=True)
    end_at = models.DateTimeField(null=True, blank=True)
    max_runs = models.PositiveIntegerField(null=True, blank=True)
    term_cycle = models.BooleanField(default=False)
    runs = models.PositiveIntegerField(default=0)
    run_started_at = models.DateTimeField(null=True, blank=True)
    next_run_at = models.DateTimeField(null=True, blank=True)
    # The expansion of the current run.
    cursor = models.BigIntegerField(default=0)
    last_address = models.BigIntegerField(default=0, help_text="The run's last address pk")
    next_chunk_at = models.DateTimeField(null=True, blank=True)
    resume_at = models.DateTimeField(null=True, blank=True)
    lease_token = models.CharField(max_length=32, blank=True)
    leased_until = models.DateTimeField(null=True, blank=True)
    # Counters over all runs: requested = sent + refused + cached.
    request_count = models.PositiveIntegerField(default=0)
    sent_count = models.PositiveIntegerField(default=0)
    refused_count = models.PositiveIntegerField(default=0)
    refusals = models.JSONField(default=dict, blank=True, help_text="{SendStatus: count}")

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["account", "status"]), models.Index(fields=["status"])]

    def __str__(self) -> str:
        return f"task {self.pk} ({self.status})"

    @property
    def cached_count(self) -> int:
        return max(0, self.request_count - self.sent_count - self.refused_count)

    @property
    def finished(self) -> bool:
        return self.status in (TaskStatus.DONE, TaskStatus.CANCELED)

    def percent(self, count: int) -> float:
        return round(100 * count / self.request_count, 2) if self.request_count else 0.0


def local_time(moment: datetime | None) -> str:
    """Tencent's "2021-09-28 16:40:35" layout, in the service's time zone."""
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M:%S") if moment else ""
