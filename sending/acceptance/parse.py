"""SendEmail's parameters as a service.SendRequest, each refusal a Refusal with
Tencent's code. The console's Send page goes through here too: a refusal of one
parameter names it (Refusal.param), and the page shows it under that field.

Choices where the spec leaves room (the full list is in the module's tests):
- FromEmailAddress is `addr` or `Alias <addr>` (one space before `<`; a
  double-quoted alias is unquoted). Layout and address syntax:
  FailedOperation.IncorrectSender; the alias: IllegalSenderName; an address
  that is not this account's: NoSuchSender; its domain no longer verified:
  FailedOperation.NotAuthenticatedSender. Without an alias the address's own
  sender name is used.
- Recipient, ReplyToAddresses and HeaderFrom addresses are bare addresses
  (ASCII local part, IDN domains as IDNA): InvalidParameterValue.IllegalEmailAddress.
  An empty one, or no recipient at all: EmailAddressIsNULL. Bcc may repeat
  neither a Destination nor a Cc address (InvalidParameterValue).
- Subject: 1 to 998 characters (SubjectLengthError), before and after its
  {{variables}} are filled; no line breaks or control characters, neither
  given nor brought in by TemplateData (InvalidParameterValue,
  InvalidParameterValue.TemplateDataError). The Message keeps the filled subject.
- Template and Simple together: InvalidParameterValue. TemplateData that is
  not a JSON object of strings and numbers: FailedOperation.WrongContentJson;
  variables it lacks (body or subject): InvalidParameterValue.TemplateDataError,
  naming all of them.
- 4 MB (4 MiB): attachments alone over it: FailedOperation.AttachContentToolarge;
  content (filled template or Simple) plus attachments over it:
  FailedOperation.EmailContentToolarge.
- HeaderFrom (`addr` or `Alias <addr>`, its alias replacing the From alias)
  must be on a verified domain of the account or a subdomain of one
  (FailedOperation.NotAuthenticatedSender): the service signs only what the
  account proved it owns.
"""

from collections.abc import Mapping
from typing import Any

from accounts.models import Account
from domains.models import SenderAddress
from domains.services import clean_sender_name, parse_address
from sending.acceptance.attachments import parse_attachments
from sending.acceptance.content import Content, check_subject, parse_content
from sending.acceptance.headers import has_control, parse_message_id, parse_smtp_headers
from sending.acceptance.service import SendRequest
from sesconsole.refusals import Refusal

RECIPIENT_LIMITS = (("Destination", 50), ("Cc", 20), ("Bcc", 20))
MAX_ADDRESS = 254
MAX_EMAIL_BYTES = 4 * 1024 * 1024
UNSUBSCRIBE_CODES = frozenset(str(code) for code in range(13))
TRIGGER_TYPES = (0, 1)


def _no_controls(field: str) -> str:
    return f"{field} must not contain line breaks or control characters."


def split_mailbox(raw: str, code: str, field: str) -> tuple[str, str]:
    """(display name, address) of `addr` or `Name <addr>`."""
    name, address = "", raw
    if raw.endswith(">"):
        head, bracket, address = raw[:-1].rpartition("<")
        if not bracket:
            raise Refusal(code, f"{field}: a > without its <.", field)
        if head and not head.endswith(" "):
            raise Refusal(code, f"{field}: put one space between the name and <address>.", field)
        name = head.strip()
        if len(name) >= 2 and name[0] == name[-1] == '"':
            name = name[1:-1]
    if "<" in address or ">" in address:
        raise Refusal(code, f'{field} must be "address" or "Name <address>".', field)
    return name, address.strip()


def parse_from(account: Account, raw: object) -> tuple[SenderAddress, str]:
    """(the account's SenderAddress, display name) of FromEmailAddress."""
    param = "FromEmailAddress"
    raw = raw if isinstance(raw, str) else ""
    if not raw.strip():
        raise Refusal(
            "InvalidParameterValue.EmailAddressIsNULL", "FromEmailAddress is empty.", param
        )
    if has_control(raw):
        raise Refusal("FailedOperation.IncorrectSender", _no_controls(param), param)
    code = "FailedOperation.IncorrectSender"
    name, address = split_mailbox(raw.strip(), code, param)
    try:
        name = clean_sender_name(name)
    except Refusal as error:
        raise Refusal(error.code, error.message, param) from error
    try:
        local, host = parse_address(address)
    except Refusal as error:
        raise Refusal(code, f"FromEmailAddress: {error.message}", param) from error
    email = f"{local}@{host}"
    sender = account.sender_addresses.select_related("domain").filter(email__iexact=email).first()
    if sender is None:
        raise Refusal(
            "InvalidParameterValue.NoSuchSender",
            f"{email} is not a sender address of yours.",
            param,
        )
    if not sender.domain.is_verified:
        raise Refusal(
            "FailedOperation.NotAuthenticatedSender",
            f"The domain {host} is not verified, so {email} cannot send.",
            param,
        )
    return sender, name or sender.sender_name


def address(raw: object, field: str) -> str:
    """One bare address, its domain in IDNA form."""
    if not isinstance(raw, str) or not raw.strip():
        raise Refusal(
            "InvalidParameterValue.EmailAddressIsNULL", f"{field} has an empty address.", field
        )
    value = raw.strip()
    if has_control(raw) or len(value) > MAX_ADDRESS or any(c in value for c in ' <>,;"()[]'):
        raise Refusal(
            "InvalidParameterValue.IllegalEmailAddress",
            f"{field}: {value[:100]!r} is not a single valid email address.",
            field,
        )
    try:
        local, host = parse_address(value)
    except Refusal as error:
        raise Refusal(error.code, f"{field}: {error.message}", field) from error
    return f"{local}@{host}"


def parse_recipients(params: Mapping[str, Any]) -> tuple[list[str], list[str], list[str]]:
    lists: list[list[str]] = []
    for field, limit in RECIPIENT_LIMITS:
        raw = params.get(field) or []
        if len(raw) > limit:
            raise Refusal(
                "FailedOperation.TooManyRecipients",
                f"{field} has {len(raw)} addresses; at most {limit} are allowed.",
                field,
            )
        lists.append([address(item, field) for item in raw])
    to, cc, bcc = lists
    if not (to or cc or bcc):
        raise Refusal(
            "InvalidParameterValue.EmailAddressIsNULL",
            "Give at least one recipient in Destination, Cc or Bcc.",
            "Destination",
        )
    shown = {item.lower() for item in to + cc}
    for item in bcc:
        if item.lower() in shown:
            raise Refusal(
                "InvalidParameterValue",
                f"{item} is in Bcc and also in Destination or Cc: give each address once.",
                "Bcc",
            )
    return to, cc, bcc


def check_size(content_size: int, attachments: list[tuple[str, str, bytes]]) -> int:
    attached = sum(len(content) for _, _, content in attachments)
    limit_mb = MAX_EMAIL_BYTES // (1024 * 1024)
    if attached > MAX_EMAIL_BYTES:
        raise Refusal(
            "FailedOperation.AttachContentToolarge",
            f"The attachments have {attached} bytes; at most {limit_mb} MB in all.",
            "Attachments",
        )
    total = content_size + attached
    if total > MAX_EMAIL_BYTES:
        raise Refusal(
            "FailedOperation.EmailContentToolarge",
            f"The email has {total} bytes with its attachments; at most {limit_mb} MB.",
            "Attachments",
        )
    return total


def parse_header_from(account: Account, raw: object) -> tuple[str, str]:
    """(address, display name) of HeaderFrom, or ("", "")."""
    if not isinstance(raw, str) or not raw.strip():
        return "", ""
    code = "InvalidParameterValue.IllegalEmailAddress"
    if has_control(raw):
        raise Refusal(code, _no_controls("HeaderFrom"), "HeaderFrom")
    name, mailbox = split_mailbox(raw.strip(), code, "HeaderFrom")
    try:
        name = clean_sender_name(name)
    except Refusal as error:
        raise Refusal(error.code, error.message, "HeaderFrom") from error
    email = address(mailbox, "HeaderFrom")
    host = email.rpartition("@")[2]
    verified = account.sender_domains.verified().values_list("name", flat=True)
    if not any(host == domain or host.endswith(f".{domain}") for domain in verified):
        raise Refusal(
            "FailedOperation.NotAuthenticatedSender",
            f"HeaderFrom: {host} is not a verified domain of yours (or under one).",
            "HeaderFrom",
        )
    return email, name


def parse_options(params: Mapping[str, Any]) -> tuple[str, int]:
    """(Unsubscribe, TriggerType) of a request."""
    unsubscribe = params.get("Unsubscribe")
    unsubscribe = "" if unsubscribe is None else str(unsubscribe).strip()
    if unsubscribe and unsubscribe not in UNSUBSCRIBE_CODES:
        raise Refusal(
            "InvalidParameterValue",
            "Unsubscribe must be 0 (no link) or a language of the link, 1 to 12.",
            "Unsubscribe",
        )
    trigger_type = params.get("TriggerType", 0)
    if isinstance(trigger_type, bool) or trigger_type not in TRIGGER_TYPES:
        raise Refusal(
            "InvalidParameterValue",
            "TriggerType must be 0 (marketing) or 1 (triggered).",
            "TriggerType",
        )
    return unsubscribe, trigger_type


def parse_send_email(account: Account, params: dict[str, Any]) -> SendRequest:
    """Every rule of one SendEmail request; limits and lists are service.accept's."""
    sender, from_name = parse_from(account, params.get("FromEmailAddress"))
    to, cc, bcc = parse_recipients(params)
    content = parse_content(account, params, check_subject(params.get("Subject")))
    attachments = parse_attachments(params.get("Attachments"))
    reply_to = params.get("ReplyToAddresses")
    reply_to = address(reply_to, "ReplyToAddresses") if reply_to and reply_to.strip() else ""
    unsubscribe, trigger_type = parse_options(params)
    headers = parse_smtp_headers(params.get("SmtpHeaders"))
    header_from, header_name = parse_header_from(account, params.get("HeaderFrom"))
    return send_request(
        sender,
        header_name or from_name,
        (to, cc, bcc),
        content,
        attachments,
        header_from=header_from,
        reply_to=reply_to,
        unsubscribe=unsubscribe,
        trigger_type=trigger_type,
        headers=headers,
        smtp_message_id=parse_message_id(params.get("SmtpMessageId")),
    )


def send_request(
    sender: SenderAddress,
    from_name: str,
    recipients: tuple[list[str], list[str], list[str]],
    content: Content,
    attachments: list[tuple[str, str, bytes]],
    **fields: Any,
) -> SendRequest:
    """The SendRequest of checked parts, made the same way for the API and for SMTP:
    its content and its size (content and attachments within 4 MB)."""
    to, cc, bcc = recipients
    return SendRequest(
        sender=sender,
        subject=content.subject,
        to=to,
        cc=cc,
        bcc=bcc,
        from_name=from_name,
        template_revision=content.revision,
        template_data=content.data or {},
        html=content.html,
        text=content.text,
        attachments=attachments,
        size=check_size(content.size, attachments),
        **fields,
    )
