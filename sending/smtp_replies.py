"""SMTP replies sorted into what happens to the message (for sending.smtp_client).

classify(550, *parse_reply("5.1.1 no such user", 550))
-> Outcome("bounced", hard=True, category="mailbox", ...)
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# RFC 3463: class.subject.detail, the class matching the reply's first digit.
_ENHANCED = re.compile(r"^([245])\.(\d{1,3})\.(\d{1,3})(?:\s+|$)")
# 5.1.7/5.1.8 are about *our* sender address: never the recipient's fault.
_SENDER_SIDE = {"5.1.7", "5.1.8", "4.1.7", "4.1.8"}


@dataclass(frozen=True)
class Outcome:
    outcome: str  # "delivered" | "deferred" | "bounced"
    # A hard bounce: permanent, and not "full" or "policy" (soft: those, and every
    # deferral). Only category "mailbox" says the address itself is bad (blocklist it).
    hard: bool
    # "mailbox" (bad address: blocklist-worthy), "policy" (5.7.x: not the recipient's
    # fault), "full", "other"; session failures add "connection", "tls", "auth".
    category: str
    code: int | None  # None: no SMTP reply at all (network failure)
    enhanced: str
    text: str


def parse_reply(text: str, code: int) -> tuple[str, str]:
    """(enhanced status, rest of the text) from a reply's text, "" if it has none."""
    match = _ENHANCED.match(text)
    if not match or match.group(1) != str(code)[:1]:
        return "", text
    return ".".join(match.groups()), text[match.end() :]


def classify(code: int | None, enhanced: str = "", text: str = "") -> Outcome:
    if code is not None and 200 <= code < 300:
        return Outcome("delivered", False, "other", code, enhanced, text)
    if enhanced in _SENDER_SIDE or enhanced.startswith(("5.7.", "4.7.")):
        category = "policy"
    elif enhanced.startswith(("5.1.", "4.1.")):
        category = "mailbox"
    elif enhanced in ("5.2.2", "4.2.2") or (code == 552 and not enhanced):
        category = "full"  # 552 without a code: "exceeded storage allocation" (RFC 5321)
    else:
        category = "other"
    if code is None or not 500 <= code < 600:  # 4xx, and anything unexpected: retry
        return Outcome("deferred", False, category, code, enhanced, text)
    return Outcome("bounced", category in ("mailbox", "other"), category, code, enhanced, text)
