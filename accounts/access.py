"""Access helpers for console views.

Every view that touches a tenant's object goes through `owned_or_404`, so an
object of another account answers 404, exactly like one that does not exist.
"""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404


def operator_required(view):
    """The signed-in user must operate an active account (request.account)."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not request.account:
            raise PermissionDenied("This page is for the operators of an account.")
        return view(request, *args, **kwargs)

    return wrapper


def reviewer_required(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not request.user.is_reviewer:
            raise PermissionDenied("This page is for template reviewers.")
        return view(request, *args, **kwargs)

    return wrapper


def owned_or_404(request, model_or_queryset, **lookup):
    """The object of the current account matching `lookup`, or 404."""
    queryset = getattr(model_or_queryset, "_default_manager", model_or_queryset)
    return get_object_or_404(queryset.filter(account=request.account), **lookup)
