"""System checks of sender domains: DNS settings, the hosts domains are told to publish,
and DKIM keys that cannot be decrypted."""

import dns.resolver
from django.conf import settings
from django.core.checks import Error, Warning, register
from django.core.exceptions import ImproperlyConfigured
from django.db.models import F

from sesconsole.secrets_check import undecryptable

from .dns import parse_nameserver


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


@register(deploy=True)
def check_sender_domain_hosts(app_configs, **kwargs):
    """Sender domains are told to publish these hosts: they must be real ones."""
    warnings = []
    for name in ("SES_MX_HOST", "SES_SPF_DOMAIN"):
        value = getattr(settings, name)
        if value.endswith(".localhost"):
            warnings.append(
                Warning(
                    f"{name} is {value}, a name only this machine resolves.",
                    hint=f"Set {name} to the public host name of your service.",
                    id="domains.W002",
                )
            )
    return warnings


@register()
def check_dns_nameservers(app_configs, **kwargs):
    errors = []
    for entry in settings.SES_DNS_NAMESERVERS:
        try:
            parse_nameserver(entry)
        except ImproperlyConfigured as error:
            errors.append(
                Error(
                    str(error),
                    hint='Use entries like "192.0.2.53", "127.0.0.1:5353" or "[::1]:53".',
                    id="domains.E001",
                )
            )
    return errors


@register()
def check_system_resolver(app_configs, **kwargs):
    """Without SES_DNS_NAMESERVERS every lookup asks the resolvers of resolv.conf."""
    if any(entry.strip() for entry in settings.SES_DNS_NAMESERVERS):
        return []
    try:
        dns.resolver.Resolver(filename=settings.SES_DNS_RESOLV_CONF)
    except dns.resolver.NoResolverConfiguration as error:
        return [
            Warning(
                f"No DNS resolver in {settings.SES_DNS_RESOLV_CONF}: {error}. Domains cannot "
                "be verified and mail cannot be routed.",
                hint="Set SES_DNS_NAMESERVERS, or SES_DNS_RESOLV_CONF to a file naming one.",
                id="domains.W003",
            )
        ]
    return []
