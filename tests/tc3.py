"""API test helpers: an independent TC3 signer and the reply envelope check."""

import hashlib
import json
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from tencentcloud.common.sign import Sign

CONTENT_TYPE = "application/json"


def _sha256(data: bytes | str) -> str:
    return hashlib.sha256(data.encode() if isinstance(data, str) else data).hexdigest()


def tc3_headers(
    secret_id: str,
    secret_key: str,
    *,
    method: str = "POST",
    body: bytes = b"",
    query: str = "",
    action: str = "ListEmailTemplates",
    timestamp: int | None = None,
    host: str = "testserver",
    content_type: str = CONTENT_TYPE,
    version: str = "2020-10-02",
    signed_headers: tuple[str, ...] = ("content-type", "host"),
    scope_date: str | None = None,
    service: str = "ses",
    unsigned_payload: bool = False,
    extra: dict | None = None,
) -> dict[str, str]:
    """Request headers signed per spec section 2.2, written apart from sesconsole.api.auth.

    Only the final HMAC chain is the SDK's own (Sign.sign_tc3).
    """
    timestamp = int(time.time()) if timestamp is None else timestamp
    headers = {
        "Content-Type": content_type,
        "Host": host,
        "X-TC-Action": action,
        "X-TC-Version": version,
        "X-TC-Timestamp": str(timestamp),
        "X-TC-Region": "ap-guangzhou",
        "X-TC-Language": "en-US",
    }
    if unsigned_payload:
        headers["X-TC-Content-SHA256"] = "UNSIGNED-PAYLOAD"
    headers.update(extra or {})
    by_name = {k.lower(): v for k, v in headers.items()}
    canonical_headers = "".join(f"{n}:{by_name[n].strip().lower()}\n" for n in signed_headers)
    payload = body if method != "GET" else b""
    if unsigned_payload:
        payload = b"UNSIGNED-PAYLOAD"
    canonical_request = "\n".join(
        [
            method,
            "/",
            query if method == "GET" else "",
            canonical_headers,
            ";".join(signed_headers),
            _sha256(payload),
        ]
    )
    date = scope_date or datetime.fromtimestamp(timestamp, tz=UTC).strftime("%Y-%m-%d")
    string_to_sign = "\n".join(
        [
            "TC3-HMAC-SHA256",
            str(timestamp),
            f"{date}/{service}/tc3_request",
            _sha256(canonical_request),
        ]
    )
    sig = Sign.sign_tc3(secret_key, date, service, string_to_sign)
    headers["Authorization"] = (
        f"TC3-HMAC-SHA256 Credential={secret_id}/{date}/{service}/tc3_request, "
        f"SignedHeaders={';'.join(signed_headers)}, Signature={sig}"
    )
    return headers


@dataclass
class Reply:
    http: object
    response: dict

    @property
    def code(self) -> str | None:
        return self.response.get("Error", {}).get("Code")

    @property
    def message(self) -> str | None:
        return self.response.get("Error", {}).get("Message")


def envelope(http) -> Reply:
    """The invariants of every API reply; returns the parsed `Response`."""
    assert http.status_code == 200, http.content[:500]
    assert http["Content-Type"] == CONTENT_TYPE
    data = json.loads(http.content)
    assert set(data) == {"Response"}
    response = data["Response"]
    assert uuid.UUID(response["RequestId"]).version == 4
    if "Error" in response:
        assert set(response["Error"]) == {"Code", "Message"}
        assert set(response) == {"Error", "RequestId"}
    return Reply(http, response)


def ok(reply: Reply) -> dict:
    """The Response of a reply that must have succeeded."""
    assert reply.code is None, (reply.code, reply.message)
    return reply.response
