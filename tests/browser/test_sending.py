"""In Chromium: send with a template from the console, then find the mail in the Message Log."""

import pytest
from playwright.sync_api import expect

from accounts.models import User
from domains.models import DomainStatus, SenderAddress, SenderDomain
from sending.models import Message
from templates_app import workflow
from tests.conftest import PASSWORD
from tests.templates_app.helpers import words


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_send_and_find_it_in_the_log(browser_page, make_account, make_operator):
    account = make_account("acme")
    operator = make_operator(account, "alice@acme.example")
    domain = SenderDomain.objects.create(
        account=account, name="mail.acme.test", status=DomainStatus.VERIFIED
    )
    SenderAddress.objects.create(account=account, domain=domain, email="news@mail.acme.test")
    reviewer = User.objects.create_user(email="rita@platform.example", is_reviewer=True)
    html = "<p>Hello {{name}}, your code is {{code}}.</p><p>" + words(60) + "</p>"
    template = workflow.create_template(account, "Code", "transactional", html, "", submit=True)
    workflow.decide(template.latest, reviewer, "approved")

    page = browser_page
    page.goto("/login/")
    page.get_by_label("Email").fill(operator.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("link", name="Send", exact=True).click()
    page.wait_for_load_state()  # send.js listens for the template choice once loaded

    # Choosing the template loads its variables into the form.
    page.get_by_label("Template").select_option(str(template.pk))
    expect(page.get_by_label("{{code}}")).to_be_visible()
    page.get_by_label("Subject").fill("Your code")
    page.get_by_label("To").fill("ann@example.test")
    page.get_by_label("{{name}}").fill("Ann")
    page.get_by_label("{{code}}").fill("4711")
    page.get_by_role("button", name="Preview").click()
    preview = page.frame_locator("[data-testid=send-preview]")
    expect(preview.get_by_text("Hello Ann, your code is 4711.")).to_be_visible()
    assert not Message.objects.exists()

    page.get_by_role("button", name="Send").click()
    message = Message.objects.get()
    expect(page.get_by_test_id("message-id")).to_have_text(message.message_id)
    expect(page.get_by_test_id("deliveries")).to_contain_text("ann@example.test")

    page.get_by_role("link", name="Message Log").first.click()
    expect(page.get_by_test_id("log")).to_contain_text("ann@example.test")
    page.get_by_label("MessageId").fill(message.message_id)
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_test_id("log").locator("tbody tr")).to_have_count(1)
