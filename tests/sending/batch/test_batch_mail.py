"""A batch task's mail: each Delivery is its own message, built for its recipient alone,
and the message page of a task's content pages its recipients."""

import email
import email.policy

import pytest
from django.urls import reverse

from accounts.models import Account
from sending.build import mime
from sending.models import Delivery
from tests.sending.batch.batchhelp import create_task, drain, make_list


@pytest.fixture
def task(account, verified_sender, approved_template):
    Account.objects.filter(pk=account.pk).update(daily_quota=10_000, send_rate_per_second=10**6)
    account.refresh_from_db()
    verified_sender.domain.warmup_step = None
    verified_sender.domain.save()
    receiver_list = make_list(account, 120)
    return drain(create_task(account, verified_sender, receiver_list, approved_template))


def build(delivery):
    mail = mime.personalise(delivery.message, delivery)
    raw = mime.build(mail, [], [("to", delivery.recipient)])
    return email.message_from_bytes(raw, policy=email.policy.default)


def test_each_recipient_has_its_own_to_subject_data_and_message_id(task):
    first, second = Delivery.objects.filter(task=task).order_by("pk")[:2]
    one, two = build(first), build(second)
    assert (one["To"], two["To"]) == (first.recipient, second.recipient)
    assert (one["Subject"], two["Subject"]) == ("Hello User 0", "Hello User 1")
    assert "your code is 1000" in one.get_body(("plain",)).get_content()
    assert "your code is 1001" in two.get_body(("html",)).get_content()
    assert one["Message-ID"] != two["Message-ID"]
    assert build(first)["Message-ID"] == one["Message-ID"]  # a retry carries the same one
    assert one["Message-ID"].endswith("@mail.acme.example>")


def test_the_recipients_data_over_the_tasks(task):
    delivery = Delivery.objects.filter(task=task).first()
    delivery.message.template_data = {"name": "everyone", "code": "0000"}
    assert build(delivery)["Subject"] == "Hello User 0"
    delivery.data = {"code": "5"}
    assert build(delivery)["Subject"] == "Hello everyone"


def test_data_that_cannot_fill_the_subject_is_a_build_error(task):
    delivery = Delivery.objects.filter(task=task).first()
    delivery.data = {}
    delivery.message.template_data = {}
    with pytest.raises(mime.BuildError):
        mime.personalise(delivery.message, delivery)


def test_the_message_page_of_a_tasks_content_pages_its_recipients(task, operator_client):
    url = reverse("sending:message", args=[task.message_id])
    page = operator_client.get(url).content.decode()
    assert page.count('data-testid="timeline"') == 50
    assert "Page 1 of 3" in page
    assert reverse("sending:batch_task", args=[task.pk]) in page
    last = operator_client.get(url, {"page": 3}).content.decode()
    assert last.count('data-testid="timeline"') == 20
    assert "user119@example.net" in last
