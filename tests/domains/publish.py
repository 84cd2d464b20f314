"""Publishing a domain's required records on the loopback DNS server."""

from domains import keys
from domains.records import required_records


def publish(zone, domain, skip=(), replace=None):
    """Add every record the domain needs to `zone`, TXT values split as DNS needs.

    `skip`: record kinds to leave out ("spf", "mx", "dmarc", "dkim" for all
    DKIM keys); `replace`: kind -> value to publish instead of the right one.
    """
    replace = replace or {}
    for record in required_records(domain):
        family = record.kind.split(":")[0]
        if record.kind in skip or family in skip:
            continue
        value = replace.get(record.kind, replace.get(family, record.expected))
        if record.type == "MX":
            zone.add(record.name, "MX", f"{record.priority} {value}")
        else:
            zone.add(record.name, "TXT", keys.split_txt(value))
