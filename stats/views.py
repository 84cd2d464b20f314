"""The Overview: the account, today's use against its limits, what needs attention, and
the getting-started steps."""

from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from accounts.access import OperatorRequest, operator_required
from accounts.models import Account
from domains.models import DomainStatus
from sending.acceptance import limits
from sending.log.views import policy_refusals
from sending.models import Delivery, Message
from sesconsole import usage


def _checklist(account: Account) -> list[dict[str, Any]]:
    """The getting-started steps, each done or not, linked where its page exists."""
    steps = [
        ("Verify a sender domain", "Publish the DKIM, SPF, MX and DMARC records.", "domains:list"),
        (
            "Create a sender address",
            "An address on a verified domain to send from.",
            "domains:senders",
        ),
        (
            "Get a template approved",
            "Templates are reviewed before they can send.",
            "templates:list",
        ),
        ("Send an email", "From the console, the API or SMTP.", "sending:send"),
    ]
    done = {
        "domains:list": account.sender_domains.filter(status=DomainStatus.VERIFIED).exists(),
        "domains:senders": account.sender_addresses.exists(),
        "templates:list": account.email_templates.filter(approved__isnull=False).exists(),
        "sending:send": Message.objects.filter(account=account).exists(),
    }
    checklist: list[dict[str, Any]] = []
    for title, text, url_name in steps:
        try:
            url = reverse(url_name)
        except NoReverseMatch:
            url = None
        checklist.append({"title": title, "text": text, "url": url, "done": done.get(url_name)})
    return checklist


def _simulated_today(account: Account) -> int:
    """Mail to the mailbox simulator since midnight (TIME_ZONE): the quota leaves it out."""
    since = datetime.fromtimestamp(usage.day_start(), tz=UTC)
    return Delivery.objects.filter(account=account, simulated=True, created_at__gte=since).count()


@operator_required
def overview(request: OperatorRequest) -> HttpResponse:
    account = request.account
    return render(
        request,
        "stats/overview.html",
        {
            "account": account,
            "checklist": _checklist(account),
            "time_zone": settings.TIME_ZONE,
            "api_key_count": account.api_keys.filter(enabled=True).count(),
            "api_requests_today": usage.api_requests_today(account),
            "sent_today": limits.sent_today(account),
            "simulated_today": _simulated_today(account),
            "policy_refusals": policy_refusals(
                Delivery.objects.filter(
                    account=account, created_at__gte=timezone.now() - timedelta(days=7)
                )
            ).count(),
        },
    )
