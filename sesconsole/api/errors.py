"""API errors: a Tencent error code and a message, rendered into the error envelope."""

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


class ApiError(Exception):
    """An error returned to the API client as `{"Error": {"Code", "Message"}}`."""

    def __init__(self, code: str, message: str = "", param: str | None = None):
        self.code = code
        self.message = message or DEFAULT_MESSAGES.get(code, code)
        # The request parameter refused, where one is ("Destination"): the
        # console shows the message under that parameter's form field.
        self.param = param
        super().__init__(f"{self.code}: {self.message}")

    def as_dict(self) -> dict:
        return {"Code": self.code, "Message": self.message}


def missing_parameter(name: str) -> ApiError:
    return ApiError("MissingParameter", f"The parameter `{name}` is missing.")


def unknown_parameter(name: str) -> ApiError:
    return ApiError("UnknownParameter", f"The parameter `{name}` is not recognized.")


def invalid_parameter(message: str) -> ApiError:
    return ApiError("InvalidParameter", message)


def invalid_parameter_value(message: str, code: str = "InvalidParameterValue") -> ApiError:
    return ApiError(code, message)
