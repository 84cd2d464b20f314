"""SMTP replies: each refusal of the sending rules (a Refusal with Tencent's code) as a
reply code and an enhanced status code (RFC 3463), and aiosmtpd's own replies made
clear and given enhanced codes too (the server advertises ENHANCEDSTATUSCODES).

Temporary conditions (rate, daily quota, per-recipient hourly cap, a local failure)
are 4xx: a client queues the message and retries. Everything the client must change
is 5xx.
"""

import re

from sending.smtp.status import reply as reply  # the server's replies are written with it
from sesconsole.refusals import Refusal

# Tencent error code -> (reply code, enhanced status code).
API_REPLIES = {
    # Limits: temporary, retry later.
    "RequestLimitExceeded": (451, "4.7.1"),
    "FailedOperation.ExceedSendLimit": (451, "4.7.1"),
    "FailedOperation.FrequencyLimit": (450, "4.7.1"),
    # Lists and the account's standing: permanent.
    "FailedOperation.EmailAddrInBlacklist": (550, "5.1.1"),
    "FailedOperation.ReceiverHasUnsubscribed": (550, "5.7.1"),
    "FailedOperation.HighRejectionRate": (550, "5.7.1"),
    "FailedOperation.WithOutPermission": (550, "5.7.1"),
    # Who sends.
    "FailedOperation.NotAuthenticatedSender": (550, "5.7.1"),
    "InvalidParameterValue.NoSuchSender": (550, "5.7.1"),
    "FailedOperation.IncorrectSender": (550, "5.7.1"),
    "InvalidParameterValue.IllegalSenderName": (550, "5.6.0"),
    # Addresses.
    "InvalidParameterValue.IllegalEmailAddress": (553, "5.1.3"),
    "InvalidParameterValue.EmailAddressIsNULL": (553, "5.1.3"),
    "FailedOperation.TooManyRecipients": (550, "5.5.3"),
    # Size.
    "FailedOperation.EmailContentToolarge": (552, "5.3.4"),
    "FailedOperation.AttachContentToolarge": (552, "5.3.4"),
    # Content: templates, data, bodies, attachments, headers.
    "FailedOperation.InvalidTemplateID": (550, "5.6.0"),
    "OperationDenied.TemplateStatusError": (550, "5.6.0"),
    "FailedOperation.WrongContentJson": (550, "5.6.0"),
    "InvalidParameterValue.TemplateDataError": (550, "5.6.0"),
    "FailedOperation.MissingEmailContent": (550, "5.6.0"),
    "InvalidParameterValue.EmailContentIsWrong": (550, "5.6.0"),
    "InvalidParameterValue.SubjectLengthError": (550, "5.6.0"),
    "FailedOperation.InvalidAttachName": (550, "5.6.0"),
    "InvalidParameterValue.AttachContentIsWrong": (550, "5.6.0"),
    "FailedOperation.TooManyAttachments": (550, "5.6.0"),
    "UnsupportedOperation": (550, "5.6.0"),
    "InvalidParameterValue": (550, "5.6.0"),
}
# A code this table does not know: the client's message is at fault, permanently.
DEFAULT_REPLY = (550, "5.6.0")
LOCAL_ERROR = "451 4.3.0 A temporary local problem; try again later"


def for_refusal(error: Refusal) -> str:
    code, enhanced = API_REPLIES.get(error.code, DEFAULT_REPLY)
    return reply(code, enhanced, f"{error.message} ({error.code})")


_ENHANCED = re.compile(r"^\d{3}[ -][245]\.\d{1,3}\.\d{1,3}( |$)")

# aiosmtpd's own replies, exactly as it sends them.
_EXACT = {
    "250 OK": "250 2.0.0 OK",
    "221 Bye": "221 2.0.0 Bye",
    "220 Ready to start TLS": "220 2.0.0 Ready to start TLS",
    "454 TLS not available": "454 4.7.0 TLS is not available on this port: it is TLS already",
    "500 Command line too long": "500 5.5.2 Command line too long",
    "500 Error: bad syntax": "500 5.5.2 Syntax error",
    "500 Error: strict ASCII mode": "500 5.5.2 Commands must be ASCII",
    "530 Must issue a STARTTLS command first": "530 5.7.0 Must issue a STARTTLS command first",
    "503 Error: need MAIL command": "503 5.5.1 Need a MAIL command first",
    "503 Error: need RCPT command": "503 5.5.1 Need a RCPT command first",
    "503 Error: nested MAIL command": (
        "503 5.5.1 A MAIL transaction is open already: finish it or RSET first"
    ),
    "553 5.1.3 Error: malformed address": "553 5.1.3 Malformed address: give <local-part@domain>",
    "500 Line too long (see RFC5321 4.5.3.1.6)": (
        "500 5.5.2 Line too long: at most 998 characters a line (RFC 5321 4.5.3.1.6); "
        "the message was not accepted"
    ),
    "502 EXPN not implemented": "502 5.5.1 EXPN is not implemented",
    "555 MAIL FROM parameters not recognized or not implemented": (
        "555 5.5.4 MAIL FROM parameters not recognized"
    ),
    "555 RCPT TO parameters not recognized or not implemented": (
        "555 5.5.4 RCPT TO parameters not recognized"
    ),
    "501 Error: BODY can only be one of 7BIT, 8BITMIME": (
        "501 5.5.4 BODY can only be 7BIT or 8BITMIME"
    ),
    "501 Error: SMTPUTF8 disabled": "555 5.5.4 SMTPUTF8 is not offered here",
    "501 Error: SMTPUTF8 takes no arguments": "501 5.5.4 SMTPUTF8 takes no arguments",
    "252 Cannot VRFY user, but will accept message and attempt delivery": (
        "252 2.5.0 Cannot VRFY users"
    ),
}
_PREFIXES = (
    ("501 Syntax: ", "501 5.5.4 Syntax: "),
    ("500 Error: command ", "500 5.5.2 Command "),
    ("503 Error: send ", "503 5.5.1 Send "),
    ("502 Could not VRFY ", "502 5.5.4 Could not VRFY "),
)


def size_replies(limit: int) -> dict[str, str]:
    text = f"552 5.3.4 Message too big: at most {limit} bytes (SIZE {limit})"
    return {
        "552 Error: message size exceeds fixed maximum message size": text,
        "552 Error: Too much mail data": text,
    }


def rewrite(status: str, extra: dict[str, str] | None = None) -> str:
    """`status` with an enhanced status code and a clear text, where aiosmtpd sent one
    without. The greeting and EHLO lines are never passed here."""
    if _ENHANCED.match(status) or status.startswith("354"):
        return status
    if extra and status in extra:
        return extra[status]
    if status in _EXACT:
        return _EXACT[status]
    for prefix, replacement in _PREFIXES:
        if status.startswith(prefix):
            return replacement + status[len(prefix) :]
    return status
