"""Password change and reset."""

import re

import pytest
from django.core import mail
from django.urls import reverse

from tests.conftest import PASSWORD

NEW = "a new and long passphrase 42"


@pytest.mark.django_db
def test_change_password(operator_client, operator):
    response = operator_client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": NEW, "new_password2": NEW},
    )
    assert response.status_code == 302
    operator.refresh_from_db()
    assert operator.check_password(NEW)


@pytest.mark.django_db
def test_change_password_shows_errors(operator_client, operator):
    response = operator_client.post(
        reverse("password_change"),
        {"old_password": "wrong", "new_password1": "short", "new_password2": "short"},
    )
    assert response.status_code == 200
    assert b"Your old password was entered incorrectly" in response.content
    operator.refresh_from_db()
    assert operator.check_password(PASSWORD)


@pytest.mark.django_db
def test_reset_password_by_email_link(client, operator):
    response = client.post(reverse("password_reset"), {"email": operator.email})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    link = re.search(r"https?://[^/]+(/password/reset/\S+/)", mail.outbox[0].body).group(1)
    response = client.get(link, follow=True)
    form_url = response.redirect_chain[-1][0]
    response = client.post(form_url, {"new_password1": NEW, "new_password2": NEW})
    assert response.status_code == 302
    operator.refresh_from_db()
    assert operator.check_password(NEW)
    # The link works once.
    response = client.get(link, follow=True)
    assert b"invalid or was already used" in response.content


@pytest.mark.django_db
def test_reset_for_unknown_address_sends_nothing_and_says_the_same(client):
    response = client.post(reverse("password_reset"), {"email": "nobody@example.com"})
    assert response.status_code == 302
    assert mail.outbox == []
