"""The sender-domain (identity) API actions through the gateway: reply shapes and error codes."""

import base64

import pytest
from cryptography.hazmat.primitives.serialization import load_der_public_key
from django.forms.models import model_to_dict

from accounts.models import Account
from domains import keys
from domains.models import (
    CheckState,
    DomainStatus,
    RecordCheck,
    RecordStatus,
    SenderAddress,
    SenderDomain,
)
from tests.tc3 import ok

NAME = "mail.example.com"
ATTRIBUTE_KEYS = {"Type", "SendDomain", "ExpectedValue", "CurrentValue", "Status"}
IDENTITY_KEYS = {"IdentityType", "VerifiedForSendingStatus", "Attributes", "DKIMOption"}
LISTED_KEYS = {
    "IdentityName",
    "IdentityType",
    "SendingEnabled",
    "CurrentReputationLevel",
    "DailyQuota",
    "SendIp",
    "TagList",
    "DKIMOption",
}


@pytest.fixture(autouse=True)
def _setup(account, settings):
    settings.SES_MX_HOST = "mx.ses.test"
    settings.SES_SPF_DOMAIN = "spf.ses.test"
    # Many calls of one action happen within a second here.
    Account.objects.filter(pk=account.pk).update(api_rate_per_second=10_000)


@pytest.fixture
def other(other_tenant_api):
    return other_tenant_api


def create(call_api, name=NAME, **params) -> dict:
    return ok(call_api("CreateEmailIdentity", {"EmailIdentity": name, **params}))


def dkim_attributes(response) -> list[dict]:
    return [a for a in response["Attributes"] if "._domainkey." in a["SendDomain"]]


def by_name(response) -> dict[str, list[dict]]:
    result: dict[str, list[dict]] = {}
    for attribute in response["Attributes"]:
        result.setdefault(attribute["SendDomain"], []).append(attribute)
    return result


def queued_checks(callbacks) -> list[tuple]:
    return [
        cb.args
        for cb in callbacks
        if getattr(getattr(cb, "func", None), "__self__", None) is not None
        and cb.func.__self__.name == "domains.tasks.check_domain"
    ]


# --- CreateEmailIdentity ------------------------------------------------------------


def test_create_reply_shape(call_api, account, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        response = create(call_api)
    assert set(response) == IDENTITY_KEYS | {"RequestId"}
    assert response["IdentityType"] == "DOMAIN"
    assert response["VerifiedForSendingStatus"] is False
    assert response["DKIMOption"] == 1
    domain = SenderDomain.objects.get(account=account, name=NAME)
    (key,) = domain.dkim_keys.all()
    assert response["Attributes"] == [
        {
            "Type": "TXT",
            "SendDomain": f"{key.selector}._domainkey.{NAME}",
            "ExpectedValue": f"v=DKIM1; k=rsa; p={key.public_key}",
            "CurrentValue": "",
            "Status": False,
        },
        {
            "Type": "TXT",
            "SendDomain": NAME,
            "ExpectedValue": "v=spf1 include:spf.ses.test ~all",
            "CurrentValue": "",
            "Status": False,
        },
        {
            "Type": "MX",
            "SendDomain": NAME,
            "ExpectedValue": "mx.ses.test.",
            "CurrentValue": "",
            "Status": False,
        },
        {
            "Type": "TXT",
            "SendDomain": f"_dmarc.{NAME}",
            "ExpectedValue": "v=DMARC1; p=none",
            "CurrentValue": "",
            "Status": False,
        },
    ]
    # The first DNS check is queued, published only after commit.
    assert domain.check_state == CheckState.QUEUED
    assert queued_checks(callbacks) == [(domain.pk,)]


@pytest.mark.parametrize(
    ("option", "expected_option", "expected_keys"),
    [
        (None, 1, [("rsa", 2048)]),
        (0, 0, [("rsa", 1024)]),
        (1, 1, [("rsa", 2048)]),
        (2, 2, [("ed25519", 256), ("rsa", 2048)]),
    ],
    ids=["default", "rsa-1024", "rsa-2048", "dual"],
)
def test_dkim_option(call_api, option, expected_option, expected_keys):
    params = {} if option is None else {"DKIMOption": option}
    response = create(call_api, **params)
    assert response["DKIMOption"] == expected_option
    found = []
    for attribute in dkim_attributes(response):
        assert attribute["Type"] == "TXT"
        tags = keys.parse_tags(attribute["ExpectedValue"])
        public = base64.b64decode(tags["p"])
        if tags["k"] == "rsa":
            found.append(("rsa", load_der_public_key(public).key_size))
        else:
            assert tags["k"] == "ed25519"
            found.append(("ed25519", len(public) * 8))
    assert sorted(found) == expected_keys
    domain = SenderDomain.objects.get(name=NAME)
    assert domain.dkim_option == expected_option


def test_dkim_option_out_of_range(call_api):
    assert call_api("CreateEmailIdentity", {"EmailIdentity": NAME, "DKIMOption": 3}).code == (
        "InvalidParameterValue"
    )
    assert not SenderDomain.objects.exists()


def test_idna_name_is_stored_and_listed_in_ascii(call_api):
    response = create(call_api, "Bücher.Example.com.")
    ascii_name = "xn--bcher-kva.example.com"
    assert SenderDomain.objects.get().name == ascii_name
    assert {a["SendDomain"] for a in response["Attributes"]} >= {ascii_name, f"_dmarc.{ascii_name}"}
    listed = ok(call_api("ListEmailIdentities", {}))["EmailIdentities"]
    assert [i["IdentityName"] for i in listed] == [ascii_name]
    # Either spelling finds it.
    for spelling in ("bücher.example.com", ascii_name):
        assert call_api("GetEmailIdentity", {"EmailIdentity": spelling}).code is None


@pytest.mark.parametrize(
    "name",
    ["", "no spaces.com x", "com", "co.uk", "a..b.com", "x" * 64 + ".example.com", "a@b.com"],
    ids=["empty", "space", "tld", "public-suffix", "empty-label", "long-label", "address"],
)
def test_invalid_names(call_api, name):
    reply = call_api("CreateEmailIdentity", {"EmailIdentity": name})
    assert reply.code == "InvalidParameterValue.InvalidEmailIdentity"
    assert reply.message
    assert not SenderDomain.objects.exists()


def test_repeat_creation(call_api):
    create(call_api)
    reply = call_api("CreateEmailIdentity", {"EmailIdentity": "MAIL.Example.com."})
    assert reply.code == "InvalidParameterValue.RepeatCreation"
    assert SenderDomain.objects.count() == 1


def test_verified_by_another_account(call_api, make_account):
    b = make_account("other")
    SenderDomain.objects.create(account=b, name=NAME, status=DomainStatus.VERIFIED)
    reply = call_api("CreateEmailIdentity", {"EmailIdentity": NAME})
    assert reply.code == "InvalidParameterValue.CreatedByOther"
    assert SenderDomain.objects.filter(name=NAME).count() == 1


@pytest.mark.parametrize("status", [DomainStatus.PENDING, DomainStatus.FAILED])
def test_unverified_claim_elsewhere_does_not_block(call_api, account, make_account, status):
    b = make_account("other")
    SenderDomain.objects.create(account=b, name=NAME, status=status)
    create(call_api)
    assert SenderDomain.objects.filter(name=NAME, account=account).exists()


def test_domain_limit(call_api, account):
    Account.objects.filter(pk=account.pk).update(max_sender_domains=1)
    create(call_api, "one.example.com")
    reply = call_api("CreateEmailIdentity", {"EmailIdentity": "two.example.com"})
    assert reply.code == "OperationDenied.ExceedDomainLimit"
    assert list(SenderDomain.objects.values_list("name", flat=True)) == ["one.example.com"]


def test_tags_are_stored_and_returned(call_api):
    tags = [{"TagKey": "部门", "TagValue": "邮件测试"}, {"TagKey": "env", "TagValue": "prod"}]
    response = create(call_api, TagList=tags)
    assert "TagList" not in response  # not part of CreateEmailIdentityResponse
    assert SenderDomain.objects.get().tags == tags
    got = ok(call_api("GetEmailIdentity", {"EmailIdentity": NAME}))
    assert got["TagList"] == tags


def test_tag_without_value_is_refused(call_api):
    reply = call_api("CreateEmailIdentity", {"EmailIdentity": NAME, "TagList": [{"TagKey": "a"}]})
    assert reply.code == "MissingParameter"
    assert not SenderDomain.objects.exists()


# --- GetEmailIdentity ---------------------------------------------------------------


def test_get_reply_shape(call_api):
    created = create(call_api, DKIMOption=2)
    got = ok(call_api("GetEmailIdentity", {"EmailIdentity": NAME}))
    assert set(got) == IDENTITY_KEYS | {"TagList", "RequestId"}
    assert got["TagList"] == []
    assert got["DKIMOption"] == 2
    assert got["Attributes"] == created["Attributes"]
    for attribute in got["Attributes"]:
        assert set(attribute) == ATTRIBUTE_KEYS
        assert isinstance(attribute["Status"], bool)


def test_get_joins_the_last_checks(call_api, account):
    create(call_api)
    domain = SenderDomain.objects.get()
    key = domain.dkim_keys.get()
    RecordCheck.objects.create(
        domain=domain,
        kind=f"dkim:{key.selector}",
        name=key.record_name,
        type="TXT",
        current_value=key.txt_value,
        status=RecordStatus.OK,
    )
    RecordCheck.objects.create(
        domain=domain,
        kind="spf",
        name=NAME,
        type="TXT",
        current_value="v=spf1 mx -all",
        status=RecordStatus.WRONG,
    )
    RecordCheck.objects.create(
        domain=domain, kind="mx", name=NAME, type="MX", current_value="", status="missing"
    )
    SenderDomain.objects.filter(pk=domain.pk).update(status=DomainStatus.VERIFIED)

    got = ok(call_api("GetEmailIdentity", {"EmailIdentity": NAME}))
    assert got["VerifiedForSendingStatus"] is True
    dkim, spf, mx, dmarc = got["Attributes"]
    assert (dkim["CurrentValue"], dkim["Status"]) == (key.txt_value, True)
    # The SPF record to publish merges the one the domain has.
    assert spf["ExpectedValue"] == "v=spf1 include:spf.ses.test mx -all"
    assert (spf["CurrentValue"], spf["Status"]) == ("v=spf1 mx -all", False)
    assert (mx["CurrentValue"], mx["Status"]) == ("", False)
    assert (dmarc["CurrentValue"], dmarc["Status"]) == ("", False)


def test_get_unknown_domain(call_api):
    reply = call_api("GetEmailIdentity", {"EmailIdentity": NAME})
    assert reply.code == "InvalidParameterValue.NotExistDomain"


def test_get_invalid_name(call_api):
    reply = call_api("GetEmailIdentity", {"EmailIdentity": "not a domain"})
    assert reply.code == "InvalidParameterValue.InvalidEmailIdentity"


# --- UpdateEmailIdentity ------------------------------------------------------------


def test_update_requests_a_check(call_api, django_capture_on_commit_callbacks):
    created = create(call_api)
    domain = SenderDomain.objects.get()
    SenderDomain.objects.filter(pk=domain.pk).update(check_state=CheckState.IDLE)
    with django_capture_on_commit_callbacks() as callbacks:
        response = ok(call_api("UpdateEmailIdentity", {"EmailIdentity": NAME, "NewAPI": True}))
    assert set(response) == IDENTITY_KEYS | {"RequestId"}
    assert response["Attributes"] == created["Attributes"]
    assert response["DKIMOption"] == 1
    domain.refresh_from_db()
    assert domain.check_state == CheckState.QUEUED
    assert domain.check_requested_at is not None
    assert queued_checks(callbacks) == [(domain.pk,)]


def test_update_with_same_dkim_option_keeps_keys(call_api):
    create(call_api)
    domain = SenderDomain.objects.get()
    SenderDomain.objects.filter(pk=domain.pk).update(status=DomainStatus.VERIFIED)
    before = list(domain.dkim_keys.values_list("selector", flat=True))
    response = ok(call_api("UpdateEmailIdentity", {"EmailIdentity": NAME, "DKIMOption": 1}))
    assert response["VerifiedForSendingStatus"] is True
    assert list(domain.dkim_keys.values_list("selector", flat=True)) == before


def test_update_with_new_dkim_option_makes_new_keys(call_api):
    created = create(call_api)
    domain = SenderDomain.objects.get()
    SenderDomain.objects.filter(pk=domain.pk).update(status=DomainStatus.VERIFIED)
    response = ok(call_api("UpdateEmailIdentity", {"EmailIdentity": NAME, "DKIMOption": 2}))
    assert response["DKIMOption"] == 2
    assert response["VerifiedForSendingStatus"] is False
    old = {a["SendDomain"] for a in dkim_attributes(created)}
    new = dkim_attributes(response)
    assert len(new) == 2
    assert not old & {a["SendDomain"] for a in new}
    assert sorted(keys.parse_tags(a["ExpectedValue"])["k"] for a in new) == ["ed25519", "rsa"]
    domain.refresh_from_db()
    assert (domain.dkim_option, domain.status) == (2, DomainStatus.PENDING)


def test_update_bad_dkim_option_changes_nothing(call_api):
    create(call_api)
    domain = SenderDomain.objects.get()
    before = list(domain.dkim_keys.values_list("selector", flat=True))
    reply = call_api("UpdateEmailIdentity", {"EmailIdentity": NAME, "DKIMOption": 7})
    assert reply.code == "InvalidParameterValue"
    assert list(domain.dkim_keys.values_list("selector", flat=True)) == before


def test_update_failed_domain_gets_a_new_window(call_api):
    create(call_api)
    SenderDomain.objects.update(status=DomainStatus.FAILED, status_reason="timed out")
    ok(call_api("UpdateEmailIdentity", {"EmailIdentity": NAME}))
    domain = SenderDomain.objects.get()
    assert (domain.status, domain.status_reason) == (DomainStatus.PENDING, "")


def test_update_unknown_domain(call_api, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        reply = call_api("UpdateEmailIdentity", {"EmailIdentity": NAME})
    assert reply.code == "InvalidParameterValue.NotExistDomain"
    assert queued_checks(callbacks) == []


# --- ListEmailIdentities ------------------------------------------------------------


def make_domains(account, *names, **fields):
    return [SenderDomain.objects.create(account=account, name=n, **fields) for n in names]


def test_list_reply_shape(call_api, account):
    Account.objects.filter(pk=account.pk).update(reputation_level=3, daily_quota=1234)
    make_domains(account, "b.example.com", dkim_option=0, tags=[{"TagKey": "k", "TagValue": "v"}])
    make_domains(account, "a.example.com", status=DomainStatus.VERIFIED)
    response = ok(call_api("ListEmailIdentities", {}))
    assert set(response) == {
        "EmailIdentities",
        "MaxReputationLevel",
        "MaxDailyQuota",
        "Total",
        "RequestId",
    }
    assert (response["MaxReputationLevel"], response["MaxDailyQuota"]) == (3, 1234)
    assert response["Total"] == 2
    assert response["EmailIdentities"] == [
        {
            "IdentityName": "a.example.com",
            "IdentityType": "DOMAIN",
            "SendingEnabled": True,
            "CurrentReputationLevel": 3,
            "DailyQuota": 1234,
            "SendIp": [],
            "TagList": [],
            "DKIMOption": 1,
        },
        {
            "IdentityName": "b.example.com",
            "IdentityType": "DOMAIN",
            "SendingEnabled": False,
            "CurrentReputationLevel": 3,
            "DailyQuota": 1234,
            "SendIp": [],
            "TagList": [{"TagKey": "k", "TagValue": "v"}],
            "DKIMOption": 0,
        },
    ]
    assert all(set(i) == LISTED_KEYS for i in response["EmailIdentities"])


def test_list_empty(call_api):
    response = ok(call_api("ListEmailIdentities", {}))
    assert (response["EmailIdentities"], response["Total"]) == ([], 0)


NAMES = [f"d{i}.example.com" for i in range(5)]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, NAMES),
        ({"Limit": 2}, NAMES[:2]),
        ({"Limit": 2, "Offset": 1}, NAMES[1:3]),
        ({"Offset": 3}, NAMES[3:]),
        ({"Limit": 100, "Offset": 4}, NAMES[4:]),
        ({"Limit": 10, "Offset": 5}, []),
        ({"Limit": 0}, NAMES),
    ],
    ids=["all", "limit", "limit-offset", "offset", "max-limit", "past-the-end", "limit-zero"],
)
def test_list_paging(call_api, account, params, expected):
    make_domains(account, *NAMES)
    response = ok(call_api("ListEmailIdentities", params))
    assert [i["IdentityName"] for i in response["EmailIdentities"]] == expected
    assert response["Total"] == len(NAMES)


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"Limit": 101}, "FailedOperation.InvalidLimit"),
        ({"Limit": -1}, "InvalidParameterValue"),
        ({"Offset": -1}, "InvalidParameterValue"),
        ({"Limit": "ten"}, "InvalidParameter"),
    ],
    ids=["limit-over-100", "negative-limit", "negative-offset", "limit-not-int"],
)
def test_list_bad_paging(call_api, account, params, code):
    make_domains(account, *NAMES)
    assert call_api("ListEmailIdentities", params).code == code


def test_list_tag_filter(call_api, account):
    prod = {"TagKey": "env", "TagValue": "prod"}
    team = {"TagKey": "team", "TagValue": "mail"}
    make_domains(account, "a.example.com", tags=[prod, team])
    make_domains(account, "b.example.com", tags=[prod])
    make_domains(account, "c.example.com", tags=[{"TagKey": "env", "TagValue": "test"}, team])
    make_domains(account, "d.example.com")

    def names(tags, **paging):
        response = ok(call_api("ListEmailIdentities", {"TagList": tags, **paging}))
        return [i["IdentityName"] for i in response["EmailIdentities"]], response["Total"]

    assert names([prod]) == (["a.example.com", "b.example.com"], 2)
    assert names([prod, team]) == (["a.example.com"], 1)
    assert names([team]) == (["a.example.com", "c.example.com"], 2)
    assert names([{"TagKey": "env", "TagValue": "nope"}]) == ([], 0)
    assert names([prod], Limit=1, Offset=1) == (["b.example.com"], 2)
    assert names([]) == ([f"{c}.example.com" for c in "abcd"], 4)


# --- DeleteEmailIdentity ------------------------------------------------------------


def test_delete(call_api):
    create(call_api)
    domain = SenderDomain.objects.get()
    RecordCheck.objects.create(domain=domain, kind="mx", name=NAME, type="MX")
    response = ok(call_api("DeleteEmailIdentity", {"EmailIdentity": NAME}))
    assert set(response) == {"RequestId"}
    assert not SenderDomain.objects.exists()
    assert not RecordCheck.objects.exists()
    assert call_api("GetEmailIdentity", {"EmailIdentity": NAME}).code == (
        "InvalidParameterValue.NotExistDomain"
    )


def test_delete_unknown_domain(call_api):
    reply = call_api("DeleteEmailIdentity", {"EmailIdentity": NAME})
    assert reply.code == "InvalidParameterValue.NotExistDomain"


def test_delete_domain_with_addresses(call_api, account):
    (domain,) = make_domains(account, NAME, status=DomainStatus.VERIFIED)
    address = SenderAddress.objects.create(account=account, domain=domain, email=f"a@{NAME}")
    reply = call_api("DeleteEmailIdentity", {"EmailIdentity": NAME})
    assert reply.code == "OperationDenied.SenderWithDomainIsNotEmpty"
    assert SenderDomain.objects.filter(pk=domain.pk).exists()
    address.delete()
    ok(call_api("DeleteEmailIdentity", {"EmailIdentity": NAME}))
    assert not SenderDomain.objects.exists()


# --- tenant isolation ---------------------------------------------------------------


def snapshot(domain):
    domain.refresh_from_db()
    return (
        model_to_dict(domain),
        list(domain.dkim_keys.values_list("selector", "public_key")),
        list(domain.checks.values_list("kind", "status")),
    )


def test_another_account_sees_no_domain(call_api, other, account):
    create(call_api, TagList=[{"TagKey": "env", "TagValue": "prod"}])
    domain = SenderDomain.objects.get()
    SenderDomain.objects.filter(pk=domain.pk).update(
        status=DomainStatus.VERIFIED, check_state=CheckState.IDLE
    )
    before = snapshot(domain)

    for action, params in [
        ("GetEmailIdentity", {"EmailIdentity": NAME}),
        ("UpdateEmailIdentity", {"EmailIdentity": NAME}),
        ("UpdateEmailIdentity", {"EmailIdentity": NAME, "DKIMOption": 2}),
        ("DeleteEmailIdentity", {"EmailIdentity": NAME}),
    ]:
        assert other(action, params).code == "InvalidParameterValue.NotExistDomain", action
    listed = ok(other("ListEmailIdentities", {"TagList": []}))
    assert (listed["EmailIdentities"], listed["Total"]) == ([], 0)
    tagged = ok(other("ListEmailIdentities", {"TagList": [{"TagKey": "env", "TagValue": "prod"}]}))
    assert tagged["EmailIdentities"] == []
    # B cannot claim A's verified domain either.
    assert other("CreateEmailIdentity", {"EmailIdentity": NAME}).code == (
        "InvalidParameterValue.CreatedByOther"
    )
    assert snapshot(domain) == before


def test_two_accounts_claiming_one_pending_domain_stay_apart(call_api, other, account):
    mine = create(call_api)
    theirs = ok(other("CreateEmailIdentity", {"EmailIdentity": NAME}))
    assert dkim_attributes(mine) != dkim_attributes(theirs)
    assert (
        ok(call_api("GetEmailIdentity", {"EmailIdentity": NAME}))["Attributes"]
        == (mine["Attributes"])
    )
    ok(other("DeleteEmailIdentity", {"EmailIdentity": NAME}))
    assert SenderDomain.objects.filter(account=account, name=NAME).exists()
    assert SenderDomain.objects.filter(account=other.account).count() == 0
