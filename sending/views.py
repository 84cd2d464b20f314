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
from .models import Delivery, DeliveryStatus, Event, EventType, Message, Source
from .requests import parse_send_email


def _chosen_template(request):
    """The approved template picked so far (from the form or ?template=), or None."""
    pk = request.POST.get("template") or request.GET.get("template")
    if not (pk and str(pk).isdigit()):
        return None
    return (
        EmailTemplate.objects.filter(account=request.account, pk=pk, approved__isnull=False)
        .select_related("approved")
        .first()
    )


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


@operator_required
def send(request):
    account = request.account
    template = _chosen_template(request)
    variables = template.approved.variables if template else []
    initial = {"template": template.pk} if template else {}
    form = SendForm(
        request.POST or None,
        request.FILES or None,
        account=account,
        variables=variables,
        initial=initial,
    )
    preview = None
    if request.method == "POST" and form.is_valid():
        chosen = form.cleaned_data["template"]
        if chosen.pk != getattr(template, "pk", None):
            return redirect(f"{request.path}?template={chosen.pk}")
        try:
            send_request = parse_send_email(account, _params(form))
            if "preview" in request.POST:
                revision = chosen.approved
                html, text = render_template(revision.html, revision.text, form.template_data())
                preview = {"html": html, "text": text}
            else:
                send_request.source = Source.CONSOLE
                message = service.accept(account, send_request)
                messages.success(request, f"Accepted: MessageId {message.message_id}.")
                return redirect("sending:message", message.pk)
        except (ApiError, TemplateDataError) as error:
            form.add_error(None, getattr(error, "message", str(error)))
    context = {
        "form": form,
        "template": template,
        "preview": preview,
        "subject_advice": SUBJECT_ADVICE,
        "can_send": form.fields["sender"].queryset.exists()
        and form.fields["template"].queryset.exists(),
    }
    return render(request, "sending/send.html", context)


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
    flagged = Event.objects.filter(type=EventType.BOUNCE, detail__policy=True)
    return deliveries.filter(status=DeliveryStatus.BOUNCED, pk__in=flagged.values("delivery_id"))


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
