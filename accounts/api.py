"""The API's credentials are the accounts' API keys (sesconsole.api.registry.credentials)."""

from sesconsole.api import registry

from .models import ApiKey


@registry.credentials
def usable_key(secret_id: str) -> ApiKey | None:
    return ApiKey.objects.usable().select_related("account").filter(secret_id=secret_id).first()
