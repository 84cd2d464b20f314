"""VERP return paths: bounce+<token>@<sender domain>, one per Delivery, so that a bounce
names the Delivery it is about.

The token is base32 (lowercase, no padding: some MTAs lowercase local parts) of
the Delivery's pk and an 80-bit HMAC keyed from SECRET_KEY; SECRET_KEY_FALLBACKS
still verify, so bounces survive a key rotation.
"""

import base64
import re

from django.conf import settings
from django.utils.crypto import constant_time_compare, salted_hmac

from sending.models import Delivery

_MAC_BYTES = 10
_VERP = re.compile(r"bounce\+([a-z2-7]{29})@[^@\s]+")


def _token(pk: int, secret: str | bytes) -> str:
    blob = pk.to_bytes(8, "big")
    mac = salted_hmac("sesconsole.sending.verp", blob, secret=secret, algorithm="sha256")
    raw = base64.b32encode(blob + mac.digest()[:_MAC_BYTES]).decode("ascii")
    return raw.rstrip("=").lower()


def verp_address(delivery: Delivery | int, sender_domain: str) -> str:
    """The return path (MAIL FROM) for one Delivery: bounce+<token>@<sender domain>."""
    token = _token(delivery if isinstance(delivery, int) else delivery.pk, settings.SECRET_KEY)
    return f"bounce+{token}@{sender_domain}"


def parse_verp(address: object) -> int | None:
    """The Delivery pk in a return path made by verp_address, or None (forged, malformed)."""
    if not isinstance(address, str):
        return None
    match = _VERP.fullmatch(address.strip().strip("<>").lower())
    if not match:
        return None
    token = match[1]
    pk = int.from_bytes(base64.b32decode(token.upper() + "===")[:8], "big")
    for secret in [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]:
        if constant_time_compare(_token(pk, secret), token):
            return pk
    return None
