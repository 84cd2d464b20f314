"""Send tasks: creating one, its schedule (timed, recurring), and what an operator
may do with it (pause, resume, cancel).

    task = service.create(account, spec)   # durable; its first run starts on time

A task's content is one personal Message (each Delivery its own mail, filled from
the recipient's data over the task's). A run expands the list's valid addresses as
they were when it started (up to `last_address`); sending.batch.expand does that
chunk by chunk, within the day's budget, and sending.batch.sweep starts runs,
resumes paused tasks the next day and takes up tasks a dead worker left.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.utils import make_msgid
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from accounts.models import Account
from domains.models import SenderAddress
from sending.models import (
    AddressStatus,
    Attachment,
    ListStatus,
    Message,
    ReceiverAddress,
    ReceiverList,
    SendTask,
    Source,
    TaskStatus,
    TaskType,
    new_message_id,
)
from sesconsole.refusals import Refusal
from templates_app.models import TemplateRevision

AD_MARK = "<AD>"


@dataclass
class TaskSpec:
    """A checked request for a task (sending.batch.parse makes it from the API's)."""

    sender: SenderAddress
    receiver_list: ReceiverList
    subject: str  # its {{variables}} are filled per recipient
    task_type: TaskType
    from_name: str = ""
    template_revision: TemplateRevision | None = None
    template_data: dict[str, Any] = field(default_factory=dict)
    html: str = ""
    text: str = ""
    attachments: list[tuple[str, str, bytes]] = field(default_factory=list)
    reply_to: str = ""
    unsubscribe: str = ""
    ad_location: int = 0
    begin_at: datetime | None = None
    interval_hours: int | None = None
    end_at: datetime | None = None
    max_runs: int | None = None
    term_cycle: bool = False
    size: int = 0
    source: str = Source.API


def marked_subject(subject: str, ad_location: int) -> str:
    if ad_location == 1:
        return f"{AD_MARK}{subject}"
    if ad_location == 2:
        return f"{subject}{AD_MARK}"
    return subject


def check_list_ready(receiver_list: ReceiverList) -> None:
    if receiver_list.status != ListStatus.COMPLETE or receiver_list.valid_count == 0:
        raise Refusal(
            "OperationDenied.ReceiverStatusError",
            f"The list {receiver_list.name!r} has no valid address yet, or its upload is not "
            "complete.",
            "ReceiverId",
        )


def build_message(account: Account, spec: TaskSpec, now: datetime) -> Message:
    """The task's content, unsaved: what create writes and the console's preview renders."""
    return Message(
        account=account,
        message_id=new_message_id(account.app_id, now),
        source=spec.source,
        created_at=now,
        sender=spec.sender,
        from_address=spec.sender.email,
        from_name=spec.from_name,
        reply_to=spec.reply_to,
        subject=marked_subject(spec.subject, spec.ad_location),
        template_id=getattr(spec.template_revision, "template_id", None),
        template_revision=spec.template_revision,
        template_data=spec.template_data,
        html=spec.html,
        text=spec.text,
        smtp_message_id=make_msgid(domain=spec.sender.email.rpartition("@")[2]),
        unsubscribe=spec.unsubscribe,
        size=spec.size,
        personal=True,
    )


def create(account: Account, spec: TaskSpec) -> SendTask:
    """Write the task and its content; its first run is published after commit."""
    check_list_ready(spec.receiver_list)
    now = timezone.now()
    with transaction.atomic():
        message = build_message(account, spec, now)
        message.save()
        Attachment.objects.bulk_create(
            Attachment(
                message=message, filename=name, content_type=kind, content=data, size=len(data)
            )
            for name, kind, data in spec.attachments
        )
        task = SendTask.objects.create(
            account=account,
            receiver_list=spec.receiver_list,
            receivers_name=spec.receiver_list.name,
            message=message,
            sender=spec.sender,
            from_address=spec.sender.email,
            task_type=spec.task_type,
            ad_location=spec.ad_location,
            begin_at=spec.begin_at,
            interval_hours=spec.interval_hours,
            end_at=spec.end_at,
            max_runs=spec.max_runs,
            term_cycle=spec.term_cycle,
            next_run_at=spec.begin_at or now,
            created_at=now,
            updated_at=now,
        )
        if spec.begin_at is None or spec.begin_at <= now:
            start_run(task, now)
        publish_on_commit(task)
    return task


def publish_on_commit(task: SendTask, countdown: float | None = None) -> None:
    from sending.batch import dispatch

    transaction.on_commit(lambda: dispatch.publish(task.pk, countdown), robust=True)


# --- runs --------------------------------------------------------------------------


def start_run(task: SendTask, now: datetime | None = None) -> bool:
    """Start the task's next run if it is due: snapshot the list, count what it requests.

    A conditional UPDATE (still pending, still due): two sweeps cannot start a run twice.
    """
    now = now or timezone.now()
    receiver_list = task.receiver_list
    if receiver_list is None:
        return fail(task, "The recipient list was deleted.", TaskStatus.PENDING)
    valid = ReceiverAddress.objects.filter(receiver_list=receiver_list, status=AddressStatus.VALID)
    last = valid.aggregate(last=Max("pk"))["last"] or 0
    requested = valid.filter(pk__lte=last).count()
    following = _following_run(task, now)
    changed = SendTask.objects.filter(
        pk=task.pk, status=TaskStatus.PENDING, next_run_at__lte=now
    ).update(
        status=TaskStatus.SENDING,
        runs=task.runs + 1,
        run_started_at=now,
        cursor=0,
        last_address=last,
        request_count=task.request_count + requested,
        next_run_at=following,
        next_chunk_at=now,
        resume_at=None,
        error_message="",
        updated_at=now,
    )
    task.refresh_from_db()
    return bool(changed)


def _following_run(task: SendTask, now: datetime) -> datetime | None:
    """When the run after the one starting now is due (recurring tasks), or None."""
    if task.task_type != TaskType.CYCLIC or task.term_cycle or not task.interval_hours:
        return None
    if task.max_runs is not None and task.runs + 1 >= task.max_runs:
        return None
    interval = timedelta(hours=task.interval_hours)
    following = (task.next_run_at or now) + interval
    while following <= now:  # runs missed while the service was down are not made up
        following += interval
    if task.end_at is not None and following > task.end_at:
        return None
    return following


def finish_run(task: SendTask, now: datetime | None = None) -> None:
    """The run's every address is expanded: done, or waiting for the next run."""
    now = now or timezone.now()
    # Judged on the row, not on `task`: a stop_cycle since it was read must end the task
    # (a pending task without a next run would wait forever).
    running = SendTask.objects.filter(pk=task.pk, status=TaskStatus.SENDING)
    running.filter(next_run_at__isnull=False, term_cycle=False).update(
        status=TaskStatus.PENDING, next_chunk_at=None, updated_at=now
    )
    running.update(status=TaskStatus.DONE, next_chunk_at=None, updated_at=now)


def fail(task: SendTask, reason: str, *statuses: str) -> bool:
    SendTask.objects.filter(pk=task.pk, status__in=statuses or [task.status]).update(
        status=TaskStatus.ERROR, error_message=reason, updated_at=timezone.now()
    )
    task.refresh_from_db()
    return False


# --- what an operator does -------------------------------------------------------------

PAUSABLE = (TaskStatus.PENDING, TaskStatus.SENDING, TaskStatus.PAUSED, TaskStatus.ERROR)


def pause(task: SendTask) -> None:
    """Hold the task where it is: what is expanded stays queued, the rest waits."""
    changed = SendTask.objects.filter(pk=task.pk, status__in=PAUSABLE).update(
        status=TaskStatus.HELD, updated_at=timezone.now()
    )
    if not changed:
        raise Refusal("OperationDenied", f"Task {task.pk} is {task.get_status_display()}.")
    task.refresh_from_db()


def resume(task: SendTask) -> None:
    """Go on: a run in progress continues (today's budget permitting), else the schedule."""
    now = timezone.now()
    task.refresh_from_db()
    in_run = task.runs > 0 and task.cursor < task.last_address
    # No run to continue and none to come (its last run wholly expanded before a worker
    # saw it end, or the cycle stopped): the task is done; starting the list again would
    # send it twice.
    done = not in_run and task.next_run_at is None
    status = TaskStatus.DONE if done else TaskStatus.SENDING if in_run else TaskStatus.PENDING
    changed = SendTask.objects.filter(
        pk=task.pk, status__in=(TaskStatus.HELD, TaskStatus.ERROR, TaskStatus.PAUSED)
    ).update(
        status=status,
        next_chunk_at=None if done else now,
        resume_at=None,
        error_message="",
        updated_at=now,
    )
    if not changed:
        raise Refusal("OperationDenied", f"Task {task.pk} is {task.get_status_display()}.")
    task.refresh_from_db()
    if done:
        return
    with transaction.atomic():
        if task.status == TaskStatus.PENDING and task.next_run_at and task.next_run_at <= now:
            start_run(task, now)
        publish_on_commit(task)


def cancel(task: SendTask) -> None:
    """Stop for good: the cache is dropped (nothing more is expanded); what is already
    queued is delivered."""
    changed = (
        SendTask.objects.filter(pk=task.pk)
        .exclude(status__in=(TaskStatus.DONE, TaskStatus.CANCELED))
        .update(
            status=TaskStatus.CANCELED,
            error_message="Canceled",
            next_run_at=None,
            next_chunk_at=None,
            updated_at=timezone.now(),
        )
    )
    if not changed:
        raise Refusal("OperationDenied", f"Task {task.pk} is {task.get_status_display()}.")
    task.refresh_from_db()


def stop_cycle(task: SendTask) -> None:
    """A recurring task's current run is its last (CycleParam.TermCycle = 1)."""
    SendTask.objects.filter(pk=task.pk).update(
        term_cycle=True, next_run_at=None, updated_at=timezone.now()
    )
    SendTask.objects.filter(pk=task.pk, status=TaskStatus.PENDING).update(status=TaskStatus.DONE)
    task.refresh_from_db()
