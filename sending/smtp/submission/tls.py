"""The submission server's TLS context, from SES_SMTPD_CERT_FILE and SES_SMTPD_KEY_FILE."""

import ssl

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


def server_context(cert_file: str | None = None, key_file: str | None = None) -> ssl.SSLContext:
    """TLS 1.2 or later with the configured certificate chain and key.

    Raises ImproperlyConfigured with what is wrong (not set, unreadable, not PEM, or
    the key does not belong to the certificate).
    """
    cert_file = cert_file or settings.SES_SMTPD_CERT_FILE
    key_file = key_file or settings.SES_SMTPD_KEY_FILE
    if not cert_file or not key_file:
        raise ImproperlyConfigured(
            "The SMTP server needs a certificate: set SES_SMTPD_CERT_FILE and "
            "SES_SMTPD_KEY_FILE (PEM files; `make run` makes a self-signed pair)."
        )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        context.load_cert_chain(cert_file, key_file)
    except ssl.SSLError as error:
        raise ImproperlyConfigured(
            f"SES_SMTPD_CERT_FILE {cert_file} / SES_SMTPD_KEY_FILE {key_file} are not a PEM "
            f"certificate chain and its private key: {error.reason or error}"
        ) from error
    except OSError as error:
        raise ImproperlyConfigured(
            f"SES_SMTPD_CERT_FILE {cert_file} / SES_SMTPD_KEY_FILE {key_file}: "
            f"{error.strerror or error}"
        ) from error
    return context
