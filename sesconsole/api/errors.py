"""The API's side of refusals (sesconsole.refusals): the Tencent error envelope, the
wording of the platform-wide codes, and the refusals of parameter checking."""

from sesconsole.refusals import Refusal

# Messages for the platform-wide codes when a raiser gives none; they follow
# the wording of Tencent's common error code table.
DEFAULT_MESSAGES = {
    "AuthFailure.InvalidAuthorization": "The Authorization header is not in the TC3-HMAC-SHA256 "
    "format.",
    "AuthFailure.SecretIdNotFound": "The SecretId does not exist or the key is disabled.",
    "AuthFailure.SignatureExpire": "The request signature has expired: X-TC-Timestamp differs "
    "from the server time by more than the allowed skew.",
    "AuthFailure.SignatureFailure": "The provided credentials could not be validated. "
    "Please check your signature is correct.",
    "InternalError": "An internal error has occurred. Retry the request, or contact support "
    "quoting the RequestId.",
    "InvalidAction": "The action does not exist.",
    "NoSuchVersion": "The API version does not exist.",
    "RequestLimitExceeded": "The request rate limit has been exceeded.",
    "RequestSizeLimitExceeded": "The request body is too large.",
    "UnsupportedProtocol": "The HTTP method is not supported; use POST or GET.",
}


def api_error(code: str, message: str = "") -> Refusal:
    """A refusal of the API itself, worded as Tencent words its platform-wide codes."""
    return Refusal(code, message or DEFAULT_MESSAGES.get(code, code))


def as_dict(refusal: Refusal) -> dict[str, str]:
    """The `Error` object of the Tencent envelope."""
    return {"Code": refusal.code, "Message": refusal.message}


def missing_parameter(name: str, code: str = "MissingParameter") -> Refusal:
    """`code`: the action's own code for this parameter where the spec has one
    (MissingParameter.ReceiverIdNecessary), see registry.action's `missing`."""
    return Refusal(code, f"The parameter `{name}` is missing.", name)


def unknown_parameter(name: str) -> Refusal:
    return Refusal("UnknownParameter", f"The parameter `{name}` is not recognized.")


def invalid_parameter(message: str) -> Refusal:
    return Refusal("InvalidParameter", message)


def invalid_parameter_value(message: str, code: str = "InvalidParameterValue") -> Refusal:
    return Refusal(code, message)
