"""Rules of the two blocklists, shared by the API and the console.

The platform blocklist holds hard-bounced addresses for all accounts: each
entry expires SES_BLOCKLIST_DAYS (default 180) after its last hard bounce.
An account sees and removes only the entries its own mail caused; the others
still stop its mail (sending.lists.refusal_for), and only support staff
remove them. Deleting an address another account caused is silently a
no-op: an error would tell one tenant what another's mail bounced on.

The custom blocklist is an account's own list with an optional expiry date:
an entry blocks through its ExpireDate (inclusive) and is listed as expired
(Status 0) from the day after. Addresses are stored stripped and lower-cased,
the form sending.lists compares them in.

Decisions where Tencent's docs are silent:
- ExpireDate is YYYY-MM-DD; empty or absent means "never expires". A malformed
  date or one before today is InvalidParameterValue.WrongDate.
- CreateCustomBlacklist counts an address already listed and active as
  repeated; one listed but expired is re-activated with the new ExpireDate
  and counted as valid.
- Deleting addresses that are not listed is not an error.
"""

import re
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from sesconsole.api.errors import ApiError

from .models import CustomBlock, PlatformBlock

MAX_EMAIL_LENGTH = 254
MAX_ADD = 20_000  # addresses per CreateCustomBlacklist, as CreateReceiverDetail
_CHUNK = 500  # addresses per IN (...) query

STATUS_EXPIRED, STATUS_ACTIVE, STATUS_ALL = 0, 1, 2
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def blocklist_days() -> int:
    return getattr(settings, "SES_BLOCKLIST_DAYS", 180)


def normalize(raw: str) -> str:
    return (raw or "").strip().lower()


def parse_date(value, code: str, name: str) -> date:
    """A YYYY-MM-DD string (or a date) as a date, else ApiError `code`."""
    if isinstance(value, date):
        return value
    text = (value or "").strip()
    try:
        if not _DATE.fullmatch(text):
            raise ValueError(text)
        return date.fromisoformat(text)
    except ValueError as error:
        raise ApiError(code, f"{name} must be a date in the format YYYY-MM-DD.") from error


def parse_expire_date(value) -> date | None:
    """ExpireDate: None when empty (never expires); not before today."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    expires_on = parse_date(value, "InvalidParameterValue.WrongDate", "ExpireDate")
    if expires_on < timezone.localdate():
        raise ApiError(
            "InvalidParameterValue.WrongDate", "ExpireDate must be today or a later date."
        )
    return expires_on


def _problem(email: str) -> str | None:
    """The counter an address falls in when it cannot be listed, else None."""
    if len(email) > MAX_EMAIL_LENGTH:
        return "TooLongCount"
    try:
        validate_email(email)
    except ValidationError:
        return "InvalidCount"
    return None


def _chunks(items: list):
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


def _require_emails(emails) -> None:
    if not emails:
        raise ApiError("MissingParameter.EmailsNecessary", "Give at least one email address.")


# --- the custom blocklist ----------------------------------------------------------


def is_active(block: CustomBlock, today: date | None = None) -> bool:
    return block.expires_on is None or block.expires_on >= (today or timezone.localdate())


def custom_status(block: CustomBlock, today: date | None = None) -> int:
    return STATUS_ACTIVE if is_active(block, today) else STATUS_EXPIRED


def _active_q(today: date) -> Q:
    return Q(expires_on__isnull=True) | Q(expires_on__gte=today)


def add_custom(account, emails, expire_date=None) -> dict:
    """List `emails` for `account`; the counters of CreateCustomBlacklist."""
    _require_emails(emails)
    if len(emails) > MAX_ADD:
        raise ApiError("LimitExceeded", f"Add at most {MAX_ADD} addresses at a time.")
    expires_on = parse_expire_date(expire_date)
    counters = {
        "TotalCount": len(emails),
        "ValidCount": 0,
        "TooLongCount": 0,
        "RepeatCount": 0,
        "InvalidCount": 0,
    }
    wanted, seen = [], set()
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


def list_custom(account, status: int = STATUS_ALL, email: str | None = None):
    """The account's entries, newest first; `email` matches part of the address."""
    if status not in (STATUS_EXPIRED, STATUS_ACTIVE, STATUS_ALL):
        raise ApiError(
            "InvalidParameterValue", "Status must be 0 (expired), 1 (active) or 2 (all)."
        )
    blocks = CustomBlock.objects.filter(account=account).order_by("-created_at", "-pk")
    today = timezone.localdate()
    if status == STATUS_ACTIVE:
        blocks = blocks.filter(_active_q(today))
    elif status == STATUS_EXPIRED:
        blocks = blocks.exclude(_active_q(today))
    if email and email.strip():
        blocks = blocks.filter(email__contains=normalize(email))
    return blocks


def get_custom(account, pk) -> CustomBlock:
    block = CustomBlock.objects.filter(account=account, pk=pk).first()
    if block is None:
        raise ApiError("ResourceNotFound", f"Your blocklist has no entry with Id {pk}.")
    return block


def update_custom(account, pk, email: str, expire_date=None) -> CustomBlock:
    """Change one entry's address and expiry; no ExpireDate means it never expires."""
    block = get_custom(account, pk)
    email = normalize(email)
    if _problem(email):
        raise ApiError(
            "InvalidParameterValue.IllegalEmailAddress", f"{email!r} is not a valid email address."
        )
    expires_on = parse_expire_date(expire_date)
    taken = ApiError("InvalidParameterValue.RepeatEmailAddress", f"{email} is already listed.")
    if CustomBlock.objects.filter(account=account, email=email).exclude(pk=block.pk).exists():
        raise taken
    block.email, block.expires_on = email, expires_on
    try:
        with transaction.atomic():
            block.save(update_fields=["email", "expires_on"])
    except IntegrityError as error:  # a concurrent add of the same address
        raise taken from error
    return block


def delete_custom(account, emails) -> int:
    """Remove `emails` from the account's list; the number of entries removed."""
    _require_emails(emails)
    wanted = list({normalize(email) for email in emails})
    removed = 0
    for chunk in _chunks(wanted):
        removed += CustomBlock.objects.filter(account=account, email__in=chunk).delete()[0]
    return removed


# --- the platform blocklist --------------------------------------------------------


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def list_platform(account, start_date=None, end_date=None, email=None, task_id=None, contains=None):
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
        raise ApiError("InvalidParameterValue.WrongDate", "EndDate must not be before StartDate.")
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


def delete_platform(account, emails) -> int:
    """Lift the entries of `emails` that `account` caused; others stay, silently."""
    _require_emails(emails)
    wanted = list({normalize(email) for email in emails})
    removed = 0
    for chunk in _chunks(wanted):
        removed += PlatformBlock.objects.filter(caused_by=account, email__in=chunk).delete()[0]
    return removed


def block_hard_bounce(email: str, account, reason: str, task_id="") -> PlatformBlock:
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
