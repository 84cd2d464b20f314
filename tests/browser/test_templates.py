"""In Chromium: an operator takes a template from draft to approved with a reviewer,
and the hostile HTML in it runs no script anywhere."""

import pytest
from playwright.sync_api import expect

from accounts.models import User
from tests.conftest import PASSWORD
from tests.templates_app.helpers import words

HOSTILE = (
    "<p>Hello {{name}},</p><p>" + words(60) + "</p>"
    "<script>alert('script')</script>"
    "<img src='data:,' onerror=\"alert('onerror')\">"
    "<p onmouseover=\"alert('hover')\">Read more</p>"
    "<a href=\"javascript:alert('link')\" id='bad'>Open</a>"
)


def sign_in(page, email):
    page.goto("/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_draft_to_approved_without_any_script(browser_page, make_account, make_operator):
    operator = make_operator(make_account("acme"), "alice@acme.example")
    User.objects.create_user(email="rita@platform.example", password=PASSWORD, is_reviewer=True)
    page = browser_page
    dialogs, console = [], []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.on("console", lambda message: console.append(message.text))

    sign_in(page, operator.email)
    page.get_by_role("link", name="Email Template").first.click()
    expect(page.get_by_test_id("empty-state")).to_be_visible()
    page.get_by_role("link", name="Create template").click()
    page.get_by_label("Name").fill("Welcome")
    page.get_by_label("Category").select_option("notification")
    page.get_by_label("HTML part").fill(HOSTILE)
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_test_id("template-status").first).to_have_text("Draft")
    expect(page.get_by_test_id("findings")).to_contain_text("links")
    page.get_by_role("button", name="Submit for review").click()
    expect(page.get_by_test_id("template-status").first).to_have_text("Pending review")
    preview = page.frame_locator("[data-testid=preview]")
    expect(preview.get_by_text("Read more")).to_be_visible()
    preview.get_by_text("Read more").hover()
    preview.locator("#bad").click()

    # The reviewer, in a browser of their own.
    reviewer = page.context.browser.new_context(base_url=page.url.split("/console")[0])
    review = reviewer.new_page()
    review.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    sign_in(review, "rita@platform.example")
    review.get_by_role("link", name="Welcome").click()
    review_preview = review.frame_locator("[data-testid=preview]")
    expect(review_preview.get_by_text("[name]").first).to_be_visible()
    review_preview.locator("#bad").click()
    review.get_by_role("button", name="Approve").click()
    expect(review.get_by_test_id("empty-state")).to_contain_text("No template revisions")
    reviewer.close()

    page.reload()
    expect(page.get_by_test_id("template-status").first).to_have_text("Approved")
    assert dialogs == []
    # Chromium did meet the script and refused it.
    assert any("sandboxed" in text or "Content Security Policy" in text for text in console)
