"""Operators invite other operators into their account."""

import re

import pytest
from django.core import mail
from django.urls import reverse

from accounts.models import Invitation, Membership, User
from tests.conftest import PASSWORD
from tests.tenancy import assert_isolated


def invite(client, email):
    return client.post(reverse("members"), {"email": email})


def link_in(message):
    return re.search(r"https?://[^/]+(/invite/\S+/)", message.body).group(1)


@pytest.mark.django_db
def test_new_person_joins_with_a_password(operator_client, client, account):
    response = invite(operator_client, "Bob@Acme.example")
    assert response.status_code == 302
    assert mail.outbox[0].to == ["bob@acme.example"]
    path = link_in(mail.outbox[0])
    anonymous = client.__class__()
    page = anonymous.get(path)
    assert b"Join acme" in page.content
    response = anonymous.post(
        path, {"first_name": "Bob", "password1": PASSWORD, "password2": PASSWORD}
    )
    assert response.status_code == 302
    bob = User.objects.get(email="bob@acme.example")
    assert bob.account == account
    assert bob.check_password(PASSWORD)
    # Signed in, and the link is spent.
    assert anonymous.get(reverse("overview")).status_code == 200
    assert client.__class__().get(path).status_code == 404


@pytest.mark.django_db
def test_password_rules_apply(operator_client, client):
    invite(operator_client, "bob@acme.example")
    path = link_in(mail.outbox[0])
    response = client.post(path, {"password1": "123", "password2": "124"})
    assert response.status_code == 200
    assert b"The two passwords differ" in response.content
    response = client.post(path, {"password1": "12345678", "password2": "12345678"})
    assert b"too common" in response.content or b"entirely numeric" in response.content
    assert not User.objects.filter(email="bob@acme.example").exists()


@pytest.mark.django_db
def test_existing_login_must_sign_in_as_that_person(operator_client, client, account):
    carol = User.objects.create_user(email="carol@example.com", password=PASSWORD)
    invite(operator_client, "carol@example.com")
    path = link_in(mail.outbox[0])
    # Anonymous: sent to sign in.
    response = client.get(path)
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    client.force_login(carol)
    assert b"Become an operator" in client.get(path).content
    client.post(path)
    assert Membership.objects.get(user=carol).account == account


@pytest.mark.django_db
def test_invite_validation(operator_client, operator, make_account, make_operator):
    response = invite(operator_client, operator.email)
    assert b"already an operator of this account" in response.content
    make_operator(make_account("other"), "dave@other.example")
    response = invite(operator_client, "dave@other.example")
    assert b"already belongs to another account" in response.content
    invite(operator_client, "erin@acme.example")
    response = invite(operator_client, "erin@acme.example")
    assert b"already open" in response.content
    response = invite(operator_client, "not an address")
    assert b"Enter a valid email address" in response.content
    assert Invitation.objects.count() == 1


@pytest.mark.django_db
def test_revoked_and_expired_invitations_do_not_work(operator_client, client, account):
    invite(operator_client, "frank@acme.example")
    invitation = Invitation.objects.get()
    operator_client.post(reverse("invitation_revoke", args=[invitation.pk]))
    assert client.get(link_in(mail.outbox[0])).status_code == 404

    invitation, token = Invitation.issue(account, "grace@acme.example", None)
    Invitation.objects.filter(pk=invitation.pk).update(expires_at=invitation.created_at)
    assert client.get(reverse("accept_invitation", args=[token])).status_code == 404


@pytest.mark.django_db
def test_token_is_stored_hashed(account):
    invitation, token = Invitation.issue(account, "heidi@acme.example", None)
    assert token not in invitation.token_hash
    assert Invitation.find_open(token) == invitation
    assert Invitation.find_open(token + "x") is None


@pytest.mark.django_db
def test_other_tenant_cannot_see_or_revoke(client, account, make_account, make_operator):
    invitation, _ = Invitation.issue(account, "ivan@acme.example", None)
    client.force_login(make_operator(make_account("other"), "mallory@other.example"))
    assert_isolated(
        client,
        [("post", reverse("invitation_revoke", args=[invitation.pk]))],
        unchanged=lambda: list(Invitation.objects.filter(pk=invitation.pk).values()),
    )
    assert b"ivan@acme.example" not in client.get(reverse("members")).content
