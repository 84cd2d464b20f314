from django.core.checks import Warning, register

from sesconsole.secrets_check import undecryptable


@register()
def check_api_keys_decrypt(app_configs, **kwargs):
    from .models import ApiKey

    rows = ApiKey.objects.order_by("pk").values("secret_id", "secret_key_encrypted")
    keys = undecryptable(rows, "secret_key_encrypted", "{secret_id}")
    if not keys:
        return []
    shown = ", ".join(keys[:10]) + (f" and {len(keys) - 10} more" if len(keys) > 10 else "")
    return [
        Warning(
            f"{len(keys)} API key(s) cannot be decrypted with the configured "
            f"SES_ENCRYPTION_KEYS: {shown}. Requests signed with them are refused "
            "(AuthFailure.SecretIdNotFound).",
            hint="Run with the SES_ENCRYPTION_KEYS they were created under (make run keeps "
            "its own in var/run.env; scripts/manage uses them), or delete the keys and "
            "issue new ones.",
            id="accounts.W001",
        )
    ]
