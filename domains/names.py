"""Domain names: validation, IDNA, and where a name sits in its DNS zone."""

import re
from functools import cache, lru_cache

import idna
from django.core.exceptions import ValidationError
from publicsuffixlist import PublicSuffixList

_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


@cache
def _psl() -> PublicSuffixList:
    # The list ships inside the package: no download at run time.
    return PublicSuffixList()


_ONLY_A_NAME = "Enter a domain name only, such as mail.example.com."
_SCHEME = re.compile(r"^([a-z][a-z0-9+.-]*)://", re.IGNORECASE)


def normalize_domain(raw: str) -> str:
    """The ASCII (IDNA) form of a domain name as someone typed or pasted it (a web
    address counts: https://mail.example.org/ is mail.example.org), or
    ValidationError saying what to enter instead."""
    return ascii_domain(host_of(raw))


def host_of(raw: str) -> str:
    """The host name in what was typed: a URL's host, the text before a path.

    Email addresses and ports are refused rather than trimmed: either is a sign
    the wrong thing was copied (a mailbox, a server's address), not the domain.
    """
    text = (raw or "").strip()
    scheme = _SCHEME.match(text)
    if scheme:
        if scheme[1].lower() not in ("http", "https"):
            raise ValidationError(_ONLY_A_NAME)
        host = re.split(r"[/?#]", text[scheme.end() :], maxsplit=1)[0]
        if "@" in host:  # userinfo: not something a domain is written with
            raise ValidationError(_ONLY_A_NAME)
    else:
        host = text.partition("/")[0] if "/" in text else text
        if "@" in host:
            domain = host.rpartition("@")[2]
            raise ValidationError(
                f"Enter a domain name, not an email address: {domain} for {host}."
            )
    if not host:
        raise ValidationError("Enter a domain name.")
    if ":" in host and not host.startswith("["):
        raise ValidationError(
            f"Enter the domain name without a port, such as {host.partition(':')[0]}."
        )
    return host


# A list of a million addresses has few distinct domains: each is checked once.
@lru_cache(maxsize=65536)
def ascii_domain(raw: str) -> str:
    """The ASCII (IDNA) form of a bare domain name (the part of an address after
    @, say), or ValidationError saying why not: nothing is trimmed."""
    name = (raw or "").strip().rstrip(".").lower()
    if not name:
        raise ValidationError("Enter a domain name.")
    if "@" in name or "/" in name or ":" in name or " " in name:
        raise ValidationError(_ONLY_A_NAME)
    try:
        name = idna.encode(name, uts46=True).decode("ascii")
    except (idna.IDNAError, UnicodeError) as error:
        raise ValidationError(f"{raw!r} is not a valid domain name ({error}).") from error
    labels = name.split(".")
    if len(name) > 253 or not all(_LABEL.match(label) for label in labels):
        raise ValidationError(f"{raw!r} is not a valid domain name.")
    if len(labels) < 2:
        raise ValidationError("Enter a full domain name, such as mail.example.com.")
    if zone_of(name) is None:
        raise ValidationError(
            f"{name} is a public suffix (like com or co.uk); use a domain registered under it."
        )
    return name


def unicode_domain(name: str) -> str:
    try:
        return idna.decode(name)
    except (idna.IDNAError, UnicodeError):
        return name


def zone_of(name: str) -> str | None:
    """The registrable domain (the zone its owner edits): example.co.uk for a.example.co.uk."""
    return _psl().privatesuffix(name)


def relative_host(fqdn: str, zone: str) -> str:
    """The host record as DNS providers ask for it: '@' for the apex, else the part before."""
    if fqdn == zone:
        return "@"
    return fqdn[: -(len(zone) + 1)]


def is_subdomain(name: str) -> bool:
    return name != zone_of(name)
