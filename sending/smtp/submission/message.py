"""A submitted message (the bytes after DATA) as a SendRequest (sending.acceptance), by
the API's rules: the same functions check the subject, the template and its data, custom
content, attachments, sizes, recipients and extra headers.

How a message maps onto a SendEmail request:
- Envelope recipients (RCPT TO) are who receives it. Each is To when the To header
  names it, else Cc when the Cc header does, else Bcc; the delivered header lists
  the To and Cc recipients, and Bcc never appears (a Bcc header is removed).
- From must be one mailbox, the authenticated sender address; only its display name
  may differ (no name: the address's sender name). Sender is removed.
- Subject, Reply-To (one address), Message-ID (kept: it is the one the message log
  and GetSendEmailStatus show; missing: the service makes one) and Date (checked;
  the delivered Date is the time of acceptance) are read; MIME-Version and the
  Content-* headers of the top level describe the body.
- The body: the text/plain and text/html alternatives (multipart/alternative, in
  any multipart/mixed or related), decoded from their transfer encoding and
  charset; every other part is an attachment, which must have a file name and
  follows the API's attachment rules (inline images become attachments).
- Templates, for template-only accounts and anyone else (documented in the README):
      X-SES-Template-ID: 123                          an approved template of yours
      X-SES-Template-Data: {"name": "Ana", "code": 7} its data, a JSON object
  The body must then be empty; the Subject may use the template's {{variables}}.
  Other X-SES- headers: X-SES-Unsubscribe (1 to 12: the language of the
  unsubscribe link, as the API's Unsubscribe) and X-SES-Trigger-Type (0 or 1).
  Any other X-SES- header is refused, so that a typo does not go unnoticed.
- Trace and authentication headers (Received, Return-Path, DKIM-Signature, ARC-*,
  Authentication-Results, Resent-*...) and List-Unsubscribe are removed: the
  service writes its own. Every other header goes out as given, under the API's
  SmtpHeaders rules (at most 50, each once, one line of at most 998 characters).

Headers are parsed strictly: a line that is not a header, a header given twice that
RFC 5322 allows once, a malformed address, date or Message-ID, 8-bit header bytes
that are not UTF-8, or a broken MIME structure refuse the message (550 5.6.0) with
what is wrong.
"""

import email.errors
import email.policy
import functools
import logging
import re
from collections.abc import Iterator
from email.headerregistry import Address, BaseHeader, HeaderRegistry
from email.message import EmailMessage, MIMEPart
from email.parser import BytesParser

from accounts.models import Account
from domains.models import SenderAddress
from domains.services import clean_sender_name
from domains.smtp_auth import Login
from sending.acceptance.attachments import check_attachment, check_count
from sending.acceptance.content import (
    Content,
    check_custom_allowed,
    check_subject,
    simple_content,
    template_content,
)
from sending.acceptance.headers import check_headers, is_protected, parse_message_id
from sending.acceptance.parse import address, parse_options, parse_recipients, send_request
from sending.acceptance.service import SendRequest, accept, check_account
from sending.models import Message, Source
from sending.smtp.submission.replies import reply
from sesconsole import smtp_headers
from sesconsole.refusals import Refusal

OWN_HEADERS = {name.lower(): name for name in smtp_headers.ALL}

# Read here and written again by the service.
_CONSUMED = (
    "from to cc subject reply-to message-id date mime-version content-type "
    "content-transfer-encoding content-disposition content-id content-description"
)
CONSUMED = frozenset(_CONSUMED.split(" "))
# RFC 5322 3.6: at most one of each.
_SINGLE = "from sender reply-to to cc bcc subject date message-id in-reply-to references"
SINGLE = frozenset(_SINGLE.split(" "))
_BROKEN_MIME = (
    email.errors.StartBoundaryNotFoundDefect,
    email.errors.CloseBoundaryNotFoundDefect,
    email.errors.MultipartInvariantViolationDefect,
    email.errors.NoBoundaryInMultipartDefect,
    email.errors.InvalidMultipartContentTransferEncodingDefect,
    email.errors.InvalidBase64PaddingDefect,
    email.errors.InvalidBase64CharactersDefect,
    email.errors.InvalidBase64LengthDefect,
)
_FOLD = re.compile(r"\r?\n(?=[ \t])")
_BARE = re.compile(rb"\r(?!\n)|(?<!\r)\n")
_NEWLINE = re.compile(r"\r\n?")


class _Headers(HeaderRegistry):
    """The email package's header parsing, remembered for short values: it parses a
    header anew on every access (Content-Type dozens of times a message), and the
    header objects are immutable."""

    def __init__(self) -> None:
        super().__init__()
        self._cached = functools.lru_cache(maxsize=1024)(super().__call__)

    def __call__(self, name: str, value: str) -> BaseHeader:
        if len(value) > 200:
            return super().__call__(name, value)
        return self._cached(name, value)


POLICY = email.policy.default.clone(header_factory=_Headers())
log = logging.getLogger("sending.smtp")


class Refused(Exception):
    """The message cannot be accepted; `reply` says why."""

    def __init__(self, reply_line: str) -> None:
        super().__init__(reply_line)
        self.reply = reply_line


def _malformed(text: str) -> Refused:
    return Refused(reply(550, "5.6.0", text))


def _unfold(raw: str) -> str:
    """A header value on one line: folding removed, tabs as spaces."""
    return _FOLD.sub("", raw).replace("\t", " ").strip()


def _check_header_block(message: EmailMessage) -> dict[str, str]:
    """{lower-case name: raw value} of the single headers, after the strict checks."""
    for defect in message.defects:
        if isinstance(defect, email.errors.MissingHeaderBodySeparatorDefect):
            raise _malformed(
                "The header has a line that is not a header (Name: value), or no empty line "
                "before the body"
            )
    seen: dict[str, str] = {}
    for name, raw in message.raw_items():
        lower = name.lower()
        if lower in SINGLE and lower in seen:
            raise _malformed(f"The message has more than one {name} header; RFC 5322 allows one")
        seen.setdefault(lower, raw)
        if not raw.isascii():
            try:
                raw.encode("ascii", "surrogateescape").decode("utf-8")
            except UnicodeError as error:
                raise _malformed(
                    f"The {name} header is neither ASCII nor UTF-8: encode it (RFC 2047)"
                ) from error
    return seen


def _addresses(message: EmailMessage, name: str) -> list[Address]:
    header = message[name]
    if header is None:
        return []
    if header.defects:
        if not str(header).isascii() or any("Non-ASCII" in str(d) for d in header.defects):
            raise _malformed(
                f"The {name} header has raw non-ASCII characters: encode them (RFC 2047)"
            )
        raise _malformed(f"The {name} header is malformed: {header.defects[0]}")
    return list(header.addresses)


def _normal(addr: str) -> str:
    try:
        return address(addr, "header").lower()
    except Refusal:
        return addr.lower()


def _from(message: EmailMessage, sender: SenderAddress) -> str:
    """The display name of the From header, which must name the sender address."""
    mailboxes = _addresses(message, "From")
    if message["From"] is None:
        raise Refused(
            reply(550, "5.7.1", f"The message has no From header: it must be {sender.email}")
        )
    if len(mailboxes) != 1 or message["From"].groups[0].display_name is not None:
        raise Refused(reply(550, "5.7.1", f"From must be one address: {sender.email}"))
    mailbox = mailboxes[0]
    if _normal(mailbox.addr_spec) != sender.email.lower():
        raise Refused(
            reply(
                550,
                "5.7.1",
                f"The From header must be your sender address {sender.email}, not "
                f"{mailbox.addr_spec[:100]} (only the display name may differ)",
            )
        )
    return clean_sender_name(mailbox.display_name) or sender.sender_name


def _reply_to(message: EmailMessage) -> str:
    if message["Reply-To"] is None:
        return ""
    mailboxes = _addresses(message, "Reply-To")
    if len(mailboxes) != 1:
        raise _malformed("Reply-To must be one address")
    return address(mailboxes[0].addr_spec, "Reply-To")


def _message_id(single: dict[str, str]) -> str:
    raw = single.get("message-id")
    if raw is None:
        return ""
    try:
        return parse_message_id(_unfold(raw))
    except Refusal as error:
        raise _malformed(
            "The Message-ID header must look like <id@example.com>: ASCII, no spaces, at most "
            "250 characters"
        ) from error


def _check_date(message: EmailMessage) -> None:
    header = message["Date"]
    if header is not None and (header.defects or header.datetime is None):
        raise _malformed("The Date header is not an RFC 5322 date")


def _recipients(
    message: EmailMessage, recipients: list[str]
) -> tuple[list[str], list[str], list[str]]:
    to_header = {_normal(a.addr_spec) for a in _addresses(message, "To")}
    cc_header = {_normal(a.addr_spec) for a in _addresses(message, "Cc")}
    kinds: tuple[list[str], list[str], list[str]] = ([], [], [])
    for recipient in recipients:
        key = recipient.lower()
        kinds[0 if key in to_header else 1 if key in cc_header else 2].append(recipient)
    to, cc, bcc = kinds
    return parse_recipients({"Destination": to, "Cc": cc, "Bcc": bcc})


def _own_headers(message: EmailMessage) -> dict[str, str]:
    """The X-SES- headers, decoded (RFC 2047 encoded words allowed)."""
    own = {}
    for name, value in message.items():
        lower = name.lower()
        if not lower.startswith(smtp_headers.PREFIX):
            continue
        if lower not in OWN_HEADERS:
            known = ", ".join(OWN_HEADERS.values())
            raise _malformed(f"{name} is not a header of this service; it knows {known}")
        if lower in own:
            raise _malformed(f"The message has more than one {name} header")
        own[lower] = str(value).strip()
    return own


def _custom_headers(message: EmailMessage) -> list[tuple[str, str]]:
    pairs = []
    for name, raw in message.raw_items():
        lower = name.lower()
        if lower in CONSUMED or lower.startswith(smtp_headers.PREFIX) or is_protected(lower):
            continue  # read here, or removed (Bcc, Sender, trace headers, ...)
        value = _unfold(raw)
        if not value.isascii():
            value = value.encode("ascii", "surrogateescape").decode("utf-8")
        pairs.append((name, value))
    return check_headers(pairs, "Message header")


def _check_mime(part: MIMEPart) -> None:
    for defect in part.defects:
        if isinstance(defect, _BROKEN_MIME):
            # Without docstrings (python -OO) the defect's name says it.
            what = (defect.__doc__ or type(defect).__name__).strip()
            raise _malformed(f"The MIME structure is broken: {what}")


def _leaves(part: MIMEPart) -> Iterator[MIMEPart]:
    """Every part that is not a container; an attached message is one part."""
    _check_mime(part)
    if part.is_multipart() and part.get_content_maintype() == "multipart":
        for sub in part.iter_parts():
            yield from _leaves(sub)
    else:
        yield part


def _text(part: MIMEPart | None) -> str:
    if part is None:
        return ""
    try:
        text = part.get_content()
    except (LookupError, ValueError, AssertionError) as error:
        raise _malformed(
            f"The {part.get_content_type()} body cannot be decoded: unknown charset or encoding"
        ) from error
    if "\x00" in text:
        raise _malformed(f"The {part.get_content_type()} body contains NUL characters")
    return _NEWLINE.sub("\n", text)


def _attachments(leaves: list[MIMEPart]) -> list[tuple[str, str, bytes]]:
    check_count(len(leaves))
    attachments: list[tuple[str, str, bytes]] = []
    for part in leaves:
        name = part.get_filename()
        if not name:
            raise _malformed(
                f"A {part.get_content_type()} part is neither the body nor an attachment with a "
                "file name (Content-Disposition: attachment; filename=...)"
            )
        if part.get_content_maintype() == "message":
            content = part.as_bytes(policy=POLICY)
        else:  # a leaf: its payload decodes to bytes
            payload = part.get_payload(decode=True)
            content = payload if isinstance(payload, bytes) else b""
        attachments.append(check_attachment(name, content))
    return attachments


def _content(
    account: Account, message: EmailMessage, own: dict[str, str], subject: str
) -> tuple[Content, list[tuple[str, str, bytes]]]:
    body_text = message.get_body(("plain",))
    body_html = message.get_body(("html",))
    text, html = _text(body_text), _text(body_html)
    leaves = [p for p in _leaves(message) if p is not body_text and p is not body_html]
    if smtp_headers.TEMPLATE_ID.lower() in own:
        if text.strip() or html.strip():
            raise _malformed(
                f"Give either a template ({smtp_headers.TEMPLATE_ID}) or a body, not both: "
                "leave the body empty"
            )
        template_id = own[smtp_headers.TEMPLATE_ID.lower()]
        template = {
            "TemplateID": int(template_id) if template_id.isdigit() else template_id,
            "TemplateData": own.get(smtp_headers.TEMPLATE_DATA.lower(), ""),
        }
        content = template_content(account, template, check_subject(subject))
    else:
        if smtp_headers.TEMPLATE_DATA.lower() in own:
            raise _malformed(
                f"{smtp_headers.TEMPLATE_DATA} is given without {smtp_headers.TEMPLATE_ID}"
            )
        check_custom_allowed(account)
        content = simple_content(
            check_subject(subject),
            html,
            text,
            f"The message has no text: give a body, or a template in {smtp_headers.TEMPLATE_ID}.",
        )
    return content, _attachments(leaves)


def _options(own: dict[str, str]) -> tuple[str, int]:
    trigger = own.get(smtp_headers.TRIGGER_TYPE.lower(), "0")
    return parse_options(
        {
            "Unsubscribe": own.get(smtp_headers.UNSUBSCRIBE.lower()),
            "TriggerType": int(trigger) if trigger.isdigit() else trigger,
        }
    )


# What the email package may raise on input it cannot make sense of (it has had bugs
# that raise IndexError and the like on crafted headers). Caught only around its own
# parsing (`_read`): the same errors from our code are bugs, answered 451 so that the
# client retries once they are fixed, never a permanent refusal of valid mail.
_UNPARSEABLE = (
    email.errors.MessageError,
    ValueError,
    LookupError,
    TypeError,
    AttributeError,
    AssertionError,
    RecursionError,
)


def _read(data: bytes) -> EmailMessage:
    """The parsed message, with everything the email package parses lazily (headers on
    access, bodies on decoding, attached messages on writing) parsed now: its failures
    are the message's, and later reads repeat work that has succeeded."""
    message = BytesParser(policy=POLICY).parsebytes(data)
    message.get_body(("plain",))
    message.get_body(("html",))
    for part in message.walk():
        for _name, value in part.items():
            str(value)
        part.get_content_type()
        part.get_filename()
        if part.get_content_maintype() == "message":
            part.as_bytes(policy=POLICY)
        elif not part.is_multipart():
            part.get_payload(decode=True)
    return message


def parse_submission(
    account: Account, sender: SenderAddress, recipients: list[str], data: bytes
) -> SendRequest:
    """The SendRequest of a message submitted by `sender` (authenticated) to the envelope
    `recipients`. Raises Refused, or Refusal for a rule shared with the API."""
    if _BARE.search(data):
        raise _malformed("The message has a bare CR or LF: lines must end with CR LF (RFC 5321)")
    try:
        message = _read(data)
    except _UNPARSEABLE as error:
        log.warning("a message from %s could not be parsed", sender.email, exc_info=True)
        raise _malformed("The message cannot be parsed as RFC 5322 and MIME") from error
    return _request(account, sender, recipients, message)


def _request(
    account: Account, sender: SenderAddress, recipients: list[str], message: EmailMessage
) -> SendRequest:
    single = _check_header_block(message)
    from_name = _from(message, sender)
    to, cc, bcc = _recipients(message, recipients)
    _check_date(message)
    own = _own_headers(message)
    subject = str(message["Subject"] or "").replace("\t", " ").strip()
    content, attachments = _content(account, message, own, subject)
    unsubscribe, trigger_type = _options(own)
    return send_request(
        sender,
        from_name,
        (to, cc, bcc),
        content,
        attachments,
        reply_to=_reply_to(message),
        unsubscribe=unsubscribe,
        trigger_type=trigger_type,
        headers=_custom_headers(message),
        smtp_message_id=_message_id(single),
        source=Source.SMTP,
    )


def submit(login: Login, recipients: list[str], data: bytes) -> Message:
    """Accept a message of the authenticated `login` (domains.smtp_auth.Login): the
    Message, committed (sending.acceptance.service.accept). Raises Refused or Refusal."""
    sender = (
        SenderAddress.objects.select_related("domain", "account").filter(pk=login.sender_id).first()
    )
    if sender is None or not sender.account.is_active:
        raise Refused(reply(550, "5.7.1", f"{login.email} can no longer send: log in again"))
    if not sender.domain.is_verified:
        raise Refusal(
            "FailedOperation.NotAuthenticatedSender",
            f"The domain {sender.domain.name} is not verified, so {sender.email} cannot send.",
        )
    account = sender.account
    check_account(account)  # a suspended account learns that first, as with the API
    return accept(account, parse_submission(account, sender, recipients, data))
