"""The API Keys page: create (SecretKey shown once), disable, delete, isolation."""

import pytest
from django.db import connection
from django.urls import reverse

from accounts.models import ApiKey
from tests.tenancy import assert_isolated


@pytest.mark.django_db
def test_empty_state(operator_client):
    response = operator_client.get(reverse("api_keys"))
    assert b"No API keys yet" in response.content


@pytest.mark.django_db
def test_create_shows_secret_once_and_stores_it_encrypted(operator_client, account):
    response = operator_client.post(reverse("api_keys"), {"description": "billing app"})
    key = ApiKey.objects.get(account=account)
    assert response["Location"] == reverse("api_key_created", args=[key.pk])
    shown = operator_client.get(response["Location"])
    assert shown["Cache-Control"] == "no-store"
    secret = shown.context["secret_key"]
    assert len(secret) >= 30
    assert secret.encode() in shown.content and key.secret_id.encode() in shown.content
    assert key.secret_key == secret

    # Not in clear in the database, nor in the session while it waited there.
    with connection.cursor() as cursor:
        cursor.execute("SELECT secret_key_encrypted FROM accounts_apikey WHERE id = %s", [key.pk])
        stored = cursor.fetchone()[0]
        cursor.execute("SELECT session_data FROM django_session")
        sessions = " ".join(row[0] for row in cursor.fetchall())
    assert secret not in stored and secret not in sessions

    # Once: a reload shows it no more, and creates nothing.
    again = operator_client.get(response["Location"], follow=True)
    assert secret.encode() not in again.content
    assert b"shown only once" in again.content
    assert ApiKey.objects.filter(account=account).count() == 1

    # The list shows the key but never the secret again.
    listing = operator_client.get(reverse("api_keys"))
    assert key.secret_id.encode() in listing.content
    assert secret.encode() not in listing.content
    assert b"billing app" in listing.content
    assert b"Never" in listing.content


@pytest.mark.django_db
def test_disable_enable_and_delete(operator_client, api_key):
    key, _ = api_key
    operator_client.post(reverse("api_key_toggle", args=[key.pk]))
    key.refresh_from_db()
    assert not key.enabled
    assert b"Disabled" in operator_client.get(reverse("api_keys")).content
    operator_client.post(reverse("api_key_toggle", args=[key.pk]))
    key.refresh_from_db()
    assert key.enabled
    # GET asks for confirmation, POST deletes.
    confirm = operator_client.get(reverse("api_key_delete", args=[key.pk]))
    assert b"cannot be undone" in confirm.content
    assert ApiKey.objects.filter(pk=key.pk).exists()
    operator_client.post(reverse("api_key_delete", args=[key.pk]))
    assert not ApiKey.objects.filter(pk=key.pk).exists()


@pytest.mark.django_db
def test_toggle_needs_post(operator_client, api_key):
    key, _ = api_key
    assert operator_client.get(reverse("api_key_toggle", args=[key.pk])).status_code == 405


@pytest.mark.django_db
def test_key_limit_is_a_form_error(operator_client, account):
    for _ in range(ApiKey.MAX_PER_ACCOUNT):
        ApiKey.issue(account)
    response = operator_client.post(reverse("api_keys"), {"description": "one more"})
    assert b"at most 10 API keys" in response.content
    assert account.api_keys.count() == ApiKey.MAX_PER_ACCOUNT


@pytest.mark.django_db
def test_last_used_time_is_shown(operator_client, api_key):
    key, _ = api_key
    key.mark_used()
    assert key.last_used_at is not None
    listing = operator_client.get(reverse("api_keys"))
    assert key.last_used_at.strftime("%Y-%m-%d %H:%M").encode() in listing.content


@pytest.mark.django_db
def test_long_list_is_paginated(operator_client, account, settings):
    for i in range(ApiKey.MAX_PER_ACCOUNT):
        ApiKey.issue(account, description=f"key {i}")
    page_one = operator_client.get(reverse("api_keys"))
    # 10 keys fit on one page of 20: no pager.
    assert b"Page 1 of" not in page_one.content
    assert page_one.content.count(b'font-monospace">AKID') == ApiKey.MAX_PER_ACCOUNT


@pytest.mark.django_db
def test_other_tenant_gets_404(client, api_key, make_account, make_operator):
    key, _ = api_key
    intruder = make_operator(make_account("other"), "mallory@other.example")
    client.force_login(intruder)
    assert_isolated(
        client,
        [
            ("post", reverse("api_key_toggle", args=[key.pk])),
            ("get", reverse("api_key_created", args=[key.pk])),
            ("get", reverse("api_key_delete", args=[key.pk])),
            ("post", reverse("api_key_delete", args=[key.pk])),
        ],
        unchanged=lambda: list(ApiKey.objects.filter(pk=key.pk).values()),
    )
    assert key.secret_id.encode() not in client.get(reverse("api_keys")).content
