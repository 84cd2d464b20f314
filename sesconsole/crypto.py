"""Encryption of secrets kept at rest (API SecretKeys, DKIM private keys).

Fernet (AES-128-CBC + HMAC-SHA256) with keys from SES_ENCRYPTION_KEYS. The
first key encrypts; all keys decrypt, so a new key can be put in front and the
old ones retired once `rotate_secrets` has re-encrypted the rows.
"""

import base64
import hashlib
from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings

__all__ = ["InvalidToken", "decrypt", "encrypt", "fallback_key_in_use"]


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


def decrypt(token: str) -> str:
    return _current().decrypt(token.encode()).decode()


def rotate(token: str) -> str:
    return _current().rotate(token.encode()).decode()
