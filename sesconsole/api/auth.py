"""TC3-HMAC-SHA256 request verification (Tencent Cloud API signature v3).

The server recomputes the client's signature from the raw request, so the
bytes hashed here must be exactly the bytes the client signed: the raw body,
the raw query string and the headers named in SignedHeaders, nothing rebuilt.
"""

import hashlib
import hmac
import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.http import HttpRequest

from sesconsole import crypto
from sesconsole.api import registry
from sesconsole.api.errors import api_error, invalid_parameter, missing_parameter
from sesconsole.refusals import Refusal

logger = logging.getLogger(__name__)

ALGORITHM = "TC3-HMAC-SHA256"
SERVICE = "ses"
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
REQUIRED_SIGNED_HEADERS = ("content-type", "host")

_AUTH_RE = re.compile(
    r"TC3-HMAC-SHA256\s+"
    r"Credential=(?P<secret_id>[^/\s,]+)/(?P<date>\d{4}-\d{2}-\d{2})/(?P<service>[^/\s,]+)"
    r"/tc3_request\s*,\s*"
    r"SignedHeaders=(?P<signed_headers>[a-z0-9-]+(?:;[a-z0-9-]+)*)\s*,\s*"
    r"Signature=(?P<signature>[0-9a-f]{64})"
)

HeaderGetter = Callable[[str], str | None]


@dataclass(frozen=True)
class Authorization:
    secret_id: str
    date: str
    service: str
    signed_headers: tuple[str, ...]
    signature: str


def parse_authorization(value: str | None) -> Authorization:
    if not value:
        raise Refusal("AuthFailure.InvalidAuthorization", "The Authorization header is missing.")
    match = _AUTH_RE.fullmatch(value.strip())
    if not match:
        raise api_error("AuthFailure.InvalidAuthorization")
    names = tuple(match["signed_headers"].split(";"))
    for required in REQUIRED_SIGNED_HEADERS:
        if required not in names:
            raise Refusal(
                "AuthFailure.InvalidAuthorization",
                f"SignedHeaders must include `{required}`.",
            )
    return Authorization(
        secret_id=match["secret_id"],
        date=match["date"],
        service=match["service"],
        signed_headers=names,
        signature=match["signature"],
    )


def _hmac(key: bytes, msg: str) -> bytes:
    return hmac.new(key, msg.encode("utf-8"), hashlib.sha256).digest()


def signing_key(secret_key: str, date: str, service: str = SERVICE) -> bytes:
    k_date = _hmac(("TC3" + secret_key).encode("utf-8"), date)
    return _hmac(_hmac(k_date, service), "tc3_request")


def canonical_request(
    method: str,
    query_string: str,
    header: HeaderGetter,
    signed_headers: tuple[str, ...],
    payload_hash: str,
) -> str:
    # The docs lower-case and trim values; the Python SDK signs raw values,
    # which are already lower-case, so one rule serves both kinds of client.
    headers = "".join(f"{n}:{(header(n) or '').strip().lower()}\n" for n in signed_headers)
    return "\n".join([method, "/", query_string, headers, ";".join(signed_headers), payload_hash])


def signature(secret_key: str, timestamp: str, date: str, service: str, request_text: str) -> str:
    digest = hashlib.sha256(request_text.encode("utf-8")).hexdigest()
    to_sign = "\n".join([ALGORITHM, timestamp, f"{date}/{service}/tc3_request", digest])
    key = signing_key(secret_key, date, service)
    return hmac.new(key, to_sign.encode("utf-8"), hashlib.sha256).hexdigest()


def payload_hash(method: str, body: bytes, header: HeaderGetter) -> str:
    if (header("x-tc-content-sha256") or "").strip() == UNSIGNED_PAYLOAD:
        payload = UNSIGNED_PAYLOAD.encode()
    elif method == "GET":
        payload = b""
    else:
        payload = body
    return hashlib.sha256(payload).hexdigest()


def _timestamp(header: HeaderGetter) -> str:
    value = (header("x-tc-timestamp") or "").strip()
    if not value:
        raise missing_parameter("X-TC-Timestamp")
    if not (value.isascii() and value.isdigit() and len(value) <= 12):
        raise invalid_parameter("The parameter `X-TC-Timestamp` must be unix time in seconds.")
    return value


def verify_tc3(
    *,
    method: str,
    query_string: str,
    header: HeaderGetter,
    body: bytes,
    lookup_secret: Callable[[str], str | None],
    now: float | None = None,
    max_skew: int = 300,
    service: str = SERVICE,
) -> str:
    """Check the request's TC3 signature; return its SecretId or raise Refusal.

    `header(name)` gives a request header by lower-case name; `lookup_secret`
    maps a SecretId to its SecretKey, or None when it is unknown or disabled.
    Cheap checks run first, so malformed or stale requests cost no lookup.
    """
    auth = parse_authorization(header("authorization"))
    timestamp = _timestamp(header)
    now = time.time() if now is None else now
    if abs(now - int(timestamp)) > max_skew:
        raise api_error("AuthFailure.SignatureExpire")
    utc_date = datetime.fromtimestamp(int(timestamp), tz=UTC).strftime("%Y-%m-%d")
    if auth.service != service or auth.date != utc_date:
        raise Refusal(
            "AuthFailure.SignatureFailure",
            "The credential scope must be `<UTC date of X-TC-Timestamp>/ses/tc3_request`.",
        )
    secret_key = lookup_secret(auth.secret_id)
    if secret_key is None:
        raise api_error("AuthFailure.SecretIdNotFound")
    text = canonical_request(
        method,
        query_string if method == "GET" else "",
        header,
        auth.signed_headers,
        payload_hash(method, body, header),
    )
    expected = signature(secret_key, timestamp, auth.date, auth.service, text)
    if not hmac.compare_digest(expected, auth.signature):
        raise api_error("AuthFailure.SignatureFailure")
    return auth.secret_id


def meta_header(meta: dict[str, Any]) -> HeaderGetter:
    """Header lookup on a WSGI environ, keeping the raw Host (never get_host())."""

    def get(name: str) -> str | None:
        if name in ("content-type", "content-length"):
            return meta.get(name.upper().replace("-", "_"))
        return meta.get("HTTP_" + name.upper().replace("-", "_"))

    return get


def authenticate(request: HttpRequest, body: bytes) -> registry.Credential:
    """Verify a Django request; return its usable credential (account loaded) or raise
    Refusal."""
    found: dict[str, registry.Credential] = {}

    def lookup(secret_id: str) -> str | None:
        key = registry.find_credential(secret_id)
        if key is None:
            return None
        try:
            secret = key.secret_key
        except crypto.UndecryptableSecret as error:
            # The operator's misconfiguration, not the client's: one clear line, and
            # the client learns only that the key is not usable.
            logger.error("%s: its requests are refused as SecretIdNotFound.", error)
            return None
        found["key"] = key
        return secret

    verify_tc3(
        method=request.method or "",  # handle() let only POST and GET through
        query_string=request.META.get("QUERY_STRING", ""),
        header=meta_header(request.META),
        body=body,
        lookup_secret=lookup,
        max_skew=settings.SES_API_TIMESTAMP_SKEW,
    )
    return found["key"]
