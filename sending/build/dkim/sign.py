"""DKIM signatures (RFC 6376) of outgoing messages, Ed25519 beside RSA (RFC 8463).

    signer = Signer.for_domain(domain)    # once per domain; keys are parsed once
    signed = signer.sign(message) + message

`sign` returns the DKIM-Signature header field(s) to put in front of the
message: one per key of the domain, RSA first (the one that every verifier
checks, and the only one that verifiers reading just the topmost signature,
such as `dkim.verify`, look at), then Ed25519 when the domain is dual-signed.
Every signature is relaxed/relaxed, rsa-sha256 or ed25519-sha256, with `t=`
and without `i=` (which defaults to `@d`) or `q=` (which defaults to dns/txt).

Signed header fields: those of `SIGNED_HEADERS` that the message has, each as
many times as it occurs, and From once more ("oversigned"): a second From added
on the way then breaks the signature, so no one can show another author above
ours. The other fields are not oversigned, so that a relay may still add what
the message lacks (Reply-To, List-*) without breaking the signature.

What is dkimpy's: header selection and the hashed header data, signature
field included (`_dkimpy_header_digest`), the parsing of unusual header blocks,
and every verification in the tests. What is not: the private-key operation is
OpenSSL's through `cryptography` (dkimpy's pure-Python RSA costs 5 to 9 ms a
signature), and parsing and relaxed canonicalization are sending.build.dkim.canon,
dkimpy's algorithms without its regular expressions (see there why), held to
dkimpy's bytes by the tests.

Line endings: pass the bytes that will go on the wire, with CRLF line endings
(email.policy.SMTP writes them). A message with bare LFs is signed as SMTP
would carry it with CRLFs, and gets LF-terminated header lines to match; a
transport that sends it without converting LF to CRLF risks rejection anyway.
"""

from __future__ import annotations

import base64
import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

# dkimpy internal (pinned in pyproject.toml): dkim.hash_headers, see _dkimpy_header_digest.
import dkim
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa, utils

from domains.models import DkimKey, SenderDomain
from sending.build.dkim.canon import MalformedMessage, Relaxed, parse

SIGNED_HEADERS = (
    b"from", b"to", b"cc", b"subject", b"date", b"message-id", b"reply-to", b"mime-version",
    b"content-type", b"list-unsubscribe", b"list-unsubscribe-post",
)  # fmt: skip
OVERSIGNED = (b"from",)

_SIGNED = frozenset(SIGNED_HEADERS)
_FIELD = b"DKIM-Signature"
_ALGORITHMS = {"rsa": b"rsa-sha256", "ed25519": b"ed25519-sha256"}
_KEY_TYPES: dict[str, type[rsa.RSAPrivateKey] | type[ed25519.Ed25519PrivateKey]] = {
    "rsa": rsa.RSAPrivateKey,
    "ed25519": ed25519.Ed25519PrivateKey,
}
_KEY_CACHE_SIZE = 4096
_PKCS1 = padding.PKCS1v15()
_PREHASHED_SHA256 = utils.Prehashed(hashes.SHA256())


class SigningError(ValueError):
    """The message cannot be signed (no From field) or a key is unusable."""


@dataclass(frozen=True, eq=False)
class SigningKey:
    """A parsed private key with its selector, ready to sign digests."""

    algorithm: bytes  # the a= value
    selector: bytes
    private_key: rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey

    @classmethod
    def from_pem(cls, algorithm: str, selector: str, pem: str | bytes) -> SigningKey:
        data = pem.encode() if isinstance(pem, str) else pem
        try:
            key = serialization.load_pem_private_key(data, password=None)
        except (ValueError, TypeError) as error:
            raise SigningError(f"DKIM key {selector}: unreadable private key") from error
        expected = _KEY_TYPES.get(algorithm)
        if expected is None or not isinstance(key, expected):
            raise SigningError(f"DKIM key {selector}: not an {algorithm} private key")
        return cls(_ALGORITHMS[algorithm], selector.encode("ascii"), key)

    def sign_digest(self, digest: bytes) -> bytes:
        """The b= signature of the SHA-256 digest of the signed header data."""
        if isinstance(self.private_key, ed25519.Ed25519PrivateKey):
            # RFC 8463 3: pure Ed25519 over the SHA-256 hash, as dkimpy does.
            return self.private_key.sign(digest)
        return self.private_key.sign(digest, _PKCS1, _PREHASHED_SHA256)


# (pk, created_at, selector, algorithm) of a DkimKey: see load_key.
_keys: OrderedDict[tuple[int, datetime, str, str], SigningKey] = OrderedDict()
_keys_lock = threading.Lock()


def load_key(dkim_key: DkimKey) -> SigningKey:
    """The SigningKey of a domains.models.DkimKey, decrypted and parsed once per process.

    Keys are never changed in place (new keys are new rows), so the row's id,
    creation time and selector identify the key material.
    """
    ident = (dkim_key.pk, dkim_key.created_at, dkim_key.selector, dkim_key.algorithm)
    with _keys_lock:
        key = _keys.get(ident)
        if key is not None:
            _keys.move_to_end(ident)
            return key
    key = SigningKey.from_pem(dkim_key.algorithm, dkim_key.selector, dkim_key.private_key_pem)
    with _keys_lock:
        _keys[ident] = key
        while len(_keys) > _KEY_CACHE_SIZE:
            _keys.popitem(last=False)
    return key


class Signer:
    """Signs messages for one domain with its keys. Immutable; share it across threads."""

    def __init__(self, domain: str, keys: Iterable[SigningKey]) -> None:
        # RSA on top: see the module docstring.
        self.keys: tuple[SigningKey, ...] = tuple(
            sorted(keys, key=lambda k: k.algorithm != b"rsa-sha256")
        )
        if not self.keys:
            raise SigningError(f"{domain}: no DKIM key to sign with")
        self.domain = domain.encode("ascii")

    @classmethod
    def for_keys(cls, domain: str, dkim_keys: Iterable[DkimKey]) -> Signer:
        return cls(domain, [load_key(k) for k in dkim_keys])

    @classmethod
    def for_domain(cls, domain: SenderDomain) -> Signer:
        """One query for the domain's keys unless prefetched."""
        return cls.for_keys(domain.name, domain.dkim_keys.all())

    def sign(self, message: bytes, *, timestamp: int | None = None) -> bytes:
        """The DKIM-Signature field(s) to prepend to `message`, terminated like its lines."""
        try:
            headers, body, linesep = parse(message)
        except MalformedMessage as error:
            raise SigningError(str(error)) from error
        # Only the fields to sign are canonicalized: dkimpy selects by name.
        signed = [(name, value) for name, value in headers if name.lower() in _SIGNED]
        include = [name.lower() for name, _ in signed]
        if b"from" not in include:
            raise SigningError("the message has no From header field")
        include += OVERSIGNED
        canonical_headers = Relaxed.canonicalize_headers(signed)
        body_hash = base64.b64encode(hashlib.sha256(Relaxed.canonicalize_body(body)).digest())
        stamp = str(int(time.time() if timestamp is None else timestamp)).encode("ascii")
        tags = (stamp, b": ".join(include), body_hash)
        return b"".join(
            self._signature(key, tags, canonical_headers, include, linesep) for key in self.keys
        )

    def _signature(
        self,
        key: SigningKey,
        tags: tuple[bytes, bytes, bytes],
        canonical_headers: list[tuple[bytes, bytes]],
        include: list[bytes],
        linesep: bytes,
    ) -> bytes:
        stamp, signed_names, body_hash = tags
        fields = [
            (b"v", b"1"),
            (b"a", key.algorithm),
            (b"c", b"relaxed/relaxed"),
            (b"d", self.domain),
            (b"s", key.selector),
            (b"t", stamp),
            (b"h", signed_names),
            (b"bh", body_hash),
        ]
        digest = _dkimpy_header_digest(fields, canonical_headers, include)
        return _folded(fields, base64.b64encode(key.sign_digest(digest)), linesep)


def _dkimpy_header_digest(
    fields: list[tuple[bytes, bytes]],
    canonical_headers: list[tuple[bytes, bytes]],
    include: list[bytes],
) -> bytes:
    """SHA-256 of the signed header data: the selected fields, then this one with b= empty.

    dkimpy internal (1.1): `dkim.hash_headers`, a module-level function outside
    dkim's __all__ that DKIM.sign and DKIM.verify both use. The field is hashed
    unfolded: relaxed canonicalization unfolds it anyway, and `_folded` folds
    only where a space is. The tests verify every signature with dkim.verify,
    which recomputes this digest from the message on its own.
    """
    value = b" " + b"; ".join(b"=".join(field) for field in fields) + b"; b="
    hasher = hashlib.sha256()
    dkim.hash_headers(hasher, Relaxed, canonical_headers, include, (_FIELD, value), {})
    return hasher.digest()


def _folded(
    fields: list[tuple[bytes, bytes]], signature: bytes, linesep: bytes, width: int = 78
) -> bytes:
    """The field, folded at spaces only (so never inside d=, s= or a header name), b= last.

    dkim.fold also breaks tokens that do not fit a line, such as a long d=.
    """
    lines: list[bytes] = []
    line = _FIELD + b":"
    for word in b" ".join(b"=".join(field) + b";" for field in fields).split(b" "):
        if len(line) + 1 + len(word) > width:
            lines.append(line)
            line = b""
        line += b" " + word
    lines.append(line)
    # Base64 may take folding white space anywhere (RFC 6376 3.5, b=).
    chunk = width - 2
    lines.append(b" b=" + signature[: chunk - 2])
    lines += [b" " + signature[i : i + chunk] for i in range(chunk - 2, len(signature), chunk)]
    return linesep.join(lines) + linesep
