"""The official SDK's typed SesClient against a live server: the nine domain and address actions."""

import pytest
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.ses.v20201002 import models

from domains.models import CheckState, DomainStatus, SenderAddress, SenderDomain
from tests.sdk import sdk_request

NAME = "mail.example.com"
ADDRESS = f"news@{NAME}"

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def client(ses_client):
    return ses_client


request = sdk_request


def tag(key, value):
    return request("TagList", TagKey=key, TagValue=value)


def test_identity_actions(client, account):
    created = client.CreateEmailIdentity(
        request(
            "CreateEmailIdentityRequest",
            EmailIdentity=NAME,
            DKIMOption=2,
            TagList=[tag("部门", "邮件测试")],
        )
    )
    assert created.RequestId
    assert created.IdentityType == "DOMAIN"
    assert created.VerifiedForSendingStatus is False
    assert created.DKIMOption == 2
    assert all(isinstance(a, models.DNSAttributes) for a in created.Attributes)
    dkim = [a for a in created.Attributes if "._domainkey." in a.SendDomain]
    assert len(dkim) == 2
    assert {a.Type for a in created.Attributes} == {"TXT", "MX"}
    assert all(a.Status is False and a.CurrentValue == "" for a in created.Attributes)
    domain = SenderDomain.objects.get(account=account, name=NAME)
    assert domain.check_state == CheckState.QUEUED

    got = client.GetEmailIdentity(request("GetEmailIdentityRequest", EmailIdentity=NAME))
    assert (got.IdentityType, got.DKIMOption) == ("DOMAIN", 2)
    assert [(t.TagKey, t.TagValue) for t in got.TagList] == [("部门", "邮件测试")]
    assert [a.SendDomain for a in got.Attributes] == [a.SendDomain for a in created.Attributes]

    SenderDomain.objects.filter(pk=domain.pk).update(check_state=CheckState.IDLE)
    updated = client.UpdateEmailIdentity(
        request("UpdateEmailIdentityRequest", EmailIdentity=NAME, DKIMOption=0, NewAPI=True)
    )
    assert updated.DKIMOption == 0
    assert len([a for a in updated.Attributes if "._domainkey." in a.SendDomain]) == 1
    domain.refresh_from_db()
    assert (domain.dkim_option, domain.check_state) == (0, CheckState.QUEUED)

    SenderDomain.objects.create(account=account, name="other.example.com")
    listed = client.ListEmailIdentities(
        request("ListEmailIdentitiesRequest", TagList=[tag("部门", "邮件测试")], Limit=10, Offset=0)
    )
    assert listed.Total == 1
    assert listed.MaxDailyQuota == account.daily_quota
    assert listed.MaxReputationLevel == account.reputation_level
    (identity,) = listed.EmailIdentities
    assert isinstance(identity, models.EmailIdentity)
    assert (identity.IdentityName, identity.IdentityType) == (NAME, "DOMAIN")
    assert (identity.SendingEnabled, identity.DKIMOption, identity.SendIp) == (False, 0, [])
    assert identity.DailyQuota == account.daily_quota
    page = client.ListEmailIdentities(request("ListEmailIdentitiesRequest", Limit=1, Offset=1))
    assert [i.IdentityName for i in page.EmailIdentities] == ["other.example.com"]
    assert page.Total == 2

    deleted = client.DeleteEmailIdentity(request("DeleteEmailIdentityRequest", EmailIdentity=NAME))
    assert deleted.RequestId
    assert not SenderDomain.objects.filter(name=NAME).exists()


def test_address_actions(client, account):
    SenderDomain.objects.create(account=account, name=NAME, status=DomainStatus.VERIFIED)
    created = client.CreateEmailAddress(
        request("CreateEmailAddressRequest", EmailAddress=ADDRESS, EmailSenderName="腾讯云邮件通知")
    )
    assert created.RequestId
    client.CreateEmailAddress(request("CreateEmailAddressRequest", EmailAddress=f"a@{NAME}"))

    listed = client.ListEmailAddress(request("ListEmailAddressRequest"))
    assert all(isinstance(s, models.EmailSender) for s in listed.EmailSenders)
    assert [(s.EmailAddress, s.EmailSenderName, s.SmtpPwdType) for s in listed.EmailSenders] == [
        (f"a@{NAME}", "", 0),
        (ADDRESS, "腾讯云邮件通知", 0),
    ]
    row = SenderAddress.objects.get(email=ADDRESS)
    assert listed.EmailSenders[1].CreatedTimestamp == int(row.created_at.timestamp())

    changed = client.UpdateEmailSmtpPassWord(
        request("UpdateEmailSmtpPassWordRequest", EmailAddress=ADDRESS, Password="Abcdef12GH")
    )
    assert changed.RequestId
    listed = client.ListEmailAddress(request("ListEmailAddressRequest"))
    assert [s.SmtpPwdType for s in listed.EmailSenders] == [0, 1]
    assert SenderAddress.objects.get(email=ADDRESS).check_smtp_password("Abcdef12GH")

    deleted = client.DeleteEmailAddress(
        request("DeleteEmailAddressRequest", EmailAddress=f"a@{NAME}")
    )
    assert deleted.RequestId
    listed = client.ListEmailAddress(request("ListEmailAddressRequest"))
    assert [s.EmailAddress for s in listed.EmailSenders] == [ADDRESS]


ERRORS = [
    (
        "CreateEmailIdentity",
        {"EmailIdentity": "co.uk"},
        "InvalidParameterValue.InvalidEmailIdentity",
    ),
    ("CreateEmailIdentity", {"EmailIdentity": NAME}, "InvalidParameterValue.RepeatCreation"),
    (
        "GetEmailIdentity",
        {"EmailIdentity": "x.example.com"},
        "InvalidParameterValue.NotExistDomain",
    ),
    (
        "UpdateEmailIdentity",
        {"EmailIdentity": "x.example.com"},
        "InvalidParameterValue.NotExistDomain",
    ),
    ("ListEmailIdentities", {"Limit": 101}, "FailedOperation.InvalidLimit"),
    ("DeleteEmailIdentity", {"EmailIdentity": NAME}, "OperationDenied.SenderWithDomainIsNotEmpty"),
    (
        "CreateEmailAddress",
        {"EmailAddress": "a@pending.example.com"},
        "OperationDenied.DomainNotVerified",
    ),
    ("DeleteEmailAddress", {"EmailAddress": f"b@{NAME}"}, "InvalidParameterValue.NoSuchSender"),
    (
        "UpdateEmailSmtpPassWord",
        {"EmailAddress": ADDRESS, "Password": "short"},
        "InvalidParameterValue.InvalidSmtpPassWord",
    ),
]


@pytest.mark.parametrize(("action", "fields", "code"), ERRORS, ids=[e[0] for e in ERRORS])
def test_errors(client, account, action, fields, code):
    domain = SenderDomain.objects.create(account=account, name=NAME, status=DomainStatus.VERIFIED)
    SenderDomain.objects.create(account=account, name="pending.example.com")
    SenderAddress.objects.create(account=account, domain=domain, email=ADDRESS)
    before = (
        list(SenderDomain.objects.values()),
        list(SenderAddress.objects.values()),
    )
    with pytest.raises(TencentCloudSDKException) as info:
        getattr(client, action)(request(f"{action}Request", **fields))
    assert info.value.get_code() == code
    assert info.value.get_request_id()
    assert (list(SenderDomain.objects.values()), list(SenderAddress.objects.values())) == before
    # ListEmailAddress takes no parameters and has no error of its own.
    listed = client.ListEmailAddress(request("ListEmailAddressRequest"))
    assert [s.EmailAddress for s in listed.EmailSenders] == [ADDRESS]


def _other_account_verified(account):
    from accounts.models import Account

    other = Account.objects.create(name="other")
    SenderDomain.objects.create(account=other, name="taken.example.com", status="verified")


def _limits_of_one(account):
    account.max_sender_domains = 1
    account.max_sender_addresses = 1
    account.save()


def _password_set(account):
    SenderAddress.objects.get(email=ADDRESS).set_smtp_password("Abcdef12GH")


MORE_ERRORS = [
    (
        _other_account_verified,
        "CreateEmailIdentity",
        {"EmailIdentity": "taken.example.com"},
        "InvalidParameterValue.CreatedByOther",
    ),
    (
        _limits_of_one,
        "CreateEmailIdentity",
        {"EmailIdentity": "two.example.com"},
        "OperationDenied.ExceedDomainLimit",
    ),
    (
        _limits_of_one,
        "CreateEmailAddress",
        {"EmailAddress": f"two@{NAME}"},
        "OperationDenied.ExceedSenderLimit",
    ),
    (
        None,
        "CreateEmailAddress",
        {"EmailAddress": ADDRESS.upper()},
        "InvalidParameterValue.RepeatEmailAddress",
    ),
    (
        None,
        "CreateEmailAddress",
        {"EmailAddress": "not an address"},
        "InvalidParameterValue.IllegalEmailAddress",
    ),
    (
        None,
        "CreateEmailAddress",
        {"EmailAddress": f"b@{NAME}", "EmailSenderName": "Evil: <b>"},
        "InvalidParameterValue.IllegalSenderName",
    ),
    (
        None,
        "CreateEmailAddress",
        {"EmailAddress": "b@nowhere.example.com"},
        "InvalidParameterValue.NotExistDomain",
    ),
    (
        _password_set,
        "UpdateEmailSmtpPassWord",
        {"EmailAddress": ADDRESS, "Password": "Abcdef12GH"},
        "OperationDenied.RepeatPassWord",
    ),
]


@pytest.mark.parametrize(
    ("arrange", "action", "fields", "code"), MORE_ERRORS, ids=[e[3] for e in MORE_ERRORS]
)
def test_more_errors(client, account, arrange, action, fields, code):
    domain = SenderDomain.objects.create(account=account, name=NAME, status=DomainStatus.VERIFIED)
    SenderAddress.objects.create(account=account, domain=domain, email=ADDRESS)
    if arrange:
        arrange(account)
    with pytest.raises(TencentCloudSDKException) as info:
        getattr(client, action)(request(f"{action}Request", **fields))
    assert info.value.get_code() == code
