"""API actions for sender domains (identities) and sender addresses.

Thin handlers: the rules live in domains.services, which raises the Tencent
error codes; this module parses params and shapes the replies as
api.json's Response objects (DNSAttributes, EmailIdentity, EmailSender).
"""

from django.db import transaction

from sesconsole.api.paging import page_slice
from sesconsole.api.registry import ApiContext, action

from . import services, verification
from .models import DkimOption, RecordStatus, SenderDomain

IDENTITY_TYPE = "DOMAIN"


def _timestamp(moment) -> int:
    return int(moment.timestamp())


def _tags(raw) -> list[dict]:
    """TagList as stored and answered: only TagKey and TagValue, both strings."""
    return [{"TagKey": tag["TagKey"], "TagValue": tag["TagValue"]} for tag in raw or ()]


def dns_attributes(domain: SenderDomain) -> list[dict]:
    """DNSAttributes: each required record with the result of its last check."""
    attributes = []
    for required, check in verification.records_with_checks(domain):
        attributes.append(
            {
                "Type": required.type,
                "SendDomain": required.name,
                "ExpectedValue": required.expected,
                "CurrentValue": check.current_value if check else "",
                "Status": bool(check and check.status == RecordStatus.OK),
            }
        )
    return attributes


def identity_reply(domain: SenderDomain) -> dict:
    """The Response of CreateEmailIdentity and UpdateEmailIdentity."""
    return {
        "IdentityType": IDENTITY_TYPE,
        "VerifiedForSendingStatus": domain.is_verified,
        "Attributes": dns_attributes(domain),
        "DKIMOption": int(domain.dkim_option),
    }


# --- sender domains -----------------------------------------------------------------


@action("CreateEmailIdentity")
def create_email_identity(ctx: ApiContext, params: dict) -> dict:
    dkim_option = params.get("DKIMOption", DkimOption.RSA_2048)
    with transaction.atomic():
        domain = services.create_domain(
            ctx.account, params["EmailIdentity"], dkim_option, _tags(params.get("TagList"))
        )
    return identity_reply(domain)


@action("UpdateEmailIdentity")
def update_email_identity(ctx: ApiContext, params: dict) -> dict:
    """Request verification: queue a DNS check, with new DKIM keys if DKIMOption changes."""
    with transaction.atomic():
        domain = services.get_domain(ctx.account, params["EmailIdentity"])
        dkim_option = params.get("DKIMOption")
        if dkim_option is not None and dkim_option != domain.dkim_option:
            services.change_dkim_option(domain, dkim_option)
        domain.request_check()
    return identity_reply(domain)


@action("GetEmailIdentity")
def get_email_identity(ctx: ApiContext, params: dict) -> dict:
    domain = services.get_domain(ctx.account, params["EmailIdentity"])
    return {**identity_reply(domain), "TagList": _tags(domain.tags)}


def _has_tags(domain: SenderDomain, wanted: list[dict]) -> bool:
    have = {(tag["TagKey"], tag["TagValue"]) for tag in _tags(domain.tags)}
    return all((tag["TagKey"], tag["TagValue"]) in have for tag in wanted)


@action("ListEmailIdentities")
def list_email_identities(ctx: ApiContext, params: dict) -> dict:
    window = page_slice(params)
    account = ctx.account
    domains = list(account.sender_domains.order_by("name"))
    wanted = _tags(params.get("TagList"))
    if wanted:
        domains = [domain for domain in domains if _has_tags(domain, wanted)]
    page = domains[window]
    identities = [
        {
            "IdentityName": domain.name,
            "IdentityType": IDENTITY_TYPE,
            "SendingEnabled": domain.is_verified,
            "CurrentReputationLevel": account.reputation_level,
            "DailyQuota": account.daily_quota,
            "SendIp": [],
            "TagList": _tags(domain.tags),
            "DKIMOption": int(domain.dkim_option),
        }
        for domain in page
    ]
    return {
        "EmailIdentities": identities,
        "MaxReputationLevel": account.reputation_level,
        "MaxDailyQuota": account.daily_quota,
        "Total": len(domains),
    }


@action("DeleteEmailIdentity")
def delete_email_identity(ctx: ApiContext, params: dict) -> dict:
    with transaction.atomic():
        domain = services.get_domain(ctx.account, params["EmailIdentity"])
        services.delete_domain(domain)
    return {}


# --- sender addresses ---------------------------------------------------------------


@action("CreateEmailAddress")
def create_email_address(ctx: ApiContext, params: dict) -> dict:
    with transaction.atomic():
        services.create_address(
            ctx.account, params["EmailAddress"], params.get("EmailSenderName", "")
        )
    return {}


@action("ListEmailAddress")
def list_email_address(ctx: ApiContext, params: dict) -> dict:
    return {
        "EmailSenders": [
            {
                "EmailAddress": address.email,
                "EmailSenderName": address.sender_name,
                "CreatedTimestamp": _timestamp(address.created_at),
                "SmtpPwdType": 1 if address.has_smtp_password else 0,
            }
            for address in ctx.account.sender_addresses.order_by("email")
        ]
    }


@action("DeleteEmailAddress")
def delete_email_address(ctx: ApiContext, params: dict) -> dict:
    with transaction.atomic():
        services.get_address(ctx.account, params["EmailAddress"]).delete()
    return {}


@action("UpdateEmailSmtpPassWord")
def update_email_smtp_password(ctx: ApiContext, params: dict) -> dict:
    with transaction.atomic():
        address = services.get_address(ctx.account, params["EmailAddress"])
        services.set_smtp_password(address, params["Password"])
    return {}
