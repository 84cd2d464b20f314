"""dkimpy's message parsing and relaxed canonicalization (RFC 6376 3.4), made cheap.

dkim.rfc822_parse and dkim.canonicalization.Relaxed run regular expressions
over every line and every space of a message: for a typical 5 KB message
(bench/dkim_sign.py) about 0.45 ms (parse 0.08, body 0.33, header fields 0.04),
more than the 0.5 ms budget of sending.build.dkim.sign leaves beside the RSA-2048
signature (0.35 ms). These give the same bytes with bytes methods in about
0.06 ms; tests/sending/build/test_dkim_sign.py compares them with dkimpy's on
thousands of inputs. A header block with anything unusual is still parsed by
dkimpy itself.
"""

from collections.abc import Iterable, Sequence

# dkimpy internals (pinned in pyproject.toml): dkim.rfc822_parse, outside its __all__, and
# the policy object protocol dkim.hash_headers calls (Relaxed below).
import dkim

# A parsed header field, [name, value] as dkim.rfc822_parse gives them (value with its
# line endings, a list so that folded lines can be appended).
HeaderField = list[bytes]


class MalformedMessage(ValueError):
    """The header block cannot be parsed (dkimpy refuses it)."""


def parse(message: bytes) -> tuple[list[HeaderField], bytes, bytes]:
    """(header fields, body with CRLF line endings, line ending of the message).

    Fields are (name, value) as dkim.rfc822_parse gives them. It splits the
    whole message with regular expressions; a CRLF message has its body ready,
    and plain header lines are split here (`_fields`).
    """
    try:
        if message.count(b"\n") != message.count(b"\r\n"):  # bare LFs
            end = message.find(b"\n")
            linesep = b"\r\n" if end > 0 and message[end - 1 : end] == b"\r" else b"\n"
            headers: list[HeaderField]
            headers, body = dkim.rfc822_parse(message)
            return headers, body, linesep
        if message.startswith(b"\r\n"):  # no header field at all
            return [], message[2:], b"\r\n"
        end = message.find(b"\r\n\r\n")
        if end < 0:
            return _fields(message), b"", b"\r\n"
        return _fields(message[: end + 2]), message[end + 4 :], b"\r\n"
    except (dkim.MessageFormatError, IndexError) as error:  # IndexError: folded first line
        raise MalformedMessage(f"malformed header: {error}") from error


_NAME_CHARS = bytes(range(0x21, 0x7F))


def _fields(head: bytes) -> list[HeaderField]:
    """The fields of a CRLF header block; anything unusual goes to dkim.rfc822_parse."""
    headers: list[HeaderField] = []
    for line in head.split(b"\r\n"):
        if not line:
            return headers
        if line[0] in (0x09, 0x20):
            if not headers:
                break
            headers[-1][1] += line + b"\r\n"
            continue
        name, colon, value = line.partition(b":")
        if not (colon and name) or name.translate(None, _NAME_CHARS):
            break
        headers.append([name, value + b"\r\n"])
    else:
        return headers
    parsed: list[HeaderField] = dkim.rfc822_parse(head)[0]  # dkimpy's verdict on odd lines
    return parsed


def _compress(value: bytes) -> bytes:
    """Every run of spaces and tabs as one space (what dkimpy's `[\\t ]+` -> " " does)."""
    if b"\t" in value:
        value = value.replace(b"\t", b" ")
    while b"  " in value:
        value = value.replace(b"  ", b" ")
    return value


class Relaxed:
    """dkimpy's relaxed canonicalization, byte for byte, without its regular expressions.

    A policy object as dkim.hash_headers takes (it canonicalizes the
    signature field with `canonicalize_headers`).
    """

    @staticmethod
    def canonicalize_headers(headers: Iterable[Sequence[bytes]]) -> list[tuple[bytes, bytes]]:
        return [(name.lower().rstrip(), _canonical_value(value)) for name, value in headers]

    @staticmethod
    def canonicalize_body(body: bytes) -> bytes:
        body = _compress(body)
        if b" \r\n" in body:  # trailing WSP (runs are single spaces by now)
            body = body.replace(b" \r\n", b"\r\n")
        end = len(body)
        while body.endswith(b"\r\n", 0, end):
            end -= 2
        return body[:end] + b"\r\n" if end else b""


def _canonical_value(value: bytes) -> bytes:
    """Unfolded (dkimpy removes every CRLF and LF), WSP runs as one space, stripped."""
    if value.endswith(b"\r\n"):  # as every parsed field does
        value = value[:-2]
    if b"\n" in value:
        value = value.replace(b"\r\n", b"").replace(b"\n", b"")
    if b"\t" in value:
        value = value.replace(b"\t", b" ")
    while b"  " in value:
        value = value.replace(b"  ", b" ")
    return value.strip() + b"\r\n"
