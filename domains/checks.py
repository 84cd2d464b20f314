from django.core.checks import Warning, register
from django.db.models import F

from sesconsole.secrets_check import undecryptable


@register()
def check_dkim_keys_decrypt(app_configs, **kwargs):
    from .models import DkimKey

    rows = DkimKey.objects.order_by("pk").values(
        "selector", "private_key_encrypted", domain_name=F("domain__name")
    )
    keys = undecryptable(rows, "private_key_encrypted", "{selector} of {domain_name}")
    if not keys:
        return []
    shown = ", ".join(keys[:10]) + (f" and {len(keys) - 10} more" if len(keys) > 10 else "")
    return [
        Warning(
            f"{len(keys)} DKIM private key(s) cannot be decrypted with the configured "
            f"SES_ENCRYPTION_KEYS: {shown}. Mail from those domains is deferred.",
            hint="Run with the SES_ENCRYPTION_KEYS they were created under, or give the "
            "domains new keys (change their DKIM option) and publish them.",
            id="domains.W001",
        )
    ]
