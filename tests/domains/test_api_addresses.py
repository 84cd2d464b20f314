"""The sender-address and SMTP-password API actions through the gateway: shapes and error codes."""

import time

import pytest
from django.contrib.auth.hashers import check_password

from accounts.models import Account
from domains.models import DomainStatus, SenderAddress, SenderDomain
from tests.tc3 import ok

DOMAIN = "mail.example.com"
ADDRESS = f"news@{DOMAIN}"
PASSWORD = "Abcdef12GH"
SENDER_KEYS = {"EmailAddress", "EmailSenderName", "CreatedTimestamp", "SmtpPwdType"}


@pytest.fixture(autouse=True)
def _fast_api(account):
    # Many calls of one action happen within a second here.
    Account.objects.filter(pk=account.pk).update(api_rate_per_second=10_000)


@pytest.fixture
def domain(account):
    return SenderDomain.objects.create(account=account, name=DOMAIN, status=DomainStatus.VERIFIED)


@pytest.fixture
def other(other_tenant_api):
    return other_tenant_api


def create(call_api, email=ADDRESS, **params) -> dict:
    return ok(call_api("CreateEmailAddress", {"EmailAddress": email, **params}))


def senders(call) -> list[dict]:
    response = ok(call("ListEmailAddress", {}))
    assert set(response) == {"EmailSenders", "RequestId"}
    return response["EmailSenders"]


# --- CreateEmailAddress / ListEmailAddress ------------------------------------------


def test_create_and_list(call_api, account, domain):
    before = int(time.time())
    response = create(call_api, EmailSenderName="腾讯云邮件通知")
    assert response.keys() == {"RequestId"}
    create(call_api, f"alerts@{DOMAIN}")
    after = int(time.time())

    listed = senders(call_api)
    assert [s["EmailAddress"] for s in listed] == [f"alerts@{DOMAIN}", ADDRESS]
    assert all(set(s) == SENDER_KEYS for s in listed)
    alerts, news = listed
    assert (news["EmailSenderName"], news["SmtpPwdType"]) == ("腾讯云邮件通知", 0)
    assert (alerts["EmailSenderName"], alerts["SmtpPwdType"]) == ("", 0)
    row = SenderAddress.objects.get(email=ADDRESS)
    assert (row.account, row.domain, row.sender_name) == (account, domain, "腾讯云邮件通知")
    assert isinstance(news["CreatedTimestamp"], int)
    assert news["CreatedTimestamp"] == int(row.created_at.timestamp())
    assert before <= news["CreatedTimestamp"] <= after


def test_list_empty(call_api):
    assert senders(call_api) == []


def test_address_on_idna_domain(call_api, account):
    SenderDomain.objects.create(
        account=account, name="xn--bcher-kva.example.com", status=DomainStatus.VERIFIED
    )
    create(call_api, "info@Bücher.example.com")
    assert [s["EmailAddress"] for s in senders(call_api)] == ["info@xn--bcher-kva.example.com"]


def test_domain_does_not_exist(call_api, domain):
    reply = call_api("CreateEmailAddress", {"EmailAddress": "a@other.example.com"})
    assert reply.code == "InvalidParameterValue.NotExistDomain"
    assert not SenderAddress.objects.exists()


@pytest.mark.parametrize("status", [DomainStatus.PENDING, DomainStatus.FAILED])
def test_domain_not_verified(call_api, account, status):
    SenderDomain.objects.create(account=account, name=DOMAIN, status=status)
    reply = call_api("CreateEmailAddress", {"EmailAddress": ADDRESS})
    assert reply.code == "OperationDenied.DomainNotVerified"
    assert not SenderAddress.objects.exists()


@pytest.mark.parametrize(
    "email",
    [
        "",
        "news",
        f"@{DOMAIN}",
        "news@",
        f"a b@{DOMAIN}",
        f"a..b@{DOMAIN}",
        f"{'x' * 65}@{DOMAIN}",
        "news@com",
        "news@mail..example.com",
        f"News <news@{DOMAIN}>",
    ],
    ids=[
        "empty",
        "no-at",
        "no-local",
        "no-domain",
        "space",
        "double-dot",
        "long-local",
        "tld",
        "empty-label",
        "with-name",
    ],
)
def test_illegal_address(call_api, domain, email):
    reply = call_api("CreateEmailAddress", {"EmailAddress": email})
    assert reply.code == "InvalidParameterValue.IllegalEmailAddress"
    assert not SenderAddress.objects.exists()


@pytest.mark.parametrize(
    "name", ["Acme: News", "Acme <news>", 'Acme "News"', "a\nb", "x" * 81], ids=repr
)
def test_illegal_sender_name(call_api, domain, name):
    reply = call_api("CreateEmailAddress", {"EmailAddress": ADDRESS, "EmailSenderName": name})
    assert reply.code == "InvalidParameterValue.IllegalSenderName"
    assert not SenderAddress.objects.exists()


def test_repeat_address_ignores_case(call_api, domain):
    create(call_api, f"News@{DOMAIN}")
    reply = call_api("CreateEmailAddress", {"EmailAddress": f"news@{DOMAIN.upper()}"})
    assert reply.code == "InvalidParameterValue.RepeatEmailAddress"
    assert SenderAddress.objects.count() == 1


def test_sender_limit(call_api, account, domain):
    Account.objects.filter(pk=account.pk).update(max_sender_addresses=1)
    create(call_api)
    reply = call_api("CreateEmailAddress", {"EmailAddress": f"two@{DOMAIN}"})
    assert reply.code == "OperationDenied.ExceedSenderLimit"
    assert list(SenderAddress.objects.values_list("email", flat=True)) == [ADDRESS]


# --- DeleteEmailAddress -------------------------------------------------------------


def test_delete(call_api, domain):
    create(call_api)
    create(call_api, f"keep@{DOMAIN}")
    response = ok(call_api("DeleteEmailAddress", {"EmailAddress": ADDRESS.upper()}))
    assert response.keys() == {"RequestId"}
    assert [s["EmailAddress"] for s in senders(call_api)] == [f"keep@{DOMAIN}"]
    # The domain can go once its last address has.
    ok(call_api("DeleteEmailAddress", {"EmailAddress": f"keep@{DOMAIN}"}))
    ok(call_api("DeleteEmailIdentity", {"EmailIdentity": DOMAIN}))


def test_delete_unknown_address(call_api, domain):
    create(call_api)
    reply = call_api("DeleteEmailAddress", {"EmailAddress": f"nobody@{DOMAIN}"})
    assert reply.code == "InvalidParameterValue.NoSuchSender"
    assert SenderAddress.objects.count() == 1


# --- UpdateEmailSmtpPassWord --------------------------------------------------------


def set_password(call, email=ADDRESS, password=PASSWORD):
    return call("UpdateEmailSmtpPassWord", {"EmailAddress": email, "Password": password})


def test_set_smtp_password(call_api, domain):
    create(call_api)
    assert senders(call_api)[0]["SmtpPwdType"] == 0
    response = ok(set_password(call_api))
    assert response.keys() == {"RequestId"}
    assert senders(call_api)[0]["SmtpPwdType"] == 1
    row = SenderAddress.objects.get()
    assert row.smtp_password_changed_at is not None
    assert PASSWORD not in row.smtp_password_hash
    assert check_password(PASSWORD, row.smtp_password_hash)
    assert row.check_smtp_password(PASSWORD)
    assert not row.check_smtp_password("Abcdef12GX")


@pytest.mark.parametrize(
    "password",
    [
        "Abcdef12G",  # 9 characters
        "Abcdef12GH" + "x" * 11,  # 21 characters
        "AbcdefGH1x",  # one digit
        "AbcdefGH11",  # two digits, but the same one
        "abcdef1234",  # no upper case
        "ABCDEF12gH",  # one lower case
        "",
    ],
    ids=["too-short", "too-long", "one-digit", "same-digit", "no-upper", "one-lower", "empty"],
)
def test_weak_smtp_password(call_api, domain, password):
    create(call_api)
    reply = set_password(call_api, password=password)
    assert reply.code == "InvalidParameterValue.InvalidSmtpPassWord"
    assert not SenderAddress.objects.get().has_smtp_password


@pytest.mark.parametrize("password", ["Ab12cdEF90", "Abcdef12GH" + "k" * 10], ids=["10", "20"])
def test_smtp_password_length_bounds(call_api, domain, password):
    create(call_api)
    ok(set_password(call_api, password=password))
    assert SenderAddress.objects.get().check_smtp_password(password)


def test_repeat_smtp_password(call_api, domain):
    create(call_api)
    ok(set_password(call_api))
    first = SenderAddress.objects.get().smtp_password_hash
    reply = set_password(call_api)
    assert reply.code == "OperationDenied.RepeatPassWord"
    assert SenderAddress.objects.get().smtp_password_hash == first
    ok(set_password(call_api, password="Zyxwvu98TS"))
    row = SenderAddress.objects.get()
    assert row.check_smtp_password("Zyxwvu98TS")
    assert not row.check_smtp_password(PASSWORD)


def test_smtp_password_of_unknown_address(call_api, domain):
    reply = set_password(call_api, email=f"nobody@{DOMAIN}")
    assert reply.code == "InvalidParameterValue.NoSuchSender"


# --- tenant isolation ---------------------------------------------------------------


def test_another_account_sees_no_address(call_api, other, domain):
    create(call_api, EmailSenderName="A")
    ok(set_password(call_api))
    snapshot = list(SenderAddress.objects.values())

    assert senders(other) == []
    assert other("DeleteEmailAddress", {"EmailAddress": ADDRESS}).code == (
        "InvalidParameterValue.NoSuchSender"
    )
    assert set_password(other, password="Zyxwvu98TS").code == "InvalidParameterValue.NoSuchSender"
    # A's verified domain is not B's to send from.
    assert other("CreateEmailAddress", {"EmailAddress": f"b@{DOMAIN}"}).code == (
        "InvalidParameterValue.NotExistDomain"
    )
    assert list(SenderAddress.objects.values()) == snapshot
    assert SenderAddress.objects.get().check_smtp_password(PASSWORD)


def test_same_address_in_two_accounts(call_api, other, domain):
    # Arranged directly: verification lets only one account hold a domain
    # verified, but an account keeps its addresses when it loses the domain.
    SenderDomain.objects.create(account=other.account, name=DOMAIN, status=DomainStatus.VERIFIED)
    create(call_api)
    ok(other("CreateEmailAddress", {"EmailAddress": ADDRESS, "EmailSenderName": "B"}))
    ok(set_password(other))
    assert senders(call_api)[0]["SmtpPwdType"] == 0
    assert senders(other)[0]["SmtpPwdType"] == 1
    ok(other("DeleteEmailAddress", {"EmailAddress": ADDRESS}))
    assert [s["EmailAddress"] for s in senders(call_api)] == [ADDRESS]
