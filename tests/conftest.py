import json
import os
import shutil
import uuid

import pytest

from accounts.models import Account, ApiKey, Membership, User
from tests.dnsserver import dns_zone, system_dns  # noqa: F401
from tests.sdk import sdk_endpoint, ses_client  # noqa: F401
from tests.smtpservers import silent_server, smtp_server, tls_ca  # noqa: F401
from tests.tc3 import envelope, tc3_headers
from tests.workers import celery_worker_process, start_worker  # noqa: F401

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


@pytest.fixture(params=["database", "redis"])
def counter_backend(request, settings):
    """The shared counters (sesconsole.ratelimit) on the database, then on Redis; the
    Redis keys of this run are cleared first, since account ids repeat from test to test."""
    if request.param == "redis":
        url = redis_url()
        need("redis", bool(url), "no REDIS_URL and nothing on 127.0.0.1:6379")
        settings.REDIS_URL = url
        from sesconsole import ratelimit

        client = ratelimit.redis_client()
        for name in client.scan_iter(f"{settings.SES_REDIS_PREFIX}:*"):
            client.delete(name)
    else:
        settings.REDIS_URL = ""
    return request.param


def pytest_sessionstart(session):
    """Where CI requires PostgreSQL and Redis, refuse to run the suite on anything else."""
    from django.conf import settings

    # Counters of earlier runs (the same account ids come back in a new test
    # database) must not count here: a prefix of this run's own, which worker
    # processes started by tests inherit through the environment.
    prefix = f"test-{uuid.uuid4().hex[:12]}"
    os.environ["SES_REDIS_PREFIX"] = settings.SES_REDIS_PREFIX = prefix
    # The live server answers in threads that Django does not clean up after;
    # persistent connections there would keep the test database busy at teardown.
    settings.DATABASES["default"]["CONN_MAX_AGE"] = 0
    required = required_services()
    engine = settings.DATABASES["default"]["ENGINE"]
    if "postgres" in required and not engine.endswith("postgresql"):
        raise pytest.UsageError(f"SES_TEST_REQUIRE has postgres but the database is {engine}")
    if "redis" in required and not (
        settings.REDIS_URL.startswith("redis") and settings.CELERY_BROKER_URL.startswith("redis")
    ):
        raise pytest.UsageError("SES_TEST_REQUIRE has redis but REDIS_URL/CELERY_BROKER_URL differ")


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
def _fast_password_hashing(settings):
    # The production hasher is slow on purpose; tests create many logins.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _plain_static_storage(settings):
    # The manifest storage of production needs collectstatic first; pages in
    # tests are served from the source folders instead.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture
def call_api(client, api_key):
    """Sign and send one API request through the Django test client.

    `params` is JSON-encoded unless a raw `body` is given; `headers` replaces
    the signed headers entirely; other keywords go to tc3_headers.
    """
    key, secret = api_key

    def call(
        action="ListEmailTemplates",
        params=None,
        *,
        body=None,
        method="POST",
        query="",
        headers=None,
        secret_id=None,
        secret_key=None,
        **sign,
    ):
        if body is None:
            body = b"" if method == "GET" else json.dumps(params or {}).encode()
        if headers is None:
            headers = tc3_headers(
                secret_id or key.secret_id,
                secret_key or secret,
                method=method,
                body=body,
                query=query,
                action=action,
                **sign,
            )
        path = f"/?{query}" if query else "/"
        return envelope(client.generic(method, path, data=body, headers=headers))

    return call


@pytest.fixture
def other_tenant_api(make_account, call_api):
    """Another account B, and a call_api signed with B's key (`.account` is B)."""
    b = make_account("other", api_rate_per_second=10_000)
    key, secret = ApiKey.issue(b, description="b")

    def call(action, params=None):
        return call_api(action, params, secret_id=key.secret_id, secret_key=secret)

    call.account = b
    return call
