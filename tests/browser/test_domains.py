"""In Chromium: add a domain, publish its records, press Verify, watch it turn Verified."""

import pytest
from playwright.sync_api import expect

from domains.models import SenderDomain
from tests.conftest import PASSWORD
from tests.domains.publish import publish


@pytest.mark.browser
@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_verify_a_domain_in_the_browser(
    browser_page, dns_zone, start_worker, settings, make_account, make_operator
):
    start_worker(
        SES_DNS_NAMESERVERS=dns_zone.address,
        SES_DNS_TIMEOUT=settings.SES_DNS_TIMEOUT,
        SES_DNS_TRIES=settings.SES_DNS_TRIES,
    )
    account = make_account("acme")
    operator = make_operator(account, "alice@acme.example")
    page = browser_page
    page.goto("/login/")
    page.get_by_label("Email").fill(operator.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    page.get_by_role("link", name="Sender Domain").first.click()
    expect(page.get_by_test_id("empty-state")).to_be_visible()
    page.get_by_label("Domain").fill("mail.example.test")
    page.get_by_role("button", name="Add domain").click()

    records = page.get_by_test_id("records")
    expect(records).to_contain_text("_domainkey.mail")
    expect(records).to_contain_text("v=DMARC1; p=none")
    # The first check, queued on creation, finds nothing published yet.
    expect(page.get_by_test_id("status-reason")).to_contain_text("missing", timeout=60_000)
    expect(page.get_by_test_id("domain-status")).to_have_text("Pending")

    publish(dns_zone, SenderDomain.objects.get(name="mail.example.test"))
    page.get_by_role("button", name="Verify").click()
    # No reload by the test: the page polls until the check is done.
    expect(page.get_by_test_id("domain-status")).to_have_text("Verified", timeout=60_000)
    expect(records.locator("tr", has_text="SPF")).to_contain_text("OK")
    expect(page.get_by_test_id("checking")).to_have_count(0)
