"""TC3-HMAC-SHA256 verifier, checked against requests built by the official SDK and by hand."""

import json

import pytest
from tencentcloud.common.common_client import CommonClient
from tencentcloud.common.credential import Credential
from tencentcloud.common.http.request import RequestInternal
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile

from sesconsole.api import schema
from sesconsole.api.auth import meta_header, verify_tc3
from sesconsole.refusals import Refusal
from tests.tc3 import tc3_headers

SECRET_ID = "AKIDunittest0001"
SECRET_KEY = "unit-test-secret-key"
ENDPOINT = "127.0.0.1:8000"


def sdk_request(
    params, *, action="ListEmailTemplates", method="POST", secret_key=SECRET_KEY, unsigned=False
):
    """Headers, body and query exactly as the SDK would put them on the wire."""
    profile = ClientProfile(
        httpProfile=HttpProfile(protocol="http", endpoint=ENDPOINT, reqMethod=method)
    )
    profile.unsignedPayload = unsigned
    client = CommonClient(
        "ses", "2020-10-02", Credential(SECRET_ID, secret_key), "ap-guangzhou", profile
    )
    req = RequestInternal(ENDPOINT, method, "/", header={})
    client._build_req_inter(action, params, req)
    if method == "GET":
        return dict(req.header), b"", req.data
    return dict(req.header), req.data.encode("utf-8"), ""


def verify(headers, body=b"", query="", *, method="POST", now=None, secrets=None):
    by_name = {k.lower(): v for k, v in headers.items()}
    return verify_tc3(
        method=method,
        query_string=query,
        header=by_name.get,
        body=body,
        lookup_secret=(secrets if secrets is not None else {SECRET_ID: SECRET_KEY}).get,
        now=int(by_name["x-tc-timestamp"]) if now is None else now,
        max_skew=300,
    )


def error_of(*args, **kwargs) -> str:
    with pytest.raises(Refusal) as info:
        verify(*args, **kwargs)
    return info.value.code


def test_sdk_post_request_verifies():
    headers, body, _ = sdk_request({"Limit": 10, "Offset": 0})
    assert headers["Authorization"].startswith("TC3-HMAC-SHA256 Credential=AKIDunittest0001/")
    assert verify(headers, body) == SECRET_ID


def test_sdk_non_ascii_body_verifies():
    headers, body, _ = sdk_request(
        {"TemplateName": "欢迎 ünïcode", "TemplateContent": {"Text": "dGV4dA=="}},
        action="CreateEmailTemplate",
    )
    assert b"\\u6b22" in body  # the SDK escapes non-ASCII; the verifier must hash it as sent
    assert verify(headers, body) == SECRET_ID


def test_raw_utf8_body_verifies():
    body = json.dumps({"TemplateName": "欢迎"}, ensure_ascii=False).encode("utf-8")
    headers = tc3_headers(SECRET_ID, SECRET_KEY, body=body, action="CreateEmailTemplate")
    assert verify(headers, body) == SECRET_ID


def test_sdk_get_request_with_flattened_params_verifies():
    params = {
        "ReceiverId": 7,
        "Datas": [
            {"Email": "a@example.com", "TemplateData": json.dumps({"name": "A"})},
            {"Email": "b@example.com", "TemplateData": json.dumps({"name": "B"})},
        ],
    }
    headers, body, query = sdk_request(params, action="CreateReceiverDetailWithData", method="GET")
    assert "Datas.1.Email=b%40example.com" in query
    assert verify(headers, body, query, method="GET") == SECRET_ID
    assert schema.parse_query("CreateReceiverDetailWithData", query) == params


def test_get_with_altered_query_fails():
    headers, body, query = sdk_request({"Limit": 10, "Offset": 0}, method="GET")
    tampered = query.replace("Limit=10", "Limit=99")
    assert tampered != query
    assert error_of(headers, body, tampered, method="GET") == "AuthFailure.SignatureFailure"


def test_sdk_unsigned_payload_verifies_without_covering_the_body():
    headers, body, _ = sdk_request({"Limit": 10, "Offset": 0}, unsigned=True)
    assert headers["X-TC-Content-SHA256"] == "UNSIGNED-PAYLOAD"
    assert verify(headers, body) == SECRET_ID
    assert verify(headers, b'{"Limit": 99, "Offset": 0}') == SECRET_ID


def test_unsigned_payload_header_cannot_be_added_to_a_signed_request():
    headers, _, _ = sdk_request({"Limit": 10, "Offset": 0})
    headers["X-TC-Content-SHA256"] = "UNSIGNED-PAYLOAD"
    assert error_of(headers, b'{"Limit": 99}') == "AuthFailure.SignatureFailure"


def test_doc_style_signed_headers_with_charset_verify():
    body = b'{"Limit": 10, "Offset": 0}'
    headers = tc3_headers(
        SECRET_ID,
        SECRET_KEY,
        body=body,
        content_type="application/json; charset=UTF-8",
        signed_headers=("content-type", "host", "x-tc-action"),
    )
    assert "SignedHeaders=content-type;host;x-tc-action," in headers["Authorization"]
    assert verify(headers, body) == SECRET_ID
    # x-tc-action is covered by the signature, so a different action is refused.
    headers["X-TC-Action"] = "DeleteEmailTemplate"
    assert error_of(headers, body) == "AuthFailure.SignatureFailure"


def test_tampered_body_fails():
    headers, body, _ = sdk_request({"Limit": 10, "Offset": 0})
    assert error_of(headers, body.replace(b"10", b"11")) == "AuthFailure.SignatureFailure"


def test_wrong_secret_fails():
    headers, body, _ = sdk_request({"Limit": 10, "Offset": 0}, secret_key="not-the-secret")
    assert error_of(headers, body) == "AuthFailure.SignatureFailure"


def test_unknown_secret_id():
    headers, body, _ = sdk_request({})
    assert error_of(headers, body, secrets={}) == "AuthFailure.SecretIdNotFound"


@pytest.mark.parametrize("offset", [-301, 301, -10_000, 86_400])
def test_stale_or_future_timestamp_expires(offset):
    headers, body, _ = sdk_request({})
    now = int(headers["X-TC-Timestamp"]) + offset
    assert error_of(headers, body, now=now) == "AuthFailure.SignatureExpire"


@pytest.mark.parametrize("offset", [-300, 300])
def test_timestamp_at_the_skew_limit_is_accepted(offset):
    headers, body, _ = sdk_request({})
    assert verify(headers, body, now=int(headers["X-TC-Timestamp"]) + offset) == SECRET_ID


def test_expiry_is_checked_before_the_secret_lookup():
    headers, body, _ = sdk_request({})
    now = int(headers["X-TC-Timestamp"]) + 600
    assert error_of(headers, body, now=now, secrets={}) == "AuthFailure.SignatureExpire"


@pytest.mark.parametrize(
    ("scope_date", "service"),
    [("2001-01-01", "ses"), (None, "cvm")],
    ids=["date-not-the-timestamps", "other-service"],
)
def test_credential_scope_must_match(scope_date, service):
    body = b"{}"
    headers = tc3_headers(SECRET_ID, SECRET_KEY, body=body, scope_date=scope_date, service=service)
    assert error_of(headers, body) == "AuthFailure.SignatureFailure"


def _mutate(auth: str, old: str, new: str) -> str:
    assert old in auth
    return auth.replace(old, new)


@pytest.mark.parametrize(
    "mutation",
    [
        lambda a: "",
        lambda a: "Bearer abc",
        lambda a: _mutate(a, "TC3-HMAC-SHA256", "HMAC-SHA256"),
        lambda a: _mutate(a, "/tc3_request", "/tc2_request"),
        lambda a: a.split(", Signature=")[0],
        lambda a: a[:-1],
        lambda a: a[:-1] + "g",
        lambda a: a[:-64] + a[-64:].upper(),
        lambda a: _mutate(a, "SignedHeaders=content-type;host", "SignedHeaders=content-type"),
        lambda a: _mutate(a, "SignedHeaders=content-type;host", "SignedHeaders=host"),
        lambda a: _mutate(a, "SignedHeaders=content-type;host", "SignedHeaders=Content-Type;Host"),
        lambda a: _mutate(a, "SignedHeaders=content-type;host", "SignedHeaders=content-type;;host"),
        lambda a: _mutate(a, "Credential=AKIDunittest0001/", "Credential="),
        lambda a: a + ", Extra=1",
    ],
    ids=[
        "empty",
        "other-scheme",
        "other-algorithm",
        "bad-terminator",
        "no-signature",
        "short-signature",
        "non-hex-signature",
        "upper-case-signature",
        "host-not-signed",
        "content-type-not-signed",
        "upper-case-header-names",
        "empty-header-name",
        "no-secret-id",
        "trailing-garbage",
    ],
)
def test_malformed_authorization(mutation):
    headers, body, _ = sdk_request({})
    headers["Authorization"] = mutation(headers["Authorization"])
    assert error_of(headers, body) == "AuthFailure.InvalidAuthorization"


def test_missing_authorization():
    headers, body, _ = sdk_request({})
    del headers["Authorization"]
    assert error_of(headers, body) == "AuthFailure.InvalidAuthorization"


@pytest.mark.parametrize(
    ("value", "code"), [(None, "MissingParameter"), ("12ab", "InvalidParameter")]
)
def test_bad_timestamp_header(value, code):
    headers, body, _ = sdk_request({})
    now = int(headers["X-TC-Timestamp"])
    if value is None:
        del headers["X-TC-Timestamp"]
    else:
        headers["X-TC-Timestamp"] = value
    assert error_of(headers, body, now=now) == code


def test_meta_header_reads_the_raw_wsgi_headers():
    get = meta_header(
        {
            "CONTENT_TYPE": "application/json",
            "HTTP_HOST": "api.example.com:8443",
            "HTTP_X_TC_ACTION": "SendEmail",
        }
    )
    assert get("content-type") == "application/json"
    assert get("host") == "api.example.com:8443"
    assert get("x-tc-action") == "SendEmail"
    assert get("x-tc-region") is None
