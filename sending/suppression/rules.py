"""Rules of the two blocklists, shared by the API and the console.

The platform blocklist holds hard-bounced addresses for all accounts: each
entry expires SES_BLOCKLIST_DAYS (default 180) after its last hard bounce.
An account sees and removes only the entries its own mail caused; the others
still stop its mail (sending.suppression.lookup.refusals_for), and only support staff
remove them. Deleting an address another account caused is silently a
no-op: an error would tell one tenant what another's mail bounced on.

The custom blocklist is an account's own list with an optional expiry date:
an entry blocks through its ExpireDate (inclusive) and is listed as expired
(Status 0) from the day after. Addresses are stored stripped and lower-cased,
the form sending.suppression.lookup compares them in.

Decisions where Tencent's docs are silent:
- ExpireDate is YYYY-MM-DD; empty or absent means "never expires". A malformed
  date or one before today is InvalidParameterValue.WrongDate.
- CreateCustomBlacklist counts an address already listed and active as
  repeated; one listed but expired is re-activated with the new ExpireDate
  and counted as valid.
- Deleting addresses that are not listed is not an error.
"""

import re
from collections.abc import Collection, Iterator
from datetime import date, datetime, time, timedelta
from typing import TypeVar

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from accounts.models import Account
from domains.services import parse_address
from sending.models import CustomBlock, PlatformBlock
from sesconsole.refusals import Refusal

MAX_EMAIL_LENGTH = 254
MAX_ADD = 20_000  # addresses per CreateCustomBlacklist, as CreateReceiverDetail
_CHUNK = 500  # addresses per IN (...) query

STATUS_EXPIRED, STATUS_ACTIVE, STATUS_ALL = 0, 1, 2
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")

T = TypeVar("T")
Block = TypeVar("Block", CustomBlock, PlatformBlock)


def blocklist_days() -> int:
    return settings.SES_BLOCKLIST_DAYS


def normalize(raw: str) -> str:
    """An address as recipients are stored and compared: lower-case, its domain IDNA."""
    email = (raw or "").strip().lower()
    try:
        local, host = parse_address(email)
    except Refusal:
        return email
    return f"{local}@{host}"


def parse_date(value: date | str | None, code: str, name: str) -> date:
    """A YYYY-MM-DD string (or a date) as a date, else Refusal `code`."""
    if isinstance(value, date):
        return value
    text = (value or "").strip()
    try:
        if not _DATE.fullmatch(text):
            raise ValueError(text)
        return date.fromisoformat(text)
    except ValueError as error:
        raise Refusal(code, f"{name} must be a date in the format YYYY-MM-DD.") from error


def parse_expire_date(value: date | str | None) -> date | None:
    """ExpireDate: None when empty (never expires); not before today."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    expires_on = parse_date(value, "InvalidParameterValue.WrongDate", "ExpireDate")
    if expires_on < timezone.localdate():
        raise Refusal(
            "InvalidParameterValue.WrongDate", "ExpireDate must be today or a later date."
        )
    return expires_on


def _problem(email: str) -> str | None:
    """The counter an address falls in when it cannot be listed, else None."""
    if len(email) > MAX_EMAIL_LENGTH:
        return "TooLongCount"
    try:
        parse_address(email)
    except Refusal:
        return "InvalidCount"
    return None


def _chunks(items: list[T]) -> Iterator[list[T]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


def _require_emails(emails: Collection[str]) -> None:
    if not emails:
        raise Refusal("MissingParameter.EmailsNecessary", "Give at least one email address.")


# --- the custom blocklist ----------------------------------------------------------


def is_active(block: CustomBlock, today: date | None = None) -> bool:
    return block.expires_on is None or block.expires_on >= (today or timezone.localdate())


def custom_status(block: CustomBlock, today: date | None = None) -> int:
    return STATUS_ACTIVE if is_active(block, today) else STATUS_EXPIRED


def _active_q(today: date) -> Q:
    return Q(expires_on__isnull=True) | Q(expires_on__gte=today)


def add_custom(
    account: Account, emails: list[str], expire_date: date | str | None = None
) -> dict[str, int]:
    """List `emails` for `account`; the counters of CreateCustomBlacklist."""
    _require_emails(emails)
    if len(emails) > MAX_ADD:
        raise Refusal("LimitExceeded", f"Add at most {MAX_ADD} addresses at a time.")
    expires_on = parse_expire_date(expire_date)
    counters = {
        "TotalCount": len(emails),
        "ValidCount": 0,
        "TooLongCount": 0,
        "RepeatCount": 0,
        "InvalidCount": 0,
    }
    wanted: list[str] = []
    seen: set[str] = set()
    for raw in emails:
        email = normalize(raw)
        problem = _problem(email) or ("RepeatCount" if email in seen else None)
        if problem:
            counters[problem] += 1
            continue
        seen.add(email)
        wanted.append(email)
    today = timezone.localdate()
    with transaction.atomic():
        for chunk in _chunks(wanted):
            listed = {
                block.email: block
                for block in CustomBlock.objects.select_for_update().filter(
                    account=account, email__in=chunk
                )
            }
            expired = [block.pk for block in listed.values() if not is_active(block, today)]
            CustomBlock.objects.filter(pk__in=expired).update(
                expires_on=expires_on, created_at=timezone.now()
            )
            new = [email for email in chunk if email not in listed]
            CustomBlock.objects.bulk_create(
                [CustomBlock(account=account, email=email, expires_on=expires_on) for email in new],
                ignore_conflicts=True,  # a concurrent add of the same address
            )
            counters["ValidCount"] += len(new) + len(expired)
            counters["RepeatCount"] += len(listed) - len(expired)
    return counters


def list_custom(
    account: Account, status: int = STATUS_ALL, email: str | None = None
) -> QuerySet[CustomBlock]:
    """The account's entries, newest first; `email` matches part of the address."""
    if status not in (STATUS_EXPIRED, STATUS_ACTIVE, STATUS_ALL):
        raise Refusal("InvalidParameterValue", "Status must be 0 (expired), 1 (active) or 2 (all).")
    blocks = CustomBlock.objects.filter(account=account).order_by("-created_at", "-pk")
    today = timezone.localdate()
    if status == STATUS_ACTIVE:
        blocks = blocks.filter(_active_q(today))
    elif status == STATUS_EXPIRED:
        blocks = blocks.exclude(_active_q(today))
    if email and email.strip():
        blocks = blocks.filter(email__contains=normalize(email))
    return blocks


def get_custom(account: Account, pk: int) -> CustomBlock:
    block = CustomBlock.objects.filter(account=account, pk=pk).first()
    if block is None:
        raise Refusal("ResourceNotFound", f"Your blocklist has no entry with Id {pk}.")
    return block


def update_custom(
    account: Account, pk: int, email: str, expire_date: date | str | None = None
) -> CustomBlock:
    """Change one entry's address and expiry; no ExpireDate means it never expires."""
    block = get_custom(account, pk)
    email = normalize(email)
    if _problem(email):
        raise Refusal(
            "InvalidParameterValue.IllegalEmailAddress", f"{email!r} is not a valid email address."
        )
    expires_on = parse_expire_date(expire_date)
    taken = Refusal("InvalidParameterValue.RepeatEmailAddress", f"{email} is already listed.")
    if CustomBlock.objects.filter(account=account, email=email).exclude(pk=block.pk).exists():
        raise taken
    block.email, block.expires_on = email, expires_on
    try:
        with transaction.atomic():
            block.save(update_fields=["email", "expires_on"])
    except IntegrityError as error:  # a concurrent add of the same address
        raise taken from error
    return block


def _delete(entries: QuerySet[Block], emails: Collection[str]) -> int:
    """Delete the `entries` (a queryset) of `emails`, a chunk at a time; how many went."""
    _require_emails(emails)
    wanted = list({normalize(email) for email in emails})
    return sum(entries.filter(email__in=chunk).delete()[0] for chunk in _chunks(wanted))


def delete_custom(account: Account, emails: Collection[str]) -> int:
    """Remove `emails` from the account's list; the number of entries removed."""
    return _delete(CustomBlock.objects.filter(account=account), emails)


# --- the platform blocklist --------------------------------------------------------


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def list_platform(
    account: Account,
    start_date: date | str | None = None,
    end_date: date | str | None = None,
    email: str | None = None,
    task_id: str | None = None,
    contains: str | None = None,
) -> QuerySet[PlatformBlock]:
    """Unexpired entries caused by `account`, newest first.

    start_date and end_date (dates or YYYY-MM-DD, both inclusive, local time)
    bound the bounce time; `email` must match exactly, `contains` in part.
    """
    start = None
    if start_date is not None:
        start = parse_date(start_date, "InvalidParameter.InvalidStartTimeFormat", "StartDate")
    end = None
    if end_date is not None:
        end = parse_date(end_date, "InvalidParameter.InvalidEndTimeFormat", "EndDate")
    if start and end and end < start:
        raise Refusal("InvalidParameterValue.WrongDate", "EndDate must not be before StartDate.")
    blocks = PlatformBlock.objects.filter(caused_by=account, expires_at__gt=timezone.now())
    if start:
        blocks = blocks.filter(created_at__gte=_day_start(start))
    if end:
        blocks = blocks.filter(created_at__lt=_day_start(end + timedelta(days=1)))
    if email and email.strip():
        blocks = blocks.filter(email=normalize(email))
    if task_id and task_id.strip():
        blocks = blocks.filter(task_id=task_id.strip())
    if contains and contains.strip():
        blocks = blocks.filter(email__contains=normalize(contains))
    return blocks.order_by("-created_at", "-pk")


def delete_platform(account: Account, emails: Collection[str]) -> int:
    """Lift the entries of `emails` that `account` caused; others stay, silently."""
    return _delete(PlatformBlock.objects.filter(caused_by=account), emails)


def block_hard_bounce(
    email: str, account: Account, reason: str, task_id: str | int = ""
) -> PlatformBlock:
    """Block `email` for all accounts after a hard bounce of `account`'s mail.

    A new bounce of a listed address renews it: the entry then belongs to the
    account whose mail bounced last, and expires blocklist_days() from now.
    """
    now = timezone.now()
    block, _ = PlatformBlock.objects.update_or_create(
        email=normalize(email),
        defaults={
            "reason": reason or "",
            "caused_by": account,
            "task_id": str(task_id or "")[:40],
            "created_at": now,
            "expires_at": now + timedelta(days=blocklist_days()),
        },
    )
    return block


def purge_expired() -> int:
    """Delete the expired platform entries; the number deleted."""
    return PlatformBlock.objects.filter(expires_at__lte=timezone.now()).delete()[0]
