"""The Overview: the account, its quotas and limits, today's API usage, the checklist."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse


def overview(client):
    return client.get(reverse("overview"))


@pytest.mark.django_db
def test_shows_account_quotas_and_checklist(operator_client, account):
    account.daily_quota = 1234
    account.save()
    page = overview(operator_client)
    body = page.content.decode()
    assert "acme" in body and str(account.app_id) in body
    assert "1234 emails" in body
    assert "20 emails per second" in body
    for step in ["Verify a sender domain", "Create a sender address", "Get a template approved"]:
        assert step in body


@pytest.mark.django_db
def test_counts_todays_api_requests_and_starts_afresh_tomorrow(
    operator_client, operator, call_api, account, settings
):
    settings.TIME_ZONE = "Asia/Shanghai"
    # A day in the future (Redis expires the counters by its own clock). 23:30 in Shanghai.
    day = (datetime.now(UTC) + timedelta(days=1)).date()
    with time_machine.travel(f"{day} 15:30:00+00:00", tick=False):
        for _ in range(3):
            assert call_api("NoSuchAction").code == "InvalidAction"
        operator_client.force_login(operator)  # a session of that day
        assert overview(operator_client).context["api_requests_today"] == 3
    # 00:30 the next day in Shanghai, still the same day in UTC.
    with time_machine.travel(f"{day} 16:30:00+00:00", tick=False):
        operator_client.force_login(operator)
        assert overview(operator_client).context["api_requests_today"] == 0
        call_api("NoSuchAction")
        page = overview(operator_client)
    assert page.context["api_requests_today"] == 1
    assert b"API requests today: <strong>1</strong>" in page.content


@pytest.mark.django_db
def test_requests_with_a_bad_signature_are_not_usage(operator_client, call_api):
    assert call_api(secret_key="wrong").code == "AuthFailure.SignatureFailure"
    assert overview(operator_client).context["api_requests_today"] == 0
