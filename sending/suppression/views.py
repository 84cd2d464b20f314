"""The Blocklist page: the account's own blocklist and the hard bounces its mail caused."""

import re
from typing import Any

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone

from accounts.access import OperatorRequest, operator_required, owned_or_404
from sending.models import CustomBlock, PlatformBlock
from sending.suppression import rules
from sesconsole.confirm import confirm_delete
from sesconsole.refusals import Refusal

PER_PAGE = 25
STATUSES = {"active": rules.STATUS_ACTIVE, "expired": rules.STATUS_EXPIRED}
_SEPARATORS = re.compile(r"[\s,;]+")


def _date_widget() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class AddForm(forms.Form):
    emails = forms.CharField(
        label="Addresses",
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="One address per line (commas and spaces also separate them).",
    )
    expire_date = forms.DateField(
        label="Blocked until",
        required=False,
        widget=_date_widget(),
        help_text="The last day the addresses are blocked. Leave empty to block them for good.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.add_input(Submit("add", "Add to blocklist"))

    def addresses(self) -> list[str]:
        return [a for a in _SEPARATORS.split(self.cleaned_data["emails"]) if a]


class EditForm(forms.Form):
    email = forms.CharField(label="Address", max_length=320)
    expire_date = AddForm.base_fields["expire_date"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.add_input(Submit("save", "Save"))


def _counters_message(counters: dict[str, int]) -> str:
    return (
        f"{counters['ValidCount']} of {counters['TotalCount']} added to your blocklist; "
        f"{counters['RepeatCount']} repeated or already listed, "
        f"{counters['InvalidCount']} invalid, {counters['TooLongCount']} too long."
    )


@operator_required
def blocklist_page(request: OperatorRequest) -> HttpResponse:
    account = request.account
    form = AddForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            counters = rules.add_custom(account, form.addresses(), form.cleaned_data["expire_date"])
        except Refusal as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _counters_message(counters))
            return redirect("sending:blocklist")
    tab = "bounces" if request.GET.get("tab") == "bounces" else "custom"
    query = request.GET.get("q", "").strip()
    status = request.GET.get("status", "all")
    entries: QuerySet[PlatformBlock] | QuerySet[CustomBlock]
    if tab == "bounces":
        entries = rules.list_platform(account, contains=query)
    else:
        code = STATUSES.get(status, rules.STATUS_ALL)
        entries = rules.list_custom(account, code, query)
    page = Paginator(entries, PER_PAGE).get_page(request.GET.get("page"))
    today = timezone.localdate()
    for entry in page.object_list:
        if isinstance(entry, CustomBlock):  # the custom tab
            entry.active = rules.is_active(entry, today)  # type: ignore[attr-defined]  # for the template
    return render(
        request,
        "sending/blocklist.html",
        {
            "form": form,
            "tab": tab,
            "page": page,
            "query": query,
            "status": status if status in STATUSES else "all",
            "filtered": bool(query) or status in STATUSES,
            "days": rules.blocklist_days(),
        },
    )


@operator_required
def blocklist_edit(request: OperatorRequest, pk: int) -> HttpResponse:
    block = owned_or_404(request, CustomBlock, pk=pk)
    initial = {"email": block.email, "expire_date": block.expires_on}
    form = EditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                block = rules.update_custom(
                    request.account,
                    block.pk,
                    form.cleaned_data["email"],
                    form.cleaned_data["expire_date"],
                )
        except Refusal as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, f"{block.email} saved.")
            return redirect("sending:blocklist")
    return render(request, "sending/blocklist_edit.html", {"entry": block, "form": form})


@operator_required
def blocklist_remove(request: OperatorRequest, pk: int) -> HttpResponse:
    block = owned_or_404(request, CustomBlock, pk=pk)
    return confirm_delete(
        request,
        "sending/blocklist_remove.html",
        {"entry": block, "bounce": False},
        delete=block.delete,
        done=reverse("sending:blocklist"),
        deleted=f"{block.email} removed from your blocklist.",
    )


@operator_required
def blocklist_bounce_remove(request: OperatorRequest, pk: int) -> HttpResponse:
    # Only the entries this account's mail caused; any other answers 404.
    block = get_object_or_404(
        PlatformBlock, pk=pk, caused_by=request.account, expires_at__gt=timezone.now()
    )
    return confirm_delete(
        request,
        "sending/blocklist_remove.html",
        {"entry": block, "bounce": True},
        delete=block.delete,
        done=f"{reverse('sending:blocklist')}?tab=bounces",
        deleted=f"{block.email} removed from the hard-bounce blocklist.",
    )
