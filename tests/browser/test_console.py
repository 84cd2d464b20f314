"""In Chromium: sign in, see the Overview, create an API key and see its secret once."""

import pytest
from playwright.sync_api import expect

from accounts.models import ApiKey
from tests.conftest import PASSWORD


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_sign_in_overview_and_api_key(browser_page, make_account, make_operator):
    account = make_account("acme")
    operator = make_operator(account, "alice@acme.example")
    page = browser_page

    page.goto("/")
    assert "/login/" in page.url
    page.get_by_label("Email").fill(operator.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    expect(page.get_by_role("heading", name="Overview")).to_be_visible()
    expect(page.get_by_test_id("account-name")).to_contain_text("acme")
    expect(page.get_by_test_id("daily-quota")).to_contain_text("500")
    expect(page.get_by_test_id("checklist")).to_contain_text("Verify a sender domain")

    page.get_by_role("link", name="API Keys").first.click()
    expect(page.get_by_test_id("empty-state")).to_be_visible()
    page.get_by_label("Description").fill("browser test")
    page.get_by_role("button", name="Create key").click()

    secret = page.get_by_test_id("secret-key").inner_text().strip()
    secret_id = page.get_by_test_id("secret-id").inner_text().strip()
    key = ApiKey.objects.get(account=account)
    assert key.secret_id == secret_id
    assert key.secret_key == secret

    page.get_by_role("link", name="I have copied it").click()
    expect(page.get_by_test_id("api-keys")).to_contain_text(secret_id)
    assert secret not in page.content()
    page.goto("/console/api-keys/")
    expect(page.get_by_test_id("api-keys")).to_contain_text("browser test")
    assert secret not in page.content()
