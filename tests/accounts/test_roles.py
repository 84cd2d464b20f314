"""Who sees what: operators, reviewers, support staff, and people without a role."""

import pytest
from django.urls import reverse

from accounts.models import User
from tests.conftest import PASSWORD


@pytest.fixture
def reviewer(db):
    return User.objects.create_user(
        email="rita@platform.example", password=PASSWORD, is_reviewer=True
    )


@pytest.fixture
def support(db):
    return User.objects.create_user(
        email="sam@platform.example", password=PASSWORD, is_staff=True, is_superuser=True
    )


@pytest.mark.django_db
def test_home_sends_each_role_to_its_place(client, operator, reviewer, support):
    for user, target in [
        (operator, reverse("overview")),
        (reviewer, reverse("review:queue")),
        (support, reverse("admin:index")),
    ]:
        client.force_login(user)
        assert client.get(reverse("home"))["Location"] == target


@pytest.mark.django_db
def test_reviewer_sees_no_account_pages(client, reviewer):
    client.force_login(reviewer)
    assert client.get(reverse("review:queue")).status_code == 200
    for name in ["overview", "api_keys", "members"]:
        assert client.get(reverse(name)).status_code == 403
    assert client.get(reverse("admin:index")).status_code == 302  # admin login, not the admin


@pytest.mark.django_db
def test_operator_is_not_a_reviewer_nor_support(operator_client):
    assert operator_client.get(reverse("review:queue")).status_code == 403
    assert operator_client.get(reverse("admin:index")).status_code == 302


@pytest.mark.django_db
def test_support_uses_the_admin(client, support, account, operator):
    client.force_login(support)
    assert (
        client.get(reverse("admin:accounts_account_change", args=[account.pk])).status_code == 200
    )
    page = client.get(reverse("admin:accounts_user_changelist"))
    assert operator.email.encode() in page.content


@pytest.mark.django_db
def test_person_without_role_is_told_so(client):
    nobody = User.objects.create_user(email="nobody@example.com", password=PASSWORD)
    client.force_login(nobody)
    response = client.get(reverse("home"))
    assert response.status_code == 403
    assert b"does not operate an account" in response.content


@pytest.mark.django_db
def test_anonymous_is_sent_to_login(client):
    for name in ["overview", "api_keys", "members", "review:queue", "home"]:
        response = client.get(reverse(name))
        assert response.status_code == 302
        assert response["Location"].startswith("/login/")


@pytest.mark.django_db
def test_csrf_is_enforced_on_console_forms(operator):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(operator)
    assert strict.post(reverse("api_keys"), {"description": "x"}).status_code == 403
