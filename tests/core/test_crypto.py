"""Secrets at rest: Fernet encryption with rotation."""

import pytest
from cryptography.fernet import Fernet

from sesconsole import crypto


def test_round_trip_and_not_in_clear(settings):
    settings.SES_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    token = crypto.encrypt("s3cret-value")
    assert "s3cret-value" not in token
    assert crypto.decrypt(token) == "s3cret-value"


def test_rotation_keeps_old_secrets_readable(settings):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.SES_ENCRYPTION_KEYS = [old]
    token = crypto.encrypt("kept")
    settings.SES_ENCRYPTION_KEYS = [new, old]
    assert crypto.decrypt(token) == "kept"
    rotated = crypto.rotate(token)
    settings.SES_ENCRYPTION_KEYS = [new]
    assert crypto.decrypt(rotated) == "kept"
    with pytest.raises(crypto.UndecryptableSecret):
        crypto.decrypt(token)


def test_wrong_key_cannot_decrypt(settings):
    settings.SES_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    token = crypto.encrypt("x")
    settings.SES_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    with pytest.raises(crypto.UndecryptableSecret):
        crypto.decrypt(token)
