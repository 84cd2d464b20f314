"""The mailbox simulator: a reserved domain whose mailboxes act out what real ones do.

    success@<domain>          delivered
    bounce@<domain>           550 5.1.1, a hard bounce
    ooto@<domain>             delivered, then an out-of-office auto-reply
    complaint@<domain>        delivered, then a complaint (spamreport event)
    suppressionlist@<domain>  refused at acceptance as if blocklisted
    defer@<domain>            421 on the first tries, then delivered

A "+label" is ignored (success+signup@...), so tests can tell messages apart.
Mail to the simulator never leaves the process. It counts against the
per-second rate but not the daily quota, and is left out of bounce figures.
"""

from django.conf import settings

BEHAVIOURS = ("success", "bounce", "ooto", "complaint", "suppressionlist", "defer")
# How many attempts "defer" refuses before it accepts.
DEFER_TRIES = 2


def domain() -> str:
    return settings.SES_SIMULATOR_DOMAIN.strip().rstrip(".").lower()


def is_simulated(address: str) -> bool:
    name = domain()
    return bool(name) and address.rpartition("@")[2].rstrip(".").lower() == name


def behaviour(address: str) -> str | None:
    """The mailbox's behaviour, "unknown" for other local parts, None off the simulator."""
    if not is_simulated(address):
        return None
    local = address.rpartition("@")[0].split("+", 1)[0].lower()
    return local if local in BEHAVIOURS else "unknown"


def address(name: str) -> str:
    return f"{name}@{domain()}"
