"""In Chromium, with a real Celery worker: create a batch task on its form (after a
preview), watch its progress bar move on the task list without a reload until the
day's quota is used and it turns "Paused for today", then hold and cancel it.

The worker expands small chunks at a low rate, so the task takes several seconds;
its mail goes to a local SMTP server found through the loopback DNS, never further.
"""

import re

import pytest
from playwright.sync_api import expect

from accounts.models import User
from domains import keys
from domains.models import DomainStatus, SenderAddress, SenderDomain
from sending.models import SendTask, TaskStatus
from templates_app import workflow
from tests.conftest import PASSWORD
from tests.sending.batch.batchhelp import make_list
from tests.templates_app.helpers import words

RCPT_DOMAIN = "rcpt.test"
LIST_SIZE = 150
QUOTA = 100
RATE = 10  # a second: 100 recipients take about ten seconds
HTML = f"<p>Hello {{{{name}}}}, your code is {{{{code}}}}.</p><p>{words(60)}</p>"


def signing_sender(account, dns_zone):
    domain = SenderDomain.objects.create(
        account=account, name="mail.acme.example", status=DomainStatus.VERIFIED
    )
    domain.warmup_step = None  # no warm-up cap: the daily quota is what pauses the task
    domain.save(update_fields=["warmup_step"])
    domain.generate_keys()
    for key in domain.dkim_keys.all():
        dns_zone.add(key.record_name, "TXT", keys.split_txt(key.txt_value))
    return SenderAddress.objects.create(
        account=account, domain=domain, email="news@mail.acme.example", sender_name="Acme"
    )


def approved_template(account):
    reviewer, _ = User.objects.get_or_create(email="rita@platform.example", is_reviewer=True)
    template = workflow.create_template(
        account, "Sign-in code", "transactional", HTML, "", submit=True
    )
    workflow.decide(template.latest, reviewer, "approved")
    template.refresh_from_db()
    return template


def sent_figure(page):
    return int(page.locator("[data-testid=task-row] [data-figure=sent]").inner_text())


def sent_width(page):
    return page.locator("[data-testid=task-row] [data-bar=sent]").evaluate("el => el.style.width")


@pytest.mark.browser
@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_a_tasks_bar_moves_until_the_days_quota_pauses_it(
    browser_page, dns_zone, smtp_server, start_worker, settings, make_account, make_operator
):
    server = smtp_server()
    dns_zone.add(RCPT_DOMAIN, "MX", f"10 mx.{RCPT_DOMAIN}.")
    dns_zone.add(f"mx.{RCPT_DOMAIN}", "A", "127.0.0.1")
    start_worker(
        SES_DNS_NAMESERVERS=dns_zone.address,
        SES_DNS_TIMEOUT=settings.SES_DNS_TIMEOUT,
        SES_DNS_TRIES=settings.SES_DNS_TRIES,
        SES_MX_PORT=server.port,
        SES_RELAY_URL="",
        SES_HELO_NAME="out.sesconsole.test",
        SES_SMTP_TIMEOUT=10,
        SES_BATCH_CHUNK=RATE,  # a second's worth per chunk
        SES_WARMUP_SCHEDULE="",
    )
    account = make_account("acme", daily_quota=QUOTA, send_rate_per_second=RATE)
    operator = make_operator(account, "alice@acme.example")
    sender = signing_sender(account, dns_zone)
    template = approved_template(account)
    receiver_list = make_list(account, LIST_SIZE, domain=RCPT_DOMAIN)

    page = browser_page
    page.goto("/login/")
    page.get_by_label("Email").fill(operator.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("link", name="Batch Tasks").click()
    expect(page.get_by_test_id("empty-state")).to_contain_text("No batch tasks yet")
    page.get_by_role("link", name="New task").click()
    page.wait_for_load_state()  # batch_tasks.js listens for the choices once loaded

    page.get_by_label("Recipient list").select_option(str(receiver_list.pk))
    # The list's data gives both variables: the panel says so without a reload.
    expect(page.get_by_test_id("variables-match")).to_be_visible()
    page.get_by_label("Sender").select_option(str(sender.pk))
    page.get_by_label("Template").select_option(str(template.pk))
    page.get_by_label("Subject").fill("Hello {{name}}")
    expect(page.get_by_label("Begin time")).to_be_hidden()  # immediate: no schedule
    page.get_by_label("Recurring").check()
    expect(page.get_by_label("Every (hours)")).to_be_visible()
    page.get_by_label("Immediate").check()
    expect(page.get_by_label("Every (hours)")).to_be_hidden()

    page.get_by_role("button", name="Preview").click()
    expect(page.get_by_test_id("task-preview-subject")).to_have_text("Hello User 0")
    expect(
        page.frame_locator("[data-testid=task-preview]").get_by_text(
            "Hello User 0, your code is 1000."
        )
    ).to_be_visible()
    assert not SendTask.objects.exists()

    page.get_by_role("button", name="Create task").click()
    expect(page.get_by_role("heading", name=re.compile(r"^Task \d+$"))).to_be_visible()
    task = SendTask.objects.get()
    expect(page.get_by_test_id("task-figures")).to_contain_text(f"of {LIST_SIZE}")
    assert page.url.endswith(f"/batch/tasks/{task.pk}/")  # not the preview's #preview

    page.get_by_role("link", name="Batch Tasks").first.click()
    page.evaluate("window.sameDocument = true")  # gone if the page reloads
    seen = [sent_figure(page)]
    widths = [sent_width(page)]
    for _ in range(2):  # the bar moves twice, by the page's own polling
        page.wait_for_function(
            "n => Number(document.querySelector('[data-testid=task-row] [data-figure=sent]')"
            ".textContent) > n",
            arg=seen[-1],
            timeout=30_000,
        )
        seen.append(sent_figure(page))
        widths.append(sent_width(page))
    assert seen == sorted(seen) and len(set(seen)) == 3, seen
    assert len(set(widths)) == 3, widths
    status = page.get_by_test_id("task-row").get_by_test_id("task-status")
    expect(status).to_have_text("Paused for today", timeout=60_000)
    row = page.get_by_test_id("task-row")
    expect(row.locator("[data-figure=sent]")).to_have_text(str(QUOTA))
    expect(row.locator("[data-figure=cached]")).to_have_text(str(LIST_SIZE - QUOTA))
    expect(row.get_by_test_id("task-reason")).to_contain_text(f"Today's quota of {QUOTA} emails")
    expect(row.get_by_test_id("task-schedule")).to_contain_text("Resumes")
    assert page.evaluate("window.sameDocument") is True
    task.refresh_from_db()
    assert (task.status, task.sent_count) == (TaskStatus.PAUSED, QUOTA)

    # On the task's page: hold it, then cancel it (the browser asks first).
    page.get_by_role("link", name=str(task.pk), exact=True).click()
    page.get_by_role("button", name="Pause").click()
    expect(page.get_by_text(f"Task {task.pk} paused.")).to_be_visible()
    expect(page.get_by_test_id("task-status")).to_have_text("Paused by you")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Cancel").click()
    expect(page.get_by_test_id("task-status")).to_have_text("Canceled")
    expect(page.get_by_role("button", name="Cancel")).to_be_hidden()
    expect(page.get_by_test_id("task-figures")).to_contain_text(f"{LIST_SIZE - QUOTA} not sent")
    task.refresh_from_db()
    assert task.status == TaskStatus.CANCELED
