"""Expanding a task's run into Deliveries, a chunk at a time, within the day's budget.

    expand.run(task_id)   # a Celery task calls this; safe to call twice at once

A worker takes the task's lease (a conditional UPDATE), then per chunk of the
list's next valid addresses:
1. the same rules as a single send, for the whole chunk in a few queries: the
   account suspended (the task stops in Error, its cache kept); the blocklists,
   unsubscriptions and the simulator's suppression list (sending.suppression.lookup);
   the per-recipient hourly cap (limits.take_pairs);
2. the budget: today's quota of the account and the warm-up cap of the sender
   domain, taken in one step (limits.take_budget); mail to the simulator is outside
   both. Where the budget ends the chunk ends: the rest is the cache, and the task
   is Paused until the next day starts in the account's time zone;
3. one transaction writes the Deliveries (queued, or dropped with the reason of
   their refusal) and moves the cursor and the counters, on the condition that the
   lease and the cursor are still the ones read. A crash before the commit leaves
   nothing (the budget taken is given back when it can be); after it, nothing is
   done again. No recipient is expanded twice or lost.
The Deliveries are paced at the account's rate (limits.pace) and a chunk holds at
most SES_BATCH_HORIZON_SECONDS of that rate, so the next chunk is expanded when the
last is nearly sent: transactional mail never queues far behind a batch.
"""

import logging
import secrets
import time
from collections import Counter
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from domains import warmup
from domains.models import SenderDomain
from sending.acceptance import limits
from sending.batch import bulk, service
from sending.delivery import simulator
from sending.delivery.dispatch import publish_on_commit
from sending.models import (
    AddressStatus,
    Delivery,
    DeliveryStatus,
    Event,
    EventType,
    ReceiverAddress,
    Recipient,
    SendStatus,
    SendTask,
    TaskStatus,
)
from sending.suppression.lookup import refusals_for
from sesconsole.usage import next_day

logger = logging.getLogger(__name__)

# A worker expands for at most this long before handing the task to a fresh task.
TASK_SECONDS = 30.0
# The next chunk is expanded this long before the last one's final slot.
LEAD = timedelta(seconds=1)


class LostLease(Exception):
    """Another worker holds the task now (ours expired): this chunk must not commit."""


def take_lease(task_id: int, now: datetime) -> str | None:
    token = secrets.token_hex(16)
    free = Q(leased_until__isnull=True) | Q(leased_until__lt=now)
    taken = SendTask.objects.filter(free, pk=task_id, status=TaskStatus.SENDING).update(
        lease_token=token,
        leased_until=now + timedelta(seconds=settings.SES_BATCH_LEASE_SECONDS),
    )
    return token if taken else None


def release_lease(task_id: int, token: str) -> None:
    SendTask.objects.filter(pk=task_id, lease_token=token).update(lease_token="", leased_until=None)


def run(task_id: int) -> int:
    """Expand what the task may send now; the number of recipients expanded."""
    now = timezone.now()
    token = take_lease(task_id, now)
    if token is None:
        return 0
    expanded = 0
    deadline = time.monotonic() + TASK_SECONDS
    try:
        while True:
            task = SendTask.objects.select_related(
                "account", "sender__domain", "message__template_revision"
            ).get(pk=task_id)
            if task.status != TaskStatus.SENDING or task.lease_token != token:
                return expanded
            try:
                step = Chunk(task, token).run()
            except LostLease:
                # Paused or canceled by an operator meanwhile, or taken up by another
                # worker: the chunk was not written and its budget went back.
                return expanded
            expanded += step.count
            if step.later is not None:  # paced: the next chunk when this one is nearly out
                wait = max(0.0, (step.later - timezone.now()).total_seconds())
                service.publish_on_commit(task, countdown=wait)
                return expanded
            if step.stop:
                return expanded
            if time.monotonic() >= deadline:
                service.publish_on_commit(task)
                return expanded
    finally:
        release_lease(task_id, token)


class Step:
    def __init__(self, count: int = 0, *, stop: bool = False, later: datetime | None = None):
        self.count, self.stop, self.later = count, stop, later


class Chunk:
    def __init__(self, task: SendTask, token: str) -> None:
        self.task, self.token = task, token
        self.account = task.account
        self.now = timezone.now()

    def run(self) -> Step:
        task = self.task
        problem = self._problem()
        if problem:
            service.fail(task, problem, TaskStatus.SENDING)
            return Step(stop=True)
        rows = list(
            ReceiverAddress.objects.filter(
                receiver_list_id=task.receiver_list_id,
                status=AddressStatus.VALID,
                pk__gt=task.cursor,
                pk__lte=task.last_address,
            )
            .order_by("pk")
            .values_list("pk", "email", "data")[: self._size()]
        )
        if not rows:
            service.finish_run(task, self.now)
            return Step(stop=True)
        return self._expand(rows)

    def _problem(self) -> str:
        """Why the task cannot send at all now (it stops in Error, its cache kept)."""
        task = self.task
        if self.account.sending_suspended:
            return f"Sending is suspended: {self.account.suspension_reason or 'contact support.'}"
        if task.sender is None or not task.sender.domain.is_verified:
            return f"The sender {task.from_address} is gone or its domain is no longer verified."
        message = task.message
        if message.template_id is not None and message.template_revision is None:
            return "The task's template is gone."
        if task.receiver_list_id is None:
            return "The recipient list was deleted."
        return ""

    def _size(self) -> int:
        """At most SES_BATCH_CHUNK, and at most SES_BATCH_HORIZON_SECONDS of the rate."""
        rate = max(1, self.account.send_rate_per_second)
        return max(1, min(settings.SES_BATCH_CHUNK, int(rate * settings.SES_BATCH_HORIZON_SECONDS)))

    def _warmup(self) -> tuple[str, int, int] | None:
        domain: SenderDomain = self.task.sender.domain  # type: ignore[union-attr]
        cap = warmup.cap(domain)
        if cap is None:
            return None
        return warmup.key(domain), warmup.today(domain, self.now, self.account.zone), cap

    def _expand(self, rows: list[tuple[int, str, object]]) -> Step:
        task, account = self.task, self.account
        refused = refusals_for(account, [email for _, email, _ in rows])
        simulated = {email.lower() for _, email, _ in rows if simulator.is_simulated(email)}
        counted = [
            email.lower()
            for _, email, _ in rows
            if email.lower() not in refused and email.lower() not in simulated
        ]
        warm = self._warmup()
        granted = limits.take_budget(account, len(counted), warm)
        # Walk in list order: the budget ends the chunk; the rest is cached.
        taken: list[tuple[int, str, object]] = []
        budget = granted
        cached = False
        for row in rows:
            key = row[1].lower()
            if key not in refused and key not in simulated:
                if budget == 0:
                    cached = True
                    break
                budget -= 1
            taken.append(row)
        sendable = [row[1].lower() for row in taken if row[1].lower() not in refused]
        allowed = limits.take_pairs(account, task.from_address, sendable)
        for email, ok in zip(sendable, allowed, strict=True):
            if not ok:
                refused[email] = SendStatus.FREQUENCY_LIMIT
        # Units the hourly cap refused go back to the day.
        over = sum(
            1
            for email, ok in zip(sendable, allowed, strict=True)
            if not ok and email not in simulated
        )
        limits.give_back_budget(account, over, warm)
        try:
            written, later = self._write(taken, refused, simulated)
        except BaseException:
            used = sum(
                1 for _, e, _ in taken if e.lower() not in refused and e.lower() not in simulated
            )
            limits.give_back_budget(account, used, warm)
            limits.give_back_pairs(
                account,
                task.from_address,
                [e for e, ok in zip(sendable, allowed, strict=True) if ok],
            )
            raise
        # Units the hourly cap gave back may still be used today: the next chunk tries.
        if (cached and not over) or not taken:
            self._pause(warm)
            return Step(written, stop=True)
        return Step(written, later=later)

    def _write(
        self,
        taken: list[tuple[int, str, object]],
        refused: dict[str, SendStatus],
        simulated: set[str],
    ) -> tuple[int, datetime | None]:
        task, account, now = self.task, self.account, self.now
        queued = [row for row in taken if row[1].lower() not in refused]
        first, gap = limits.pace(account, len(queued), now)
        # When the next chunk is due: shortly before this one's last slot, if not yet.
        later = first + gap * len(queued) - LEAD if queued else None
        if later is not None and later <= timezone.now():
            later = None
        slot = 0
        deliveries = []
        for _, email, data in taken:
            status = refused.get(email.lower(), SendStatus.OK)
            due = None
            if status == SendStatus.OK:
                due = first + gap * slot
                slot += 1
            deliveries.append(
                Delivery(
                    message_id=task.message_id,
                    account=account,
                    recipient=email,
                    domain=email.rpartition("@")[2].lower(),
                    simulated=email.lower() in simulated,
                    kind=Recipient.TO,
                    status=DeliveryStatus.QUEUED
                    if status == SendStatus.OK
                    else DeliveryStatus.DROPPED,
                    send_status=status,
                    created_at=now,
                    updated_at=now,
                    next_attempt_at=due,
                    task_id=task.pk,
                    data=data,
                )
            )
        reasons = Counter(
            str(refused[row[1].lower()]) for row in taken if row[1].lower() in refused
        )
        merged = dict(task.refusals)
        for reason, n in reasons.items():
            merged[reason] = merged.get(reason, 0) + n
        cursor = taken[-1][0] if taken else task.cursor
        with transaction.atomic():
            moved = SendTask.objects.filter(
                pk=task.pk, lease_token=self.token, cursor=task.cursor, status=TaskStatus.SENDING
            ).update(
                cursor=cursor,
                sent_count=task.sent_count + len(queued),
                refused_count=task.refused_count + sum(reasons.values()),
                refusals=merged,
                next_chunk_at=later,
                updated_at=now,
                # The hold is renewed with each chunk: it only has to outlast one.
                leased_until=timezone.now() + timedelta(seconds=settings.SES_BATCH_LEASE_SECONDS),
            )
            if not moved:
                raise LostLease(f"task {task.pk}: lease or cursor moved")
            # COPY on PostgreSQL, the pks set: a dropped Delivery's Event needs its pk.
            written = bulk.create(deliveries)
            bulk.create(
                Event(
                    delivery=d,
                    type=EventType.DROPPED,
                    created_at=now,
                    detail={"reason": SendStatus(d.send_status).label, "task": task.pk},
                )
                for d in written
                if d.status == DeliveryStatus.DROPPED
            )
            publish_on_commit({d.domain for d in written if d.status == DeliveryStatus.QUEUED})
        return len(taken), later

    def _pause(self, warm: tuple[str, int, int] | None) -> None:
        """The day's budget is used: the task waits for the next day, its cache kept."""
        task, account = self.task, self.account
        day_left = max(0, account.daily_quota - limits.sent_today(account))
        if warm is not None and day_left > 0:
            reason = (
                f"The warm-up cap of {task.sender.domain.name} for today ({warm[2]}) is reached"  # type: ignore[union-attr]
            )
        else:
            reason = f"Today's quota of {account.daily_quota} emails is used"
        SendTask.objects.filter(
            pk=task.pk, lease_token=self.token, status=TaskStatus.SENDING
        ).update(
            status=TaskStatus.PAUSED,
            resume_at=next_day(self.now, account.zone),
            error_message=f"{reason}; the rest waits for tomorrow.",
            next_chunk_at=None,
            updated_at=self.now,
        )
