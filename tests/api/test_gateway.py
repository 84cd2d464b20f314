"""The API gateway at `/` through the Django test client: envelope, checks and dispatch."""

import base64
import io
import json
import logging
import time
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse

from accounts.models import ApiKey
from sesconsole.api import registry
from sesconsole.api.views import read_body
from sesconsole.refusals import Refusal
from tests.tc3 import envelope, tc3_headers

LIST = {"Limit": 10, "Offset": 0}


@pytest.fixture
def calls():
    """Handlers for ListEmailTemplates and GetEmailTemplate that record their calls."""
    seen = []

    def list_templates(ctx, params):
        seen.append((ctx, params))
        return {"TemplatesMetadata": [], "TotalCount": 0}

    def get_template(ctx, params):
        seen.append((ctx, params))
        return {"TemplateName": "welcome", "TemplateStatus": 0}

    with (
        registry.override("ListEmailTemplates", list_templates),
        registry.override("GetEmailTemplate", get_template),
    ):
        yield seen


def handled_by(action, fn):
    return registry.override(action, fn)


# --- success and context ---------------------------------------------------------


def test_success_reply_and_handler_context(call_api, calls, api_key, account):
    reply = call_api("ListEmailTemplates", LIST)
    assert reply.code is None
    assert reply.response["TotalCount"] == 0
    assert reply.response["TemplatesMetadata"] == []
    [(ctx, params)] = calls
    assert params == LIST
    assert ctx.account == account
    assert ctx.api_key == api_key[0]
    assert ctx.action == "ListEmailTemplates"
    assert ctx.region == "ap-guangzhou"
    assert ctx.language == "en-US"
    assert ctx.request_id == reply.response["RequestId"]


def test_each_reply_gets_its_own_request_id(call_api, calls):
    ids = {call_api("ListEmailTemplates", LIST).response["RequestId"] for _ in range(3)}
    assert len(ids) == 3


def test_successful_call_marks_the_key_used(call_api, calls, api_key):
    key, _ = api_key
    assert key.last_used_at is None
    call_api("ListEmailTemplates", LIST)
    key.refresh_from_db()
    assert key.last_used_at is not None


def test_failed_authentication_does_not_mark_the_key_used(call_api, calls, api_key):
    key, _ = api_key
    assert call_api("ListEmailTemplates", LIST, secret_key="wrong").code
    key.refresh_from_db()
    assert key.last_used_at is None


def test_non_ascii_raw_utf8_body(call_api):
    seen = []

    def create(ctx, params):
        seen.append(params)
        return {"TemplateID": 42}

    params = {"TemplateName": "欢迎 Grüße", "TemplateContent": {"Text": "5L2g5aW9"}}
    raw = json.dumps(params, ensure_ascii=False).encode("utf-8")
    assert not raw.isascii()
    with handled_by("CreateEmailTemplate", create):
        reply = call_api("CreateEmailTemplate", body=raw)
    assert reply.response["TemplateID"] == 42
    assert seen == [params]


def test_non_ascii_in_the_reply_is_escaped_json(call_api):
    with handled_by("GetEmailTemplate", lambda ctx, p: {"TemplateName": "欢迎"}):
        reply = call_api("GetEmailTemplate", {"TemplateID": 1})
    assert reply.http.content.isascii()
    assert reply.response["TemplateName"] == "欢迎"


def test_signed_get_with_flattened_params(call_api):
    seen = []

    def add(ctx, params):
        seen.append(params)
        return {"TotalCount": 2, "ValidCount": 2}

    query = (
        "ReceiverId=7&Datas.0.Email=a%40x.com&Datas.0.TemplateData=%7B%7D"
        "&Datas.1.Email=b%40x.com&Datas.1.TemplateData=%7B%22n%22%3A1%7D"
    )
    with handled_by("CreateReceiverDetailWithData", add):
        reply = call_api(
            "CreateReceiverDetailWithData",
            method="GET",
            query=query,
            content_type="application/x-www-form-urlencoded",
        )
    assert reply.code is None
    assert seen == [
        {
            "ReceiverId": 7,
            "Datas": [
                {"Email": "a@x.com", "TemplateData": "{}"},
                {"Email": "b@x.com", "TemplateData": '{"n":1}'},
            ],
        }
    ]


def test_unsigned_payload(call_api, calls):
    assert call_api("ListEmailTemplates", LIST, unsigned_payload=True).code is None


def test_doc_style_signature_with_charset(call_api, calls):
    reply = call_api(
        "ListEmailTemplates",
        LIST,
        content_type="application/json; charset=utf-8",
        signed_headers=("content-type", "host", "x-tc-action"),
    )
    assert reply.code is None


def test_body_between_upload_limit_and_api_limit_is_accepted(call_api, settings):
    # DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB) must not cap API bodies: the API allows 8 MiB.
    html = base64.b64encode(b"x" * 4_000_000).decode()
    assert len(html) > settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    seen = []
    with handled_by("CreateEmailTemplate", lambda ctx, p: seen.append(p) or {"TemplateID": 1}):
        reply = call_api(
            "CreateEmailTemplate", {"TemplateName": "big", "TemplateContent": {"Html": html}}
        )
    assert reply.code is None
    assert seen[0]["TemplateContent"]["Html"] == html


# --- browser and methods ---------------------------------------------------------


def test_browser_get_redirects_to_the_console(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == reverse("home")


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH", "OPTIONS"])
def test_other_methods_are_unsupported(client, api_key, method):
    key, secret = api_key
    body = json.dumps(LIST).encode()
    headers = tc3_headers(key.secret_id, secret, method=method, body=body)
    reply = envelope(client.generic(method, "/", data=body, headers=headers))
    assert reply.code == "UnsupportedProtocol"


# --- authentication ----------------------------------------------------------------


def test_wrong_signature(call_api, calls):
    assert call_api("ListEmailTemplates", LIST, secret_key="wrong").code == (
        "AuthFailure.SignatureFailure"
    )
    assert calls == []


def test_tampered_body(call_api, api_key, calls):
    key, secret = api_key
    headers = tc3_headers(key.secret_id, secret, body=json.dumps(LIST).encode())
    reply = call_api(body=b'{"Limit": 100, "Offset": 0}', headers=headers)
    assert reply.code == "AuthFailure.SignatureFailure"
    assert calls == []


@pytest.mark.parametrize("offset", [-600, 600])
def test_expired_or_future_timestamp(call_api, calls, offset):
    reply = call_api("ListEmailTemplates", LIST, timestamp=int(time.time()) + offset)
    assert reply.code == "AuthFailure.SignatureExpire"


def test_unknown_secret_id(call_api, calls):
    reply = call_api("ListEmailTemplates", LIST, secret_id="AKIDdoesnotexist")
    assert reply.code == "AuthFailure.SecretIdNotFound"


def test_disabled_key(call_api, calls, api_key):
    ApiKey.objects.filter(pk=api_key[0].pk).update(enabled=False)
    assert call_api("ListEmailTemplates", LIST).code == "AuthFailure.SecretIdNotFound"


def test_inactive_account(call_api, calls, account):
    account.is_active = False
    account.save()
    assert call_api("ListEmailTemplates", LIST).code == "AuthFailure.SecretIdNotFound"


def test_another_accounts_key_authenticates_as_that_account(call_api, calls, make_account):
    other = make_account("globex")
    key, secret = ApiKey.issue(other)
    call_api("ListEmailTemplates", LIST, secret_id=key.secret_id, secret_key=secret)
    assert calls[0][0].account == other


@pytest.mark.parametrize(
    "authorization",
    [
        "",
        "TC3-HMAC-SHA256",
        "TC3-HMAC-SHA256 Credential=AKID/2024-01-01/ses/tc3_request, "
        "SignedHeaders=content-type;host",
        "Basic dXNlcjpwYXNz",
    ],
)
def test_malformed_authorization(call_api, api_key, calls, authorization):
    key, secret = api_key
    headers = tc3_headers(key.secret_id, secret, body=json.dumps(LIST).encode())
    headers["Authorization"] = authorization
    assert call_api(body=json.dumps(LIST).encode(), headers=headers).code == (
        "AuthFailure.InvalidAuthorization"
    )


def test_post_without_authorization(client, calls):
    body = json.dumps(LIST).encode()
    headers = {
        "X-TC-Action": "ListEmailTemplates",
        "X-TC-Version": "2020-10-02",
        "X-TC-Timestamp": str(int(time.time())),
    }
    reply = envelope(
        client.generic("POST", "/", data=body, content_type="application/json", headers=headers)
    )
    assert reply.code == "AuthFailure.InvalidAuthorization"


def test_host_header_is_read_raw(call_api, calls, settings):
    # The client signs the Host it sent, port included; get_host() would
    # answer the forwarded host here instead.
    settings.USE_X_FORWARDED_HOST = True
    reply = call_api(
        "ListEmailTemplates", LIST, host="localhost:8000", extra={"X-Forwarded-Host": "localhost"}
    )
    assert reply.code is None
    assert reply.http.wsgi_request.get_host() == "localhost"


def test_signed_host_must_match_the_host_sent(call_api, api_key, calls):
    key, secret = api_key
    body = json.dumps(LIST).encode()
    headers = tc3_headers(key.secret_id, secret, body=body, host="localhost:8000")
    headers["Host"] = "localhost"
    assert call_api(body=body, headers=headers).code == "AuthFailure.SignatureFailure"


# --- headers ----------------------------------------------------------------------


def test_missing_action(call_api, api_key):
    key, secret = api_key
    body = json.dumps(LIST).encode()
    headers = tc3_headers(key.secret_id, secret, body=body)
    del headers["X-TC-Action"]
    reply = call_api(body=body, headers=headers)
    assert reply.code == "MissingParameter"
    assert "X-TC-Action" in reply.message


@pytest.mark.parametrize(
    ("version", "code"), [("2019-01-01", "NoSuchVersion"), ("", "MissingParameter")]
)
def test_wrong_or_missing_version(call_api, calls, version, code):
    assert call_api("ListEmailTemplates", LIST, version=version).code == code


def test_unknown_action(call_api):
    reply = call_api("NoSuchAction", {})
    assert reply.code == "InvalidAction"
    assert reply.message == "The action `NoSuchAction` does not exist."


def test_spec_action_without_handler_is_invalid(call_api):
    with registry.override("DeleteEmailIdentity", None):
        reply = call_api("DeleteEmailIdentity", {"EmailIdentity": "example.com"})
    assert reply.code == "InvalidAction"
    assert "not available on this service yet" in reply.message


def test_unknown_action_needs_authentication_first(call_api):
    assert call_api("NoSuchAction", {}, secret_key="wrong").code == "AuthFailure.SignatureFailure"


# --- body ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [b"not json", b"[1, 2]", b'"text"', b"", b"\xff\xfe{}", b"[" * 100_000],
    ids=["text", "array", "string", "empty", "bad-utf8", "deep-nesting"],
)
def test_body_must_be_a_json_object(call_api, calls, body):
    reply = call_api("ListEmailTemplates", body=body)
    assert reply.code == "InvalidParameter"
    assert "JSON" in reply.message
    assert calls == []


def test_body_over_the_limit(call_api, calls, settings):
    body = b'{"Limit": 10, "Offset": 0, "Pad": "' + b"x" * settings.SES_API_MAX_BODY + b'"}'
    reply = call_api("ListEmailTemplates", body=body)
    assert reply.code == "RequestSizeLimitExceeded"
    assert calls == []


@pytest.mark.parametrize("content_length", ["", "10", "junk"])
def test_read_body_counts_the_bytes_it_reads(settings, content_length):
    # A body streamed without (or with a wrong) Content-Length is cut at the limit too.
    settings.SES_API_MAX_BODY = 1000
    stream = io.BytesIO(b"x" * 1001)
    request = SimpleNamespace(META={"CONTENT_LENGTH": content_length}, read=stream.read)
    with pytest.raises(Refusal) as info:
        read_body(request)
    assert info.value.code == "RequestSizeLimitExceeded"
    stream = io.BytesIO(b"x" * 1000)
    request = SimpleNamespace(META={"CONTENT_LENGTH": content_length}, read=stream.read)
    assert read_body(request) == b"x" * 1000


# --- rate limit --------------------------------------------------------------------------


def test_rate_limit_per_account_and_action(call_api, calls, account, time_machine):
    time_machine.move_to(datetime(2030, 5, 1, 12, 0, 0, 100_000, tzinfo=UTC), tick=False)
    account.api_rate_per_second = 2
    account.save()
    codes = [call_api("ListEmailTemplates", LIST).code for _ in range(3)]
    assert codes == [None, None, "RequestLimitExceeded"]
    # Another action has its own budget.
    assert call_api("GetEmailTemplate", {"TemplateID": 1}).code is None
    # The next second opens a new window.
    time_machine.shift(1)
    assert call_api("ListEmailTemplates", LIST).code is None


# --- parameters ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("action", "params", "code", "path"),
    [
        ("ListEmailTemplates", {"Offset": 0}, "MissingParameter", "Limit"),
        ("ListEmailTemplates", {**LIST, "Foo": 1}, "UnknownParameter", "Foo"),
        ("ListEmailTemplates", {"Limit": "10", "Offset": 0}, "InvalidParameter", "Limit"),
        ("GetEmailTemplate", {"TemplateID": True}, "InvalidParameter", "TemplateID"),
        ("GetEmailTemplate", {"TemplateID": -1}, "InvalidParameterValue", "TemplateID"),
        (
            "SendEmail",
            {
                "FromEmailAddress": "a@x",
                "Subject": "s",
                "Template": {"TemplateID": "x", "TemplateData": "{}"},
            },
            "InvalidParameter",
            "Template.TemplateID",
        ),
        (
            "SendEmail",
            {
                "FromEmailAddress": "a@x",
                "Subject": "s",
                "Template": {"TemplateID": 1, "TemplateData": "{}", "Extra": 1},
            },
            "UnknownParameter",
            "Template.Extra",
        ),
    ],
)
def test_parameter_validation(call_api, action, params, code, path):
    called = []
    with handled_by(action, lambda ctx, p: called.append(p) or {}):
        reply = call_api(action, params)
    assert reply.code == code
    assert f"`{path}`" in reply.message
    assert called == []


# --- handler outcomes -------------------------------------------------------------------


def test_handler_api_error(call_api):
    def refuse(ctx, params):
        raise Refusal("FailedOperation.EmailAddrInBlacklist", "address in blocklist")

    with handled_by("GetEmailTemplate", refuse):
        reply = call_api("GetEmailTemplate", {"TemplateID": 1})
    assert reply.code == "FailedOperation.EmailAddrInBlacklist"
    assert reply.message == "address in blocklist"


def test_handler_crash_is_an_internal_error_without_details(call_api, caplog):
    def crash(ctx, params):
        raise RuntimeError("secret detail: db password hunter2")

    with handled_by("GetEmailTemplate", crash), caplog.at_level(logging.ERROR):
        reply = call_api("GetEmailTemplate", {"TemplateID": 1})
    assert reply.code == "InternalError"
    content = reply.http.content.decode()
    assert "hunter2" not in content
    assert "Traceback" not in content
    assert "RuntimeError" not in content
    request_id = reply.response["RequestId"]
    [record] = [r for r in caplog.records if r.name == "sesconsole.api.views"]
    assert request_id in record.getMessage()
    assert record.exc_info and record.exc_info[0] is RuntimeError


@pytest.mark.parametrize("result", [None, ["a"], {"When": datetime(2024, 1, 1)}])
def test_handler_returning_no_json_object_is_an_internal_error(call_api, result):
    with handled_by("GetEmailTemplate", lambda ctx, p: result):
        assert call_api("GetEmailTemplate", {"TemplateID": 1}).code == "InternalError"


def test_handler_cannot_overwrite_the_request_id(call_api):
    with handled_by("GetEmailTemplate", lambda ctx, p: {"RequestId": "mine"}):
        reply = call_api("GetEmailTemplate", {"TemplateID": 1})
    assert reply.response["RequestId"] != "mine"


# --- registry ---------------------------------------------------------------------------


def test_registry_refuses_names_outside_the_spec():
    with pytest.raises(ImproperlyConfigured, match="NoSuchAction"):
        registry.action("NoSuchAction")(lambda ctx, p: {})
    assert "NoSuchAction" not in registry.registered()


def test_registry_refuses_a_second_handler_for_an_action():
    def first(ctx, params):
        return {}

    with registry.override("DeleteEmailIdentity", None):
        registry.action("DeleteEmailIdentity")(first)
        with pytest.raises(ImproperlyConfigured, match="already handled"):
            registry.action("DeleteEmailIdentity")(lambda ctx, p: {})
        assert registry.get("DeleteEmailIdentity") is first
    assert registry.get("DeleteEmailIdentity") is not first


def test_override_restores_the_previous_handler_even_after_an_error():
    def outer(ctx, params):
        return {}

    with registry.override("DeleteEmailIdentity", outer):
        with pytest.raises(RuntimeError), registry.override("DeleteEmailIdentity", None):
            assert registry.get("DeleteEmailIdentity") is None
            raise RuntimeError
        assert registry.get("DeleteEmailIdentity") is outer


@pytest.mark.parametrize("bad", ["a\u0000b", "\ud800"])
def test_strings_no_database_can_store_are_refused(call_api, bad):
    # NUL or a lone surrogate in a string nested in a list; json.dumps escapes both.
    body = json.dumps({"Emails": ["ok@example.com", bad]}).encode()
    seen = []
    with registry.override("DeleteCustomBlackList", lambda ctx, params: seen.append(params) or {}):
        reply = call_api("DeleteCustomBlackList", body=body)
    assert reply.code == "InvalidParameterValue"
    assert "Emails" in reply.message
    assert seen == []
