"""The console's confirm-then-delete pages, one way for every kind of object."""

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from sesconsole.refusals import Refusal


def confirm_delete(
    request: HttpRequest,
    template: str,
    context: dict[str, Any],
    *,
    delete: Callable[[], object],
    done: str,
    deleted: str,
    refused: str | None = None,
) -> HttpResponse:
    """GET: the confirmation page (`template` with `context`). POST: `delete()`, then
    `deleted` as a success message and a redirect to `done`; a Refusal from `delete`
    is shown as an error on the page `refused` (default: the confirmation page)."""
    if request.method != "POST":
        return render(request, template, context)
    try:
        delete()
    except Refusal as refusal:
        messages.error(request, refusal.message)
        return redirect(refused or request.path)
    messages.success(request, deleted)
    return redirect(done)
