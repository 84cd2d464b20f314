"""In Chromium: the README's walkthrough. The demo account sends to the mailbox simulator
from the Send page, and the message's page shows what happened to each recipient."""

import io

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from accounts.models import Account
from sending.delivery.engine import deliver
from templates_app.models import EmailTemplate

SIMULATOR = "simulator.sesconsole.localhost"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_demo_sends_to_the_simulator_and_reads_the_timeline(browser_page, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    settings.SES_SIMULATOR_DOMAIN = SIMULATOR
    printed = io.StringIO()
    call_command("seeddemo", stdout=printed)
    password = next(
        line.split()[-1] for line in printed.getvalue().splitlines() if "demo@example.com" in line
    )

    page = browser_page
    page.goto("/login/")
    page.get_by_label("Email").fill("demo@example.com")
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("link", name="Send", exact=True).click()
    page.wait_for_load_state()  # send.js listens for the template choice once loaded
    template = EmailTemplate.objects.get(account__name="demo")
    assert template.approved_id, (template.latest.status, template.latest.findings)
    page.get_by_label("Template").select_option(str(template.pk))
    expect(page.get_by_label("{{name}}")).to_be_visible()
    page.get_by_label("Subject").fill("Hello from the demo")
    page.get_by_label("To").fill(f"success@{SIMULATOR}, bounce@{SIMULATOR}")
    page.get_by_label("{{name}}").fill("Ana")
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_test_id("deliveries")).to_contain_text(f"success@{SIMULATOR}")
    expect(page.get_by_test_id("timeline").first).to_contain_text("Waiting for its first attempt")

    assert deliver(SIMULATOR, budget=30) == 2  # what the worker does, here in the test
    page.reload()
    deliveries = page.get_by_test_id("deliveries")
    expect(deliveries).to_contain_text("Delivered")
    expect(deliveries).to_contain_text("Bounced")
    timelines = page.get_by_test_id("timeline")
    expect(timelines.filter(has_text=f"success@{SIMULATOR}")).to_contain_text(
        "250 2.0.0 OK (mailbox simulator)"
    )
    expect(timelines.filter(has_text=f"bounce@{SIMULATOR}")).to_contain_text("Bounce (hard)")

    # Only deliver over TLS: one click in Delivery Settings.
    page.get_by_role("link", name="Delivery Settings").click()
    page.get_by_label("Only deliver over TLS").check()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Delivery settings saved.")).to_be_visible()
    assert Account.objects.get(name="demo").tls_required is True
