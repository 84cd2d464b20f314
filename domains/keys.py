"""DKIM keys: generation and the public-key TXT values (RFC 6376, RFC 8463)."""

import base64
import secrets

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa


def new_selector() -> str:
    # Random per key: several accounts may claim one domain, and each key's
    # record must be told apart from the others'.
    return "ses" + secrets.token_hex(4)


def generate(algorithm: str, bits: int = 2048) -> tuple[str, str]:
    """A new key pair: (private key PEM, public key base64 as published in DNS)."""
    private: rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey
    if algorithm == "rsa":
        private = rsa.generate_private_key(public_exponent=65537, key_size=bits)
        public = private.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    elif algorithm == "ed25519":
        private = ed25519.Ed25519PrivateKey.generate()
        # RFC 8463: the bare 32-byte key, not SubjectPublicKeyInfo.
        public = private.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
    else:
        raise ValueError(f"unknown DKIM algorithm {algorithm!r}")
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    return pem, base64.b64encode(public).decode()


def txt_value(algorithm: str, public_b64: str) -> str:
    return f"v=DKIM1; k={algorithm}; p={public_b64}"


def split_txt(value: str, size: int = 255) -> list[str]:
    """A TXT value as the character-strings of at most 255 bytes DNS allows."""
    return [value[i : i + size] for i in range(0, len(value), size)] or [""]


def parse_tags(value: str) -> dict[str, str]:
    """Tag=value pairs of a DKIM or DMARC record (RFC 6376 3.2); whitespace ignored."""
    tags = {}
    for part in value.split(";"):
        name, sep, tag_value = part.partition("=")
        if sep:
            tags[name.strip().lower()] = "".join(tag_value.split())
    return tags
