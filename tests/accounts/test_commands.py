"""Bootstrap commands: createaccount, createoperator, createreviewer, createapikey."""

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from accounts.models import Account, ApiKey, User
from tests.conftest import PASSWORD


def run(*args):
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_bootstrap_an_account():
    run("createaccount", "acme")
    run("createoperator", "--account", "acme", "--email", "Op@Acme.example", "--password", PASSWORD)
    run("createreviewer", "--email", "rev@platform.example", "--password", PASSWORD)
    account = Account.objects.get(name="acme")
    operator = User.objects.get(email="op@acme.example")
    assert operator.account == account and operator.check_password(PASSWORD)
    assert User.objects.get(email="rev@platform.example").is_reviewer

    printed = json.loads(run("createapikey", "--account", "acme"))
    assert set(printed) == {"SecretId", "SecretKey"}
    key = ApiKey.objects.get(secret_id=printed["SecretId"])
    assert key.account == account and key.secret_key == printed["SecretKey"]


@pytest.mark.django_db
def test_commands_refuse_bad_input():
    run("createaccount", "acme")
    with pytest.raises(CommandError, match="already exists"):
        run("createaccount", "acme")
    with pytest.raises(CommandError, match="No account named"):
        run("createoperator", "--account", "nope", "--email", "a@b.example", "--password", PASSWORD)
    with pytest.raises(CommandError, match="not an email address"):
        run("createoperator", "--account", "acme", "--email", "nope", "--password", PASSWORD)
    with pytest.raises(CommandError, match="Password refused"):
        run("createreviewer", "--email", "r@b.example", "--password", "123")
    with pytest.raises(CommandError, match="No account named"):
        run("createapikey", "--account", "nope")
    assert User.objects.count() == 0


@pytest.mark.django_db
def test_seeddemo_is_idempotent_and_prints_working_logins(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    first = run("seeddemo")
    second = run("seeddemo")
    assert first == second
    operator = User.objects.get(email="demo@example.com")
    password = next(line.split()[-1] for line in first.splitlines() if "demo@example.com" in line)
    assert operator.check_password(password)
    assert operator.account.name == "demo"
    assert User.objects.get(email="reviewer@example.com").is_reviewer
    assert User.objects.get(email="support@example.com").is_staff
    secret_key = next(line.split()[-1] for line in first.splitlines() if "SecretKey" in line)
    assert ApiKey.objects.get(account=operator.account).secret_key == secret_key
