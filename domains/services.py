"""Rules for creating and removing sender domains and addresses.

Shared by the console and the API: each refusal is an Refusal with the
Tencent error code, whose message the console shows as a form error.
"""

import re

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from sesconsole.refusals import Refusal

from .models import DkimOption, DomainStatus, SenderAddress, SenderDomain
from .names import ascii_domain, normalize_domain

_LOCAL_PART = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$")
_SENDER_NAME_FORBIDDEN = set(':<>"\\') | {chr(c) for c in range(32)} | {"\x7f"}
MAX_SENDER_NAME = 80


def domain_name(raw: str) -> str:
    try:
        return normalize_domain(raw)
    except ValidationError as error:
        raise Refusal("InvalidParameterValue.InvalidEmailIdentity", error.messages[0]) from error


def create_domain(account, raw_name: str, dkim_option=DkimOption.RSA_2048, tags=()):
    name = domain_name(raw_name)
    if dkim_option not in DkimOption.values:
        raise Refusal("InvalidParameterValue", "DKIMOption must be 0 (1024), 1 (2048) or 2.")
    if account.sender_domains.filter(name=name).exists():
        raise Refusal("InvalidParameterValue.RepeatCreation", f"{name} is already created.")
    if SenderDomain.objects.verified().filter(name=name).exclude(account=account).exists():
        raise Refusal(
            "InvalidParameterValue.CreatedByOther", f"{name} is verified by another account."
        )
    if account.sender_domains.count() >= account.max_sender_domains:
        raise Refusal(
            "OperationDenied.ExceedDomainLimit",
            f"An account can have at most {account.max_sender_domains} sender domains.",
        )
    try:
        domain = SenderDomain.create_with_keys(account, name, dkim_option, tags)
    except IntegrityError as error:  # a concurrent create of the same name
        raise Refusal(
            "InvalidParameterValue.RepeatCreation", f"{name} is already created."
        ) from error
    domain.request_check()
    return domain


def get_domain(account, raw_name: str) -> SenderDomain:
    name = domain_name(raw_name)
    domain = account.sender_domains.filter(name=name).first()
    if domain is None:
        raise Refusal(
            "InvalidParameterValue.NotExistDomain", f"{name} is not a sender domain of yours."
        )
    return domain


def delete_domain(domain):
    if domain.sender_addresses.exists():
        raise Refusal(
            "OperationDenied.SenderWithDomainIsNotEmpty",
            "Delete the sender addresses of this domain first.",
        )
    domain.delete()


def change_dkim_option(domain, dkim_option):
    """New keys for another DKIMOption: the domain must prove them again."""
    if dkim_option not in DkimOption.values:
        raise Refusal("InvalidParameterValue", "DKIMOption must be 0 (1024), 1 (2048) or 2.")
    with transaction.atomic():
        domain.dkim_option = dkim_option
        domain.status = DomainStatus.PENDING
        domain.status_reason = "New DKIM keys: publish their records."
        domain.save(update_fields=["dkim_option", "status", "status_reason"])
        domain.generate_keys()


def parse_address(raw: str) -> tuple[str, str]:
    """(local part, domain) of a sender address, the domain in IDNA form."""
    raw = (raw or "").strip()
    local, sep, host = raw.rpartition("@")
    if not sep or not local or len(local) > 64 or not _LOCAL_PART.match(local):
        raise Refusal(
            "InvalidParameterValue.IllegalEmailAddress", f"{raw!r} is not a valid email address."
        )
    try:
        host = ascii_domain(host)  # strict: an address's domain is never trimmed like a URL
    except ValidationError as error:
        raise Refusal(
            "InvalidParameterValue.IllegalEmailAddress", f"{raw!r}: {error.messages[0]}"
        ) from error
    return local, host


def clean_sender_name(name: str) -> str:
    name = (name or "").strip()
    if len(name) > MAX_SENDER_NAME or any(c in _SENDER_NAME_FORBIDDEN for c in name):
        raise Refusal(
            "InvalidParameterValue.IllegalSenderName",
            f'A sender name has at most {MAX_SENDER_NAME} characters and no : < > " \\ '
            "or control characters.",
        )
    return name


def create_address(account, raw_email: str, sender_name: str = "") -> SenderAddress:
    local, host = parse_address(raw_email)
    sender_name = clean_sender_name(sender_name)
    email = f"{local}@{host}"
    domain = account.sender_domains.filter(name=host).first()
    if domain is None:
        raise Refusal(
            "InvalidParameterValue.NotExistDomain", f"Create and verify the domain {host} first."
        )
    if not domain.is_verified:
        raise Refusal(
            "OperationDenied.DomainNotVerified", f"The domain {host} is not verified yet."
        )
    if account.sender_addresses.filter(email__iexact=email).exists():
        raise Refusal("InvalidParameterValue.RepeatEmailAddress", f"{email} already exists.")
    if account.sender_addresses.count() >= account.max_sender_addresses:
        raise Refusal(
            "OperationDenied.ExceedSenderLimit",
            f"An account can have at most {account.max_sender_addresses} sender addresses.",
        )
    try:
        return SenderAddress.objects.create(
            account=account, domain=domain, email=email, sender_name=sender_name
        )
    except IntegrityError as error:
        raise Refusal(
            "InvalidParameterValue.RepeatEmailAddress", f"{email} already exists."
        ) from error


def get_address(account, raw_email: str) -> SenderAddress:
    local, host = parse_address(raw_email)
    address = account.sender_addresses.filter(email__iexact=f"{local}@{host}").first()
    if address is None:
        raise Refusal(
            "InvalidParameterValue.NoSuchSender",
            f"{local}@{host} is not a sender address of yours.",
        )
    return address


def set_smtp_password(address: SenderAddress, password: str):
    if not SenderAddress.password_is_strong(password or ""):
        raise Refusal(
            "InvalidParameterValue.InvalidSmtpPassWord",
            "The SMTP password must have 10 to 20 characters, with at least two different "
            "digits, two different lower-case and two different upper-case letters.",
        )
    if address.check_smtp_password(password):
        raise Refusal(
            "OperationDenied.RepeatPassWord", "The new password must differ from the previous one."
        )
    address.set_smtp_password(password)
