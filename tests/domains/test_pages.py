"""The Sender Domain and Sender Address pages."""

import pytest
from django.urls import reverse

from domains.models import CheckState, DomainStatus, SenderAddress, SenderDomain
from tests.tenancy import assert_isolated


def add_domain(client, name, dkim_option=1):
    return client.post(reverse("domains:list"), {"name": name, "dkim_option": dkim_option})


@pytest.fixture
def verified(account):
    domain = SenderDomain.create_with_keys(account, "mail.acme.test")
    SenderDomain.objects.filter(pk=domain.pk).update(status=DomainStatus.VERIFIED)
    domain.refresh_from_db()
    return domain


@pytest.mark.django_db
def test_empty_state_and_corporate_domain_warning(operator_client):
    page = operator_client.get(reverse("domains:list"))
    assert b"No sender domains yet" in page.content
    assert b"Use a subdomain, not your company" in page.content


@pytest.mark.django_db
def test_add_domain_shows_its_records_and_queues_a_check(
    operator_client, account, settings, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        response = add_domain(operator_client, "Mail.Bücher.test")
    domain = SenderDomain.objects.get(account=account)
    assert domain.name == "mail.xn--bcher-kva.test"
    assert response["Location"] == reverse("domains:detail", args=[domain.pk])
    assert domain.check_state == CheckState.QUEUED and len(callbacks) == 1
    page = operator_client.get(response["Location"])
    body = page.content.decode()
    key = domain.dkim_keys.get()
    assert f"{key.selector}._domainkey.mail" in body  # host relative to the zone
    assert key.public_key in body
    assert f"include:{settings.SES_SPF_DOMAIN}" in body
    assert f"{settings.SES_MX_HOST}." in body
    assert "_dmarc.mail" in body and "v=DMARC1; p=none" in body
    assert f"dig +short TXT {key.record_name}" in body
    assert "mail.bücher.test" in body
    assert "As strings of at most 255 characters" in body  # the 2048-bit key's value


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "error"),
    [
        ("", "This field is required"),
        ("not a domain", "Enter a domain name only"),
        ("co.uk", "public suffix"),
        ("-bad-.example.test", "not a valid domain name"),
    ],
)
def test_bad_names_are_form_errors(operator_client, account, name, error):
    page = add_domain(operator_client, name)
    assert page.status_code == 200
    assert error in page.content.decode()
    assert not SenderDomain.objects.exists()


@pytest.mark.django_db
def test_repeat_and_limit_are_form_errors(operator_client, account):
    add_domain(operator_client, "one.example.test")
    assert b"already created" in add_domain(operator_client, "ONE.example.test").content
    account.max_sender_domains = 1
    account.save()
    assert b"at most 1 sender domains" in add_domain(operator_client, "two.example.test").content


@pytest.mark.django_db
def test_status_endpoint_and_verify_button(
    operator_client, account, django_capture_on_commit_callbacks
):
    domain = SenderDomain.create_with_keys(account, "mail.example.test")
    SenderDomain.objects.filter(pk=domain.pk).update(status=DomainStatus.FAILED)
    status = operator_client.get(reverse("domains:status", args=[domain.pk])).json()
    assert status == {
        "checking": False,
        "status": "failed",
        "status_display": "Failed",
        "html": status["html"],
    }
    assert 'data-checking="false"' in status["html"]
    with django_capture_on_commit_callbacks() as callbacks:
        operator_client.post(reverse("domains:verify", args=[domain.pk]))
    assert len(callbacks) == 1
    status = operator_client.get(reverse("domains:status", args=[domain.pk])).json()
    assert status["checking"] is True and status["status"] == "pending"
    assert "Checking DNS" in status["html"]
    assert operator_client.get(reverse("domains:verify", args=[domain.pk])).status_code == 405


@pytest.mark.django_db
def test_delete_refused_while_addresses_remain(operator_client, verified, account):
    SenderAddress.objects.create(account=account, domain=verified, email="a@mail.acme.test")
    page = operator_client.get(reverse("domains:delete", args=[verified.pk]))
    assert b"still has sender addresses" in page.content
    response = operator_client.post(reverse("domains:delete", args=[verified.pk]), follow=True)
    assert b"Delete the sender addresses of this domain first" in response.content
    assert SenderDomain.objects.filter(pk=verified.pk).exists()
    SenderAddress.objects.all().delete()
    operator_client.post(reverse("domains:delete", args=[verified.pk]))
    assert not SenderDomain.objects.filter(pk=verified.pk).exists()


@pytest.mark.django_db
def test_sender_address_needs_a_verified_domain(operator_client, account):
    SenderDomain.create_with_keys(account, "pending.acme.test")
    page = operator_client.get(reverse("domains:senders"))
    assert b"You need a verified domain first" in page.content


@pytest.mark.django_db
def test_add_sender_address_and_smtp_password(operator_client, verified):
    response = operator_client.post(
        reverse("domains:senders"),
        {"local_part": "noreply", "domain": verified.pk, "sender_name": "Acme"},
    )
    assert response.status_code == 302
    address = SenderAddress.objects.get()
    assert address.email == "noreply@mail.acme.test" and address.sender_name == "Acme"
    listing = operator_client.get(reverse("domains:senders")).content.decode()
    assert "noreply@mail.acme.test" in listing and "Not set" in listing

    url = reverse("domains:sender_password", args=[address.pk])
    weak = operator_client.post(url, {"password": "short1A"})
    assert "10 to 20 characters" in weak.content.decode()
    assert operator_client.post(url, {"password": "GoodPass12xY"}).status_code == 302
    address.refresh_from_db()
    assert address.check_smtp_password("GoodPass12xY")
    assert "GoodPass12xY" not in address.smtp_password_hash
    again = operator_client.post(url, {"password": "GoodPass12xY"})
    assert "must differ from the previous one" in again.content.decode()


@pytest.mark.django_db
def test_sender_address_errors_are_form_errors(operator_client, verified):
    bad_name = operator_client.post(
        reverse("domains:senders"),
        {"local_part": "noreply", "domain": verified.pk, "sender_name": "Evil: <x>"},
    )
    assert b"A sender name has at most" in bad_name.content
    bad_local = operator_client.post(
        reverse("domains:senders"), {"local_part": "no reply", "domain": verified.pk}
    )
    assert b"not a valid email address" in bad_local.content
    assert not SenderAddress.objects.exists()


@pytest.mark.django_db
def test_other_tenant_gets_404_for_domains_and_addresses(
    client, verified, account, make_account, make_operator
):
    address = SenderAddress.objects.create(
        account=account, domain=verified, email="a@mail.acme.test"
    )
    client.force_login(make_operator(make_account("other"), "mallory@other.example"))
    assert_isolated(
        client,
        [
            ("get", reverse("domains:detail", args=[verified.pk])),
            ("get", reverse("domains:status", args=[verified.pk])),
            ("post", reverse("domains:verify", args=[verified.pk])),
            ("get", reverse("domains:delete", args=[verified.pk])),
            ("post", reverse("domains:delete", args=[verified.pk])),
            ("get", reverse("domains:sender_password", args=[address.pk])),
            ("post", reverse("domains:sender_password", args=[address.pk])),
            ("get", reverse("domains:sender_delete", args=[address.pk])),
            ("post", reverse("domains:sender_delete", args=[address.pk])),
        ],
        unchanged=lambda: (
            list(SenderDomain.objects.filter(pk=verified.pk).values()),
            list(SenderAddress.objects.filter(pk=address.pk).values()),
        ),
    )
    assert b"mail.acme.test" not in client.get(reverse("domains:list")).content
    assert b"a@mail.acme.test" not in client.get(reverse("domains:senders")).content
    # Another account's verified domain cannot be offered for a new address either.
    response = client.post(reverse("domains:senders"), {"local_part": "x", "domain": verified.pk})
    assert (
        b"Select a valid choice" in response.content
        or b"need a verified domain" in response.content
    )
