"""The console shows a navigation entry only for pages that exist."""

import pytest
from django.urls import reverse

from sesconsole import navigation


@pytest.mark.django_db
def test_only_existing_pages_are_linked(operator_client):
    navigation._resolved.cache_clear()
    response = operator_client.get(reverse("overview"))
    nav = response.context["console_nav"]
    labels = [link["label"] for group in nav for link in group["links"]]
    assert labels == [
        "Overview",
        "Sender Domain",
        "Sender Address",
        "Email Template",
        "Delivery Settings",
        "Send",
        "Message Log",
        "Batch Tasks",
        "Recipient Lists",
        "Blocklist",
        "API Keys",
    ]
    active = [link["label"] for group in nav for link in group["links"] if link["active"]]
    assert active == ["Overview"]
    active_on_keys = [
        link["label"]
        for group in operator_client.get(reverse("api_keys")).context["console_nav"]
        for link in group["links"]
        if link["active"]
    ]
    assert active_on_keys == ["API Keys"]


def test_a_group_appears_when_one_of_its_pages_exists(settings):
    settings.ROOT_URLCONF = "tests.core.urls_with_stats"
    navigation._resolved.cache_clear()
    try:
        groups = dict(navigation._resolved())
        assert groups["Statistics"] == [("Statistics", "/console/statistics/")]
        assert "Dedicated IP" not in groups
    finally:
        navigation._resolved.cache_clear()
