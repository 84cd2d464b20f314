"""What MAIL FROM and RCPT TO accept, before aiosmtpd parses the address.

aiosmtpd (like RFC 5321 asks of relays) would silently drop a source route, so
`<@relay.example:user@host>` would reach user@host; and `user%host@relay` or
`host!user@relay` ask the next hop to relay again. A submission server has no
business with either: such addresses are refused with 553 5.1.3 and a clear text,
as Postfix refuses them to unauthenticated clients. Everything else must be a bare
address the API would take (sending.acceptance.parse.address).
"""

from sending.smtp.submission.replies import reply


def _path(arg: str | None, keyword: str) -> str | None:
    """The <path> part of `FROM:<path> params`, or None when it cannot be found."""
    if arg is None or arg[: len(keyword)].upper() != keyword:
        return None
    rest = arg[len(keyword) :].strip()
    if rest.startswith("<"):
        end = rest.find(">")
        return rest[1:end] if end != -1 else None
    return rest.split(" ", 1)[0]


def path_problem(arg: str | None, keyword: str) -> str | None:
    """A 553 reply for a path this server refuses, else None (aiosmtpd then parses it)."""
    path = _path(arg, keyword)
    if path is None:
        return None  # aiosmtpd answers the syntax error
    shown = path[:100]
    if not path and keyword == "FROM:":
        return reply(
            550, "5.7.1", "The null sender <> is for bounces: MAIL FROM must be your sender address"
        )
    if path.startswith("@"):
        return reply(
            553, "5.1.3", f"<{shown}>: source routes are not accepted; give the address alone"
        )
    local, _, _ = path.rpartition("@")
    if "@" in local and not local.startswith('"'):
        return reply(553, "5.1.3", f"<{shown}>: an address has one @")
    if "%" in local or "!" in local:
        return reply(
            553, "5.1.3", f"<{shown}>: % and ! relaying is not accepted; give the final address"
        )
    return None
