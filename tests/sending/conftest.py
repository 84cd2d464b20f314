"""Shared fixtures for sending: a verified sender address and an approved template.

    def test_x(account, verified_sender, approved_template): ...

`make_sender` and `make_template` build more of them (other accounts, an
unverified domain, a template still pending review).
"""

import base64
import json

import pytest

from accounts.models import User
from domains import keys
from domains.models import DkimOption, DomainStatus, SenderAddress, SenderDomain
from sending.acceptance.service import SendRequest, accept
from sending.delivery import connections
from templates_app import workflow
from templates_app.models import Category
from tests.templates_app.helpers import words

SENDER_DOMAIN = "mail.acme.example"
SENDER_EMAIL = f"noreply@{SENDER_DOMAIN}"
SENDER_NAME = "Acme Shop"
# Two variables, in both parts: a sign-in code notice of more than 50 words.
TEMPLATE_HTML = f"<p>Hello {{{{name}}}}, your code is {{{{code}}}}.</p><p>{words(60)}</p>"
TEMPLATE_TEXT = f"Hello {{{{name}}}}, your code is {{{{code}}}}.\n\n{words(60)}\n"
TEMPLATE_DATA = {"name": "Ana", "code": "1234"}


def b64(data: bytes | str) -> str:
    return base64.b64encode(data.encode() if isinstance(data, str) else data).decode("ascii")


@pytest.fixture
def make_sender(db):
    def make(account, email=SENDER_EMAIL, sender_name=SENDER_NAME, verified=True):
        host = email.rpartition("@")[2]
        status = DomainStatus.VERIFIED if verified else DomainStatus.PENDING
        domain, _ = SenderDomain.objects.get_or_create(
            account=account, name=host, defaults={"status": status}
        )
        return SenderAddress.objects.create(
            account=account, domain=domain, email=email, sender_name=sender_name
        )

    return make


@pytest.fixture
def verified_sender(account, make_sender):
    """noreply@mail.acme.example ("Acme Shop") on a verified domain of `account`."""
    return make_sender(account)


@pytest.fixture
def template_reviewer(db):
    return User.objects.create_user(email="reviewer@platform.example", is_reviewer=True)


@pytest.fixture
def make_template(template_reviewer):
    def make(account, name="Sign-in code", html=TEMPLATE_HTML, text=TEMPLATE_TEXT, approve=True):
        template = workflow.create_template(
            account, name, Category.TRANSACTIONAL, html, text, submit=True
        )
        if approve:
            workflow.decide(template.latest, template_reviewer, "approved")
        template.refresh_from_db()
        return template

    return make


@pytest.fixture
def approved_template(account, make_template):
    """An approved EmailTemplate of `account` using {{name}} and {{code}}."""
    return make_template(account)


@pytest.fixture
def send_params(verified_sender, approved_template):
    """Valid SendEmail parameters: one recipient, the approved template."""
    return {
        "FromEmailAddress": f"{SENDER_NAME} <{verified_sender.email}>",
        "Destination": ["ana@example.com"],
        "Subject": "Your sign-in code",
        "Template": {
            "TemplateID": approved_template.pk,
            "TemplateData": json.dumps(TEMPLATE_DATA),
        },
    }


# Delivery: a signing sender, recipient MX servers found through the loopback DNS.

RCPT_DOMAIN = "rcpt.test"
SIMULATOR = "simulator.test"


@pytest.fixture
def delivery_settings(settings, dns_zone):
    """Routing through the loopback DNS server, short SMTP timeouts, no relay."""
    settings.SES_RELAY_URL = ""
    settings.SES_SIMULATOR_DOMAIN = SIMULATOR
    settings.SES_SMTP_TIMEOUT = 3
    settings.SES_SMTP_DATA_TIMEOUT = 3
    settings.SES_HELO_NAME = "out.sesconsole.test"
    yield settings
    connections.clear()  # no session cached for a server the next test no longer runs


@pytest.fixture
def signing_sender(account, verified_sender, dns_zone, delivery_settings):
    """verified_sender with DKIM keys (RSA and Ed25519) published in the loopback DNS.

    The account may send custom content, so tests can send text and HTML directly, and
    its rate is high enough that acceptance paces nothing (tests/sending/acceptance/test_pacing.py
    covers pacing): every delivery is due at once.
    """
    domain = verified_sender.domain
    domain.dkim_option = DkimOption.DUAL
    domain.save(update_fields=["dkim_option"])
    domain.generate_keys()
    for key in domain.dkim_keys.all():
        dns_zone.add(key.record_name, "TXT", keys.split_txt(key.txt_value))
    account.allow_custom_content = True
    account.send_rate_per_second = 1_000_000
    account.save(update_fields=["allow_custom_content", "send_rate_per_second"])
    return verified_sender


@pytest.fixture
def recipient_mx(smtp_server, dns_zone, delivery_settings):
    """recipient_mx(handler=None, domain=RCPT_DOMAIN, **aiosmtpd params): a started
    SmtpServer published as the domain's MX (SES_MX_PORT points at its port)."""

    def start(handler=None, domain=RCPT_DOMAIN, **params):
        server = smtp_server(handler, **params)
        delivery_settings.SES_MX_PORT = server.port
        dns_zone.add(domain, "MX", f"10 mx.{domain}.")
        dns_zone.add(f"mx.{domain}", "A", "127.0.0.1")
        return server

    return start


@pytest.fixture
def send_text(account, signing_sender):
    """send_text(to=[...], **SendRequest fields) -> an accepted Message with custom content."""

    def send(to=(f"ana@{RCPT_DOMAIN}",), **fields):
        fields.setdefault("subject", "Your order has shipped")
        fields.setdefault("text", "Hello Ana,\n\nyour order has shipped.\n")
        return accept(account, SendRequest(sender=signing_sender, to=list(to), **fields))

    return send
