"""Shared fixtures for sending: a verified sender address and an approved template.

    def test_x(account, verified_sender, approved_template): ...

`make_sender` and `make_template` build more of them (other accounts, an
unverified domain, a template still pending review).
"""

import base64
import json

import pytest

from accounts.models import User
from domains.models import DomainStatus, SenderAddress, SenderDomain
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
