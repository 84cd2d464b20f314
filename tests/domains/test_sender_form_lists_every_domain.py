"""The Sender Address form lists every domain of the account: pending and failed
ones disabled with "verify the domain first", refused if posted anyway."""

import re

import pytest
from django.urls import reverse

from domains.models import DomainStatus, SenderAddress, SenderDomain


def domain(account, name, status):
    return SenderDomain.objects.create(account=account, name=name, status=status)


def option(body, pk):
    match = re.search(rf'<option value="{pk}"[^>]*>[^<]*</option>', body)
    assert match, f"no option for domain {pk}"
    return match[0]


@pytest.mark.django_db
def test_unverified_domains_are_listed_disabled(operator_client, account, make_account):
    verified = domain(account, "mail.acme.test", DomainStatus.VERIFIED)
    pending = domain(account, "news.acme.test", DomainStatus.PENDING)
    failed = domain(account, "old.acme.test", DomainStatus.FAILED)
    elsewhere = domain(make_account("other"), "mail.other.test", DomainStatus.PENDING)
    body = operator_client.get(reverse("domains:senders")).content.decode()

    assert "disabled" not in option(body, verified.pk)
    assert "mail.acme.test (verify" not in body
    for unverified in (pending, failed):
        shown = option(body, unverified.pk)
        assert "disabled" in shown
        assert f"{unverified.name} (verify the domain first)" in shown
    assert "mail.other.test" not in body and f'value="{elsewhere.pk}"' not in body


@pytest.mark.django_db
def test_posting_an_unverified_domain_is_a_form_error(operator_client, account):
    domain(account, "mail.acme.test", DomainStatus.VERIFIED)
    pending = domain(account, "news.acme.test", DomainStatus.PENDING)
    page = operator_client.post(
        reverse("domains:senders"), {"local_part": "noreply", "domain": pending.pk}
    )
    assert page.status_code == 200
    assert page.context["form"].errors["domain"] == [
        "news.acme.test is not verified yet: verify the domain first."
    ]
    assert not SenderAddress.objects.exists()


@pytest.mark.django_db
def test_without_a_verified_domain_the_page_says_so(operator_client, account):
    domain(account, "news.acme.test", DomainStatus.PENDING)
    body = operator_client.get(reverse("domains:senders")).content.decode()
    assert "You need a verified domain first" in body
    assert 'name="local_part"' not in body
