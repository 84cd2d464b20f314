"""In Chromium on a 390-pixel-wide screen: the sidebar hides behind a toggler."""

import re

import pytest
from playwright.sync_api import expect

from tests.conftest import PASSWORD


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_sidebar_collapses_on_a_phone(browser_page, make_account, make_operator):
    operator = make_operator(make_account("acme"), "alice@acme.example")
    page = browser_page
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/login/")
    page.get_by_label("Email").fill(operator.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    nav = page.get_by_role("navigation", name="Console")
    heading = page.get_by_role("heading", name="Overview")
    expect(heading).to_be_visible()
    expect(nav).to_be_hidden()
    main_width = page.locator("main").bounding_box()["width"]
    assert main_width >= 380  # the content takes the whole width

    toggler = page.get_by_role("button", name="Menu")
    expect(toggler).to_be_visible()
    toggler.click()
    expect(nav).to_be_visible()
    # Bootstrap slides the menu open; a click while it moves may land on nothing.
    expect(page.locator("#console-nav")).to_have_class(re.compile(r"\bshow\b"))
    nav.get_by_role("link", name="API Keys").click()
    expect(page.get_by_role("heading", name="API Keys")).to_be_visible()
    expect(page.get_by_role("navigation", name="Console")).to_be_hidden()

    page.set_viewport_size({"width": 1280, "height": 800})
    expect(page.get_by_role("navigation", name="Console")).to_be_visible()
    expect(page.get_by_role("button", name="Menu")).to_be_hidden()
