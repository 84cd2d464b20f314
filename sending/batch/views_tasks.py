"""The Batch Sending pages: the task list, a new task (with the preview of its first
mail), a task's page with its per-recipient outcomes and their CSV export, the
operator's pause, resume and cancel, and the JSON the pages poll for progress.

Thin views: owned_or_404 (another account's task answers 404 everywhere), the form,
sending.batch.parse / service / preview, a redirect. Times are shown in the account's
time zone, the one its days (and a task's "paused for today") are counted in.
"""

import csv
from collections.abc import Callable, Iterator
from datetime import datetime, tzinfo
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.access import OperatorRequest, operator_required, owned_or_404
from sending.batch import preview, service
from sending.batch.forms_tasks import (
    UNFINISHED,
    UNSUBSCRIBE_CHOICES,
    OutcomeFilter,
    TaskFilter,
    TaskForm,
    ready_lists,
    variables_context,
)
from sending.models import Delivery, DeliveryStatus, SendStatus, SendTask, TaskStatus
from sending.models import batch as batch_models
from sesconsole.refusals import Refusal

PER_PAGE = 25
OUTCOMES_PER_PAGE = 50
EXPORT_CHUNK = 2000
POLL_LIMIT = 100  # tasks per progress request: a page of the list and then some

BADGES = {
    TaskStatus.PENDING: "text-bg-secondary",
    TaskStatus.SENDING: "text-bg-primary",
    TaskStatus.PAUSED: "text-bg-warning",
    TaskStatus.HELD: "text-bg-info",
    TaskStatus.ERROR: "text-bg-danger",
    TaskStatus.DONE: "text-bg-success",
    TaskStatus.CANCELED: "text-bg-dark",
}
RESUMABLE = (TaskStatus.HELD, TaskStatus.ERROR, TaskStatus.PAUSED)
UNSUBSCRIBE_LABELS = {code: label for code, label in UNSUBSCRIBE_CHOICES if code != "0"}


def url_or_none(name: str, *args: object) -> str | None:
    """The URL of a page another part of the console may not have yet."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return None


def when(moment: datetime | None, zone: tzinfo) -> str:
    return timezone.localtime(moment, zone).strftime("%Y-%m-%d %H:%M") if moment else ""


def _percent(task: SendTask, count: int) -> str:
    # A string: a float in a template would be localised (a decimal comma in a width).
    return f"{task.percent(count):.2f}"


def refusal_reasons(task: SendTask) -> list[tuple[str, int]]:
    """(label, count) of each reason recipients were refused for, most first."""
    labels = dict(SendStatus.choices)
    counts = [(str(labels.get(reason, reason)), int(n)) for reason, n in task.refusals.items()]
    return sorted(counts, key=lambda item: (-item[1], item[0]))


def progress(task: SendTask, zone: tzinfo) -> dict[str, Any]:
    """A task's figures and state, for its bar on a page and for the pages' polling."""
    status = TaskStatus(task.status)
    return {
        "id": task.pk,
        "status": status.value,
        "status_label": status.label,
        "badge": BADGES[status],
        "finished": task.finished,
        "total": task.request_count,
        "sent": task.sent_count,
        "refused": task.refused_count,
        "cached": task.cached_count,
        "sent_percent": _percent(task, task.sent_count),
        "refused_percent": _percent(task, task.refused_count),
        "cached_percent": _percent(task, task.cached_count),
        # A canceled task's cache is dropped: never sent, no longer waiting.
        "cached_label": "not sent" if status == TaskStatus.CANCELED else "cached",
        "reason": task.error_message if status != TaskStatus.CANCELED else "",
        "runs": task.runs,
        "next_run_at": when(task.next_run_at, zone) if not task.finished else "",
        "resume_at": when(task.resume_at, zone) if status == TaskStatus.PAUSED else "",
        "updated_at": when(task.updated_at, zone),
        "refusals": refusal_reasons(task),
        "can_pause": status in service.PAUSABLE,
        "can_resume": status in RESUMABLE,
        "can_cancel": not task.finished,
    }


def _render(request: OperatorRequest, template: str, context: dict[str, Any]) -> HttpResponse:
    zone = request.account.zone
    with timezone.override(zone):
        return render(request, template, {"zone": zone, **context})


# --- the task list ------------------------------------------------------------------


@operator_required
def task_list(request: OperatorRequest) -> HttpResponse:
    account = request.account
    filters = TaskFilter(request.GET or None)
    status = filters.cleaned_data["status"] if filters.is_valid() else ""
    tasks = (
        SendTask.objects.filter(account=account)
        .select_related("message")
        .defer("message__html", "message__text", "message__template_data")  # the subject only
        .order_by("-created_at", "-pk")
    )
    if status == UNFINISHED:
        tasks = tasks.filter(status__in=batch_models.UNFINISHED)
    elif status:
        tasks = tasks.filter(status=status)
    page = Paginator(tasks, PER_PAGE).get_page(request.GET.get("page"))
    for task in page.object_list:
        task.bar = progress(task, account.zone)  # type: ignore[attr-defined]  # for the template
    return _render(
        request,
        "sending/batch/task_list.html",
        {
            "filters": filters,
            "status": status,
            "page": page,
            "any_task": bool(page.object_list) or SendTask.objects.filter(account=account).exists(),
            "has_ready_list": ready_lists(account).exists(),
            "lists_url": url_or_none("sending:recipient_lists"),
        },
    )


@operator_required
def tasks_progress(request: OperatorRequest) -> JsonResponse:
    """Polled by the task list: the account's tasks among `ids` (others are not there)."""
    raw = request.GET.get("ids", "")
    ids = [int(part) for part in raw.split(",") if part.strip().isdigit()][:POLL_LIMIT]
    tasks = SendTask.objects.filter(account=request.account, pk__in=ids).order_by("pk")
    return _json({"tasks": [progress(task, request.account.zone) for task in tasks]})


def _json(data: dict[str, Any]) -> JsonResponse:
    response = JsonResponse(data)
    response["Cache-Control"] = "no-store"
    return response


# --- a new task ---------------------------------------------------------------------


def _task_form(request: OperatorRequest) -> TaskForm:
    account = request.account
    if request.method != "POST":
        initial = {k: v for k in ("receiver_list", "template") if (v := request.GET.get(k))}
        return TaskForm(account=account, initial=initial)
    if "choose" in request.POST:
        # Another template or list chosen without JavaScript: the same form again with
        # everything typed, its variable fields the new pair's, and no errors yet.
        if request.FILES:
            messages.info(request, "Choose the attachments again: a browser cannot keep them.")
        return TaskForm(account=account, initial=request.POST.dict())
    return TaskForm(request.POST, request.FILES, account=account)


@operator_required
def task_new(request: OperatorRequest) -> HttpResponse:
    account = request.account
    form = _task_form(request)
    shown: preview.Preview | None = None
    if form.is_bound and form.is_valid():
        try:
            spec = form.spec()
            if "preview" in request.POST:
                shown = preview.first_mail(account, spec)
            else:
                task = service.create(account, spec)
                messages.success(request, f"Task {task.pk} created.")
                return redirect("sending:batch_task", task.pk)
        except Refusal as error:
            form.add_refusal(error)
    return _render(
        request,
        "sending/batch/task_new.html",
        {
            **variables_context(form),
            "preview": shown,
            # A form posted is shown again with its errors, whatever changed since.
            "can_create": form.is_bound
            or (form.lists.exists() and form.senders.exists() and form.templates.exists()),
            "has_ready_list": form.lists.exists(),
            "lists_url": url_or_none("sending:recipient_lists"),
        },
    )


@operator_required
def task_variables(request: OperatorRequest) -> HttpResponse:
    """The variables panel of a template and list (and subject), for the form's script."""
    form = TaskForm(account=request.account, initial=request.GET.dict())
    return _render(request, "sending/batch/task_variables.html", variables_context(form))


# --- a task -------------------------------------------------------------------------


def outcomes(task: SendTask, filters: OutcomeFilter) -> QuerySet[Delivery]:
    """The task's Deliveries the filter asks for, in no order yet."""
    rows = Delivery.objects.filter(task=task)
    if filters.is_valid():
        if filters.cleaned_data["status"]:
            rows = rows.filter(status=filters.cleaned_data["status"])
        if filters.cleaned_data["q"].strip():
            rows = rows.filter(recipient__icontains=filters.cleaned_data["q"].strip())
    return rows


def outcome_page(rows: QuerySet[Delivery], filters: OutcomeFilter) -> dict[str, Any]:
    """One page of outcomes by keyset (pk): a task may have a million rows, and neither
    a count nor an OFFSET over them is needed to go to the next page or back."""
    data = filters.cleaned_data if filters.is_valid() else {}
    after, before = data.get("after"), data.get("before")
    rows = rows.only(
        "pk",
        "recipient",
        "status",
        "send_status",
        "attempts",
        "last_reply",
        "delivered_at",
        "bounce_type",
    )
    if before:
        found = list(rows.filter(pk__lt=before).order_by("-pk")[: OUTCOMES_PER_PAGE + 1])
        has_previous, has_next = len(found) > OUTCOMES_PER_PAGE, True
        found = found[:OUTCOMES_PER_PAGE][::-1]
    else:
        found = list(rows.filter(pk__gt=after or 0).order_by("pk")[: OUTCOMES_PER_PAGE + 1])
        has_previous, has_next = bool(after), len(found) > OUTCOMES_PER_PAGE
        found = found[:OUTCOMES_PER_PAGE]
    return {
        "rows": found,
        "has_previous": has_previous and bool(found),
        "has_next": has_next and bool(found),
        "first_pk": found[0].pk if found else None,
        "last_pk": found[-1].pk if found else None,
        "paged": bool(after or before),
    }


@operator_required
def task_detail(request: OperatorRequest, pk: int) -> HttpResponse:
    task = owned_or_404(
        request,
        SendTask.objects.select_related("message__template_revision", "receiver_list"),
        pk=pk,
    )
    filters = OutcomeFilter(request.GET or None)
    page = outcome_page(outcomes(task, filters), filters)
    data = filters.cleaned_data if filters.is_valid() else {}
    task.bar = progress(task, request.account.zone)  # type: ignore[attr-defined]  # for the template
    return _render(
        request,
        "sending/batch/task_detail.html",
        {
            "task": task,
            "message": task.message,
            "attachments": task.message.attachments.only("filename", "size"),
            "filters": filters,
            "filtered": bool(data.get("status") or (data.get("q") or "").strip()),
            "outcomes": page,
            "list_url": task.receiver_list_id
            and url_or_none("sending:recipient_list", task.receiver_list_id),
            "unsubscribe": UNSUBSCRIBE_LABELS.get(task.message.unsubscribe or "0", ""),
        },
    )


@operator_required
def task_progress(request: OperatorRequest, pk: int) -> JsonResponse:
    task = owned_or_404(request, SendTask, pk=pk)
    return _json({"tasks": [progress(task, request.account.zone)]})


class _Echo:
    """csv.writer's file: each row comes back as the string to stream."""

    def write(self, value: str) -> str:
        return value


EXPORT_HEADER = [
    "recipient",
    "status",
    "refused_because",
    "attempts",
    "last_reply",
    "created_at",
    "delivered_at",
]
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: str) -> str:
    # A spreadsheet would run a cell that starts like a formula (a server's reply, an
    # address such as =cmd@x): quoted, it stays text.
    return f"'{value}" if value.startswith(_FORMULA_START) else value


@operator_required
def task_export(request: OperatorRequest, pk: int) -> StreamingHttpResponse:
    """Every outcome of the filter as CSV, streamed in chunks: a million rows never sit
    in memory at once."""
    task = owned_or_404(request, SendTask, pk=pk)
    filters = OutcomeFilter(request.GET or None)
    zone = request.account.zone
    statuses = dict(DeliveryStatus.choices)
    refusals = dict(SendStatus.choices)
    rows = (
        outcomes(task, filters)
        .order_by("pk")
        .values_list(
            "recipient",
            "status",
            "send_status",
            "attempts",
            "last_reply",
            "created_at",
            "delivered_at",
        )
        .iterator(chunk_size=EXPORT_CHUNK)
    )
    writer = csv.writer(_Echo())

    def lines() -> Iterator[str]:
        yield writer.writerow(EXPORT_HEADER)
        for recipient, status, send_status, attempts, reply, created, delivered in rows:
            refused = "" if send_status == SendStatus.OK else refusals.get(send_status, send_status)
            yield writer.writerow(
                [
                    _cell(recipient),
                    statuses.get(status, status),
                    refused,
                    attempts,
                    _cell(" ".join(reply.split())),
                    timezone.localtime(created, zone).isoformat(timespec="seconds"),
                    timezone.localtime(delivered, zone).isoformat(timespec="seconds")
                    if delivered
                    else "",
                ]
            )

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="task-{task.pk}-recipients.csv"'
    return response


# --- what an operator does ----------------------------------------------------------

ACTIONS: dict[str, tuple[Callable[[SendTask], None], str]] = {
    "pause": (service.pause, "paused"),
    "resume": (service.resume, "resumed"),
    "cancel": (service.cancel, "canceled"),
}


@require_POST
@operator_required
def task_action(request: OperatorRequest, pk: int, action: str) -> HttpResponse:
    task = owned_or_404(request, SendTask, pk=pk)
    act, done = ACTIONS[action]
    try:
        act(task)
    except Refusal as error:
        messages.error(request, f"{error.message} It cannot be {done} now.")
    else:
        messages.success(request, f"Task {task.pk} {done}.")
    if request.POST.get("next") == "list":
        return redirect("sending:batch_tasks")
    return redirect("sending:batch_task", task.pk)
