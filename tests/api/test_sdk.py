"""The official Tencent Cloud SDK against a live server: signing, envelope and errors."""

import json
import os
import subprocess
import sys
import textwrap

import pytest
from tencentcloud.common import credential
from tencentcloud.common.common_client import CommonClient
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.ses.v20201002 import models, ses_client

from accounts.models import ApiKey
from sesconsole.api import registry
from sesconsole.refusals import Refusal
from tests.sdk import sdk_profile

TEMPLATES = [
    {
        "TemplateID": 1,
        "TemplateName": "welcome",
        "TemplateStatus": 0,
        "CreatedTimestamp": 1700000000,
    },
    {
        "TemplateID": 2,
        "TemplateName": "重置密码",
        "TemplateStatus": 1,
        "CreatedTimestamp": 1700000100,
    },
]


@pytest.fixture
def endpoint(sdk_endpoint):
    return sdk_endpoint


profile = sdk_profile


@pytest.fixture
def cred(api_key):
    key, secret = api_key
    return credential.Credential(key.secret_id, secret)


@pytest.fixture
def list_templates():
    """A ListEmailTemplates handler answering from TEMPLATES, recording its params."""
    seen = []

    def handler(ctx, params):
        seen.append(params)
        page = TEMPLATES[params["Offset"] : params["Offset"] + params["Limit"]]
        return {"TemplatesMetadata": page, "TotalCount": len(TEMPLATES)}

    with registry.override("ListEmailTemplates", handler):
        yield seen


def sdk_error(call) -> TencentCloudSDKException:
    with pytest.raises(TencentCloudSDKException) as info:
        call()
    return info.value


def test_typed_client_round_trip(endpoint, cred, list_templates):
    client = ses_client.SesClient(cred, "ap-guangzhou", profile(endpoint))
    req = models.ListEmailTemplatesRequest()
    req.Limit, req.Offset = 10, 0
    resp = client.ListEmailTemplates(req)
    assert list_templates == [{"Limit": 10, "Offset": 0}]
    assert resp.TotalCount == 2
    assert [t.TemplateName for t in resp.TemplatesMetadata] == ["welcome", "重置密码"]
    assert resp.TemplatesMetadata[1].TemplateStatus == 1
    assert resp.RequestId


def test_common_client_round_trip(endpoint, cred, list_templates):
    client = CommonClient("ses", "2020-10-02", cred, "ap-guangzhou", profile(endpoint))
    data = client.call_json("ListEmailTemplates", {"Limit": 1, "Offset": 1})
    assert data["Response"]["TemplatesMetadata"] == TEMPLATES[1:]
    assert data["Response"]["TotalCount"] == 2


def test_get_method_round_trip_with_nested_params(endpoint, cred):
    seen = []

    def add(ctx, params):
        seen.append(params)
        return {"TotalCount": len(params["Datas"]), "ValidCount": len(params["Datas"])}

    datas = [
        {"Email": "a@example.com", "TemplateData": json.dumps({"name": "Ann & Bo"})},
        {"Email": "b+tag@example.com", "TemplateData": json.dumps({"name": "Zoë"})},
    ]
    client = ses_client.SesClient(cred, "ap-guangzhou", profile(endpoint, method="GET"))
    req = models.CreateReceiverDetailWithDataRequest()
    req.from_json_string(json.dumps({"ReceiverId": 7, "Datas": datas}))
    with registry.override("CreateReceiverDetailWithData", add):
        resp = client.CreateReceiverDetailWithData(req)
    assert seen == [{"ReceiverId": 7, "Datas": datas}]
    assert resp.TotalCount == 2


def test_non_ascii_request_and_reply(endpoint, cred):
    seen = []

    def create(ctx, params):
        seen.append(params)
        return {"TemplateID": 77}

    def get(ctx, params):
        return {
            "TemplateName": "欢迎邮件",
            "TemplateStatus": 0,
            "TemplateContent": {"Text": "5L2g5aW9"},
        }

    client = ses_client.SesClient(cred, "ap-guangzhou", profile(endpoint))
    req = models.CreateEmailTemplateRequest()
    req.from_json_string(
        json.dumps({"TemplateName": "欢迎邮件 Grüße", "TemplateContent": {"Text": "5L2g5aW9"}})
    )
    get_req = models.GetEmailTemplateRequest()
    get_req.TemplateID = 77
    with (
        registry.override("CreateEmailTemplate", create),
        registry.override("GetEmailTemplate", get),
    ):
        assert client.CreateEmailTemplate(req).TemplateID == 77
        resp = client.GetEmailTemplate(get_req)
    assert seen[0]["TemplateName"] == "欢迎邮件 Grüße"
    assert resp.TemplateName == "欢迎邮件"


def test_unsigned_payload_profile(endpoint, cred, list_templates):
    client = CommonClient(
        "ses", "2020-10-02", cred, "ap-guangzhou", profile(endpoint, unsigned=True)
    )
    assert client.call_json("ListEmailTemplates", {"Limit": 10, "Offset": 0})["Response"]
    assert list_templates == [{"Limit": 10, "Offset": 0}]


def test_wrong_secret_key(endpoint, api_key, list_templates):
    key, _ = api_key
    bad = credential.Credential(key.secret_id, "not-the-secret-key")
    client = CommonClient("ses", "2020-10-02", bad, "ap-guangzhou", profile(endpoint))
    err = sdk_error(lambda: client.call_json("ListEmailTemplates", {"Limit": 10, "Offset": 0}))
    assert err.get_code() == "AuthFailure.SignatureFailure"
    assert err.get_request_id()
    assert list_templates == []


def test_disabled_key(endpoint, cred, api_key, list_templates):
    ApiKey.objects.filter(pk=api_key[0].pk).update(enabled=False)
    client = ses_client.SesClient(cred, "ap-guangzhou", profile(endpoint))
    req = models.ListEmailTemplatesRequest()
    req.Limit, req.Offset = 10, 0
    assert sdk_error(lambda: client.ListEmailTemplates(req)).get_code() == (
        "AuthFailure.SecretIdNotFound"
    )


def test_unknown_action(endpoint, cred):
    client = CommonClient("ses", "2020-10-02", cred, "ap-guangzhou", profile(endpoint))
    assert sdk_error(lambda: client.call_json("NoSuchAction", {})).get_code() == "InvalidAction"


def test_handler_error_code_reaches_the_sdk(endpoint, cred):
    def refuse(ctx, params):
        raise Refusal("FailedOperation.EmailAddrInBlacklist", "address in blocklist")

    client = ses_client.SesClient(cred, "ap-guangzhou", profile(endpoint))
    req = models.SendEmailRequest()
    req.from_json_string(
        json.dumps(
            {
                "FromEmailAddress": "Example <noreply@mail.example.com>",
                "Destination": ["user@example.com"],
                "Subject": "Hello",
                "Template": {"TemplateID": 1, "TemplateData": json.dumps({"code": "1234"})},
            }
        )
    )
    with registry.override("SendEmail", refuse):
        err = sdk_error(lambda: client.SendEmail(req))
    assert err.get_code() == "FailedOperation.EmailAddrInBlacklist"
    assert err.get_message() == "address in blocklist"


# The live server runs in a thread of this process, so moving this process's
# clock would move the server's too; the client with the slow clock runs in a
# child process instead, under time_machine.
SKEWED_CLIENT = textwrap.dedent(
    """
    import json, os, time
    import time_machine
    from tencentcloud.common import credential
    from tencentcloud.common.common_client import CommonClient
    from tencentcloud.common.exception.tencent_cloud_sdk_exception import (
        TencentCloudSDKException,
    )
    from tencentcloud.common.profile.client_profile import ClientProfile
    from tencentcloud.common.profile.http_profile import HttpProfile

    cred = credential.Credential(os.environ["SES_ID"], os.environ["SES_KEY"])
    http = HttpProfile(protocol="http", endpoint=os.environ["SES_ENDPOINT"], reqTimeout=30)
    profile = ClientProfile(httpProfile=http)
    client = CommonClient("ses", "2020-10-02", cred, "ap-guangzhou", profile)
    with time_machine.travel(time.time() + int(os.environ["SES_SKEW"]), tick=True):
        try:
            client.call_json("ListEmailTemplates", {"Limit": 10, "Offset": 0})
            print(json.dumps({"code": None}))
        except TencentCloudSDKException as exc:
            print(json.dumps({"code": exc.get_code()}))
    """
)


@pytest.mark.parametrize(
    ("skew", "code"),
    [(-600, "AuthFailure.SignatureExpire"), (0, None)],
    ids=["ten-minutes-slow", "in-time"],
)
def test_client_clock_skew(endpoint, api_key, list_templates, skew, code):
    key, secret = api_key
    env = {
        **os.environ,
        "SES_ID": key.secret_id,
        "SES_KEY": secret,
        "SES_ENDPOINT": endpoint,
        "SES_SKEW": str(skew),
    }
    done = subprocess.run(
        [sys.executable, "-c", SKEWED_CLIENT],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert json.loads(done.stdout.strip().splitlines()[-1]) == {"code": code}
