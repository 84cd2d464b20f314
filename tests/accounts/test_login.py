"""Sign-in, sign-out, session rotation and brute-force protection."""

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse

from tests.conftest import PASSWORD

LOGIN = "/login/"


def attempt(client, email, password, ip="203.0.113.7"):
    return client.post(LOGIN, {"username": email, "password": password}, REMOTE_ADDR=ip)


@pytest.mark.django_db
def test_operator_signs_in_and_lands_on_overview(client, operator):
    response = attempt(client, operator.email, PASSWORD)
    assert response.status_code == 302
    response = client.get(response["Location"], follow=True)
    assert response.redirect_chain[-1][0] == reverse("overview")
    assert b"Getting started" in response.content


@pytest.mark.django_db
def test_email_is_case_insensitive(client, operator):
    response = attempt(client, operator.email.upper(), PASSWORD)
    assert response.status_code == 302


@pytest.mark.django_db
def test_wrong_password_is_a_form_error(client, operator):
    response = attempt(client, operator.email, "not the password")
    assert response.status_code == 200
    assert b"Please enter a correct email" in response.content
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_session_key_rotates_on_login(client, operator):
    client.get(LOGIN)
    session = client.session
    session["probe"] = 1
    session.save()
    before = session.session_key
    attempt(client, operator.email, PASSWORD)
    assert client.session.session_key != before


@pytest.mark.django_db
def test_logout_needs_post_and_ends_the_session(operator_client):
    assert operator_client.get(reverse("overview")).status_code == 200
    operator_client.post(reverse("logout"))
    response = operator_client.get(reverse("overview"))
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)


@pytest.mark.django_db
def test_attacker_is_locked_out_but_user_elsewhere_is_not(client, operator, settings):
    settings.AXES_FAILURE_LIMIT = 3
    for _ in range(3):
        attempt(client, operator.email, "guess", ip="198.51.100.66")
    # Even the right password is refused to the attacker's address now.
    locked = attempt(client, operator.email, PASSWORD, ip="198.51.100.66")
    assert locked.status_code == 429
    assert b"Too many failed sign-in attempts" in locked.content
    assert "_auth_user_id" not in client.session
    # The real user, from their own address, still gets in.
    response = attempt(client, operator.email, PASSWORD, ip="203.0.113.7")
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(operator.pk)


@pytest.mark.django_db
def test_lock_is_lifted_after_the_cool_off(client, operator, settings):
    settings.AXES_FAILURE_LIMIT = 2
    settings.AXES_COOLOFF_TIME = timedelta(minutes=15)
    with time_machine.travel("2026-11-26 10:00:00+00:00", tick=False) as traveller:
        for _ in range(2):
            attempt(client, operator.email, "guess")
        assert attempt(client, operator.email, PASSWORD).status_code == 429
        traveller.shift(timedelta(minutes=16))
        assert attempt(client, operator.email, PASSWORD).status_code == 302


@pytest.mark.django_db
def test_inactive_account_cannot_use_the_console(client, operator, account):
    account.is_active = False
    account.save()
    client.force_login(operator)
    assert client.get(reverse("overview")).status_code == 403
