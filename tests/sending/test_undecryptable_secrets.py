"""Secrets encrypted under other keys than SES_ENCRYPTION_KEYS (a command run without the
service's environment, a lost key): a clear refusal or deferral naming the secret, one
log line, and `manage.py check` listing them; never an InternalError or a traceback."""

import io
import logging

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.urls import reverse

from accounts.models import ApiKey
from sending.delivery.engine import deliver
from sending.models import DeliveryStatus
from tests.sending.conftest import RCPT_DOMAIN

OTHER_KEYS = [Fernet.generate_key().decode()]
OURS = [Fernet.generate_key().decode()]

pytestmark = pytest.mark.django_db


@pytest.fixture
def our_keys(settings):
    settings.SES_ENCRYPTION_KEYS = OURS
    return settings


def written_elsewhere(settings, make):
    """`make()` run under other encryption keys, as by a command without our environment."""
    settings.SES_ENCRYPTION_KEYS = OTHER_KEYS
    try:
        return make()
    finally:
        settings.SES_ENCRYPTION_KEYS = OURS


def check_output() -> str:
    out = io.StringIO()
    call_command("check", stdout=out, stderr=out)
    return out.getvalue()


def test_an_api_key_no_key_decrypts_is_secret_id_not_found(account, our_keys, call_api, caplog):
    key, secret = written_elsewhere(our_keys, lambda: ApiKey.issue(account, "by hand"))
    with caplog.at_level(logging.ERROR):
        reply = call_api("ListEmailTemplates", {}, secret_id=key.secret_id, secret_key=secret)
    assert reply.code == "AuthFailure.SecretIdNotFound"
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1
    line = errors[0].getMessage()
    assert key.secret_id in line and "SES_ENCRYPTION_KEYS" in line
    assert errors[0].exc_info is None  # one line, not a traceback


def test_keys_that_decrypt_still_work(account, our_keys, call_api):
    assert call_api("ListEmailTemplates", {"Limit": 10, "Offset": 0}).code is None


def test_check_lists_api_keys_no_key_decrypts(account, our_keys):
    assert "accounts.W001" not in check_output()
    key, _ = written_elsewhere(our_keys, lambda: ApiKey.issue(account, "by hand"))
    output = check_output()
    assert "accounts.W001" in output and key.secret_id in output


def test_check_lists_dkim_keys_no_key_decrypts(verified_sender, our_keys):
    domain = verified_sender.domain
    domain.generate_keys()
    assert "domains.W001" not in check_output()
    written_elsewhere(our_keys, domain.generate_keys)
    selector = domain.dkim_keys.get().selector
    output = check_output()
    assert "domains.W001" in output and f"{selector} of {domain.name}" in output


def test_a_dkim_key_no_key_decrypts_defers_delivery_with_the_reason(
    signing_sender, recipient_mx, send_text, our_keys, caplog
):
    server = recipient_mx()
    written_elsewhere(our_keys, signing_sender.domain.generate_keys)
    message = send_text()
    with caplog.at_level(logging.ERROR):
        deliver(RCPT_DOMAIN, budget=10)
    delivery = message.deliveries.get()
    assert delivery.status == DeliveryStatus.DEFERRED
    assert delivery.next_attempt_at is not None
    assert "cannot be decrypted with the configured SES_ENCRYPTION_KEYS" in delivery.last_reply
    assert signing_sender.domain.name in delivery.last_reply
    assert delivery.last_reply.startswith("4.3.0")
    assert server.handler.messages == []
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1 and errors[0].exc_info is None


def test_a_new_secret_key_that_can_no_longer_be_shown(operator_client, our_keys):
    response = operator_client.post(reverse("api_keys"), {"description": "app"})
    assert response.status_code == 302
    our_keys.SES_ENCRYPTION_KEYS = OTHER_KEYS  # the keys changed before the page was read
    page = operator_client.get(response["Location"], follow=True)
    assert page.status_code == 200
    assert "can no longer be shown" in page.content.decode()
