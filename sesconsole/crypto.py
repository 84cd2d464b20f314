"""Encryption of secrets kept at rest (API SecretKeys, DKIM private keys).

Fernet (AES-128-CBC + HMAC-SHA256) with keys from SES_ENCRYPTION_KEYS. The
first key encrypts; all keys decrypt, so a new key can be put in front and the
old ones retired once the rows have been re-encrypted (`rotate`).

A secret written under other keys (a command run without the service's
environment, a lost key) cannot be decrypted: `decrypt` raises
UndecryptableSecret naming it, for its caller to refuse or defer cleanly, and
the apps' system checks list every such row.
"""

import base64
import hashlib
from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings

__all__ = [
    "UndecryptableSecret",
    "can_decrypt",
    "decrypt",
    "encrypt",
    "fallback_key_in_use",
]


class UndecryptableSecret(Exception):
    """No configured key decrypts a stored secret; the message names the secret."""


def fallback_key_in_use() -> bool:
    return not settings.SES_ENCRYPTION_KEYS


def _derived_key(secret: str) -> bytes:
    digest = hashlib.sha256(("sesconsole-encryption:" + secret).encode()).digest()
    return base64.urlsafe_b64encode(digest)


@cache
def _fernet(keys: tuple[str, ...], secret_key: str) -> MultiFernet:
    raw = [k.encode() for k in keys] or [_derived_key(secret_key)]
    return MultiFernet([Fernet(k) for k in raw])


def _current() -> MultiFernet:
    return _fernet(tuple(settings.SES_ENCRYPTION_KEYS), settings.SECRET_KEY)


def encrypt(plaintext: str) -> str:
    return _current().encrypt(plaintext.encode()).decode()


def decrypt(token: str, what: str = "a stored secret") -> str:
    """The plaintext of `token`; UndecryptableSecret("<what> cannot be decrypted ...")."""
    try:
        return _current().decrypt(token.encode()).decode()
    except InvalidToken as error:
        raise UndecryptableSecret(
            f"{what} cannot be decrypted with the configured SES_ENCRYPTION_KEYS "
            "(it was encrypted under other keys)"
        ) from error


def can_decrypt(token: str) -> bool:
    try:
        _current().decrypt(token.encode())
    except InvalidToken:
        return False
    return True


def rotate(token: str) -> str:
    return _current().rotate(token.encode()).decode()
