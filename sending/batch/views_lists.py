"""The Recipient Lists pages: the lists (and a new one), a list's page with its
addresses, CSV uploads and their progress (polled as JSON while an import runs), the
rejected rows of an import as CSV, and deleting a list.

Thin views: `owned_list` / `owned_import` (another account's answer 404 everywhere),
the form, sending.batch.receivers / csvimport, a redirect.
"""

import csv
from collections.abc import Iterator
from typing import Any

from django.contrib import messages
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.http import content_disposition_header

from accounts.access import OperatorRequest, operator_required, owned_or_404
from sending.batch import csvimport, receivers
from sending.batch.forms import EXAMPLE_HEADER, AddressFilter, ListForm, UploadForm
from sending.models import (
    ImportStatus,
    ListStatus,
    ReceiverAddress,
    ReceiverImport,
    ReceiverList,
)
from sesconsole.confirm import confirm_delete
from sesconsole.refusals import Refusal

LISTS_PER_PAGE = 25
ADDRESSES_PER_PAGE = 50
IMPORTS_SHOWN = 10
REJECTIONS_CHUNK = 2000
# The parts of a list's page that its progress endpoint renders again.
FRAGMENTS = {
    "counts": "sending/batch/_list_counts.html",
    "imports": "sending/batch/_list_imports.html",
    "upload": "sending/batch/_list_upload.html",
    "addresses": "sending/batch/_list_addresses.html",
}


def owned_list(request: OperatorRequest, pk: int) -> ReceiverList:
    return owned_or_404(request, ReceiverList, pk=pk)


def owned_import(request: OperatorRequest, pk: int, import_pk: int) -> ReceiverImport:
    """An import of the account's list `pk`: another account's list, or an import of
    another list, answers 404."""
    return get_object_or_404(
        ReceiverImport.objects.select_related("receiver_list"),
        pk=import_pk,
        receiver_list=owned_list(request, pk),
    )


@operator_required
def recipient_lists(request: OperatorRequest) -> HttpResponse:
    posted = request.method == "POST"
    form = ListForm(request.POST) if posted else ListForm()
    if posted and form.is_valid():
        try:
            created = receivers.create(
                request.account, form.cleaned_data["name"], form.cleaned_data["description"]
            )
        except Refusal as error:
            form.add_refusal(error)
        else:
            messages.success(request, f"List {created.name} created: upload its addresses.")
            return redirect("sending:recipient_list", created.pk)
    lists = ReceiverList.objects.filter(account=request.account)
    page = Paginator(lists, LISTS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "sending/batch/list_list.html", {"form": form, "page": page})


def _addresses(receiver_list: ReceiverList, request: OperatorRequest) -> dict[str, Any]:
    filters = AddressFilter(request.GET or None)
    addresses: QuerySet[ReceiverAddress] = receiver_list.addresses.order_by("pk")
    query, status = "", ""
    if filters.is_valid():
        query = filters.cleaned_data["q"].strip()
        status = filters.cleaned_data["status"]
        if query:
            addresses = addresses.filter(email__icontains=query)
        if status:
            addresses = addresses.filter(status=status)
    page: Page[ReceiverAddress] = Paginator(addresses, ADDRESSES_PER_PAGE).get_page(
        request.GET.get("page")
    )
    for address in page.object_list:
        data = address.data or {}
        # The data in the list's column order, for the template.
        address.values = [data.get(name, "") for name in receiver_list.variables]  # type: ignore[attr-defined]
    return {"filters": filters, "addresses": page, "filtered": bool(query or status)}


def _context(
    request: OperatorRequest, receiver_list: ReceiverList, form: UploadForm | None = None
) -> dict[str, Any]:
    imports = list(receiver_list.imports.all()[:IMPORTS_SHOWN])
    return {
        "receiver_list": receiver_list,
        "imports": imports,
        "running": any(i.status in (ImportStatus.QUEUED, ImportStatus.RUNNING) for i in imports),
        "uploading": receiver_list.status == ListStatus.UPLOADING,
        "form": form if form is not None else UploadForm(),
        "example_header": EXAMPLE_HEADER,
        "variables_example": ",".join(["email", *receiver_list.variables]),
        **_addresses(receiver_list, request),
    }


@operator_required
def recipient_list(request: OperatorRequest, pk: int) -> HttpResponse:
    receiver_list = owned_list(request, pk)
    posted = request.method == "POST"
    form = UploadForm(request.POST, request.FILES) if posted else UploadForm()
    if posted and form.is_valid():
        try:
            receiver_import = csvimport.start(receiver_list, form.cleaned_data["file"])
        except Refusal as error:
            form.add_refusal(error)
        else:
            messages.success(
                request, f"{receiver_import.file_name} uploaded: its addresses are being added."
            )
            return redirect("sending:recipient_list", receiver_list.pk)
    return render(request, "sending/batch/list_detail.html", _context(request, receiver_list, form))


@operator_required
def recipient_list_progress(request: OperatorRequest, pk: int) -> JsonResponse:
    """What the list's page polls while an import runs: the numbers, and its parts
    rendered again (with the page's own search and page, passed on in the query)."""
    receiver_list = owned_list(request, pk)
    context = _context(request, receiver_list)
    return JsonResponse(
        {
            "running": context["running"],
            "list": {
                "status": receiver_list.status,
                "valid": receiver_list.valid_count,
                "invalid": receiver_list.invalid_count,
                "total": receiver_list.total_count,
                "variables": receiver_list.variables,
            },
            "imports": [
                {
                    "id": i.pk,
                    "file_name": i.file_name,
                    "status": i.status,
                    "percent": i.percent,
                    "rows_read": i.rows_read,
                    "added": i.added,
                    "rejected": i.rejected,
                    "error": i.error,
                }
                for i in context["imports"]
            ],
            "html": {
                name: render_to_string(template, context, request=request)
                for name, template in FRAGMENTS.items()
            },
        }
    )


class _Echo:
    """csv.writer's file: each row written is the text to stream."""

    def write(self, text: str) -> str:
        return text


def _rejection_rows(receiver_import: ReceiverImport) -> Iterator[str]:
    writer = csv.writer(_Echo())
    # A BOM, so that spreadsheet programs read the addresses' non-ASCII data right.
    yield "\ufeff" + writer.writerow(["line", "content", "reason"])
    rows = receiver_import.rejections.order_by("line", "pk").values_list(
        "line", "content", "reason"
    )
    for line, content, reason in rows.iterator(chunk_size=REJECTIONS_CHUNK):
        yield writer.writerow([line, content, reason])


@operator_required
def import_rejections(request: OperatorRequest, pk: int, import_pk: int) -> StreamingHttpResponse:
    receiver_import = owned_import(request, pk, import_pk)
    stem = receiver_import.file_name.rsplit(".", 1)[0] or "import"
    response = StreamingHttpResponse(
        _rejection_rows(receiver_import), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=f"{stem}-rejected.csv"
    )
    return response


@operator_required
def recipient_list_delete(request: OperatorRequest, pk: int) -> HttpResponse:
    receiver_list = owned_list(request, pk)
    return confirm_delete(
        request,
        "sending/batch/list_delete.html",
        {"receiver_list": receiver_list, "in_use_by": receivers.in_use_by(receiver_list)},
        delete=lambda: receivers.delete(receiver_list),
        done=reverse("sending:recipient_lists"),
        deleted=f"List {receiver_list.name} deleted.",
    )
