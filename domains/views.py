from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounts.access import operator_required, owned_or_404
from sesconsole import smtp_headers
from sesconsole.confirm import confirm_delete
from sesconsole.refusals import Refusal

from . import services, warmup
from .forms import DomainForm, SenderAddressForm, SmtpPasswordForm
from .models import UNKNOWN, DomainStatus, SenderAddress, SenderDomain
from .names import is_subdomain, unicode_domain
from .smtp_auth import recent_failures
from .verification import records_with_checks


@operator_required
def domain_list(request):
    account = request.account
    form = DomainForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                domain = services.create_domain(
                    account, form.cleaned_data["name"], form.cleaned_data["dkim_option"]
                )
        except Refusal as error:
            form.add_error("name", error.message)
        else:
            messages.success(request, f"{domain.name} added: publish its records below.")
            return redirect("domains:detail", domain.pk)
    page = Paginator(account.sender_domains.all(), 20).get_page(request.GET.get("page"))
    return render(
        request,
        "domains/domain_list.html",
        {"form": form, "page": page, "limit": account.max_sender_domains},
    )


def _records_context(domain):
    rows = records_with_checks(domain)
    unknown = [check for _, check in rows if check and check.status in UNKNOWN]
    return {"domain": domain, "rows": rows, "unknown": unknown}


@operator_required
def domain_detail(request, pk):
    domain = owned_or_404(request, SenderDomain, pk=pk)
    context = _records_context(domain)
    warming = warmup.describe(domain)
    # The thresholds as people write them: 5%, 0.1%.
    for name in ("max_bounce_percent", "max_complaint_percent"):
        warming[name] = f"{warming[name]:g}"
    context.update(
        unicode_name=unicode_domain(domain.name),
        is_subdomain=is_subdomain(domain.name),
        pending_hours=settings.SES_DOMAIN_PENDING_HOURS,
        warmup=warming,
    )
    return render(request, "domains/domain_detail.html", context)


@operator_required
def domain_status(request, pk):
    """Polled by the detail page while a check runs."""
    domain = owned_or_404(request, SenderDomain, pk=pk)
    html = render_to_string("domains/_records.html", _records_context(domain), request=request)
    return JsonResponse(
        {
            "checking": domain.is_checking,
            "status": domain.status,
            "status_display": domain.get_status_display(),
            "html": html,
        }
    )


@require_POST
@operator_required
def domain_verify(request, pk):
    domain = owned_or_404(request, SenderDomain, pk=pk)
    with transaction.atomic():
        domain.request_check()
    messages.info(request, "Checking the DNS records now.")
    return redirect("domains:detail", domain.pk)


@operator_required
def domain_delete(request, pk):
    domain = owned_or_404(request, SenderDomain, pk=pk)
    return confirm_delete(
        request,
        "domains/domain_delete.html",
        {"domain": domain},
        delete=lambda: services.delete_domain(domain),
        done=reverse("domains:list"),
        deleted=f"{domain.name} deleted.",
        refused=reverse("domains:detail", args=[domain.pk]),
    )


@operator_required
def sender_list(request):
    account = request.account
    verified = account.sender_domains.verified()
    form = SenderAddressForm(request.POST or None, domains=account.sender_domains.all())
    if request.method == "POST" and form.is_valid():
        email = f"{form.cleaned_data['local_part']}@{form.cleaned_data['domain'].name}"
        try:
            address = services.create_address(account, email, form.cleaned_data["sender_name"])
        except Refusal as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, f"{address.email} added.")
            return redirect("domains:senders")
    page = Paginator(account.sender_addresses.select_related("domain"), 20).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "domains/sender_list.html",
        {
            "form": form,
            "page": page,
            "has_verified_domain": verified.exists(),
            "has_unverified_domain": account.sender_domains.exclude(
                status=DomainStatus.VERIFIED
            ).exists(),
            "limit": account.max_sender_addresses,
            "smtp": _smtp_settings(account),
        },
    )


def _smtp_settings(account) -> dict:
    """What the Sender Address page tells applications that send by SMTP."""
    addresses = account.sender_addresses.select_related("domain")
    example = (
        addresses.exclude(smtp_password_hash="")
        .filter(domain__status=DomainStatus.VERIFIED)
        .first()
        or addresses.first()
    )
    return {
        "host": settings.SES_SMTPD_HOSTNAME,
        "starttls_port": settings.SES_SMTPD_STARTTLS_PORT,
        "tls_port": settings.SES_SMTPD_TLS_PORT,
        "example": example,
        "template_id_header": smtp_headers.TEMPLATE_ID,
        "template_data_header": smtp_headers.TEMPLATE_DATA,
        "failures": recent_failures(account),
    }


@operator_required
def sender_password(request, pk):
    address = owned_or_404(request, SenderAddress, pk=pk)
    form = SmtpPasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.set_smtp_password(address, form.cleaned_data["password"])
        except Refusal as error:
            form.add_error("password", error.message)
        else:
            messages.success(request, f"SMTP password of {address.email} set.")
            return redirect("domains:senders")
    return render(request, "domains/sender_password.html", {"address": address, "form": form})


@operator_required
def sender_delete(request, pk):
    address = owned_or_404(request, SenderAddress, pk=pk)
    return confirm_delete(
        request,
        "domains/sender_delete.html",
        {"address": address},
        delete=address.delete,
        done=reverse("domains:senders"),
        deleted=f"{address.email} deleted.",
    )
