"""Through the official SDK and a real worker: a domain verifies, then fails when a record goes."""

import pytest

from domains.models import SenderDomain
from tests.domains.publish import publish
from tests.sdk import sdk_request
from tests.workers import wait_for

NAME = "mail.example.test"


def identity(client):
    return client.GetEmailIdentity(sdk_request("GetEmailIdentityRequest", EmailIdentity=NAME))


def check_done():
    return not SenderDomain.objects.get(name=NAME).is_checking


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_verify_and_lose_verification_by_api(ses_client, dns_zone, start_worker, settings):
    start_worker(
        SES_DNS_NAMESERVERS=dns_zone.address,
        SES_DNS_TIMEOUT=settings.SES_DNS_TIMEOUT,
        SES_DNS_TRIES=settings.SES_DNS_TRIES,
    )
    created = ses_client.CreateEmailIdentity(
        sdk_request("CreateEmailIdentityRequest", EmailIdentity=NAME)
    )
    assert created.VerifiedForSendingStatus is False
    assert wait_for(check_done, timeout=60)
    assert identity(ses_client).VerifiedForSendingStatus is False

    domain = SenderDomain.objects.get(name=NAME)
    publish(dns_zone, domain)
    ses_client.UpdateEmailIdentity(sdk_request("UpdateEmailIdentityRequest", EmailIdentity=NAME))
    assert wait_for(check_done, timeout=60)
    verified = identity(ses_client)
    assert verified.VerifiedForSendingStatus is True
    assert all(a.Status for a in verified.Attributes)
    dkim = next(a for a in verified.Attributes if "._domainkey." in a.SendDomain)
    assert dkim.CurrentValue == dkim.ExpectedValue

    dns_zone.remove(dkim.SendDomain)
    ses_client.UpdateEmailIdentity(sdk_request("UpdateEmailIdentityRequest", EmailIdentity=NAME))
    assert wait_for(check_done, timeout=60)
    lost = identity(ses_client)
    assert lost.VerifiedForSendingStatus is False
    assert [a.Status for a in lost.Attributes if a.SendDomain == dkim.SendDomain] == [False]
    domain.refresh_from_db()
    assert domain.status == "failed" and "Verification lost" in domain.status_reason
