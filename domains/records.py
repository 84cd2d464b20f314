"""The DNS records a sender domain must publish, and how a published one is judged.

DKIM (one TXT per key), MX to the service's bounce host, SPF including the
service's SPF domain, and DMARC. Each judgement tells a wrong or missing
record from a DNS failure: only the first is the domain owner's to fix.
"""

from dataclasses import dataclass

from django.conf import settings

from . import keys
from .dns import Lookup, Outcome
from .models import RecordStatus
from .names import relative_host, zone_of

MX_PREFERENCE = 10
DMARC_POLICIES = {"none", "quarantine", "reject"}


@dataclass(frozen=True)
class Required:
    kind: str  # "dkim:<selector>", "spf", "mx", "dmarc": stable key of the RecordCheck row
    label: str
    type: str
    name: str
    host: str
    expected: str
    priority: int | None = None

    @property
    def dig(self) -> str:
        return f"dig +short {self.type} {self.name}"

    @property
    def expected_strings(self) -> list[str]:
        """The TXT value split for providers that take 255-character strings."""
        return keys.split_txt(self.expected) if self.type == "TXT" else [self.expected]


@dataclass(frozen=True)
class Verdict:
    status: RecordStatus
    current: str = ""
    detail: str = ""
    expected: str | None = None  # replaces Required.expected (a merged SPF record)


def spf_include() -> str:
    return f"include:{settings.SES_SPF_DOMAIN}"


def spf_record() -> str:
    return f"v=spf1 {spf_include()} ~all"


def merged_spf(existing: str) -> str:
    """The domain's one SPF record with our include added before its other terms."""
    terms = existing.split()
    return " ".join([terms[0], spf_include(), *terms[1:]])


def required_records(domain, current_spf: str = "") -> list[Required]:
    zone = zone_of(domain.name) or domain.name
    records = []
    for key in domain.dkim_keys.all():
        records.append(
            Required(
                kind=f"dkim:{key.selector}",
                label=f"DKIM ({'Ed25519' if key.algorithm == 'ed25519' else f'RSA {key.bits}'})",
                type="TXT",
                name=key.record_name,
                host=relative_host(key.record_name, zone),
                expected=key.txt_value,
            )
        )
    spf_expected = spf_record()
    if current_spf and _is_spf(current_spf) and spf_include() not in current_spf.lower().split():
        spf_expected = merged_spf(current_spf)
    dmarc_name = f"_dmarc.{domain.name}"
    records += [
        Required("spf", "SPF", "TXT", domain.name, relative_host(domain.name, zone), spf_expected),
        Required(
            "mx",
            "MX (bounces)",
            "MX",
            domain.name,
            relative_host(domain.name, zone),
            f"{settings.SES_MX_HOST.rstrip('.')}.",
            priority=MX_PREFERENCE,
        ),
        Required(
            "dmarc",
            "DMARC",
            "TXT",
            dmarc_name,
            relative_host(dmarc_name, zone),
            "v=DMARC1; p=none",
        ),
    ]
    return records


def _absent(lookup: Lookup) -> bool:
    return lookup.outcome in (Outcome.NXDOMAIN, Outcome.NO_RECORD)


def _unusable(lookup: Lookup, what: str) -> Verdict | None:
    """The verdict when the lookup gave no record to judge, else None."""
    if lookup.is_dns_failure:
        return Verdict(RecordStatus.DNS_ERROR, detail=lookup.detail or str(lookup.outcome))
    if lookup.outcome == Outcome.FOUND and lookup.values:
        return None
    if lookup.outcome in (Outcome.NXDOMAIN, Outcome.NO_RECORD, Outcome.FOUND):
        return Verdict(RecordStatus.MISSING, detail=f"No {what} at {lookup.name}.")
    # A CNAME loop or an unusable name: the record is there but broken.
    return Verdict(RecordStatus.WRONG, detail=lookup.detail or str(lookup.outcome))


def _failure(lookup: Lookup) -> Verdict:
    return Verdict(RecordStatus.DNS_ERROR, detail=lookup.detail or str(lookup.outcome))


def _is_spf(value: str) -> bool:
    lowered = value.strip().lower()
    return lowered == "v=spf1" or lowered.startswith("v=spf1 ")


def judge_dkim(required: Required, lookup: Lookup, public_key: str) -> Verdict:
    if verdict := _unusable(lookup, "TXT record"):
        return verdict
    current = " | ".join(lookup.values)
    for value in lookup.values:
        tags = keys.parse_tags(value)
        if tags.get("p") == public_key:
            return Verdict(RecordStatus.OK, value)
    return Verdict(
        RecordStatus.WRONG, current, "The public key (p=) differs from this domain's key."
    )


def judge_spf(required: Required, lookup: Lookup) -> Verdict:
    if lookup.is_dns_failure:
        return _failure(lookup)
    spf = [v for v in lookup.values if _is_spf(v)] if not _absent(lookup) else []
    if not spf:
        return Verdict(RecordStatus.MISSING, detail="No SPF record (v=spf1) at the domain.")
    current = " | ".join(spf)
    if len(spf) > 1:
        return Verdict(
            RecordStatus.WRONG,
            current,
            f"{len(spf)} SPF records: a domain may publish exactly one (RFC 7208), so receivers "
            "ignore them all. Merge them into one.",
        )
    if spf_include() in spf[0].lower().split():
        return Verdict(RecordStatus.OK, current)
    return Verdict(
        RecordStatus.WRONG,
        current,
        f"The SPF record lacks {spf_include()}: publish the merged record instead of it.",
        expected=merged_spf(spf[0]),
    )


def judge_mx(required: Required, lookup: Lookup) -> Verdict:
    if verdict := _unusable(lookup, "MX record"):
        return verdict
    current = " | ".join(lookup.values)
    hosts = [value.split()[-1].lower() for value in lookup.values]
    if required.expected.lower() not in hosts:
        return Verdict(RecordStatus.WRONG, current, f"No MX record points to {required.expected}")
    others = [h for h in hosts if h != required.expected.lower()]
    detail = (
        f"Other MX hosts also receive this domain's bounces: {', '.join(others)}" if others else ""
    )
    return Verdict(RecordStatus.OK, current, detail)


def judge_dmarc(required: Required, lookup: Lookup, org_lookup: Lookup | None = None) -> Verdict:
    if lookup.is_dns_failure:
        return _failure(lookup)
    found = [v for v in lookup.values if v.strip().lower().startswith("v=dmarc1")]
    if not found and org_lookup is not None:
        # RFC 7489 6.6.3: without its own record a subdomain falls under the
        # policy of its organizational domain.
        if org_lookup.is_dns_failure:
            return _failure(org_lookup)
        inherited = [v for v in org_lookup.values if v.strip().lower().startswith("v=dmarc1")]
        if len(inherited) == 1 and _dmarc_ok(inherited[0]):
            return Verdict(RecordStatus.OK, inherited[0], f"Inherited from {org_lookup.name}.")
    if not found:
        return Verdict(RecordStatus.MISSING, detail=f"No DMARC record at {required.name}.")
    current = " | ".join(found)
    if len(found) > 1:
        return Verdict(RecordStatus.WRONG, current, "More than one DMARC record: publish one.")
    if not _dmarc_ok(found[0]):
        return Verdict(
            RecordStatus.WRONG,
            current,
            "A DMARC record needs v=DMARC1 first and a policy p=none, quarantine or reject.",
        )
    return Verdict(RecordStatus.OK, current)


def _dmarc_ok(value: str) -> bool:
    tags = keys.parse_tags(value)
    first = value.split(";", 1)[0].replace(" ", "").lower()
    return first == "v=dmarc1" and tags.get("p", "").lower() in DMARC_POLICIES
