"""Checking a sender domain's DNS records and deciding its status."""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from . import dns
from .models import UNKNOWN, DomainStatus, RecordCheck, RecordStatus, SenderDomain
from .names import zone_of
from .records import Required, Verdict, judge_dkim, judge_dmarc, judge_mx, judge_spf
from .records import required_records as _required

BAD = (RecordStatus.MISSING, RecordStatus.WRONG)


def required_records(domain) -> list[Required]:
    """The records to publish, the SPF one merged with what the domain already has."""
    spf = domain.checks.filter(kind="spf").values_list("current_value", flat=True).first()
    return _required(domain, current_spf=(spf or "") if spf and "|" not in spf else "")


def records_with_checks(domain) -> list[tuple[Required, RecordCheck | None]]:
    """Each required record with its last check (None before the first)."""
    checks = {check.kind: check for check in domain.checks.all()}
    return [(record, checks.get(record.kind)) for record in required_records(domain)]


def lookup_all(domain) -> list[tuple[Required, Verdict]]:
    """Query DNS for every required record of the domain and judge each."""
    keys_by_selector = {key.selector: key for key in domain.dkim_keys.all()}
    apex_txt = None
    results = []
    for required in _required(domain):
        if required.kind.startswith("dkim:"):
            key = keys_by_selector[required.kind.partition(":")[2]]
            verdict = judge_dkim(required, dns.lookup_txt(required.name), key.public_key)
        elif required.kind == "spf":
            apex_txt = apex_txt or dns.lookup_txt(domain.name)
            verdict = judge_spf(required, apex_txt)
        elif required.kind == "mx":
            verdict = judge_mx(required, dns.lookup_mx(domain.name))
        else:
            lookup = dns.lookup_txt(required.name)
            org_lookup = None
            zone = zone_of(domain.name)
            own = [v for v in lookup.values if v.strip().lower().startswith("v=dmarc1")]
            if not own and not lookup.is_dns_failure and zone and zone != domain.name:
                org_lookup = dns.lookup_txt(f"_dmarc.{zone}")
            verdict = judge_dmarc(required, lookup, org_lookup)
        results.append((required, verdict))
    return results


def decide(domain, results, now=None) -> tuple[str, str]:
    """The domain's next (status, reason) after a check."""
    now = now or timezone.now()
    bad = [f"{r.label} {v.status.label.lower()}" for r, v in results if v.status in BAD]
    failed_lookups = [
        f"{r.label} {'lookup' if v.status == RecordStatus.DNS_ERROR else 'check'} failed"
        for r, v in results
        if v.status in UNKNOWN
    ]
    window = timedelta(hours=settings.SES_DOMAIN_PENDING_HOURS)
    window_over = now - domain.pending_since >= window
    if not bad and not failed_lookups:
        owner = (
            SenderDomain.objects.verified()
            .filter(name=domain.name)
            .exclude(account=domain.account_id)
            .exists()
        )
        if owner:
            return DomainStatus.FAILED, "This domain is verified by another account."
        return DomainStatus.VERIFIED, ""
    if domain.status == DomainStatus.VERIFIED:
        if bad:
            when = timezone.localtime(now).strftime("%Y-%m-%d %H:%M")
            return DomainStatus.FAILED, (
                f"Verification lost on {when}: {', '.join(bad)}. Sending from this domain "
                "has stopped; fix the records and press Verify."
            )
        # A DNS outage does not unverify a domain; the next check decides.
        return (
            DomainStatus.VERIFIED,
            f"Last check could not query DNS ({', '.join(failed_lookups)}).",
        )
    if domain.status == DomainStatus.FAILED:
        return DomainStatus.FAILED, domain.status_reason
    problems = ", ".join(bad + failed_lookups)
    if window_over:
        hours = settings.SES_DOMAIN_PENDING_HOURS
        return DomainStatus.FAILED, (
            f"Not verified within {hours} hours ({problems}). Fix the records and press Verify."
        )
    return DomainStatus.PENDING, problems


@transaction.atomic
def save_results(domain, results, now=None) -> SenderDomain:
    now = now or timezone.now()
    kinds = []
    for required, verdict in results:
        kinds.append(required.kind)
        RecordCheck.objects.update_or_create(
            domain=domain,
            kind=required.kind,
            name=required.name,
            defaults={
                "type": required.type,
                "current_value": verdict.current,
                "status": verdict.status,
                "detail": verdict.detail,
                "checked_at": now,
            },
        )
    RecordCheck.objects.filter(domain=domain).exclude(kind__in=kinds).delete()
    status, reason = decide(domain, results, now)
    fields = {"status": status, "status_reason": reason, "last_checked_at": now}
    if status == DomainStatus.VERIFIED and domain.status != DomainStatus.VERIFIED:
        fields["verified_at"] = now
    SenderDomain.objects.filter(pk=domain.pk).update(**fields)
    for name, value in fields.items():
        setattr(domain, name, value)
    return domain


def has_dns_failures(results) -> bool:
    """Some record's outcome is unknown: the check is worth repeating soon."""
    return any(v.status in UNKNOWN for _, v in results)


CHECK_FAILED = (
    "The check failed: an error of the service, not of your DNS (it is logged for "
    "support). It is tried again automatically."
)


def failed_check(domain) -> list[tuple[Required, Verdict]]:
    """The results of a check that could not run: every record's outcome unknown."""
    return [
        (required, Verdict(RecordStatus.ERROR, detail=CHECK_FAILED))
        for required in _required(domain)
    ]
