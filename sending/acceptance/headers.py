"""What a sender may put into the header of a message: SmtpHeaders, SmtpMessageId,
and the one rule every header value obeys.

No value given by a client may carry a line break or another control
character: refusing them here is what keeps a subject, a display name, an
address or a custom header from ever turning into an extra header line.
"""

import json
import re
from collections.abc import Sequence
from typing import Any, NoReturn

from sesconsole.refusals import Refusal

# C0 controls (CR, LF, TAB...), DEL, C1 controls (NEL among them) and the
# Unicode line and paragraph separators: everything str.splitlines() or a mail
# program might take for the end of a line.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")

MAX_SMTP_HEADERS = 50
# A header line is at most 998 characters (RFC 5322 2.1.1), name and ": " included.
MAX_HEADER_LINE = 998
_HEADER_NAME = re.compile(r"^[!-9;-~]{1,76}$")  # printable ASCII but ":" (RFC 5322 ftext)

# Headers the service writes itself: a client cannot set or override them.
_PROTECTED = (
    "From Sender To Cc Bcc Reply-To Subject Date Message-ID "
    "Return-Path Received Received-SPF Delivered-To DKIM-Signature DomainKey-Signature "
    "ARC-Seal ARC-Message-Signature ARC-Authentication-Results Authentication-Results "
    "MIME-Version Content-Type Content-Transfer-Encoding Content-Disposition Content-ID "
    "List-Unsubscribe List-Unsubscribe-Post"
)
PROTECTED_HEADERS = frozenset(name.lower() for name in _PROTECTED.split(" "))
PROTECTED_PREFIXES = ("resent-",)

MAX_MESSAGE_ID = 250
_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_DOT_ATOM = rf"{_ATEXT}(?:\.{_ATEXT})*"
_MESSAGE_ID = re.compile(rf"^<{_DOT_ATOM}@(?:{_DOT_ATOM}|\[[!-Z^-~]*\])>$")


def has_control(value: str) -> bool:
    """Whether `value` holds a line break or any other control character."""
    return bool(_CONTROL.search(value))


def is_protected(name: str) -> bool:
    name = name.lower()
    return name in PROTECTED_HEADERS or name.startswith(PROTECTED_PREFIXES)


class _Pairs(list[tuple[str, Any]]):
    """A JSON object as its (key, value) pairs, duplicates kept."""


def _refuse_constant(name: str) -> NoReturn:
    raise ValueError(f"{name} is not JSON")


def parse_smtp_headers(raw: str | None) -> list[tuple[str, str]]:
    """SmtpHeaders: a JSON object of header names and string values, e.g.
    {"X-Campaign": "spring", "In-Reply-To": "<a@b>"}. Empty means none."""
    if raw is None or not str(raw).strip():
        return []
    try:
        data = json.loads(raw, object_pairs_hook=_Pairs, parse_constant=_refuse_constant)
    except (ValueError, RecursionError) as error:
        raise _refusal(
            "SmtpHeaders", 'it must be a JSON object such as {"X-Tag": "value"}.'
        ) from error
    if not isinstance(data, _Pairs):
        raise _refusal("SmtpHeaders", 'it must be a JSON object such as {"X-Tag": "value"}.')
    return check_headers(data, "SmtpHeaders")


def _refusal(where: str, message: str) -> Refusal:
    return Refusal("InvalidParameterValue", f"{where}: {message}")


def check_headers(pairs: Sequence[tuple[str, object]], where: str) -> list[tuple[str, str]]:
    """The (name, value) pairs a client adds to its message, each checked: at most
    MAX_SMTP_HEADERS, a valid name given once, not one the service writes itself, a
    string value without control characters, one header line at most. `where` names
    the origin in refusals (e.g. "SmtpHeaders")."""
    if len(pairs) > MAX_SMTP_HEADERS:
        raise _refusal(where, f"at most {MAX_SMTP_HEADERS} headers are allowed.")
    headers: list[tuple[str, str]] = []
    seen: set[str] = set()
    for name, value in pairs:
        if not _HEADER_NAME.match(name):
            raise _refusal(
                where,
                f"{name[:80]!r} is not a header name (1 to 76 printable ASCII characters, "
                "no spaces or colons).",
            )
        if is_protected(name):
            raise _refusal(where, f"{name} is set by the service and cannot be given.")
        if name.lower() in seen:
            raise _refusal(where, f"{name} is given more than once.")
        seen.add(name.lower())
        if not isinstance(value, str):
            raise _refusal(where, f"the value of {name} must be a string.")
        if has_control(value):
            raise _refusal(
                where, f"the value of {name} must not contain line breaks or control characters."
            )
        if len(name) + 2 + len(value) > MAX_HEADER_LINE:
            raise _refusal(where, f"the {name} header is longer than {MAX_HEADER_LINE} characters.")
        headers.append((name, value))
    return headers


def parse_message_id(raw: str | None) -> str:
    """SmtpMessageId as the Message-ID header value `<left@right>`; brackets may be left out."""
    value = (raw or "").strip()
    if not value:
        return ""
    if not value.startswith("<"):
        value = f"<{value}>"
    if has_control(value) or len(value) > MAX_MESSAGE_ID or not _MESSAGE_ID.match(value):
        raise Refusal(
            "InvalidParameterValue",
            f"SmtpMessageId must look like <id@example.com>: ASCII, no spaces, at most "
            f"{MAX_MESSAGE_ID} characters.",
        )
    return value
