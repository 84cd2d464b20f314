"""Access helpers for console views.

Every view that touches a tenant's object goes through `owned_or_404`, so an
object of another account answers 404, exactly like one that does not exist.
"""

from collections.abc import Callable
from functools import wraps
from typing import Any, Concatenate, ParamSpec, TypeVar, cast

from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponseBase
from django.shortcuts import get_object_or_404

from .models import Account, User

P = ParamSpec("P")
M = TypeVar("M", bound=Model)


class ConsoleRequest(HttpRequest):
    """A request as CurrentAccountMiddleware leaves it: `account` is the active account
    the signed-in user operates, or None."""

    account: Account | None
    user: User | AnonymousUser


class OperatorRequest(ConsoleRequest):
    """A request that operator_required let through."""

    account: Account
    user: User


def operator_required(
    view: Callable[Concatenate[OperatorRequest, P], HttpResponseBase],
) -> Callable[Concatenate[ConsoleRequest, P], HttpResponseBase]:
    """The signed-in user must operate an active account (request.account)."""

    @wraps(view)
    def wrapper(request: ConsoleRequest, *args: P.args, **kwargs: P.kwargs) -> HttpResponseBase:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not request.account:
            raise PermissionDenied("This page is for the operators of an account.")
        # What OperatorRequest promises is what was just checked.
        return view(cast(OperatorRequest, request), *args, **kwargs)

    return wrapper


def reviewer_required(
    view: Callable[Concatenate[ConsoleRequest, P], HttpResponseBase],
) -> Callable[Concatenate[ConsoleRequest, P], HttpResponseBase]:
    @wraps(view)
    def wrapper(request: ConsoleRequest, *args: P.args, **kwargs: P.kwargs) -> HttpResponseBase:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not request.user.is_reviewer:
            raise PermissionDenied("This page is for template reviewers.")
        return view(request, *args, **kwargs)

    return wrapper


def owned_or_404(
    request: ConsoleRequest, model_or_queryset: type[M] | QuerySet[M], **lookup: Any
) -> M:
    """The object of the current account matching `lookup`, or 404."""
    if isinstance(model_or_queryset, type):
        queryset = model_or_queryset._default_manager.all()
    else:
        queryset = model_or_queryset
    return get_object_or_404(queryset.filter(account=request.account), **lookup)
