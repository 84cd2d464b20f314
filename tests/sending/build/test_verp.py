"""VERP return paths (sending.build.verp): one per Delivery, naming it, unforgeable."""

import re

import pytest

from sending.acceptance.service import SendRequest, accept
from sending.build import verp
from tests.sending.conftest import SENDER_DOMAIN


def send(account, sender, **fields):
    fields.setdefault("subject", "Your sign-in code")
    return accept(account, SendRequest(sender=sender, **fields))


@pytest.mark.parametrize("pk", [1, 2, 999, 2**31, 2**63 - 1])
def test_verp_round_trip(pk):
    address = verp.verp_address(pk, SENDER_DOMAIN)
    local, _, domain = address.partition("@")
    assert domain == SENDER_DOMAIN
    assert re.fullmatch(r"bounce\+[a-z2-7]+", local) and len(local) <= 64
    assert verp.parse_verp(address) == pk
    assert verp.parse_verp(address.upper()) == pk  # an MTA that changed the case
    assert verp.parse_verp(f"<{address}>") == pk
    assert verp.parse_verp(address.replace(SENDER_DOMAIN, "other.example")) == pk
    assert verp.parse_verp(f"{address}\n") == pk  # as read from a line
    assert verp.parse_verp(f"{address}\nX") is None


def test_verp_takes_a_delivery(account, verified_sender):
    message = send(account, verified_sender, to=["a@example.com", "b@example.com"], text="hi")
    first, second = message.deliveries.order_by("pk")
    a, b = (verp.verp_address(d, SENDER_DOMAIN) for d in (first, second))
    assert a != b
    assert (verp.parse_verp(a), verp.parse_verp(b)) == (first.pk, second.pk)


def test_verp_tampering_is_refused():
    address = verp.verp_address(42, SENDER_DOMAIN)
    local, _, domain = address.partition("@")
    token = local.removeprefix("bounce+")
    for i in range(len(token)):  # every single-character change
        for c in "a7":
            if token[i] != c:
                forged = token[:i] + c + token[i + 1 :]
                assert verp.parse_verp(f"bounce+{forged}@{domain}") is None, (i, c)
    other = verp.verp_address(43, SENDER_DOMAIN).partition("@")[0].removeprefix("bounce+")
    spliced = other[:13] + token[13:]  # 43's id with 42's signature
    assert verp.parse_verp(f"bounce+{spliced}@{domain}") is None


@pytest.mark.parametrize(
    "garbage",
    [
        None,
        42,
        "",
        "bounce+@mail.acme.example",
        "bounce+abc@mail.acme.example",
        "noreply@mail.acme.example",
        "bounce@mail.acme.example",
        "bounce+" + "a" * 29,
        "bounce+" + "a" * 29 + "@",
        "bounce+" + "1" * 29 + "@mail.acme.example",  # not base32
        "bounce+" + "a" * 29 + "===@mail.acme.example",
        "bounce+" + "a" * 30 + "@mail.acme.example",
        "bounce+" + "a" * 29 + "@a@b",
        "xbounce+" + "a" * 29 + "@mail.acme.example",
        "bounce+" + "a" * 29 + "@mail.acme.example\nX",
    ],
)
def test_verp_garbage_is_none(garbage):
    assert verp.parse_verp(garbage) is None


def test_verp_tokens_follow_the_secret_key(settings):
    address = verp.verp_address(7, SENDER_DOMAIN)
    old_key = settings.SECRET_KEY
    settings.SECRET_KEY = "another secret key " * 3
    assert verp.verp_address(7, SENDER_DOMAIN) != address
    assert verp.parse_verp(address) is None
    settings.SECRET_KEY_FALLBACKS = [old_key]  # a rotation: bounces to old tokens still count
    assert verp.parse_verp(address) == 7
