"""The official Tencent Cloud SDK pointed at the live test server."""

import pytest
from tencentcloud.common import credential
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.ses.v20201002 import models
from tencentcloud.ses.v20201002 import ses_client as ses_client_module

from accounts.models import Account, ApiKey


@pytest.fixture
def sdk_endpoint(live_server, monkeypatch):
    """host:port of the live server, as HttpProfile(endpoint=...) wants it (no scheme)."""
    # The SDK and requests honour proxy variables; the live server is local.
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    return live_server.url.removeprefix("http://")


def sdk_profile(endpoint, method="POST", unsigned=False) -> ClientProfile:
    # protocol must go to the constructor: it is copied into .scheme there.
    profile = ClientProfile(
        httpProfile=HttpProfile(protocol="http", endpoint=endpoint, reqMethod=method, reqTimeout=30)
    )
    profile.unsignedPayload = unsigned
    return profile


@pytest.fixture
def ses_client(sdk_endpoint, account):
    """A typed SesClient with a new key of `account`, its request rate out of the way."""
    Account.objects.filter(pk=account.pk).update(api_rate_per_second=10_000)
    key, secret = ApiKey.issue(account, description="sdk")
    cred = credential.Credential(key.secret_id, secret)
    return ses_client_module.SesClient(cred, "ap-guangzhou", sdk_profile(sdk_endpoint))


def sdk_request(cls: str, **fields):
    """A request model of the SDK, e.g. sdk_request("GetEmailIdentityRequest", EmailIdentity=x)."""
    req = getattr(models, cls)()
    for name, value in fields.items():
        setattr(req, name, value)
    return req
