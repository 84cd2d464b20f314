"""SMTP reply codes and enhanced status codes (RFC 3463): what a server's reply means
for a message (the delivery client), and how a reply line is written (the servers).

    classify(550, *parse_reply("5.1.1 no such user", 550))
    -> Outcome(DeliveryStatus.BOUNCED, hard=True, category=AttemptCategory.MAILBOX, ...)
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sending.models.vocab import AttemptCategory, DeliveryStatus

# RFC 3463: class.subject.detail, the class matching the reply's first digit.
_ENHANCED = re.compile(r"^([245])\.(\d{1,3})\.(\d{1,3})(?:\s+|$)")
# 5.1.7/5.1.8 are about *our* sender address: never the recipient's fault.
_SENDER_SIDE = {"5.1.7", "5.1.8", "4.1.7", "4.1.8"}
# What a permanent refusal of one of these categories says of the address itself.
_HARD = (AttemptCategory.MAILBOX, AttemptCategory.OTHER)


@dataclass(frozen=True)
class Outcome:
    """What one try did to a message: its status, and the reply that decided it."""

    status: DeliveryStatus  # delivered, deferred, bounced, or dropped (never sent)
    # A hard bounce: permanent, and not "full" or "policy" (soft: those, and every
    # deferral). Only category MAILBOX says the address itself is bad (blocklist it).
    hard: bool
    category: AttemptCategory
    code: int | None  # None: no SMTP reply at all (network failure)
    enhanced: str
    text: str

    @property
    def reply_line(self) -> str:
        return reply_line(self.code, self.enhanced, self.text)


def reply_line(code: int | None, enhanced: str, text: str) -> str:
    """A reply as one line of the log: "550 5.1.1 No such user"."""
    return " ".join(str(part) for part in (code, enhanced, text) if part)


def reply(code: int, enhanced: str, text: str) -> str:
    """One reply line to send: no line breaks, at most 512 characters (RFC 5321 4.5.3.1.5)."""
    text = " ".join(str(text).split())
    line = f"{code} {enhanced} {text}"
    return line if len(line) <= 510 else line[:507] + "..."


def parse_reply(text: str, code: int) -> tuple[str, str]:
    """(enhanced status, rest of the text) from a reply's text, "" if it has none."""
    match = _ENHANCED.match(text)
    if not match or match.group(1) != str(code)[:1]:
        return "", text
    return ".".join(match.groups()), text[match.end() :]


def deferred(
    category: AttemptCategory, enhanced: str, text: str, code: int | None = None
) -> Outcome:
    """A temporary failure: the message is tried again."""
    return Outcome(DeliveryStatus.DEFERRED, False, category, code, enhanced, text)


def dropped(reason: str) -> Outcome:
    """The message could not be built or signed: it is never sent."""
    return Outcome(DeliveryStatus.DROPPED, False, AttemptCategory.BUILD, None, "", reason)


def classify(code: int | None, enhanced: str = "", text: str = "") -> Outcome:
    if code is not None and 200 <= code < 300:
        return Outcome(DeliveryStatus.DELIVERED, False, AttemptCategory.OTHER, code, enhanced, text)
    if enhanced in _SENDER_SIDE or enhanced.startswith(("5.7.", "4.7.")):
        category = AttemptCategory.POLICY
    elif enhanced.startswith(("5.1.", "4.1.")):
        category = AttemptCategory.MAILBOX
    elif enhanced in ("5.2.2", "4.2.2") or (code == 552 and not enhanced):
        category = AttemptCategory.FULL  # 552 without a code: "exceeded storage allocation"
    else:
        category = AttemptCategory.OTHER
    if code is None or not 500 <= code < 600:  # 4xx, and anything unexpected: retry
        return deferred(category, enhanced, text, code)
    return Outcome(DeliveryStatus.BOUNCED, category in _HARD, category, code, enhanced, text)
