"""Sender domains and addresses: DKIM keys, the DNS records to publish and their checks,
and the SMTP credentials of sender addresses with their failed sign-ins."""
