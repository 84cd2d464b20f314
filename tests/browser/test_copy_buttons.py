"""In Chromium: copy buttons put their text on the clipboard, or, where there is
no Clipboard API (plain http on a LAN address), select it and copy."""

import pytest
from playwright.sync_api import expect

from tests.conftest import PASSWORD

NO_CLIPBOARD_API = """
Object.defineProperty(navigator, "clipboard", {value: undefined});
window.copied = [];
const original = document.execCommand.bind(document);
document.execCommand = (command, ...rest) => {
  window.copied.push([command, String(document.getSelection())]);
  return original(command, ...rest);
};
"""


def create_key(page, operator):
    page.goto("/login/")
    page.get_by_label("Email").fill(operator.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto("/console/api-keys/")
    page.get_by_label("Description").fill("copy test")
    page.get_by_role("button", name="Create key").click()
    return page.get_by_test_id("secret-key").inner_text().strip()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_copy_the_secret_key(browser_page, live_server, make_account, make_operator):
    operator = make_operator(make_account("acme"), "alice@acme.example")
    page = browser_page
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    secret = create_key(page, operator)

    button = page.get_by_role("button", name="Copy SecretKey")
    button.click()
    expect(button).to_have_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()") == secret
    expect(button).to_have_text("Copy", timeout=5000)  # only briefly


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_copy_without_the_clipboard_api(browser_page, make_account, make_operator):
    operator = make_operator(make_account("acme"), "alice@acme.example")
    page = browser_page
    page.add_init_script(NO_CLIPBOARD_API)
    secret = create_key(page, operator)

    button = page.get_by_role("button", name="Copy SecretKey")
    button.click()
    expect(button).to_have_text("Copied")
    assert page.evaluate("window.copied") == [["copy", secret]]
