"""The Batch Sending pages: the task list and its empty state, a new task through
BatchSendEmail's rules (each refusal under its field, the preview of the first
recipient's mail that creates nothing), a task's figures, schedule and refusals, its
per-recipient outcomes (filters, keyset pages, CSV export), pause / resume / cancel,
the JSON the pages poll, and another tenant's tasks answering 404 everywhere."""

import csv
import io
import json
import re
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from sending.batch import expand
from sending.models import (
    Delivery,
    DeliveryStatus,
    ListStatus,
    Message,
    ReceiverList,
    SendTask,
    Source,
    TaskStatus,
)
from sending.suppression import rules
from tests.sending.batch.batchhelp import create_task, drain, make_list
from tests.templates_app.helpers import words
from tests.tenancy import assert_isolated

pytestmark = pytest.mark.django_db

NAME_ONLY_HTML = f"<p>Hello {{{{name}}}}.</p><p>{words(60)}</p>"


@pytest.fixture(autouse=True)
def no_warmup(verified_sender):
    # The domain's warm-up cap is not what these pages are about.
    verified_sender.domain.warmup_step = None
    verified_sender.domain.save(update_fields=["warmup_step"])


def local_input(moment, account) -> str:
    """A moment as a datetime-local input posts it, in the account's time zone."""
    return timezone.localtime(moment, account.zone).strftime("%Y-%m-%dT%H:%M")


def form_data(receiver_list, sender, template, **extra):
    data = {
        "receiver_list": receiver_list.pk if receiver_list else "",
        "sender": sender.pk,
        "template": template.pk,
        "subject": "Hello {{name}}",
        "task_type": "immediate",
        "ad_location": "0",
        "unsubscribe": "0",
        "reply_to": "",
        "begin_at": "",
        "interval_hours": "",
        "end_at": "",
        "max_runs": "",
    }
    data.update(extra)
    return data


def post_new(client, data):
    return client.post(reverse("sending:batch_task_new"), data)


def field_errors(response, field):
    return [str(e) for e in response.context["form"].errors.get(field, [])]


# --- the list -----------------------------------------------------------------------


def test_an_empty_list_leads_to_recipient_lists_then_to_a_new_task(operator_client, account):
    page = operator_client.get(reverse("sending:batch_tasks"))
    assert page.status_code == 200
    empty = page.content.decode()
    assert 'data-testid="empty-state"' in empty
    assert "no list ready yet" in empty
    assert reverse("sending:batch_task_new") in empty
    assert page.context["lists_url"] in (None, _recipient_lists_url())
    if page.context["lists_url"]:
        assert page.context["lists_url"] in empty

    make_list(account, 2)
    page = operator_client.get(reverse("sending:batch_tasks")).content.decode()
    assert "Create a task" in page
    assert "no list ready yet" not in page


def _recipient_lists_url():
    try:
        return reverse("sending:recipient_lists")
    except NoReverseMatch:  # the Recipient Lists pages are another part of the console
        return None


def test_the_list_shows_each_task_with_its_bar_and_filters_by_status(
    operator_client, account, verified_sender, approved_template
):
    receiver_list = make_list(account, 4)
    done = drain(create_task(account, verified_sender, receiver_list, approved_template))
    assert done.status == TaskStatus.DONE
    later = timezone.now() + timedelta(days=1)
    waiting = create_task(
        account,
        verified_sender,
        receiver_list,
        approved_template,
        TaskType=2,
        TimedParam={"BeginTime": timezone.localtime(later).strftime("%Y-%m-%d %H:%M:%S")},
    )
    page = operator_client.get(reverse("sending:batch_tasks"))
    html = page.content.decode()
    assert [t.pk for t in page.context["page"].object_list] == [waiting.pk, done.pk]
    row = _row(html, done.pk)
    assert "Done" in row
    assert 'style="width: 100.00%" data-bar="sent"' in row
    assert '<span class="text-success-emphasis" data-figure="sent">4</span> sent' in row
    assert "Hello {{name}}" in row  # the subject as given: filled per recipient
    assert 'data-finished="true"' in row
    row = _row(html, waiting.pk)
    assert "Waiting to start" in row and 'data-finished="false"' in row
    assert "Next run" in row and timezone.localtime(later).strftime("%Y-%m-%d %H:%M") in row

    page = operator_client.get(reverse("sending:batch_tasks"), {"status": "done"})
    assert [t.pk for t in page.context["page"].object_list] == [done.pk]
    page = operator_client.get(reverse("sending:batch_tasks"), {"status": "unfinished"})
    assert [t.pk for t in page.context["page"].object_list] == [waiting.pk]
    page = operator_client.get(reverse("sending:batch_tasks"), {"status": "canceled"})
    assert 'data-testid="empty-state"' in page.content.decode()
    assert "No tasks match" in page.content.decode()


def _row(html, pk):
    found = re.search(rf'<tr data-task="{pk}".*?</tr>', html, re.S)
    assert found, f"no row for task {pk}"
    return found[0]


def test_the_list_pages_its_tasks(operator_client, account, verified_sender, approved_template):
    receiver_list = make_list(account, 1)
    for _ in range(27):
        create_task(account, verified_sender, receiver_list, approved_template)
    first = operator_client.get(reverse("sending:batch_tasks"))
    assert len(first.context["page"].object_list) == 25
    assert "Page 1 of 2" in first.content.decode()
    second = operator_client.get(reverse("sending:batch_tasks"), {"page": 2})
    assert len(second.context["page"].object_list) == 2


# --- a new task ---------------------------------------------------------------------


def test_without_a_ready_list_the_new_task_page_says_what_is_missing(
    operator_client, account, verified_sender, approved_template
):
    ReceiverList.objects.create(account=account, name="Still uploading")
    page = operator_client.get(reverse("sending:batch_task_new")).content.decode()
    assert 'data-testid="cannot-create"' in page
    assert reverse("domains:senders") in page


def test_the_form_offers_ready_lists_and_shows_which_variables_the_list_gives(
    operator_client, account, verified_sender, approved_template, make_template
):
    ready = make_list(account, 3)
    ReceiverList.objects.create(account=account, name="Still uploading")
    page = operator_client.get(reverse("sending:batch_task_new"), {"receiver_list": ready.pk})
    form = page.context["form"]
    offered = [label for value, label in form.fields["receiver_list"].choices if value]
    assert offered == ["Customers (3 addresses)"]
    html = page.content.decode()
    assert 'data-testid="variables-match"' in html
    assert "{{name}}" in html and "{{code}}" in html
    assert form.constant_variables == []  # the list's columns give both

    # The fragment the script swaps in: a template that leaves the list's code unused.
    name_only = make_template(account, "Greeting", html=NAME_ONLY_HTML, text="")
    fragment = operator_client.get(
        reverse("sending:batch_task_variables"),
        {"template": name_only.pk, "receiver_list": ready.pk, "subject": "Hi {{shop}}"},
    ).content.decode()
    assert 'data-testid="variables-mismatch"' in fragment
    assert "code" in fragment
    assert 'name="var_shop"' in fragment  # the subject's variable, one value for everyone


@pytest.mark.parametrize(
    "case",
    [
        "no list",
        "list not ready",
        "unmatched variables",
        "begin time in the past",
        "timed without a begin time",
        "begin time not a time",
        "recurring without an interval",
        "recurring interval too long",
        "end before begin",
        "bad reply-to",
    ],
)
def test_each_refusal_appears_under_its_field(
    case, operator_client, account, verified_sender, approved_template, make_template
):
    receiver_list = make_list(account, 3)
    soon = local_input(timezone.now() + timedelta(hours=2), account)
    template = approved_template
    extra = {}
    if case == "no list":
        receiver_list, field, said = None, "receiver_list", "Choose a recipient list."
    elif case == "list not ready":
        ReceiverList.objects.filter(pk=receiver_list.pk).update(status=ListStatus.UPLOADING)
        field, said = "receiver_list", "has no valid address yet"
    elif case == "unmatched variables":
        template = make_template(account, "Greeting", html=NAME_ONLY_HTML, text="")
        field, said = "template", "the template does not use the list's code"
    elif case == "begin time in the past":
        past = local_input(timezone.now() - timedelta(hours=1), account)
        extra = {"task_type": "timed", "begin_at": past}
        field, said = "begin_at", "The begin time is in the past."
    elif case == "timed without a begin time":
        extra = {"task_type": "timed"}
        field, said = "begin_at", "A timed task needs the begin time."
    elif case == "begin time not a time":
        extra = {"task_type": "timed", "begin_at": "tomorrow at nine"}
        field, said = "begin_at", "The begin time must be like 2026-01-31 09:30:00"
    elif case == "recurring without an interval":
        extra = {"task_type": "cyclic", "begin_at": soon}
        field, said = "interval_hours", "needs the begin time and the interval"
    elif case == "recurring interval too long":
        extra = {"task_type": "cyclic", "begin_at": soon, "interval_hours": "9000"}
        field, said = "interval_hours", "hours, 1 to 8760"
    elif case == "end before begin":
        before = local_input(timezone.now() + timedelta(hours=1), account)
        extra = {"task_type": "cyclic", "begin_at": soon, "interval_hours": "24", "end_at": before}
        field, said = "end_at", "The end time must be after the begin time."
    else:
        extra = {"reply_to": "not an address"}
        field, said = "reply_to", "Reply-To"
    response = post_new(
        operator_client, form_data(receiver_list, verified_sender, template, **extra)
    )
    assert response.status_code == 200
    errors = field_errors(response, field)
    assert any(said in error for error in errors), (field, errors, response.context["form"].errors)
    # Shown on the page, under the field.
    assert said.replace("'", "&#x27;") in response.content.decode()
    assert not SendTask.objects.exists()
    assert not Message.objects.exists()


def test_the_preview_is_the_first_recipients_mail_and_creates_nothing(
    operator_client, account, verified_sender, approved_template
):
    receiver_list = make_list(account, 3)
    data = form_data(receiver_list, verified_sender, approved_template, ad_location="1")
    data["preview"] = "1"
    response = post_new(operator_client, data)
    assert response.status_code == 200
    shown = response.context["preview"]
    assert shown.recipient == "user0@example.net"
    assert shown.subject == "<AD>Hello User 0"
    assert "Hello User 0, your code is 1000." in shown.html
    assert "Hello User 0, your code is 1000." in shown.text
    html = response.content.decode()
    assert 'data-testid="task-preview"' in html and "sandbox" in html
    assert "&lt;AD&gt;Hello User 0" in html
    assert not SendTask.objects.exists()
    assert not Message.objects.exists()
    assert not Delivery.objects.exists()


def test_the_preview_fills_a_list_without_data_from_the_values_typed(
    operator_client, account, verified_sender, approved_template
):
    receiver_list = make_list(account, 2, data=False)
    data = form_data(receiver_list, verified_sender, approved_template, preview="1")
    missing = post_new(operator_client, data)
    assert any(
        "Missing template variables: code, name" in e for e in field_errors(missing, "template")
    )
    data.update(var_name="friend", var_code="0000")
    shown = post_new(operator_client, data).context["preview"]
    assert shown.subject == "Hello friend"
    assert "Hello friend, your code is 0000." in shown.text
    assert not Message.objects.exists()


def test_creating_an_immediate_task_starts_it_and_shows_its_page(
    operator_client, account, verified_sender, approved_template
):
    receiver_list = make_list(account, 5)
    response = post_new(
        operator_client,
        form_data(receiver_list, verified_sender, approved_template, reply_to="help@acme.example"),
    )
    task = SendTask.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("sending:batch_task", args=[task.pk])
    assert (task.status, task.request_count, task.runs) == (TaskStatus.SENDING, 5, 1)
    assert task.message.source == Source.CONSOLE
    assert task.message.reply_to == "help@acme.example"
    assert task.message.template_id == approved_template.pk

    page = operator_client.get(response["Location"])
    html = page.content.decode()
    assert f"Task {task.pk} created." in html
    assert "Sending" in html
    assert 'data-figure="total">5</span>' in html
    assert "No recipient has been sent to yet" in html

    drain(task)
    html = operator_client.get(response["Location"]).content.decode()
    assert '<span class="text-success-emphasis" data-figure="sent">5</span> sent' in html
    assert 'style="width: 100.00%" data-bar="sent"' in html
    assert "user4@example.net" in html
    assert "Done" in html


def test_attachments_go_with_the_task(operator_client, account, verified_sender, approved_template):
    receiver_list = make_list(account, 2)
    data = form_data(receiver_list, verified_sender, approved_template)
    data["attachments"] = SimpleUploadedFile("terms.txt", b"The terms.", "text/plain")
    data["preview"] = "1"
    shown = post_new(operator_client, data).context["preview"]
    assert shown.attachments == ["terms.txt"]
    del data["preview"]
    data["attachments"] = SimpleUploadedFile("terms.txt", b"The terms.", "text/plain")
    response = post_new(operator_client, data)
    task = SendTask.objects.get()
    (attachment,) = task.message.attachments.all()
    assert (attachment.filename, bytes(attachment.content)) == ("terms.txt", b"The terms.")
    assert "terms.txt" in operator_client.get(response["Location"]).content.decode()


def test_a_recurring_task_keeps_its_end_and_number_of_runs(
    operator_client, account, verified_sender, approved_template
):
    receiver_list = make_list(account, 2)
    begin = timezone.now() + timedelta(hours=2)
    end = begin + timedelta(days=7)
    response = post_new(
        operator_client,
        form_data(
            receiver_list,
            verified_sender,
            approved_template,
            task_type="cyclic",
            begin_at=local_input(begin, account),
            interval_hours="24",
            end_at=local_input(end, account),
            max_runs="3",
        ),
    )
    assert response.status_code == 302, response.context["form"].errors
    task = SendTask.objects.get()
    assert (task.task_type, task.status, task.interval_hours, task.max_runs) == (
        "cyclic",
        TaskStatus.PENDING,
        24,
        3,
    )
    assert task.begin_at == begin.replace(second=0, microsecond=0)
    assert task.end_at == end.replace(second=0, microsecond=0)
    html = operator_client.get(response["Location"]).content.decode()
    assert "every 24 hours" in html and "Runs at most" in html


def test_the_begin_time_is_in_the_accounts_time_zone(
    operator_client, account, verified_sender, approved_template
):
    account.time_zone = "Asia/Shanghai"
    account.save(update_fields=["time_zone"])
    receiver_list = make_list(account, 1)
    begin = (timezone.now() + timedelta(days=1)).replace(second=0, microsecond=0)
    typed = local_input(begin, account)  # Shanghai's wall clock
    post_new(
        operator_client,
        form_data(
            receiver_list, verified_sender, approved_template, task_type="timed", begin_at=typed
        ),
    )
    task = SendTask.objects.get()
    assert task.begin_at == begin
    page = operator_client.get(reverse("sending:batch_task", args=[task.pk])).content.decode()
    assert typed.replace("T", " ") in page  # shown on the same clock
    assert "Asia/Shanghai" in page


# --- a task's page --------------------------------------------------------------------


@pytest.fixture
def sent_task(account, verified_sender, approved_template):
    """A done task of 120 recipients: user3 and user7 blocklisted (refused), the rest queued."""
    receiver_list = make_list(account, 120)
    rules.add_custom(account, ["user3@example.net", "user7@example.net"])
    task = drain(create_task(account, verified_sender, receiver_list, approved_template))
    assert (task.status, task.sent_count, task.refused_count) == (TaskStatus.DONE, 118, 2)
    return task


def test_the_task_page_shows_figures_schedule_and_refusals_by_reason(operator_client, sent_task):
    html = operator_client.get(reverse("sending:batch_task", args=[sent_task.pk])).content.decode()
    assert 'data-figure="sent">118</span>' in html
    assert 'data-figure="refused">2</span>' in html
    assert 'data-figure="cached">0</span>' in html
    assert f'style="width: {100 * 118 / 120:.2f}%" data-bar="sent"' in html
    refusals = re.search(r'data-testid="task-refusals".*?</ul>', html, re.S)[0]
    assert "Address in a blocklist: 2" in refusals
    assert 'Runs so far: <span data-field="runs">1</span>' in html
    # Done: nothing to pause, resume or cancel.
    for action in ("pause", "resume", "cancel"):
        assert re.search(rf'data-action="{action}"[^>]* hidden', html), action


def test_outcomes_are_filtered_and_paged_by_keyset(operator_client, sent_task):
    url = reverse("sending:batch_task", args=[sent_task.pk])
    first = operator_client.get(url)
    rows = first.context["outcomes"]["rows"]
    assert [d.recipient for d in rows] == [f"user{i}@example.net" for i in range(50)]
    assert first.context["outcomes"]["has_next"] and not first.context["outcomes"]["has_previous"]
    html = first.content.decode()
    assert "Address in a blocklist" in html  # user3's refusal, under its status
    after = rows[-1].pk
    assert f"after={after}" in html

    second = operator_client.get(url, {"after": after})
    rows = second.context["outcomes"]["rows"]
    assert [d.recipient for d in rows] == [f"user{i}@example.net" for i in range(50, 100)]
    third = operator_client.get(url, {"after": rows[-1].pk})
    rows = third.context["outcomes"]["rows"]
    assert [d.recipient for d in rows] == [f"user{i}@example.net" for i in range(100, 120)]
    assert not third.context["outcomes"]["has_next"]
    assert third.context["outcomes"]["has_previous"]
    back = operator_client.get(url, {"before": rows[0].pk})
    assert [d.recipient for d in back.context["outcomes"]["rows"]] == [
        f"user{i}@example.net" for i in range(50, 100)
    ]

    dropped = operator_client.get(url, {"status": "dropped"})
    assert [d.recipient for d in dropped.context["outcomes"]["rows"]] == [
        "user3@example.net",
        "user7@example.net",
    ]
    found = operator_client.get(url, {"q": "USER11"})
    assert [d.recipient for d in found.context["outcomes"]["rows"]] == [
        "user11@example.net",
        *(f"user{i}@example.net" for i in range(110, 120)),
    ]
    none = operator_client.get(url, {"q": "nobody"})
    assert "No recipients match" in none.content.decode()
    # A keyset that is not a number is a filter error, not a crash.
    assert operator_client.get(url, {"after": "x"}).status_code == 200


def test_the_csv_export_has_every_row_of_the_filter(operator_client, account, sent_task):
    url = reverse("sending:batch_task_export", args=[sent_task.pk])
    response = operator_client.get(url)
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"].startswith("text/csv")
    assert f"task-{sent_task.pk}-recipients.csv" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0] == [
        "recipient",
        "status",
        "refused_because",
        "attempts",
        "last_reply",
        "created_at",
        "delivered_at",
    ]
    assert len(rows) == 121
    assert [r[0] for r in rows[1:]] == [f"user{i}@example.net" for i in range(120)]
    assert rows[4][1:4] == ["Dropped", "Address in a blocklist", "0"]
    assert rows[1][1:3] == ["Queued", ""]

    dropped = operator_client.get(url, {"status": "dropped"})
    lines = list(csv.reader(io.StringIO(b"".join(dropped.streaming_content).decode())))
    assert [r[0] for r in lines[1:]] == ["user3@example.net", "user7@example.net"]

    # A server's reply that looks like a formula stays text in a spreadsheet.
    Delivery.objects.filter(task=sent_task, recipient="user0@example.net").update(
        last_reply="=HYPERLINK(1)", status=DeliveryStatus.DEFERRED
    )
    first = list(
        csv.reader(io.StringIO(b"".join(operator_client.get(url).streaming_content).decode()))
    )[1]
    assert first[1] == "Deferred" and first[4] == "'=HYPERLINK(1)"


# --- pause, resume, cancel ------------------------------------------------------------


def test_pause_resume_and_cancel_move_the_task_and_refuse_what_its_status_does_not_allow(
    operator_client, account, verified_sender, approved_template
):
    receiver_list = make_list(account, 3)
    task = create_task(account, verified_sender, receiver_list, approved_template)
    assert task.status == TaskStatus.SENDING

    def act(action, **data):
        url = reverse(f"sending:batch_task_{action}", args=[task.pk])
        response = operator_client.post(url, data, follow=True)
        task.refresh_from_db()
        return response

    page = act("pause")
    assert task.status == TaskStatus.HELD
    assert f"Task {task.pk} paused." in page.content.decode()
    assert page.redirect_chain[-1][0] == reverse("sending:batch_task", args=[task.pk])
    assert act("pause").context["messages"]
    assert task.status == TaskStatus.HELD  # pausing a held task: held still
    page = act("resume", next="list")
    assert task.status == TaskStatus.SENDING  # its run was under way: it goes on
    assert page.redirect_chain[-1][0] == reverse("sending:batch_tasks")
    page = act("resume")
    assert "It cannot be resumed now." in page.content.decode()
    assert task.status == TaskStatus.SENDING

    page = act("cancel")
    assert task.status == TaskStatus.CANCELED
    assert f"Task {task.pk} canceled." in page.content.decode()
    # What was cached is dropped: not sent, and not waiting any more.
    assert 'data-figure="cached">3</span> <span data-field="cached_label">not sent</span>' in (
        page.content.decode()
    )
    for action, verb in (("pause", "paused"), ("resume", "resumed"), ("cancel", "canceled")):
        html = act(action).content.decode()
        assert f"Task {task.pk} is Canceled. It cannot be {verb} now." in html
        assert task.status == TaskStatus.CANCELED
    # Only a form's POST acts.
    get = operator_client.get(reverse("sending:batch_task_pause", args=[task.pk]))
    assert get.status_code == 405


def test_a_task_paused_for_the_day_shows_when_it_resumes_and_why(
    operator_client, account, verified_sender, approved_template
):
    account.daily_quota = 4
    account.save(update_fields=["daily_quota"])
    receiver_list = make_list(account, 10)
    task = drain(create_task(account, verified_sender, receiver_list, approved_template))
    assert task.status == TaskStatus.PAUSED
    html = operator_client.get(reverse("sending:batch_task", args=[task.pk])).content.decode()
    assert "Paused for today" in html
    assert "Today&#x27;s quota of 4 emails is used" in html
    assert "Resumes" in html
    assert timezone.localtime(task.resume_at, account.zone).strftime("%Y-%m-%d %H:%M") in html
    assert 'data-figure="cached">6</span>' in html
    # Paused for the day: it may be held, resumed (it pauses again) or canceled.
    for action in ("pause", "resume", "cancel"):
        assert not re.search(rf'data-action="{action}"[^>]* hidden', html), action


# --- the JSON the pages poll ----------------------------------------------------------


def test_the_progress_json_follows_the_task(
    operator_client, account, verified_sender, approved_template
):
    receiver_list = make_list(account, 30)
    task = create_task(account, verified_sender, receiver_list, approved_template)
    url = reverse("sending:batch_task_progress", args=[task.pk])
    response = operator_client.get(url)
    assert response["Cache-Control"] == "no-store"
    (shown,) = response.json()["tasks"]
    assert shown["id"] == task.pk
    assert (shown["status"], shown["status_label"], shown["finished"]) == (
        "sending",
        "Sending",
        False,
    )
    assert (shown["total"], shown["sent"], shown["refused"], shown["cached"]) == (30, 0, 0, 30)
    assert (shown["sent_percent"], shown["cached_percent"]) == ("0.00", "100.00")
    assert (shown["can_pause"], shown["can_resume"], shown["can_cancel"]) == (True, False, True)

    expand.run(task.pk)
    (shown,) = operator_client.get(url).json()["tasks"]
    assert (shown["sent"], shown["cached"], shown["sent_percent"]) == (30, 0, "100.00")
    drain(task)
    (shown,) = operator_client.get(url).json()["tasks"]
    assert (shown["status"], shown["status_label"], shown["finished"]) == ("done", "Done", True)
    assert (shown["can_pause"], shown["can_resume"], shown["can_cancel"]) == (False, False, False)


# --- tenancy ----------------------------------------------------------------------------


@pytest.fixture
def others_task(make_account, make_sender, make_template):
    other = make_account("other")
    sender = make_sender(other, email="news@mail.other.example")
    sender.domain.warmup_step = None
    sender.domain.save(update_fields=["warmup_step"])
    template = make_template(other)
    return create_task(other, sender, make_list(other, 3, name="Theirs"), template)


def test_another_tenants_task_answers_404_everywhere(operator_client, account, others_task):
    pk = others_task.pk
    assert_isolated(
        operator_client,
        [
            ("get", reverse("sending:batch_task", args=[pk])),
            ("get", reverse("sending:batch_task_progress", args=[pk])),
            ("get", reverse("sending:batch_task_export", args=[pk])),
            ("post", reverse("sending:batch_task_pause", args=[pk])),
            ("post", reverse("sending:batch_task_resume", args=[pk])),
            ("post", reverse("sending:batch_task_cancel", args=[pk])),
        ],
        unchanged=lambda: SendTask.objects.filter(pk=pk).values("status", "updated_at").get(),
    )
    # Not on the list, not in the list's progress, not offered as a list to send to.
    page = operator_client.get(reverse("sending:batch_tasks"))
    assert list(page.context["page"].object_list) == []
    polled = operator_client.get(reverse("sending:batch_tasks_progress"), {"ids": str(pk)})
    assert polled.json() == {"tasks": []}
    theirs = others_task.receiver_list
    response = operator_client.post(
        reverse("sending:batch_task_new"),
        {"receiver_list": theirs.pk, "subject": "x", "task_type": "immediate"},
    )
    assert any("Select a valid choice" in e for e in field_errors(response, "receiver_list"))
    assert SendTask.objects.count() == 1


def test_the_list_progress_json_answers_for_the_tasks_asked(
    operator_client, account, verified_sender, approved_template
):
    receiver_list = make_list(account, 2)
    one = create_task(account, verified_sender, receiver_list, approved_template)
    two = create_task(account, verified_sender, receiver_list, approved_template)
    polled = operator_client.get(
        reverse("sending:batch_tasks_progress"), {"ids": f"{two.pk},{one.pk},junk,"}
    )
    assert [t["id"] for t in polled.json()["tasks"]] == [one.pk, two.pk]
    assert json.loads(polled.content)["tasks"][0]["total"] == 2
