"""The action registry: which function answers which API action.

Apps register their handlers in their own `api.py` (autodiscovered when the
project starts):

    from sesconsole.api.registry import ApiContext, action

    @action("ListEmailTemplates")
    def list_email_templates(ctx: ApiContext, params: dict) -> dict:
        ...

A handler gets the validated params and returns the Response fields without
RequestId; it raises sesconsole.refusals.Refusal for a client error.

A required parameter the request lacks is refused before the handler runs, as
plain MissingParameter; where the spec names a code of its own for one, the
handler's registration says so:

    @action("DeleteReceiver", missing={"ReceiverId": "MissingParameter.ReceiverIdNecessary"})

Who holds the API credentials is registered the same way (`credentials`): the
gateway, below every app, only knows that a SecretId finds a Credential.
"""

from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest

from sesconsole.usage import Tenant

from . import schema


class ApiTenant(Tenant, Protocol):
    """What the gateway reads of an account. The account is accounts.models.Account,
    which the gateway, below every app, may not import: handlers name it themselves."""

    @property
    def api_rate_per_second(self) -> int: ...


class Credential(Protocol):
    """A usable SecretId's key: its account, its SecretKey (which may raise
    sesconsole.crypto.UndecryptableSecret), and a note that it was used."""

    @property
    def account(self) -> ApiTenant: ...

    @property
    def secret_key(self) -> str: ...

    def mark_used(self) -> None: ...


AccountT = TypeVar("AccountT")


@dataclass(frozen=True)
class ApiContext(Generic[AccountT]):
    """One API request as its handler sees it. Handlers take ApiContext[Account]
    (accounts.models.Account); a bare ApiContext leaves the account untyped."""

    request_id: str
    account: AccountT
    api_key: Credential
    action: str
    region: str
    language: str
    request: HttpRequest


Handler = Callable[[ApiContext[Any], dict[str, Any]], dict[str, Any]]

_handlers: dict[str, Handler] = {}
# By action: the code answered when a required top-level parameter is absent.
_missing_codes: dict[str, dict[str, str]] = {}
_optional: dict[str, frozenset[str]] = {}


CredentialLookup = Callable[[str], Credential | None]
_credential_lookups: list[CredentialLookup] = []


def credentials(lookup: CredentialLookup) -> CredentialLookup:
    """Decorator registering how a SecretId finds its usable Credential (or None)."""
    if _credential_lookups:
        raise ImproperlyConfigured("API credentials are looked up by one app only.")
    _credential_lookups.append(lookup)
    return lookup


def find_credential(secret_id: str) -> Credential | None:
    if not _credential_lookups:
        raise ImproperlyConfigured("No app registers the API's credentials (registry.credentials).")
    return _credential_lookups[0](secret_id)


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


def action(
    name: str,
    *,
    missing: Mapping[str, str] | None = None,
    optional: Iterable[str] = (),
) -> Callable[[Handler], Handler]:
    """Decorator registering the handler of the API action `name`; `missing` maps a
    required parameter to the code that answers its absence, where not MissingParameter;
    `optional` names (dotted) members api.json requires that the handler does not."""

    def decorator(fn: Handler) -> Handler:
        register(name, fn)
        if missing:
            _missing_codes[name] = dict(missing)
        if optional:
            _optional[name] = frozenset(optional)
        return fn

    return decorator


def missing_codes(name: str) -> Mapping[str, str]:
    return _missing_codes.get(name, {})


def optional_members(name: str) -> frozenset[str]:
    return _optional.get(name, frozenset())


def get(name: str) -> Handler | None:
    return _handlers.get(name)


def registered() -> frozenset[str]:
    return frozenset(_handlers)


@contextmanager
def override(name: str, fn: Handler | None) -> Iterator[None]:
    """Handle `name` with `fn` (None: leave it unhandled) inside the block, then restore."""
    _check_name(name)
    previous = _handlers.get(name)
    if fn is None:
        _handlers.pop(name, None)
    else:
        _handlers[name] = fn
    try:
        yield
    finally:
        if previous is None:
            _handlers.pop(name, None)
        else:
            _handlers[name] = previous
