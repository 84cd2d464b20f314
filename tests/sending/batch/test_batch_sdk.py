"""BatchSendEmail (the three task types) and ListSendTasks through the official SDK's
typed SesClient against a live server, and a refusal as TencentCloudSDKException."""

import pytest
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException

from accounts.models import Account
from sending.models import Delivery, SendTask, TaskStatus
from tests.sdk import sdk_request
from tests.sending.batch.batchhelp import drain, make_list
from tests.sending.conftest import SENDER_EMAIL, SENDER_NAME

pytestmark = pytest.mark.django_db(transaction=True)

request = sdk_request
LATER = "2031-01-01 09:00:00"


@pytest.fixture
def client(ses_client, account, verified_sender):
    Account.objects.filter(pk=account.pk).update(
        send_rate_per_second=1_000_000, time_zone="Asia/Shanghai"
    )
    verified_sender.domain.warmup_step = None
    verified_sender.domain.save(update_fields=["warmup_step"])
    return ses_client


def batch_request(receiver_list, template, **fields):
    base = {
        "FromEmailAddress": SENDER_EMAIL,
        "ReceiverId": receiver_list.pk,
        "Subject": "Hello {{name}}",
        "TaskType": 1,
        # The list gives name and code; TemplateData fills nothing more.
        "Template": request("Template", TemplateID=template.pk, TemplateData="{}"),
    }
    return request("BatchSendEmailRequest", **{**base, **fields})


def list_tasks(client, **filters):
    return client.ListSendTasks(request("ListSendTasksRequest", Offset=0, Limit=100, **filters))


def test_the_three_task_types_and_their_listing(client, account, approved_template):
    receiver_list = make_list(account, 4)
    immediate = client.BatchSendEmail(batch_request(receiver_list, approved_template))
    assert immediate.RequestId and isinstance(immediate.TaskId, int)
    timed = client.BatchSendEmail(
        batch_request(
            receiver_list,
            approved_template,
            TaskType=2,
            TimedParam=request("TimedEmailParam", BeginTime=LATER),
        )
    )
    cyclic = client.BatchSendEmail(
        batch_request(
            receiver_list,
            approved_template,
            TaskType=3,
            ADLocation=1,
            CycleParam=request("CycleEmailParam", BeginTime=LATER, IntervalTime=48, TermCycle=0),
        )
    )
    task = drain(SendTask.objects.get(pk=immediate.TaskId))
    assert (task.status, task.sent_count) == (TaskStatus.DONE, 4)
    assert Delivery.objects.filter(task=task).count() == 4

    listed = list_tasks(client)
    assert listed.TotalCount == 3
    rows = {row.TaskId: row for row in listed.Data}
    assert list(rows) == [cyclic.TaskId, timed.TaskId, immediate.TaskId]
    done = rows[immediate.TaskId]
    assert (done.TaskStatus, done.TaskType, done.RequestCount, done.SendCount, done.CacheCount) == (
        10,
        1,
        4,
        4,
        0,
    )
    assert (done.FromEmailAddress, done.ReceiverId, done.ReceiversName) == (
        f"{SENDER_NAME} <{SENDER_EMAIL}>",
        receiver_list.pk,
        "Customers",
    )
    assert (done.Template.TemplateID, done.Template.TemplateData) == (approved_template.pk, "{}")
    assert done.CycleParam is None and done.TimedParam is None and done.ErrMsg == ""
    waiting = rows[timed.TaskId]
    assert (waiting.TaskStatus, waiting.TaskType, waiting.TimedParam.BeginTime) == (1, 2, LATER)
    recurring = rows[cyclic.TaskId]
    assert (recurring.TaskType, recurring.Subject) == (3, "<AD>Hello {{name}}")
    cycle = recurring.CycleParam
    assert (cycle.BeginTime, cycle.IntervalTime, cycle.TermCycle) == (LATER, 48, 0)

    filtered = list_tasks(client, Status=1, TaskType=3, ReceiverId=receiver_list.pk)
    assert [row.TaskId for row in filtered.Data] == [cyclic.TaskId]
    page = client.ListSendTasks(request("ListSendTasksRequest", Offset=1, Limit=1))
    assert (page.TotalCount, [row.TaskId for row in page.Data]) == (3, [timed.TaskId])


def test_refusals_are_sdk_exceptions(client, account, approved_template):
    receiver_list = make_list(account, 2)
    with pytest.raises(TencentCloudSDKException) as caught:
        client.BatchSendEmail(batch_request(receiver_list, approved_template, TaskType=2))
    assert caught.value.code == "MissingParameter.TimedParamNecessary"
    assert caught.value.requestId
    with pytest.raises(TencentCloudSDKException) as caught:
        client.ListSendTasks(request("ListSendTasksRequest", Offset=0, Limit=101))
    assert caught.value.code == "FailedOperation.InvalidLimit"
    assert not SendTask.objects.exists()
