import os
import shutil

import pytest

from accounts.models import Account, ApiKey, Membership, User

PASSWORD = "correct horse battery staple 7"


def required_services():
    """Services that must not be skipped (CI sets SES_TEST_REQUIRE)."""
    raw = os.environ.get("SES_TEST_REQUIRE", "")
    return {s.strip() for s in raw.split(",") if s.strip()}


def need(service: str, available: bool, why: str):
    """Skip with a reason when a service is missing, or fail where CI requires it."""
    if available:
        return
    if service in required_services():
        pytest.fail(f"{service} is required here (SES_TEST_REQUIRE) but {why}")
    pytest.skip(f"{service} unavailable: {why}")


def redis_url():
    """REDIS_URL, or a Redis answering on its standard local port, or ""."""
    url = os.environ.get("REDIS_URL", "")
    if url:
        return url
    import redis

    try:
        redis.Redis(host="127.0.0.1", port=6379, socket_connect_timeout=0.5).ping()
    except redis.RedisError:
        return ""
    return "redis://127.0.0.1:6379/15"


def chromium_path():
    return os.environ.get("CHROMIUM_PATH") or shutil.which("chromium")


@pytest.fixture
def make_account(db):
    def make(name="acme", **fields):
        return Account.objects.create(name=name, **fields)

    return make


@pytest.fixture
def make_operator(db):
    def make(account, email=None, password=PASSWORD):
        email = email or f"op-{account.name}@example.com"
        user = User.objects.create_user(email=email, password=password)
        Membership.objects.create(user=user, account=account)
        return user

    return make


@pytest.fixture
def account(make_account):
    return make_account("acme")


@pytest.fixture
def operator(account, make_operator):
    return make_operator(account, "alice@acme.example")


@pytest.fixture
def operator_client(client, operator):
    client.force_login(operator)
    return client


@pytest.fixture
def api_key(account):
    """(ApiKey, SecretKey in clear)"""
    return ApiKey.issue(account, description="tests")


@pytest.fixture(autouse=True)
def _plain_static_storage(settings):
    # The manifest storage of production needs collectstatic first; pages in
    # tests are served from the source folders instead.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
