import base64
import json
from datetime import datetime, time

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils import timezone

from accounts.access import operator_required, owned_or_404
from sesconsole.api.errors import ApiError
from templates_app.models import EmailTemplate
from templates_app.variables import TemplateDataError
from templates_app.variables import render as render_template

from . import service
from .forms import POLICY, SUBJECT_ADVICE, LogFilterForm, SendForm
from .models import BounceCategory, Delivery, DeliveryStatus, Message, Source
from .requests import parse_send_email


def _params(form) -> dict:
    """The console's send as SendEmail parameters: one set of rules for both."""
    data = form.cleaned_data
    sender = data["sender"]
    params = {
        "FromEmailAddress": f"{sender.sender_name} <{sender.email}>"
        if sender.sender_name
        else sender.email,
        "Subject": data["subject"],
        "Template": {
            "TemplateID": data["template"].pk,
            "TemplateData": json.dumps(form.template_data()),
        },
    }
    for key, field in (("Destination", "to"), ("Cc", "cc"), ("Bcc", "bcc")):
        if data[field]:
            params[key] = data[field]
    files = data.get("attachments") or []
    if files:
        params["Attachments"] = [
            {"FileName": f.name, "Content": base64.b64encode(f.read()).decode()} for f in files
        ]
    return params


def _send_form(request):
    account = request.account
    if request.method != "POST":
        return SendForm(account=account, initial={"template": request.GET.get("template")})
    if "choose" in request.POST:
        # Another template chosen without JavaScript: the same form again with
        # everything typed, its variables the new template's, and no errors yet.
        if request.FILES:
            messages.info(request, "Choose the attachments again: a browser cannot keep them.")
        return SendForm(account=account, initial=request.POST.dict())
    return SendForm(request.POST, request.FILES, account=account)


@operator_required
def send(request):
    account = request.account
    form = _send_form(request)
    preview = None
    if form.is_bound and form.is_valid():
        try:
            send_request = parse_send_email(account, _params(form))
            if "preview" in request.POST:
                revision = form.cleaned_data["template"].approved
                html, text = render_template(revision.html, revision.text, form.template_data())
                preview = {"html": html, "text": text}
            else:
                send_request.source = Source.CONSOLE
                message = service.accept(account, send_request)
                messages.success(request, f"Accepted: MessageId {message.message_id}.")
                return redirect("sending:message", message.pk)
        except (ApiError, TemplateDataError) as error:
            form.add_refusal(error)
    context = {
        "form": form,
        "preview": preview,
        "subject_advice": SUBJECT_ADVICE,
        "can_send": form.fields["sender"].queryset.exists()
        and form.fields["template"].queryset.exists(),
    }
    return render(request, "sending/send.html", context)


@operator_required
def send_variables(request, pk):
    """The variable fields of one approved template, for the Send page's script."""
    template = owned_or_404(request, EmailTemplate.objects.exclude(approved=None), pk=pk)
    form = SendForm(account=request.account, initial={"template": template.pk})
    return render(request, "sending/_send_variables.html", {"form": form})


@operator_required
def message_log(request):
    form = LogFilterForm(request.GET or None)
    deliveries = (
        Delivery.objects.filter(account=request.account)
        .select_related("message")
        .order_by("-created_at", "-pk")
    )
    if form.is_valid():
        data = form.cleaned_data
        if data["day"]:
            zone = timezone.get_current_timezone()
            start = datetime.combine(data["day"], time.min, tzinfo=zone)
            end = datetime.combine(data["day"], time.max, tzinfo=zone)
            deliveries = deliveries.filter(created_at__range=(start, end))
        if data["recipient"]:
            deliveries = deliveries.filter(recipient__icontains=data["recipient"].strip())
        if data["status"] == POLICY:
            deliveries = policy_refusals(deliveries)
        elif data["status"]:
            deliveries = deliveries.filter(status=data["status"])
        if data["message_id"]:
            deliveries = deliveries.filter(message__message_id=data["message_id"].strip())
    page = Paginator(deliveries, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "sending/message_log.html",
        {"form": form, "page": page, "query": query.urlencode()},
    )


def policy_refusals(deliveries):
    """The bounced Deliveries whose bounce was a policy or reputation refusal."""
    return deliveries.filter(status=DeliveryStatus.BOUNCED, bounce_category=BounceCategory.POLICY)


def timeline(delivery) -> list[tuple]:
    """(time, "attempt" | "event", row) for one delivery, oldest first."""
    entries = [(a.created_at, 0, "attempt", a) for a in delivery.attempts_made.all()]
    entries += [(e.created_at, 1, "event", e) for e in delivery.events.all()]
    return [(moment, kind, row) for moment, _, kind, row in sorted(entries, key=lambda e: e[:2])]


@operator_required
def message_detail(request, pk):
    message = owned_or_404(request, Message, pk=pk)
    deliveries = list(
        message.deliveries.prefetch_related("events", "attempts_made").order_by("kind", "pk")
    )
    for delivery in deliveries:
        delivery.timeline = timeline(delivery)
    template = message.template_revision
    return render(
        request,
        "sending/message_detail.html",
        {
            "message": message,
            "deliveries": deliveries,
            "revision": template,
            "attachments": message.attachments.only("filename", "content_type", "size"),
        },
    )
