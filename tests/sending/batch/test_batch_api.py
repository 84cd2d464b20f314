"""BatchSendEmail and ListSendTasks through the gateway: the three task types and
the reply, every refusal the parser answers, and SendTaskData (status codes, type,
counters, schedule, error message, list name, template), its filters, pages and
tenancy."""

import json
import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from accounts.models import Account
from sending.batch import receivers, service
from sending.build import mime
from sending.models import (
    Delivery,
    DeliveryStatus,
    ListStatus,
    Message,
    ReceiverList,
    SendTask,
    TaskStatus,
    TaskType,
)
from sending.suppression import rules
from tests.sending.batch.batchhelp import batch_params, drain, make_list
from tests.sending.conftest import SENDER_NAME, b64
from tests.sending.sendhelp import change
from tests.tc3 import ok

SHANGHAI = ZoneInfo("Asia/Shanghai")
LATER = "2031-01-01 09:00:00"  # a BeginTime in the future, read in the account's zone
SEND_TASK_DATA = {
    "TaskId",
    "FromEmailAddress",
    "ReceiverId",
    "TaskStatus",
    "TaskType",
    "RequestCount",
    "SendCount",
    "CacheCount",
    "CreateTime",
    "UpdateTime",
    "Subject",
    "Template",
    "CycleParam",
    "TimedParam",
    "ErrMsg",
    "ReceiversName",
}
TIME = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d")

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast(account):
    # Many calls of one action within a second; pacing out of the way.
    Account.objects.filter(pk=account.pk).update(
        api_rate_per_second=10_000, send_rate_per_second=1_000_000, time_zone="Asia/Shanghai"
    )
    account.refresh_from_db()


@pytest.fixture
def customers(account):
    """A ready list of three addresses with name/code data."""
    return make_list(account, 3)


def api_params(sender, receiver_list, template, **extra):
    """batch_params with TemplateData always given: the gateway requires it (see
    test_a_list_with_data_needs_no_template_data)."""
    params = batch_params(sender, receiver_list, template, **extra)
    params["Template"].setdefault("TemplateData", "")
    return params


@pytest.fixture
def params(verified_sender, customers, approved_template):
    return api_params(verified_sender, customers, approved_template)


def batch(call_api, params) -> SendTask:
    reply = ok(call_api("BatchSendEmail", params))
    assert set(reply) == {"TaskId", "RequestId"}
    assert isinstance(reply["TaskId"], int)
    return SendTask.objects.get(pk=reply["TaskId"])


def refused(call_api, params, code: str) -> str:
    reply = call_api("BatchSendEmail", params)
    assert reply.code == code, (reply.code, reply.message)
    assert reply.message
    assert not SendTask.objects.exists()
    assert not Message.objects.exists()
    return reply.message


def tasks(call, **params) -> dict:
    return ok(call("ListSendTasks", {"Offset": 0, "Limit": 100, **params}))


def only_task(call, **params) -> dict:
    listed = tasks(call, **params)
    assert listed["TotalCount"] == 1, listed
    return listed["Data"][0]


# --- BatchSendEmail: the three types -----------------------------------------------


def test_immediate_task_starts_its_run_at_once(call_api, account, params, customers):
    task = batch(call_api, params)
    assert (task.account, task.receiver_list, task.task_type) == (
        account,
        customers,
        TaskType.IMMEDIATE,
    )
    # The run started in the request: the list's three addresses are requested.
    assert (task.status, task.runs, task.request_count, task.sent_count) == (
        TaskStatus.SENDING,
        1,
        3,
        0,
    )
    message = task.message
    assert message.personal
    assert (message.subject, message.from_name) == ("Hello {{name}}", SENDER_NAME)
    assert message.template_id == params["Template"]["TemplateID"]
    task = drain(task)
    assert (task.status, task.sent_count, task.cached_count) == (TaskStatus.DONE, 3, 0)
    delivered = Delivery.objects.filter(task=task).order_by("recipient")
    assert [(d.recipient, d.status) for d in delivered] == [
        (f"user{i}@example.net", DeliveryStatus.QUEUED) for i in range(3)
    ]
    assert delivered[1].data == {"name": "User 1", "code": "1001"}


def test_timed_task_waits_for_its_begin_time_in_the_accounts_zone(call_api, params):
    task = batch(call_api, {**params, "TaskType": 2, "TimedParam": {"BeginTime": LATER}})
    assert (task.task_type, task.status, task.runs, task.request_count) == (
        TaskType.TIMED,
        TaskStatus.PENDING,
        0,
        0,
    )
    assert task.begin_at == task.next_run_at == datetime(2031, 1, 1, 9, 0, tzinfo=SHANGHAI)
    assert not Delivery.objects.exists()


@pytest.mark.parametrize("term_cycle", [0, 1])
def test_cyclic_task_has_its_interval_and_term(call_api, params, term_cycle):
    cycle = {"BeginTime": LATER, "IntervalTime": 24, "TermCycle": term_cycle}
    task = batch(call_api, {**params, "TaskType": 3, "CycleParam": cycle})
    assert (task.task_type, task.status, task.interval_hours, task.term_cycle) == (
        TaskType.CYCLIC,
        TaskStatus.PENDING,
        24,
        bool(term_cycle),
    )
    assert task.begin_at == datetime(2031, 1, 1, 9, 0, tzinfo=SHANGHAI)


def test_cyclic_task_with_a_begin_time_of_now_starts_at_once(call_api, params, account):
    now = timezone.localtime(timezone.now(), account.zone).strftime("%Y-%m-%d %H:%M:%S")
    cycle = {"BeginTime": now, "IntervalTime": 1}
    task = batch(call_api, {**params, "TaskType": 3, "CycleParam": cycle})
    assert (task.status, task.runs, task.request_count) == (TaskStatus.SENDING, 1, 3)
    assert task.next_run_at is not None and task.next_run_at > timezone.now()


def test_a_list_with_data_needs_empty_template_data(call_api, params):
    for empty in ("", "{}"):
        task = batch(call_api, change("Template.TemplateData", empty)(params))
        assert task.message.template_data == {}


def test_a_list_with_data_needs_no_template_data(call_api, params):
    task = batch(call_api, change("Template.TemplateData")(params))
    assert task.message.template_data == {}


def test_template_data_fills_what_the_list_does_not(
    call_api, account, verified_sender, approved_template
):
    receiver_list = receivers.create(account, "Names only")
    receiver_list.variables = ["name"]
    receiver_list.save(update_fields=["variables"])
    receivers.add(receiver_list, [("ana@example.net", {"name": "Ana"})])
    ReceiverList.objects.filter(pk=receiver_list.pk).update(status=ListStatus.COMPLETE)
    receiver_list.refresh_from_db()
    params = api_params(verified_sender, receiver_list, approved_template)
    params["Template"]["TemplateData"] = json.dumps({"code": "0000"})
    task = drain(batch(call_api, params))
    assert task.message.template_data == {"code": "0000"}
    delivery = Delivery.objects.get(task=task)
    mail = mime.personalise(task.message, delivery)
    assert mail.subject == "Hello Ana"
    assert mail.template_data == {"code": "0000", "name": "Ana"}


@pytest.mark.parametrize(
    ("location", "subject"),
    [(0, "Hello {{name}}"), (1, "<AD>Hello {{name}}"), (2, "Hello {{name}}<AD>")],
)
def test_ad_location_marks_the_subject(call_api, params, location, subject):
    task = drain(batch(call_api, {**params, "ADLocation": location}))
    assert (task.ad_location, task.message.subject) == (location, subject)
    assert only_task(call_api)["Subject"] == subject
    delivery = Delivery.objects.filter(task=task).order_by("recipient").first()
    assert mime.personalise(task.message, delivery).subject == subject.replace("{{name}}", "User 0")


def test_simple_content_for_an_account_allowed_to_send_it(call_api, account, params):
    Account.objects.filter(pk=account.pk).update(allow_custom_content=True)
    params = {k: v for k, v in params.items() if k != "Template"}
    params["Simple"] = {"Html": b64("<p>Big sale</p>"), "Text": b64("Big sale")}
    task = batch(call_api, params)
    assert (task.message.html, task.message.text, task.message.template_id) == (
        "<p>Big sale</p>",
        "Big sale",
        None,
    )
    assert only_task(call_api)["Template"] == {"TemplateID": 0, "TemplateData": "{}"}


def test_options_are_kept_on_the_message(call_api, params):
    params = {
        **params,
        "FromEmailAddress": f"Acme News <{params['FromEmailAddress']}>",
        "ReplyToAddresses": "help@acme.example",
        "Unsubscribe": "2",
        "Attachments": [{"FileName": "terms.txt", "Content": b64("the terms")}],
    }
    message = batch(call_api, params).message
    assert (message.from_name, message.reply_to, message.unsubscribe) == (
        "Acme News",
        "help@acme.example",
        "2",
    )
    assert [(a.filename, bytes(a.content)) for a in message.attachments.all()] == [
        ("terms.txt", b"the terms")
    ]


# --- BatchSendEmail: refusals ----------------------------------------------------------


REFUSALS = [
    # the sender
    (change("FromEmailAddress", "noreply@"), "FailedOperation.IncorrectSender"),
    (
        change("FromEmailAddress", "Acme<noreply@mail.acme.example>"),
        "FailedOperation.IncorrectSender",
    ),
    (change("FromEmailAddress", "nobody@mail.acme.example"), "InvalidParameterValue.NoSuchSender"),
    (change("FromEmailAddress", ""), "InvalidParameterValue.EmailAddressIsNULL"),
    # what must be given
    (change("ReceiverId"), "MissingParameter.SendParamNecessary"),
    (change("FromEmailAddress"), "MissingParameter.SendParamNecessary"),
    (change("Template"), "MissingParameter.SendParamNecessary"),
    (change("ReceiverId", 999_999), "OperationDenied.ReceiverNotExist"),
    # values
    (change("TaskType", 0), "InvalidParameterValue"),
    (change("TaskType", 4), "InvalidParameterValue"),
    (change("ADLocation", 3), "InvalidParameterValue"),
    (change("Unsubscribe", "13"), "InvalidParameterValue"),
    (change("Subject", ""), "InvalidParameterValue.SubjectLengthError"),
    (change("Subject", "x" * 999), "InvalidParameterValue.SubjectLengthError"),
    # the AD marker is part of the subject: 996 + 4 characters is over 998
    (
        lambda p: {**p, "Subject": "x" * 996, "ADLocation": 2},
        "InvalidParameterValue.SubjectLengthError",
    ),
    (change("Subject", "Hello\r\nBcc: x@evil.example"), "InvalidParameterValue"),
    (change("ReplyToAddresses", "not an address"), "InvalidParameterValue.IllegalEmailAddress"),
    (
        change("ReplyToAddresses", "a@x.example, b@x.example"),
        "InvalidParameterValue.IllegalEmailAddress",
    ),
    # the template
    (change("Template.TemplateID", 999_999), "FailedOperation.InvalidTemplateID"),
    (change("Template.TemplateData", "{not json"), "FailedOperation.WrongContentJson"),
    (change("Template.TemplateData", "[1, 2]"), "FailedOperation.WrongContentJson"),
    (
        change("Template.TemplateData", '{"name": {"first": "Ana"}}'),
        "FailedOperation.WrongContentJson",
    ),
    (change("Subject", "Hello {{surname}}"), "InvalidParameterValue.TemplateNotMatchData"),
    # the schedule
    (change("TaskType", 2), "MissingParameter.TimedParamNecessary"),
    (
        lambda p: {**p, "TaskType": 2, "TimedParam": {"BeginTime": ""}},
        "MissingParameter.TimedParamNecessary",
    ),
    (change("TaskType", 3), "MissingParameter.CycleParamNecessary"),
    (
        lambda p: {**p, "TaskType": 3, "CycleParam": {"BeginTime": LATER, "IntervalTime": 0}},
        "MissingParameter.CycleParamNecessary",
    ),
    (
        lambda p: {**p, "TaskType": 3, "CycleParam": {"BeginTime": "", "IntervalTime": 24}},
        "MissingParameter.CycleParamNecessary",
    ),
    (
        lambda p: {**p, "TaskType": 3, "CycleParam": {"BeginTime": LATER, "IntervalTime": 8761}},
        "InvalidParameterValue",
    ),
    (
        lambda p: {**p, "TaskType": 2, "TimedParam": {"BeginTime": "2031/01/01 09:00"}},
        "InvalidParameter.InvalidStartTimeFormat",
    ),
    (
        lambda p: {**p, "TaskType": 2, "TimedParam": {"BeginTime": "tomorrow"}},
        "InvalidParameter.InvalidStartTimeFormat",
    ),
    (
        lambda p: {
            **p,
            "TaskType": 3,
            "CycleParam": {"BeginTime": "2031-13-01 09:00:00", "IntervalTime": 1},
        },
        "InvalidParameter.InvalidStartTimeFormat",
    ),
    (
        lambda p: {**p, "TaskType": 2, "TimedParam": {"BeginTime": "2020-01-01 00:00:00"}},
        "InvalidParameterValue.BeginTimeBeforeNow",
    ),
    (
        lambda p: {
            **p,
            "TaskType": 3,
            "CycleParam": {"BeginTime": "2020-01-01 00:00:00", "IntervalTime": 24},
        },
        "InvalidParameterValue.BeginTimeBeforeNow",
    ),
    # attachments: SendEmail's rules
    (
        change("Attachments", [{"FileName": "setup.exe", "Content": b64("MZ...")}]),
        "FailedOperation.InvalidAttachName",
    ),
    (
        change("Attachments", [{"FileName": "a.pdf", "Content": "not base64!"}]),
        "InvalidParameterValue.AttachContentIsWrong",
    ),
]


@pytest.mark.parametrize(
    ("edit", "code"), REFUSALS, ids=[f"{c}-{i}" for i, (_, c) in enumerate(REFUSALS)]
)
def test_refusal(call_api, params, edit, code):
    refused(call_api, edit(params), code)


def test_sender_on_an_unverified_domain(call_api, account, params, make_sender):
    make_sender(account, "news@pending.acme.example", verified=False)
    refused(
        call_api,
        {**params, "FromEmailAddress": "news@pending.acme.example"},
        "FailedOperation.NotAuthenticatedSender",
    )


def test_another_tenants_list_is_no_list(call_api, params, make_account):
    theirs = make_list(make_account("other"), 2)
    message = refused(
        call_api, {**params, "ReceiverId": theirs.pk}, "OperationDenied.ReceiverNotExist"
    )
    assert theirs.name not in message


def test_another_tenants_template_is_no_template(call_api, params, make_account, make_template):
    theirs = make_template(make_account("other"))
    refused(
        call_api,
        change("Template.TemplateID", theirs.pk)(params),
        "FailedOperation.InvalidTemplateID",
    )


@pytest.mark.parametrize("state", ["empty", "waiting", "uploading", "only invalid"])
def test_a_list_not_ready(call_api, account, params, state):
    receiver_list = receivers.create(account, f"List {state}")
    if state == "uploading":
        receivers.add(receiver_list, [("ana@example.net", None)])
        ReceiverList.objects.filter(pk=receiver_list.pk).update(status=ListStatus.UPLOADING)
    elif state == "only invalid":
        receivers.add(receiver_list, [("not an address", None)])
    if state != "waiting" and state != "uploading":
        ReceiverList.objects.filter(pk=receiver_list.pk).update(status=ListStatus.COMPLETE)
    refused(
        call_api, {**params, "ReceiverId": receiver_list.pk}, "OperationDenied.ReceiverStatusError"
    )


def test_template_and_simple_together(call_api, account, params):
    Account.objects.filter(pk=account.pk).update(allow_custom_content=True)
    params = {**params, "Simple": {"Text": b64("hello")}}
    refused(call_api, params, "InvalidParameterValue")


def test_simple_without_permission(call_api, params):
    params = {k: v for k, v in params.items() if k != "Template"}
    params["Simple"] = {"Text": b64("hello")}
    refused(call_api, params, "FailedOperation.WithOutPermission")


def test_template_not_approved(call_api, account, params, make_template):
    pending = make_template(account, "Pending one", approve=False)
    refused(
        call_api,
        change("Template.TemplateID", pending.pk)(params),
        "OperationDenied.TemplateStatusError",
    )


def _list_with(account, variables, name="Columns"):
    receiver_list = receivers.create(account, name)
    receiver_list.variables = variables
    receiver_list.save(update_fields=["variables"])
    receivers.add(receiver_list, [("ana@example.net", dict.fromkeys(variables, "x"))])
    ReceiverList.objects.filter(pk=receiver_list.pk).update(status=ListStatus.COMPLETE)
    receiver_list.refresh_from_db()
    return receiver_list


def test_a_list_column_the_template_does_not_use(call_api, account, params):
    extra = _list_with(account, ["name", "code", "city"])
    message = refused(
        call_api, {**params, "ReceiverId": extra.pk}, "InvalidParameterValue.TemplateNotMatchData"
    )
    assert "city" in message


def test_a_template_variable_no_column_gives(call_api, account, params):
    short = _list_with(account, ["name"])
    message = refused(
        call_api, {**params, "ReceiverId": short.pk}, "InvalidParameterValue.TemplateNotMatchData"
    )
    assert "code" in message


def test_a_list_without_data_needs_template_data(
    call_api, account, verified_sender, approved_template
):
    plain = make_list(account, 2, name="Plain", data=False)
    params = api_params(verified_sender, plain, approved_template)
    message = refused(
        call_api,
        change("Template.TemplateData", "")(params),
        "InvalidParameterValue.TemplateDataError",
    )
    assert "code" in message and "name" in message
    refused(
        call_api,
        change("Template.TemplateData", json.dumps({"name": "friend"}))(params),
        "InvalidParameterValue.TemplateDataError",
    )
    # The subject's variables count too.
    refused(
        call_api,
        {**params, "Subject": "Hi {{nickname}}"},
        "InvalidParameterValue.TemplateDataError",
    )
    assert batch(call_api, params).message.template_data == {"name": "friend", "code": "0000"}


def test_simple_content_cannot_fill_a_subject_variable_the_list_lacks(
    call_api, account, verified_sender, approved_template
):
    # Simple content is not filled, but the subject is: its variables need list data.
    Account.objects.filter(pk=account.pk).update(allow_custom_content=True)
    plain = make_list(account, 2, name="Plain", data=False)
    params = api_params(verified_sender, plain, approved_template)
    del params["Template"]
    params["Simple"] = {"Text": b64("Big sale")}
    refused(call_api, params, "InvalidParameterValue.TemplateDataError")
    task = batch(call_api, {**params, "Subject": "Big sale"})
    assert task.message.subject == "Big sale"


def test_template_data_must_not_break_the_subject(
    call_api, account, verified_sender, approved_template
):
    plain = make_list(account, 2, name="Plain", data=False)
    params = api_params(verified_sender, plain, approved_template)
    params["Template"]["TemplateData"] = json.dumps(
        {"name": "Ana\r\nBcc: x@evil.example", "code": "1"}
    )
    refused(call_api, params, "InvalidParameterValue.TemplateDataError")


def test_another_tenant_cannot_send_from_our_sender(other_tenant_api, params):
    reply = other_tenant_api("BatchSendEmail", params)
    assert reply.code == "InvalidParameterValue.NoSuchSender"
    assert not SendTask.objects.exists()


# --- ListSendTasks ---------------------------------------------------------------------


def test_fields_of_an_immediate_task(call_api, account, params, customers):
    rules.add_custom(account, ["user1@example.net"], None)
    Account.objects.filter(pk=account.pk).update(daily_quota=1)
    task = drain(batch(call_api, params))
    assert task.status == TaskStatus.PAUSED
    row = only_task(call_api)
    assert set(row) == SEND_TASK_DATA
    assert row == {
        "TaskId": task.pk,
        "FromEmailAddress": f"{SENDER_NAME} <{params['FromEmailAddress']}>",
        "ReceiverId": customers.pk,
        "TaskStatus": 6,
        "TaskType": 1,
        # user0 sent, user1 blocklisted, user2 waits for tomorrow's quota
        "RequestCount": 3,
        "SendCount": 1,
        "CacheCount": 1,
        "CreateTime": row["CreateTime"],
        "UpdateTime": row["UpdateTime"],
        "Subject": "Hello {{name}}",
        "Template": {"TemplateID": params["Template"]["TemplateID"], "TemplateData": "{}"},
        "CycleParam": None,
        "TimedParam": None,
        "ErrMsg": task.error_message,
        "ReceiversName": "Customers",
    }
    assert "quota" in row["ErrMsg"]
    assert TIME.fullmatch(row["CreateTime"]) and TIME.fullmatch(row["UpdateTime"])
    assert row["UpdateTime"] >= row["CreateTime"]


def test_template_data_is_given_back(call_api, account, verified_sender, approved_template):
    plain = make_list(account, 1, name="Plain", data=False)
    batch(call_api, api_params(verified_sender, plain, approved_template))
    template = only_task(call_api)["Template"]
    assert json.loads(template["TemplateData"]) == {"name": "friend", "code": "0000"}


def test_schedules_are_given_back_as_they_were_given(call_api, params):
    batch(call_api, {**params, "TaskType": 2, "TimedParam": {"BeginTime": LATER}})
    cycle = {"BeginTime": "2031-02-01 18:30:00", "IntervalTime": 168, "TermCycle": 1}
    batch(call_api, {**params, "TaskType": 3, "CycleParam": cycle})
    timed = only_task(call_api, TaskType=2)
    assert (timed["TimedParam"], timed["CycleParam"]) == ({"BeginTime": LATER}, None)
    cyclic = only_task(call_api, TaskType=3)
    assert (cyclic["CycleParam"], cyclic["TimedParam"]) == (cycle, None)
    assert (timed["TaskStatus"], cyclic["TaskStatus"]) == (1, 1)
    assert (timed["RequestCount"], timed["SendCount"], timed["CacheCount"]) == (0, 0, 0)


def test_the_list_name_stays_when_the_list_is_deleted(call_api, params, customers):
    task = drain(batch(call_api, params))
    assert task.status == TaskStatus.DONE
    receivers.delete(customers)
    row = only_task(call_api)
    assert (row["ReceiverId"], row["ReceiversName"], row["TaskStatus"]) == (0, "Customers", 10)


def _to_status(status, call_api, account, params) -> SendTask:
    """A task brought to `status` the way it gets there."""
    if status == TaskStatus.PENDING:
        return batch(call_api, {**params, "TaskType": 2, "TimedParam": {"BeginTime": LATER}})
    task = batch(call_api, params)
    if status == TaskStatus.PAUSED:
        Account.objects.filter(pk=account.pk).update(daily_quota=2)
        return drain(task)
    if status == TaskStatus.HELD:
        service.pause(task)
    elif status == TaskStatus.ERROR:
        Account.objects.filter(pk=account.pk).update(
            sending_suspended=True, suspension_reason="Too many bounces."
        )
        return drain(task)
    elif status == TaskStatus.DONE:
        return drain(task)
    elif status == TaskStatus.CANCELED:
        service.cancel(task)
    return task


@pytest.mark.parametrize(
    ("status", "code", "err"),
    [
        (TaskStatus.PENDING, 1, ""),
        (TaskStatus.SENDING, 5, ""),
        (TaskStatus.PAUSED, 6, "quota"),
        (TaskStatus.HELD, 6, ""),
        (TaskStatus.ERROR, 7, "Too many bounces."),
        (TaskStatus.DONE, 10, ""),
        (TaskStatus.CANCELED, 10, "Canceled"),
    ],
)
def test_status_codes(call_api, account, params, status, code, err):
    task = _to_status(status, call_api, account, params)
    assert task.status == status
    row = only_task(call_api, Status=code)
    assert (row["TaskId"], row["TaskStatus"]) == (task.pk, code)
    if err:
        assert err in row["ErrMsg"]
    else:
        assert row["ErrMsg"] == ""
    others = {1, 5, 6, 7, 10} - {code}
    assert all(tasks(call_api, Status=other)["TotalCount"] == 0 for other in others)


def test_filters(call_api, account, verified_sender, approved_template, params, customers):
    second = make_list(account, 2, name="Second", start=10)
    immediate = batch(call_api, params)
    timed = batch(call_api, {**params, "TaskType": 2, "TimedParam": {"BeginTime": LATER}})
    cyclic = batch(
        call_api,
        {
            **api_params(verified_sender, second, approved_template),
            "TaskType": 3,
            "CycleParam": {"BeginTime": LATER, "IntervalTime": 24},
        },
    )

    def ids(**filters):
        return [row["TaskId"] for row in tasks(call_api, **filters)["Data"]]

    assert ids() == [cyclic.pk, timed.pk, immediate.pk]  # newest first
    assert ids(TaskType=1) == [immediate.pk]
    assert ids(TaskType=2) == [timed.pk]
    assert ids(Status=1) == [cyclic.pk, timed.pk]
    assert ids(Status=5) == [immediate.pk]
    assert ids(ReceiverId=customers.pk) == [timed.pk, immediate.pk]
    assert ids(ReceiverId=second.pk, TaskType=3, Status=1) == [cyclic.pk]
    assert ids(ReceiverId=second.pk, TaskType=1) == []
    assert ids(ReceiverId=999_999) == []


@pytest.mark.parametrize(
    ("extra", "code"),
    [
        ({"Status": 2}, "InvalidParameterValue"),
        ({"Status": 0}, "InvalidParameterValue"),
        ({"TaskType": 4}, "InvalidParameterValue"),
        ({"Limit": 101}, "FailedOperation.InvalidLimit"),
        ({"Limit": -1}, "InvalidParameterValue"),
        ({"Status": "one"}, "InvalidParameter"),
    ],
)
def test_list_refusals(call_api, extra, code):
    reply = call_api("ListSendTasks", {"Offset": 0, "Limit": 10, **extra})
    assert reply.code == code, (reply.code, reply.message)


def test_pages(call_api, params):
    made = [batch(call_api, params).pk for _ in range(5)]
    pages = [tasks(call_api, Offset=offset, Limit=2) for offset in (0, 2, 4, 6)]
    assert [p["TotalCount"] for p in pages] == [5, 5, 5, 5]
    seen = [row["TaskId"] for p in pages for row in p["Data"]]
    assert seen == made[::-1]
    assert [len(p["Data"]) for p in pages] == [2, 2, 1, 0]


def test_another_tenant_sees_none_of_our_tasks(
    call_api, other_tenant_api, params, customers, make_sender, make_template
):
    ours = {
        batch(call_api, params).pk,
        batch(
            call_api,
            {**params, "TaskType": 3, "CycleParam": {"BeginTime": LATER, "IntervalTime": 1}},
        ).pk,
    }
    b = other_tenant_api.account
    assert tasks(other_tenant_api)["TotalCount"] == 0
    assert tasks(other_tenant_api)["Data"] == []
    assert tasks(other_tenant_api, ReceiverId=customers.pk)["TotalCount"] == 0
    assert tasks(other_tenant_api, Status=5, TaskType=1)["TotalCount"] == 0
    # Their own task shows to them alone.
    theirs = api_params(
        make_sender(b, "news@mail.other.example"), make_list(b, 1, name="Theirs"), make_template(b)
    )
    their_task = ok(other_tenant_api("BatchSendEmail", theirs))["TaskId"]
    assert [row["TaskId"] for row in tasks(other_tenant_api)["Data"]] == [their_task]
    assert {row["TaskId"] for row in tasks(call_api)["Data"]} == ours
