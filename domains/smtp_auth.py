"""SMTP logins: the user name is a sender address, the password its SMTP password.

Failed logins are counted per client address and per user name in fixed windows
(sesconsole.ratelimit: Redis, or the database), so that guessing is limited however
many connections or hosts the guesser uses. Once a count reaches its limit, logins
from that address, or as that user, are refused for the rest of the window without
checking the password: the correct one too, so that guessing learns nothing.
Counting per user name lets an attacker lock a user name out for one window; the
user name limit is therefore higher than the address limit, and the lock is
temporary (454 4.7.0). Each failure is recorded for the console.

These functions use the ORM: the server calls them off its event loop.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import Account
from domains.models import SenderAddress, SmtpAuthFailure
from sesconsole import ratelimit

KEEP_DAYS = 30
MAX_USERNAME = 254


@dataclass(frozen=True)
class Login:
    """Who an SMTP session is authenticated as."""

    sender_id: int
    account_id: int
    email: str
    domain_verified: bool


class TooManyFailures(Exception):
    """Logins from this client address, or as this user, are refused for now."""


def _keys(username: str, client_ip: str) -> tuple[str, str]:
    return f"smtp-auth:ip:{client_ip}", f"smtp-auth:user:{username.lower()}"


def locked(username: str, client_ip: str) -> bool:
    window = settings.SES_SMTPD_AUTH_FAILURE_WINDOW
    ip_key, user_key = _keys(username, client_ip)
    return (
        ratelimit.peek(ip_key, window) >= settings.SES_SMTPD_AUTH_FAILURES_PER_IP
        or ratelimit.peek(user_key, window) >= settings.SES_SMTPD_AUTH_FAILURES_PER_USER
    )


def authenticate(username: str, password: str, client_ip: str) -> Login | None:
    """The Login for a correct user name and password, else None (the failure is counted
    and recorded). Raises TooManyFailures while the address or the user is locked."""
    username = username.strip()
    shown = "".join(c if c.isprintable() else "?" for c in username)[:MAX_USERNAME]
    if locked(shown, client_ip):
        raise TooManyFailures
    if shown != username:  # control characters, or longer than any address
        _failed(shown, client_ip, [], "malformed user name")
        return None
    candidates = list(
        SenderAddress.objects.filter(email__iexact=username).select_related("account", "domain")
        if username
        else []
    )
    for sender in candidates:
        if sender.check_smtp_password(password):
            if sender.account.is_active:
                return Login(sender.pk, sender.account_id, sender.email, sender.domain.is_verified)
            _failed(username, client_ip, candidates, "account inactive")
            return None
    if not candidates:
        make_password(password)  # as slow as a real check: no hint that the user is unknown
        _failed(username, client_ip, [], "unknown user")
    elif not any(sender.has_smtp_password for sender in candidates):
        _failed(username, client_ip, candidates, "no SMTP password set")
    else:
        _failed(username, client_ip, candidates, "wrong password")
    return None


def _failed(username: str, client_ip: str, candidates: list[SenderAddress], reason: str) -> None:
    window = settings.SES_SMTPD_AUTH_FAILURE_WINDOW
    for key in _keys(username, client_ip):
        ratelimit.count(key, window)
    now = timezone.now()
    accounts: set[int | None] = {sender.account_id for sender in candidates} or {None}
    SmtpAuthFailure.objects.bulk_create(
        SmtpAuthFailure(
            account_id=account_id,
            username=username,
            client_ip=client_ip,
            reason=reason,
            created_at=now,
        )
        for account_id in accounts
    )
    SmtpAuthFailure.objects.filter(created_at__lt=now - timedelta(days=KEEP_DAYS)).delete()


def recent_failures(account: Account, limit: int = 20) -> QuerySet[SmtpAuthFailure]:
    return SmtpAuthFailure.objects.filter(account=account)[:limit]
