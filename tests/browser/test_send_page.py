"""In Chromium: switching templates on the Send page keeps everything typed and
shows the new template's variable fields at once; the preview is scrolled to."""

import pytest
from playwright.sync_api import expect

from accounts.models import User
from domains.models import DomainStatus, SenderAddress, SenderDomain
from sending.models import Message
from templates_app import workflow
from tests.conftest import PASSWORD
from tests.templates_app.helpers import words

CODE_HTML = f"<p>Hello {{{{name}}}}, your code is {{{{code}}}}.</p><p>{words(60)}</p>"
SHIPPED_HTML = (
    f"<p>Hello {{{{name}}}}, parcel {{{{tracking}}}} is on its way.</p><p>{words(60)}</p>"
)


def make_sender(domain, email):
    return SenderAddress.objects.create(account=domain.account, domain=domain, email=email)


def make_template(account, name, html):
    reviewer, _ = User.objects.get_or_create(email="rita@platform.example", is_reviewer=True)
    template = workflow.create_template(account, name, "transactional", html, "", submit=True)
    workflow.decide(template.latest, reviewer, "approved")
    template.refresh_from_db()
    return template


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_switching_templates_keeps_what_was_typed(browser_page, make_account, make_operator):
    account = make_account("acme")
    operator = make_operator(account, "alice@acme.example")
    domain = SenderDomain.objects.create(
        account=account, name="mail.acme.example", status=DomainStatus.VERIFIED
    )
    make_sender(domain, "alerts@mail.acme.example")  # listed first, so the default
    news = make_sender(domain, "news@mail.acme.example")
    code = make_template(account, "Sign-in code", CODE_HTML)
    make_template(account, "Shipped", SHIPPED_HTML)  # the newest: preselected

    page = browser_page
    page.goto("/login/")
    page.get_by_label("Email").fill(operator.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("link", name="Send", exact=True).click()
    page.wait_for_load_state()

    # The preselected template's variables are there before anything is chosen.
    expect(page.get_by_label("{{tracking}}")).to_be_visible()
    expect(page.get_by_test_id("no-variables")).to_have_count(0)

    page.get_by_label("Sender").select_option(str(news.pk))
    page.get_by_label("Subject").fill("Your sign-in code")
    page.get_by_label("To").fill("ana@example.com")
    page.get_by_label("Cc", exact=True).fill("cc@example.com")
    page.get_by_label("{{name}}").fill("Ana")
    page.evaluate("window.sameDocument = true")  # gone if the page reloads

    page.get_by_label("Template").select_option(str(code.pk))
    expect(page.get_by_label("{{code}}")).to_be_visible()
    expect(page.get_by_label("{{tracking}}")).to_have_count(0)
    assert page.evaluate("window.sameDocument") is True
    expect(page.get_by_label("Sender")).to_have_value(str(news.pk))
    expect(page.get_by_label("Subject")).to_have_value("Your sign-in code")
    expect(page.get_by_label("To")).to_have_value("ana@example.com")
    expect(page.get_by_label("Cc", exact=True)).to_have_value("cc@example.com")
    expect(page.get_by_label("{{name}}")).to_have_value("Ana")  # the same variable keeps its value

    page.get_by_label("{{code}}").fill("4711")
    page.get_by_role("button", name="Preview").click()
    preview = page.get_by_test_id("send-preview")
    expect(preview).to_be_in_viewport()
    expect(
        page.frame_locator("[data-testid=send-preview]").get_by_text("Hello Ana")
    ).to_be_visible()

    page.get_by_role("button", name="Send").click()
    expect(page.get_by_test_id("message-id")).to_be_visible()
    message = Message.objects.get()
    assert "#" not in page.url  # the preview's fragment does not follow to the message
    assert message.sender == news
    assert message.template_revision == code.approved
    assert message.template_data == {"name": "Ana", "code": "4711"}
    assert message.subject == "Your sign-in code"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_choosing_a_template_without_javascript(
    browser_page, live_server, make_account, make_operator
):
    account = make_account("acme")
    operator = make_operator(account, "alice@acme.example")
    domain = SenderDomain.objects.create(
        account=account, name="mail.acme.example", status=DomainStatus.VERIFIED
    )
    make_sender(domain, "alerts@mail.acme.example")
    news = make_sender(domain, "news@mail.acme.example")
    code = make_template(account, "Sign-in code", CODE_HTML)
    make_template(account, "Shipped", SHIPPED_HTML)

    context = browser_page.context.browser.new_context(
        base_url=live_server.url, java_script_enabled=False
    )
    try:
        page = context.new_page()
        page.goto("/login/")
        page.get_by_label("Email").fill(operator.email)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.goto("/console/send/")
        page.get_by_label("Sender").select_option(str(news.pk))
        page.get_by_label("Subject").fill("Your sign-in code")
        page.get_by_label("To").fill("ana@example.com")
        page.get_by_label("{{name}}").fill("Ana")
        page.get_by_label("Template").select_option(str(code.pk))
        page.get_by_role("button", name="Use this template").click()

        expect(page.get_by_label("{{code}}")).to_be_visible()
        expect(page.get_by_label("Sender")).to_have_value(str(news.pk))
        expect(page.get_by_label("Subject")).to_have_value("Your sign-in code")
        expect(page.get_by_label("To")).to_have_value("ana@example.com")
        expect(page.get_by_label("{{name}}")).to_have_value("Ana")
        expect(page.locator(".invalid-feedback")).to_have_count(0)
    finally:
        context.close()
