"""The console's Send page: a test send through the API's rules (sending.acceptance.parse)."""

import base64
import json
from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render

from accounts.access import OperatorRequest, operator_required, owned_or_404
from sending.acceptance import service
from sending.acceptance.forms import SUBJECT_ADVICE, SendForm
from sending.acceptance.parse import parse_send_email
from sending.models import Source
from sesconsole.refusals import Refusal
from templates_app.models import EmailTemplate
from templates_app.variables import TemplateDataError
from templates_app.variables import render as render_template


def _params(form: SendForm) -> dict[str, Any]:
    """The console's send as SendEmail parameters: one set of rules for both."""
    data = form.cleaned_data
    sender = data["sender"]
    params: dict[str, Any] = {
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


def _send_form(request: OperatorRequest) -> SendForm:
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
def send(request: OperatorRequest) -> HttpResponse:
    account = request.account
    form = _send_form(request)
    preview: dict[str, str] | None = None
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
        except (Refusal, TemplateDataError) as error:
            form.add_refusal(error)
    context = {
        "form": form,
        "preview": preview,
        "subject_advice": SUBJECT_ADVICE,
        "can_send": form.senders.exists() and form.templates.exists(),
    }
    return render(request, "sending/send.html", context)


@operator_required
def send_variables(request: OperatorRequest, pk: int) -> HttpResponse:
    """The variable fields of one approved template, for the Send page's script."""
    template = owned_or_404(request, EmailTemplate.objects.exclude(approved=None), pk=pk)
    form = SendForm(account=request.account, initial={"template": template.pk})
    return render(request, "sending/_send_variables.html", {"form": form})
