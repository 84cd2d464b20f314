"""The sidebar highlights the page you are on: the Overview only on itself, though
its URL (/console/) begins every console URL."""

import pytest
from django.urls import reverse

from domains.models import SenderDomain
from sesconsole import navigation


def active(client, url):
    response = client.get(url)
    assert response.status_code == 200
    nav = response.context["console_nav"]
    return [link["label"] for group in nav for link in group["links"] if link["active"]]


@pytest.fixture(autouse=True)
def _fresh_navigation():
    navigation._resolved.cache_clear()
    yield
    navigation._resolved.cache_clear()


@pytest.mark.django_db
def test_members_highlights_nothing(operator_client):
    assert active(operator_client, reverse("members")) == []


@pytest.mark.django_db
def test_the_overview_highlights_itself(operator_client):
    assert active(operator_client, reverse("overview")) == ["Overview"]


@pytest.mark.django_db
def test_a_page_under_an_entry_highlights_that_entry(operator_client, account):
    domain = SenderDomain.objects.create(account=account, name="mail.acme.test")
    assert active(operator_client, reverse("domains:detail", args=[domain.pk])) == ["Sender Domain"]
    assert active(operator_client, reverse("api_keys")) == ["API Keys"]
