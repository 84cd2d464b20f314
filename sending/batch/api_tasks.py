"""BatchSendEmail and ListSendTasks: thin handlers over sending.batch.parse and
service; the replies are api.json's SendTaskData, Tencent's numbers mapped here."""

import json
from typing import Any

from django.db.models import Q
from django.utils import timezone

from accounts.models import Account
from sending.batch import parse, service
from sending.models import SendTask, TaskStatus, TaskType
from sending.models.batch import local_time
from sesconsole.api.paging import page_slice
from sesconsole.api.registry import ApiContext, action
from sesconsole.refusals import Refusal

STATUS_CODES = {
    TaskStatus.PENDING: 1,
    TaskStatus.SENDING: 5,
    TaskStatus.PAUSED: 6,
    TaskStatus.HELD: 6,
    TaskStatus.ERROR: 7,
    TaskStatus.DONE: 10,
    TaskStatus.CANCELED: 10,
}
TYPE_CODES = {TaskType.IMMEDIATE: 1, TaskType.TIMED: 2, TaskType.CYCLIC: 3}


# The spec's code for a task without its sender or list (parse answers it for the template).
NECESSARY = "MissingParameter.SendParamNecessary"


# A list with its own data fills the template, so Template.TemplateData is optional
# here (Tencent: after CreateReceiverDetailWithData the data need not be passed).
@action(
    "BatchSendEmail",
    missing={"FromEmailAddress": NECESSARY, "ReceiverId": NECESSARY},
    optional={"Template.TemplateData"},
)
def batch_send_email(ctx: ApiContext[Account], params: dict[str, Any]) -> dict[str, Any]:
    spec = parse.parse_batch(ctx.account, params)
    task = service.create(ctx.account, spec)
    return {"TaskId": task.pk}


def _begin_time(task: SendTask) -> str:
    """BeginTime as it was given: in the account's time zone (parse.parse_time)."""
    if task.begin_at is None:
        return ""
    return timezone.localtime(task.begin_at, task.account.zone).strftime(parse.TIME_FORMAT)


def task_data(task: SendTask) -> dict[str, Any]:
    message = task.message
    from_address = (
        f"{message.from_name} <{task.from_address}>" if message.from_name else task.from_address
    )
    cycle = timed = None
    if task.task_type == TaskType.CYCLIC:
        cycle = {
            "BeginTime": _begin_time(task),
            "IntervalTime": task.interval_hours or 0,
            "TermCycle": int(task.term_cycle),
        }
    elif task.task_type == TaskType.TIMED:
        timed = {"BeginTime": _begin_time(task)}
    return {
        "TaskId": task.pk,
        "FromEmailAddress": from_address,
        "ReceiverId": task.receiver_list_id or 0,
        "TaskStatus": STATUS_CODES[TaskStatus(task.status)],
        "TaskType": TYPE_CODES[TaskType(task.task_type)],
        "RequestCount": task.request_count,
        "SendCount": task.sent_count,
        # A canceled task's unsent recipients wait for nothing: no cache.
        "CacheCount": 0 if task.status == TaskStatus.CANCELED else task.cached_count,
        "CreateTime": local_time(task.created_at),
        "UpdateTime": local_time(task.updated_at),
        "Subject": message.subject,
        "Template": {
            "TemplateID": message.template_id or 0,
            "TemplateData": json.dumps(message.template_data or {}, ensure_ascii=False),
        },
        "CycleParam": cycle,
        "TimedParam": timed,
        "ErrMsg": task.error_message,
        "ReceiversName": task.receivers_name,
    }


def _code_filter(name: str, value: object, codes: dict[Any, int]) -> Q:
    if value is None:
        return Q()
    matching = [status for status, code in codes.items() if code == value]
    if not matching:
        raise Refusal("InvalidParameterValue", f"{name} {value} is not one of the spec's.", name)
    field = "status" if name == "Status" else "task_type"
    return Q(**{f"{field}__in": matching})


@action("ListSendTasks")
def list_send_tasks(ctx: ApiContext[Account], params: dict[str, Any]) -> dict[str, Any]:
    window = page_slice(params)
    tasks = SendTask.objects.filter(account=ctx.account).filter(
        _code_filter("Status", params.get("Status"), STATUS_CODES),
        _code_filter("TaskType", params.get("TaskType"), TYPE_CODES),
    )
    if params.get("ReceiverId") is not None:
        tasks = tasks.filter(receiver_list_id=params["ReceiverId"])
    page = list(tasks.select_related("message", "account").order_by("-created_at", "-pk")[window])
    return {"TotalCount": tasks.count(), "Data": [task_data(t) for t in page]}
