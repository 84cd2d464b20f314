"""The action registry: which function answers which API action.

Apps register their handlers in their own `api.py` (autodiscovered when the
project starts):

    from sesconsole.api.registry import ApiContext, action

    @action("ListEmailTemplates")
    def list_email_templates(ctx: ApiContext, params: dict) -> dict:
        ...

A handler gets the validated params and returns the Response fields without
RequestId; it raises sesconsole.api.errors.ApiError for a client error.
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ImproperlyConfigured

from . import schema


@dataclass(frozen=True)
class ApiContext:
    request_id: str
    account: Any  # accounts.models.Account
    api_key: Any  # accounts.models.ApiKey
    action: str
    region: str
    language: str
    request: Any  # django.http.HttpRequest


Handler = Callable[[ApiContext, dict], dict]

_handlers: dict[str, Handler] = {}


def _check_name(name: str) -> None:
    if name not in schema.action_names():
        raise ImproperlyConfigured(f"{name!r} is not an action of the SES API 2020-10-02")


def register(name: str, fn: Handler) -> Handler:
    _check_name(name)
    if name in _handlers:
        raise ImproperlyConfigured(
            f"API action {name!r} is already handled by {_handlers[name].__module__}."
            f"{_handlers[name].__qualname__}"
        )
    _handlers[name] = fn
    return fn


def action(name: str) -> Callable[[Handler], Handler]:
    """Decorator registering the handler of the API action `name`."""

    def decorator(fn: Handler) -> Handler:
        return register(name, fn)

    return decorator


def get(name: str) -> Handler | None:
    return _handlers.get(name)


def registered() -> frozenset[str]:
    return frozenset(_handlers)


@contextmanager
def override(name: str, fn: Handler | None) -> Iterator[None]:
    """Handle `name` with `fn` (None: leave it unhandled) inside the block, then restore."""
    _check_name(name)
    missing = object()
    previous = _handlers.get(name, missing)
    if fn is None:
        _handlers.pop(name, None)
    else:
        _handlers[name] = fn
    try:
        yield
    finally:
        if previous is missing:
            _handlers.pop(name, None)
        else:
            _handlers[name] = previous
