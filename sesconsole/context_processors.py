from typing import Any

from django.http import HttpRequest

from .navigation import console_navigation


def console(request: HttpRequest) -> dict[str, Any]:
    if not getattr(request, "account", None):
        return {}
    return {"console_nav": console_navigation(request)}
