"""DKIM signing (sending.build.dkim.sign), verified by dkimpy against keys served by a
real DNS server."""

import random
import re
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP

import dkim
import pytest

# dkimpy internals (pinned in pyproject.toml): the modules sending.build.dkim is held to.
from dkim.canonicalization import Relaxed
from dkim.util import parse_tag_value

from domains import dns, keys
from domains.models import DkimKey, DkimOption, SenderDomain
from sending.build.dkim import canon, sign
from sending.build.dkim.sign import Signer, SigningError

DOMAIN = "mail.example.test"
T = 1_767_225_600  # 2026-01-01T00:00:00Z


def dnsfunc(name, timeout=5):
    """dkimpy's DNS hook, answered by domains.dns on the loopback server."""
    lookup = dns.lookup_txt(name.decode().rstrip("."))
    return lookup.values[0].encode() if lookup.ok else None


def verifies(signed, idx):
    """dkim.verify for the idx-th signature: a broken one is False, not an exception."""
    try:
        return dkim.DKIM(signed).verify(idx=idx, dnsfunc=dnsfunc)
    except dkim.DKIMException:
        return False


def make_domain(account, zone, option, name=DOMAIN):
    domain = SenderDomain.create_with_keys(account, name, option)
    for key in domain.dkim_keys.all():
        zone.add(key.record_name, "TXT", keys.split_txt(key.txt_value))
    return domain


def ascii_message():
    msg = EmailMessage()
    msg["From"] = Address("Acme Shop", "noreply", DOMAIN)
    msg["To"] = "ana@example.org"
    msg["Subject"] = "Your order"
    msg["Date"] = "Thu, 01 Jan 2026 00:00:00 +0000"
    msg["Message-ID"] = f"<1@{DOMAIN}>"
    msg["X-Mailer"] = "sesconsole"
    msg.set_content("Hello Ana,\n\nYour order  has\tshipped.   \n\n\n")
    return msg.as_bytes(policy=SMTP)


def non_ascii_message():
    msg = EmailMessage()
    msg["From"] = Address("Zoë Müller-Łukasz", "noreply", DOMAIN)
    msg["To"] = Address("José Ñúñez", "jose", "example.org")
    msg["Cc"] = "team@example.org"
    msg["Reply-To"] = f"help@{DOMAIN}"
    msg["Subject"] = "Ваш заказ отправлен — 您的订单已发货 " * 3
    msg["Date"] = "Thu, 01 Jan 2026 00:00:00 +0000"
    msg["Message-ID"] = f"<2@{DOMAIN}>"
    msg["List-Unsubscribe"] = f"<https://{DOMAIN}/u/abc>, <mailto:u@{DOMAIN}>"
    msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    msg.set_content("Grüße aus Köln — ça va?\n")
    data = msg.as_bytes(policy=SMTP)
    assert b"=?utf-8?" in data  # RFC 2047 encoded words
    return data


def multipart_message():
    msg = EmailMessage()
    msg["From"] = f"noreply@{DOMAIN}"
    msg["To"] = "a@example.org, b@example.org"
    msg["Subject"] = "Report"
    msg["Date"] = "Thu, 01 Jan 2026 00:00:00 +0000"
    msg["Message-ID"] = f"<3@{DOMAIN}>"
    msg.set_content("Plain part\n" * 40)
    msg.add_alternative("<html><body>\n  <p>HTML  part</p>\n</body></html>\n", subtype="html")
    msg.add_attachment(bytes(range(256)) * 8, maintype="application", subtype="octet-stream")
    return msg.as_bytes(policy=SMTP)


def raw_utf8_message():
    # SMTPUTF8: 8-bit header and body bytes as they are.
    return (
        f"From: Zoë <noreply@{DOMAIN}>\r\nTo: ana@example.org\r\n"
        "Subject: Grüße  \r\n\tfolded\r\n\r\nCafé\r\n"
    ).encode()


MESSAGES = {
    "ascii": ascii_message,
    "non_ascii": non_ascii_message,
    "multipart": multipart_message,
    "raw_utf8": raw_utf8_message,
}
OPTIONS = [DkimOption.RSA_1024, DkimOption.RSA_2048, DkimOption.DUAL]


def signatures(signed):
    return [parse_tag_value(v) for n, v in dkim.DKIM(signed).headers if n == b"DKIM-Signature"]


@pytest.mark.django_db
@pytest.mark.parametrize("option", OPTIONS, ids=lambda o: o.name)
@pytest.mark.parametrize("kind", MESSAGES)
def test_rsa_signature_verifies_against_dns(account, dns_zone, option, kind):
    domain = make_domain(account, dns_zone, option)
    message = MESSAGES[kind]()
    signed = Signer.for_domain(domain).sign(message) + message
    assert dkim.verify(signed, dnsfunc=dnsfunc)
    rsa = domain.dkim_keys.get(algorithm="rsa")
    assert (rsa.record_name + ".", "TXT", "udp") in dns_zone.queries
    tags = signatures(signed)[0]
    assert tags[b"a"] == b"rsa-sha256" and tags[b"s"] == rsa.selector.encode()
    assert len(signatures(signed)) == (2 if option == DkimOption.DUAL else 1)


@pytest.mark.django_db
@pytest.mark.parametrize("kind", MESSAGES)
def test_dual_signatures_both_verify(account, dns_zone, kind):
    # dkimpy verifies Ed25519 with PyNaCl, a dev dependency: no skip here.
    domain = make_domain(account, dns_zone, DkimOption.DUAL)
    message = MESSAGES[kind]()
    signed = Signer.for_domain(domain).sign(message) + message
    first, second = signatures(signed)
    assert (first[b"a"], second[b"a"]) == (b"rsa-sha256", b"ed25519-sha256")
    assert second[b"s"] == domain.dkim_keys.get(algorithm="ed25519").selector.encode()
    assert verifies(signed, 0) and verifies(signed, 1)
    tampered = signed + b"P.S. added on the way\r\n"
    assert not verifies(tampered, 0) and not verifies(tampered, 1)
    forged = signed.replace(b"\r\nTo: ", b"\r\nTo: eve@example.org, ")
    assert not verifies(forged, 0) and not verifies(forged, 1)


@pytest.mark.django_db
def test_tags_and_signed_fields(account, dns_zone):
    domain = make_domain(account, dns_zone, DkimOption.RSA_2048)
    message = non_ascii_message()
    header = Signer.for_domain(domain).sign(message, timestamp=T)
    assert header.startswith(b"DKIM-Signature: ") and header.endswith(b"\r\n")
    assert all(len(line) <= 78 for line in header.split(b"\r\n"))
    tags = signatures(header + message)[0]
    assert tags[b"v"] == b"1" and tags[b"c"] == b"relaxed/relaxed"
    assert tags[b"d"] == DOMAIN.encode() and tags[b"t"] == str(T).encode()
    assert b"i" not in tags and b"l" not in tags and b"x" not in tags
    # Present fields of the list, in message order, and From once more;
    # MIME fields of the body parts and Content-Transfer-Encoding are not ours.
    names = re.split(rb"\s*:\s*", tags[b"h"])
    assert names == [
        b"from", b"to", b"cc", b"reply-to", b"subject", b"date", b"message-id",
        b"list-unsubscribe", b"list-unsubscribe-post", b"content-type", b"mime-version",
        b"from",
    ]  # fmt: skip


@pytest.mark.django_db
def test_long_domain_is_never_folded_inside(account, dns_zone):
    name = "a" * 63 + ".b" * 40 + ".example.test"  # d= longer than a line
    domain = make_domain(account, dns_zone, DkimOption.DUAL, name=name)
    message = ascii_message().replace(DOMAIN.encode(), name.encode())
    header = Signer.for_domain(domain).sign(message)
    signed = header + message
    assert dkim.verify(signed, dnsfunc=dnsfunc)
    assert [s[b"d"] for s in signatures(signed)] == [name.encode()] * 2
    for line in header.split(b"\r\n"):
        assert len(line) <= 78 or line.startswith(b" d=" + name.encode())


@pytest.mark.django_db
def test_tampering_breaks_the_signature(account, dns_zone):
    domain = make_domain(account, dns_zone, DkimOption.RSA_2048)
    message = ascii_message()
    signed = Signer.for_domain(domain).sign(message) + message
    assert dkim.verify(signed, dnsfunc=dnsfunc)
    assert not dkim.verify(signed.replace(b"shipped", b"shopped"), dnsfunc=dnsfunc)
    assert not dkim.verify(signed.replace(b"Your order\r\n", b"Your 0rder\r\n"), dnsfunc=dnsfunc)
    # A second From, below ours or above it (where From's oversigning, h=
    # naming it twice, is what catches it).
    head, _, body = signed.partition(b"\r\n\r\n")
    below = head + b"\r\nFrom: ceo@evil.example\r\n\r\n" + body
    assert not dkim.verify(below, dnsfunc=dnsfunc)
    assert not dkim.verify(b"From: ceo@evil.example\r\n" + signed, dnsfunc=dnsfunc)
    # Relaxed: refolding and whitespace changes on the way are fine.
    refolded = signed.replace(b"Subject: Your order", b"Subject:   Your\r\n\t order")
    assert dkim.verify(refolded, dnsfunc=dnsfunc)
    assert dkim.verify(signed.replace(b"Hello Ana,", b"Hello  Ana,  "), dnsfunc=dnsfunc)


@pytest.mark.django_db
@pytest.mark.parametrize("kind", MESSAGES)
def test_same_as_dkimpys_own_signature(account, dns_zone, kind):
    domain = make_domain(account, dns_zone, DkimOption.RSA_2048)
    key = domain.dkim_keys.get()
    message = MESSAGES[kind]()
    ours = signatures(Signer.for_domain(domain).sign(message) + message)[0]
    theirs_header = dkim.sign(
        message,
        key.selector.encode(),
        DOMAIN.encode(),
        key.private_key_pem.encode(),
        canonicalize=(b"relaxed", b"relaxed"),
        include_headers=re.split(rb"\s*:\s*", ours[b"h"]),
    )
    assert dkim.verify(theirs_header + message, dnsfunc=dnsfunc)
    theirs = signatures(theirs_header + message)[0]
    assert ours[b"bh"] == theirs[b"bh"]
    assert re.split(rb"\s*:\s*", ours[b"h"]) == re.split(rb"\s*:\s*", theirs[b"h"])


@pytest.mark.django_db
def test_bare_lf_message(account, dns_zone):
    domain = make_domain(account, dns_zone, DkimOption.RSA_2048)
    crlf = multipart_message()
    lf = crlf.replace(b"\r\n", b"\n")
    signer = Signer.for_domain(domain)
    header = signer.sign(lf, timestamp=T)
    assert b"\r" not in header and header.endswith(b"\n")
    assert dkim.verify(header + lf, dnsfunc=dnsfunc)
    # Signed as SMTP carries it: the same signature as for the CRLF form.
    assert (header + lf).replace(b"\n", b"\r\n") == signer.sign(crlf, timestamp=T) + crlf


BODY_CASES = [
    b"",
    b"\r\n",
    b"\r\n\r\n\r\n",
    b"x",
    b"x\r\n",
    b"x\r\n\r\n",
    b" \r\n",
    b"a \t b\t\r\n\t\r\n  \r\n",
    b"a  b\r\n \r\n x",
    b"end \t",
    b"lone\rcr \r\n\r",
]


def test_body_canonicalization_is_dkimpys():
    rng = random.Random(6376)
    alphabet = [b" ", b"\t", b"\r\n", b"x", b"\r", b"\xc3\xa9"]
    bodies = [b"".join(rng.choices(alphabet, k=rng.randrange(40))) for _ in range(3000)]
    for body in BODY_CASES + bodies:
        assert canon.Relaxed.canonicalize_body(body) == Relaxed.canonicalize_body(body), body


def test_header_canonicalization_is_dkimpys():
    rng = random.Random(8463)
    alphabet = [b" ", b"\t", b"\r\n", b"\n", b"\r", b"\x0b", b"x", b":", b"\xc3\xa9"]
    names = [b"Subject", b"FROM", b"x-Tag ", b"DKIM-Signature"]
    headers = [
        (rng.choice(names), b"".join(rng.choices(alphabet, k=rng.randrange(30))) + b"\r\n")
        for _ in range(3000)
    ]
    headers += [(b"Subject", b" a \r\n\t b\r\n"), (b"To", b"\r\n"), (b"To", b"")]
    assert canon.Relaxed.canonicalize_headers(headers) == Relaxed.canonicalize_headers(headers)


def outcome(parse, message):
    try:
        headers, body = parse(message)[:2]
    except (canon.MalformedMessage, dkim.DKIMException, IndexError):
        return "refused"
    return [tuple(h) for h in headers], body


def test_parsing_is_dkimpys():
    rng = random.Random(5322)
    pieces = [b"From", b"To", b":", b" ", b"\t", b"x", b"\r\n", b"\r\n", b"\r", b"\x7f", b"\xc3"]
    messages = [b"".join(rng.choices(pieces, k=rng.randrange(30))) for _ in range(3000)]
    messages += [make() for make in MESSAGES.values()]
    messages += [
        b"From MAILER-DAEMON Thu Jan  1 00:00:00 2026\r\nFrom: a@x\r\n\r\nbody",
        b"From: a@x\r\nA::b\r\nX-!#$:v\r\n\r\n",
        b"From: a@x\r\nTo: b@x",
        b" folded first\r\nFrom: a@x\r\n\r\n",
        b"Subject : x\r\nFrom: a@x\r\n\r\n",
    ]
    for message in messages:
        ours = outcome(canon.parse, message)
        assert ours == outcome(dkim.rfc822_parse, message), message


@pytest.mark.django_db
def test_keys_parsed_once_per_process(account, dns_zone, monkeypatch):
    domain = make_domain(account, dns_zone, DkimOption.DUAL)
    first = Signer.for_domain(domain)

    def no_decrypt(self):
        raise AssertionError("decrypted again")

    monkeypatch.setattr(DkimKey, "private_key_pem", property(no_decrypt))
    second = Signer.for_domain(SenderDomain.objects.get(pk=domain.pk))
    assert [id(k) for k in second.keys] == [id(k) for k in first.keys]
    message = ascii_message()
    assert dkim.verify(second.sign(message) + message, dnsfunc=dnsfunc)


@pytest.mark.django_db
def test_refusals(account, dns_zone):
    domain = make_domain(account, dns_zone, DkimOption.RSA_2048)
    signer = Signer.for_domain(domain)
    with pytest.raises(SigningError, match="no From"):
        signer.sign(b"To: a@example.org\r\nSubject: x\r\n\r\nbody\r\n")
    with pytest.raises(SigningError, match="malformed"):
        signer.sign(b"From: a@example.org\r\nBad header\r\n\r\nbody\r\n")
    with pytest.raises(SigningError, match="no DKIM key"):
        Signer(DOMAIN, [])
    with pytest.raises(SigningError, match="unreadable"):
        sign.SigningKey.from_pem("rsa", "s", "not a pem")
    pem, _ = keys.generate("ed25519")
    with pytest.raises(SigningError, match="not an rsa"):
        sign.SigningKey.from_pem("rsa", "s", pem)
