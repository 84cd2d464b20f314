"""The API gateway at `/`: Tencent Cloud SES 2020-10-02 wire format.

Every API reply is HTTP 200 with `Content-Type: application/json` exactly and a
RequestId: the official SDK treats any other status as a network error and,
given a charset in the content type, silently skips error detection.
"""

import json
import logging
import uuid
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect
from django.views.decorators.csrf import csrf_exempt

from sesconsole import ratelimit, usage
from sesconsole.api import auth, registry, schema
from sesconsole.api.errors import api_error, as_dict, invalid_parameter, missing_parameter
from sesconsole.refusals import Refusal

logger = logging.getLogger(__name__)

CONTENT_TYPE = "application/json"


def _reply(request_id: str, fields: dict[str, Any]) -> HttpResponse:
    body = json.dumps({"Response": {**fields, "RequestId": request_id}})
    return HttpResponse(body, content_type=CONTENT_TYPE)


def _error_reply(request_id: str, error: Refusal) -> HttpResponse:
    return _reply(request_id, {"Error": as_dict(error)})


@csrf_exempt
def gateway(request: HttpRequest) -> HttpResponseBase:
    # The official SDK always signs its requests, so an unsigned GET is a
    # person who typed the service's address into a browser.
    if request.method == "GET" and "HTTP_AUTHORIZATION" not in request.META:
        return redirect("home")
    request_id = str(uuid.uuid4())
    try:
        return _reply(request_id, handle(request, request_id))
    except Refusal as error:
        return _error_reply(request_id, error)
    except Exception:
        logger.exception(
            "API request failed: RequestId %s, action %r",
            request_id,
            request.META.get("HTTP_X_TC_ACTION"),
        )
        return _error_reply(request_id, api_error("InternalError"))


def handle(request: HttpRequest, request_id: str) -> dict[str, Any]:
    """Run one API request through the checks and its handler; return the Response fields."""
    if request.method not in ("POST", "GET"):
        raise api_error("UnsupportedProtocol")
    body = read_body(request) if request.method == "POST" else b""
    action = request.META.get("HTTP_X_TC_ACTION", "").strip()
    if not action:
        raise missing_parameter("X-TC-Action")
    check_version(request.META.get("HTTP_X_TC_VERSION", "").strip())

    api_key = auth.authenticate(request, body)
    api_key.mark_used()
    account = api_key.account
    usage.count_api_request(account)

    handler = registry.get(action)
    if handler is None:
        if action in schema.action_names():
            raise Refusal(
                "InvalidAction", f"The action `{action}` is not available on this service yet."
            )
        raise Refusal("InvalidAction", f"The action `{action[:100]}` does not exist.")
    if not ratelimit.hit(f"api:{account.pk}:{action}", account.api_rate_per_second, period=1):
        raise Refusal(
            "RequestLimitExceeded",
            f"At most {account.api_rate_per_second} {action} requests per second are allowed.",
        )

    params = schema.validate(
        action,
        request_params(request, action, body),
        registry.missing_codes(action),
        registry.optional_members(action),
    )
    ctx = registry.ApiContext(
        request_id=request_id,
        account=account,
        api_key=api_key,
        action=action,
        region=request.META.get("HTTP_X_TC_REGION", ""),
        language=request.META.get("HTTP_X_TC_LANGUAGE", ""),
        request=request,
    )
    result = handler(ctx, params)
    if not isinstance(result, dict):
        raise TypeError(f"handler of {action} returned {type(result).__name__}, not dict")
    return result


def read_body(request: HttpRequest) -> bytes:
    """The raw body, refusing more than SES_API_MAX_BODY bytes.

    Read from the stream rather than request.body, which enforces the much
    smaller DATA_UPLOAD_MAX_MEMORY_SIZE and raises instead of answering.
    """
    limit = settings.SES_API_MAX_BODY
    too_large = Refusal("RequestSizeLimitExceeded", f"The request body exceeds {limit} bytes.")
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > limit:
        raise too_large
    chunks: list[bytes] = []
    size = 0
    while chunk := request.read(limit + 1 - size):
        chunks.append(chunk)
        size += len(chunk)
        if size > limit:
            raise too_large
    return b"".join(chunks)


def check_version(version: str) -> None:
    if not version:
        raise missing_parameter("X-TC-Version")
    if version != schema.api_version():
        raise Refusal(
            "NoSuchVersion",
            f"The API version `{version[:40]}` does not exist; use {schema.api_version()}.",
        )


def request_params(request: HttpRequest, action: str, body: bytes) -> dict[str, Any]:
    if request.method == "GET":
        return schema.parse_query(action, request.META.get("QUERY_STRING", ""))
    try:
        params = json.loads(body)
    except (ValueError, RecursionError) as exc:
        raise invalid_parameter("The request body is not valid JSON.") from exc
    if not isinstance(params, dict):
        raise invalid_parameter("The request body must be a JSON object.")
    return params
