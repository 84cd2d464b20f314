"""Making recipient lists and tasks for the batch tests, and running a task's
expansion the way workers and beat do, without them."""

import json

from sending.batch import expand, parse, receivers, service, sweep
from sending.models import ListStatus, ReceiverList, SendTask


def make_list(account, count, *, name="Customers", data=True, domain="example.net", start=0):
    """A ready list of `count` addresses user<i>@domain, with name/code data."""
    receiver_list = receivers.create(account, name)
    entries = [
        (f"user{i}@{domain}", {"name": f"User {i}", "code": str(1000 + i)} if data else None)
        for i in range(start, start + count)
    ]
    if data:
        receiver_list.variables = ["name", "code"]
        receiver_list.save(update_fields=["variables"])
    receivers.add(receiver_list, entries)
    ReceiverList.objects.filter(pk=receiver_list.pk).update(status=ListStatus.COMPLETE)
    receiver_list.refresh_from_db()
    return receiver_list


def batch_params(sender, receiver_list, template, **extra):
    params = {
        "FromEmailAddress": sender.email,
        "ReceiverId": receiver_list.pk,
        "Subject": "Hello {{name}}",
        "TaskType": 1,
        "Template": {"TemplateID": template.pk},
    }
    if not receiver_list.variables:
        params["Template"]["TemplateData"] = json.dumps({"name": "friend", "code": "0000"})
    params.update(extra)
    return params


def create_task(account, sender, receiver_list, template, **extra) -> SendTask:
    spec = parse.parse_batch(account, batch_params(sender, receiver_list, template, **extra))
    return service.create(account, spec)


def drain(task: SendTask, rounds: int = 100) -> SendTask:
    """Expand until the task stops for now (paused, done, waiting), as workers and beat would."""
    for _ in range(rounds):
        sweep.sweep()
        expand.run(task.pk)
        task.refresh_from_db()
        if task.status != "sending":
            return task
    return task
