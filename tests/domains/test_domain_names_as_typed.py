"""A domain typed or pasted as a URL (`https://mail.example.org/`) is trimmed to its
host name, on the console and through the API; addresses and ports are still
refused, each with a message saying what to enter instead."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from domains.models import SenderDomain
from domains.names import normalize_domain
from domains.services import parse_address
from sesconsole.refusals import Refusal


@pytest.mark.parametrize(
    "typed",
    [
        "https://mail.example.org/",
        "http://mail.example.org/path?x=1#top",
        "HTTPS://Mail.Example.org",
        "mail.example.org/",
        "mail.example.org/some/page",
        "  https://mail.example.org./  ",
    ],
)
def test_a_url_becomes_its_host(typed):
    assert normalize_domain(typed) == "mail.example.org"


def test_an_idn_url_becomes_its_ascii_host():
    assert normalize_domain("https://mail.bücher.example/") == "mail.xn--bcher-kva.example"


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        (
            "ana@mail.example.org",
            "Enter a domain name, not an email address: mail.example.org for ana@mail.example.org.",
        ),
        (
            "mail.example.org:587",
            "Enter the domain name without a port, such as mail.example.org.",
        ),
        (
            "https://mail.example.org:8443/",
            "Enter the domain name without a port, such as mail.example.org.",
        ),
        (
            "https://ana@mail.example.org/",
            "Enter a domain name only, such as mail.example.com.",
        ),
        ("ftp://mail.example.org/", "Enter a domain name only, such as mail.example.com."),
        ("https:///", "Enter a domain name."),
        ("not a domain", "Enter a domain name only, such as mail.example.com."),
    ],
)
def test_what_is_still_refused(typed, message):
    with pytest.raises(ValidationError) as raised:
        normalize_domain(typed)
    assert raised.value.messages == [message]


@pytest.mark.parametrize("address", ["a@http://mail.example.org/", "a@mail.example.org/"])
def test_an_email_address_is_never_trimmed(address):
    with pytest.raises(Refusal):
        parse_address(address)


@pytest.mark.django_db
def test_the_console_adds_the_host_of_a_pasted_url(operator_client, account):
    response = operator_client.post(
        reverse("domains:list"), {"name": "https://mail.example.org/", "dkim_option": 1}
    )
    domain = SenderDomain.objects.get(account=account)
    assert domain.name == "mail.example.org"
    assert response["Location"] == reverse("domains:detail", args=[domain.pk])


@pytest.mark.django_db
def test_the_console_explains_a_refused_address(operator_client, account):
    page = operator_client.post(
        reverse("domains:list"), {"name": "ana@mail.example.org", "dkim_option": 1}
    )
    assert "not an email address" in page.content.decode()
    assert not SenderDomain.objects.exists()


@pytest.mark.django_db
def test_the_api_takes_the_host_of_a_url(call_api, account):
    reply = call_api("CreateEmailIdentity", {"EmailIdentity": "https://mail.example.org/"})
    assert reply.code is None
    assert SenderDomain.objects.get(account=account).name == "mail.example.org"
    found = call_api("GetEmailIdentity", {"EmailIdentity": "http://mail.example.org/"})
    assert found.code is None
