"""Building the message (RFC 5322 and MIME) that delivery sends.

One build per Message serves all its recipients: the content is the same, only
the envelope (RCPT TO, and MAIL FROM through verp.verp_address) differs per Delivery.

Choices:
- Headers are written by this module, not folded by the `email` package: in
  Python 3.11 its folder loses spaces between encoded words and turns long
  ASCII values (a Message-ID in In-Reply-To, a URL) into encoded words. ASCII
  values are folded at spaces (lines of at most 78 octets where a space
  allows, never over 998); the subject and the alias, when not ASCII or when
  they hold "=?", and non-ASCII custom header values are RFC 2047 encoded
  words of UTF-8, split between characters. ASCII custom values go out as
  given (a client may send them pre-encoded).
- To and Cc list every delivery of their kind, dropped ones included: the
  message as addressed. Bcc never appears. Without To or Cc the message says
  `To: undisclosed-recipients:;`.
- Bodies are 7bit, quoted-printable or base64 (never 8bit, so no receiver
  needs 8BITMIME); attachments are base64, their names RFC 2231 encoded
  when not ASCII. HTML alone gets a plain-text alternative made from it.
"""

import copy
import email.policy
import re
from collections.abc import Iterable
from email.header import Header
from email.message import EmailMessage, MIMEPart
from email.utils import format_datetime, formataddr, make_msgid
from html.parser import HTMLParser

from sending.acceptance.headers import has_control
from sending.models import Attachment, Delivery, Message, Recipient
from templates_app.variables import TemplateDataError, render

# 7bit: bodies are quoted-printable or base64 when not ASCII. The headers are
# set raw (already folded), and refold_source="none" keeps them as they are.
POLICY = email.policy.SMTP.clone(cte_type="7bit", refold_source="none")
LINE = 78  # RFC 5322: lines SHOULD be at most 78 characters...
MAX_LINE = 998  # ...and MUST be at most 998
_FOLD_POINT = re.compile(r"(?= [^ ])")  # before a space that starts a word


class BuildError(Exception):
    """The message cannot be built (its bodies were purged, its template revision is gone)."""


def render_parts(message: Message) -> tuple[str, str]:
    """(html, text) of a message: its template revision filled from its data, or its own content."""
    if message.bodies_purged_at:
        raise BuildError(f"The bodies of {message.message_id} were purged.")
    revision = message.template_revision  # no query when it has none
    if revision is not None:
        try:
            return render(revision.html, revision.text, message.template_data or {})
        except TemplateDataError as error:
            raise BuildError(f"{message.message_id} cannot be filled: {error}") from error
    if not (message.html or message.text):  # a template send whose template was deleted
        raise BuildError(f"{message.message_id} has no content: its template is gone.")
    return message.html, message.text


def personalise(message: Message, delivery: Delivery) -> Message:
    """The mail of one Delivery of a personal (batch) Message: the recipient's data over
    the message's, the subject filled from it, a Message-ID and Date of its own. The
    Message-ID is fixed by the Delivery, so a retry carries the same one."""
    mail = copy.copy(message)
    data = {**(message.template_data or {}), **(delivery.data or {})}
    mail.template_data = data
    try:
        mail.subject = render("", message.subject, data)[1]
    except TemplateDataError as error:
        raise BuildError(
            f"The subject cannot be filled for {delivery.recipient}: {error}"
        ) from error
    domain = message.from_address.rpartition("@")[2]
    mail.smtp_message_id = f"<{message.message_id}.{delivery.pk}@{domain}>"
    mail.created_at = delivery.created_at
    return mail


# Headers


def _fold(name: str, value: str) -> str:
    """`name: value` folded before words so lines keep to LINE octets where a space allows."""
    spaces, *pieces = _FOLD_POINT.split(f" {value}")  # spaces: "", or leading spaces
    lines = [f"{name}:{spaces}{pieces.pop(0) if pieces else ''}"]  # no fold after the name
    for piece in pieces:
        if len(lines[-1]) + len(piece) > LINE:
            lines.append(piece)
        else:
            lines[-1] += piece
    return "\n".join(lines)


def _encode(name: str, value: str) -> str:
    """`name: value` as RFC 2047 encoded words of UTF-8 (at most 75 characters each), one per
    line, split between characters."""
    words = Header(value, "utf-8", LINE - 2, header_name=name).encode(linesep="\n")
    return f"{name}: " + words.removeprefix("\n ")  # a long name: its first word still on its line


def _plain(value: str) -> bool:
    """Whether human text can go out as it is: ASCII, and nothing a reader would decode."""
    return value.isascii() and "=?" not in value


def _header(name: str, value: str, *, text: bool = False) -> tuple[str, str]:
    """(name, folded value) for EmailMessage.set_raw: ASCII folded as it is, the rest encoded.

    For human text (the subject) "=?" is encoded too, so that it reads as it was written;
    addresses, message ids and custom values go out as given.
    """
    if has_control(name) or has_control(value):  # validated on the way in; never trusted here
        raise BuildError(f"The {name[:80]} header holds a line break or a control character.")
    line = _fold(name, value) if (_plain(value) if text else value.isascii()) else ""
    if not line or any(len(part) > MAX_LINE for part in line.split("\n")):
        line = _encode(name, value)
    return name, line[len(name) + 2 :]


def _mailbox(name: str, address: str) -> str:
    if not name:
        return address
    if _plain(name):
        return formataddr((name, address))  # quoted when it holds specials
    return f"{_encode('From', name)[6:]} <{address}>"


def _headers(
    message: Message, recipients: Iterable[tuple[str, str]] | None = None
) -> list[tuple[str, str]]:
    kinds: dict[str, list[str]] = {Recipient.TO: [], Recipient.CC: []}
    if recipients is None:
        recipients = message.deliveries.order_by("pk").values_list("kind", "recipient")
    for kind, recipient in recipients:
        kinds.get(kind, []).append(recipient)  # Bcc: never in the header
    from_address = message.header_from or message.from_address
    if has_control(message.from_name) or has_control(from_address):
        raise BuildError("The From header holds a line break or a control character.")
    domain = message.from_address.rpartition("@")[2]
    headers = [("From", _mailbox(message.from_name, from_address))]
    if kinds[Recipient.TO] or not kinds[Recipient.CC]:
        to = ", ".join(kinds[Recipient.TO]) or "undisclosed-recipients:;"
        headers.append(_header("To", to))
    if kinds[Recipient.CC]:
        headers.append(_header("Cc", ", ".join(kinds[Recipient.CC])))
    if message.reply_to:
        headers.append(_header("Reply-To", message.reply_to))
    headers += [
        _header("Subject", message.subject, text=True),
        ("Date", format_datetime(message.created_at)),
        _header("Message-ID", message.smtp_message_id or make_msgid(domain=domain)),
        ("MIME-Version", "1.0"),
    ]
    headers += [_header(name, value) for name, value in message.headers or []]
    return headers


# Bodies

# Marks for the breaks tags make: a paragraph (a blank line), a block (a line break, however
# many blocks end and start there), <br> (one line break each).
_PARAGRAPH, _BLOCK = "\x01", "\x02"
_PARAGRAPH_TAGS = "blockquote h1 h2 h3 h4 h5 h6 hr ol p pre table ul"
_BLOCK_TAGS = "address article dd div dl dt footer header li section tr"
_BREAKS = dict.fromkeys(_PARAGRAPH_TAGS.split(" "), _PARAGRAPH)
_BREAKS |= dict.fromkeys(_BLOCK_TAGS.split(" "), _BLOCK) | {"td": " ", "th": " "}
_HIDDEN = frozenset(["script", "style", "title", "template"])
_BREAK_RUN = re.compile(r" *[\n\x01\x02][\n\x01\x02 ]*")


class _TextMaker(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.hidden: str | None = None
        self.link: tuple[str, int] | None = None  # (href, where its text starts in out)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HIDDEN:
            self.hidden = tag
        self.out.append("\n" if tag == "br" else _BREAKS.get(tag, ""))
        self.out.append("- " if tag == "li" else "")
        if tag == "a":
            self.link = ((dict(attrs).get("href") or "").strip(), len(self.out))

    def handle_endtag(self, tag: str) -> None:
        if tag == self.hidden:
            self.hidden = None
        self.out.append(_BREAKS.get(tag, ""))
        if tag == "a" and self.link:
            href, start = self.link
            shown = "".join(self.out[start:]).strip()
            if href.startswith(("http://", "https://")) and href != shown:
                self.out.append(f" ({href})")
            self.link = None

    def handle_data(self, data: str) -> None:
        if self.hidden is None:
            self.out.append(re.sub(r"\s+", " ", data))


def _break(run: re.Match[str]) -> str:
    return "\n\n" if _PARAGRAPH in run[0] or run[0].count("\n") > 1 else "\n"


def html_to_text(html: str) -> str:
    """A plain-text rendering of HTML: its visible text, paragraphs, list items and link targets."""
    maker = _TextMaker()
    maker.feed(html)
    maker.close()
    text = _BREAK_RUN.sub(_break, "".join(maker.out))
    return "\n".join(" ".join(line.split()) for line in text.split("\n")).strip() + "\n"


def _body(html: str, text: str, attachments: Iterable[Attachment]) -> MIMEPart:
    body = MIMEPart(policy=POLICY)
    if html and not text:
        text = html_to_text(html)
    body.set_content(text)
    if html:
        body.add_alternative(html, subtype="html")
    for attachment in attachments:
        maintype, _, subtype = (attachment.content_type or "").partition("/")
        if not (maintype and subtype) or maintype == "multipart":
            maintype, subtype = "application", "octet-stream"
        body.add_attachment(
            bytes(attachment.content), maintype, subtype, filename=attachment.filename
        )
    return body


def build(
    message: Message,
    attachments: Iterable[Attachment] | None = None,
    recipients: Iterable[tuple[str, str]] | None = None,
) -> bytes:
    """The message as it goes on the wire: RFC 5322, CRLF line endings, lines within 998 octets.

    `attachments` and `recipients` ((kind, address) of every Delivery, in pk
    order) are read from the database unless given (a batch reads them at once).
    """
    html, text = render_parts(message)
    if attachments is None:
        attachments = message.attachments.order_by("pk")
    body = _body(html, text, attachments)
    mail = EmailMessage(policy=POLICY)
    for name, value in _headers(message, recipients) + list(body.raw_items()):
        mail.set_raw(name, value)
    mail.set_payload(body.get_payload())
    return mail.as_bytes()
