"""Recipient lists: creating them and adding addresses, with or without each
address's own template data.

    counts = receivers.add(receiver_list, [("ana@example.com", {"name": "Ana"}), ...])

The API (CreateReceiverDetail, CreateReceiverDetailWithData: `append`, one request
in one transaction) and the CSV import come here with their entries, in chunks.
Each entry is:
- empty: counted (EmptyEmailCount), not kept;
- longer than an address may be (254), or with data of more than 800 bytes of
  JSON: counted (TooLongCount), not kept;
- the same address as one already in the list (case-insensitively) or earlier
  in the same call: counted (RepeatCount), not kept: a list holds each valid
  address once, so a task sends each once;
- not a valid address: kept as invalid, with the reason (ListReceiverDetails
  Status 2), never sent to;
- otherwise kept, valid (ValidCount).
Data must be a JSON object of strings and numbers without HTML, with the same
keys for every address of a list (its `variables`, fixed by the first data added).
"""

import json
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.db.models.functions import Lower
from django.utils import timezone

from accounts.models import Account
from sending.acceptance.parse import MAX_ADDRESS, address
from sending.batch import bulk
from sending.models import AddressStatus, ListStatus, ReceiverAddress, ReceiverList, SendTask
from sending.models.batch import UNFINISHED
from sesconsole.refusals import Refusal

MAX_DATA_BYTES = 800
MAX_PER_REQUEST = 20_000
CHUNK = 1000
# A tag as a browser reads one: < then a letter, /letter or !; "x < y > z" is text.
_HTML = re.compile(r"<(?:/?[A-Za-z]|!)[^>]*>")
_NAME = re.compile(r"^[^\x00-\x1f<>]{1,200}$")


@dataclass
class Counts:
    total: int = 0
    valid: int = 0
    invalid: int = 0
    too_long: int = 0
    empty: int = 0
    repeated: int = 0
    # (position in the entries, reason) of each entry not kept valid, for the CSV import.
    rejected: list[tuple[int, str]] = field(default_factory=list)

    def add(self, other: "Counts", offset: int = 0) -> None:
        for name in ("total", "valid", "invalid", "too_long", "empty", "repeated"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.rejected += [(offset + i, reason) for i, reason in other.rejected]

    def as_api(self) -> dict[str, int]:
        return {
            "TotalCount": self.total,
            "ValidCount": self.valid,
            "TooLongCount": self.too_long,
            "EmptyEmailCount": self.empty,
            "RepeatCount": self.repeated,
        }


# --- lists ----------------------------------------------------------------------


def check_name(name: object) -> str:
    if not isinstance(name, str) or not _NAME.match(name.strip()):
        raise Refusal(
            "InvalidParameterValue.ReceiverNameIllegal",
            "The list's name must have 1 to 200 characters, without < > or control characters.",
            "ReceiversName",
        )
    return name.strip()


def check_description(description: object) -> str:
    text = description if isinstance(description, str) else ""
    text = text.strip()
    if len(text) > 300 or any(ord(c) < 32 for c in text) or "<" in text or ">" in text:
        raise Refusal(
            "InvalidParameterValue.ReceiverDescIllegal",
            "The description may have up to 300 characters, without < > or control characters.",
            "Desc",
        )
    return text


def create(account: Account, name: object, description: object = "") -> ReceiverList:
    name = check_name(name)
    description = check_description(description)
    with transaction.atomic():
        # Serialises creation per account (and the count below) on PostgreSQL.
        Account.objects.select_for_update().filter(pk=account.pk).first()
        if ReceiverList.objects.filter(account=account, name=name).exists():
            raise Refusal(
                "InvalidParameterValue.RepeatReceiverName",
                f"You already have a recipient list named {name!r}.",
                "ReceiversName",
            )
        if ReceiverList.objects.filter(account=account).count() >= settings.SES_RECEIVER_MAX_LISTS:
            raise Refusal(
                "LimitExceeded.ExceedReceiverLimit",
                f"You have {settings.SES_RECEIVER_MAX_LISTS} recipient lists, the most allowed: "
                "delete one first.",
            )
        return ReceiverList.objects.create(account=account, name=name, description=description)


def get(account: Account, receiver_id: object, *, lock: bool = False) -> ReceiverList:
    """The account's list `receiver_id`, or the API's refusal. `lock`: the row is held
    (SELECT ... FOR UPDATE) until the caller's transaction ends."""
    if receiver_id is None:
        raise Refusal("MissingParameter.ReceiverIdNecessary", "Give ReceiverId.", "ReceiverId")
    found = None
    if isinstance(receiver_id, int) and not isinstance(receiver_id, bool):
        lists = ReceiverList.objects.select_for_update() if lock else ReceiverList.objects
        found = lists.filter(account=account, pk=receiver_id).first()
    if found is None:
        raise Refusal(
            "OperationDenied.ReceiverNotExist",
            f"There is no recipient list {receiver_id} of yours.",
            "ReceiverId",
        )
    return found


def in_use_by(receiver_list: ReceiverList) -> SendTask | None:
    return (
        SendTask.objects.filter(receiver_list=receiver_list, status__in=UNFINISHED)
        .order_by("pk")
        .first()
    )


def check_idle(receiver_list: ReceiverList) -> None:
    """Refuse to change a list while a CSV import is adding to it."""
    if receiver_list.status == ListStatus.UPLOADING:
        raise Refusal(
            "OperationDenied.ReceiverIsOperating",
            "Addresses are being added to this list; try again when the upload is done.",
        )


def delete(receiver_list: ReceiverList) -> None:
    with transaction.atomic():
        # The row as it is now, held: an import or a task starting meanwhile waits.
        locked = ReceiverList.objects.select_for_update().filter(pk=receiver_list.pk).first()
        if locked is None:
            return
        check_idle(locked)
        task = in_use_by(locked)
        if task is not None:
            raise Refusal(
                "OperationDenied.ReceiverIsOperating",
                f"Task {task.pk} ({task.get_status_display().lower()}) sends to this list; "
                "cancel it or let it finish first.",
            )
        locked.delete()


# --- entries -----------------------------------------------------------------------


class BadData(Exception):
    def __init__(self, code: str, message: str):
        self.code, self.message = code, message
        super().__init__(message)


def _refuse_constant(name: str) -> None:
    raise BadData(
        "InvalidParameterValue.TemplateDataError",
        f"TemplateData is not valid JSON: {name} is not allowed.",
    )


def _storable(text: str) -> bool:
    # What a JSON column takes: PostgreSQL's jsonb refuses \u0000, and lone
    # surrogates are no UTF-8 at all.
    if "\x00" in text:
        return False
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True


def parse_data(raw: object) -> dict[str, Any]:
    """One address's TemplateData (a JSON string, or an object already) as a dict."""
    if isinstance(raw, str):
        try:
            raw = json.loads(raw, parse_constant=_refuse_constant)
        except (ValueError, RecursionError) as error:
            # RecursionError: nesting deeper than the interpreter follows;
            # ValueError also covers an integer of more than 4300 digits.
            detail = (
                error.msg if isinstance(error, json.JSONDecodeError) else "too deep or too long"
            )
            raise BadData(
                "InvalidParameterValue.TemplateDataError",
                f"TemplateData is not valid JSON: {detail}.",
            ) from error
    if not isinstance(raw, dict):
        raise BadData(
            "InvalidParameterValue.TemplateDataError", "TemplateData must be a JSON object."
        )
    for key, value in raw.items():
        if not isinstance(key, str) or not _storable(key):
            raise BadData(
                "InvalidParameterValue.TemplateDataError",
                "TemplateData has a name with a NUL or an invalid character.",
            )
        if (
            isinstance(value, bool)
            or not isinstance(value, str | int | float)
            or (isinstance(value, float) and not math.isfinite(value))
        ):
            raise BadData(
                "InvalidParameterValue.TemplateDataError",
                f"The value of {key} must be a string or a finite number.",
            )
        if isinstance(value, str) and not _storable(value):
            raise BadData(
                "InvalidParameterValue.TemplateDataError",
                f"The value of {key} has a NUL or an invalid character.",
            )
        if isinstance(value, str) and _HTML.search(value):
            raise BadData(
                "InvalidParameterValue.InValidTemplateData",
                f"The value of {key} contains HTML; template data must be plain text.",
            )
    return raw


def data_size(data: dict[str, Any]) -> int:
    return len(json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode())


def _classify(raw_email: object, data: dict[str, Any] | None) -> tuple[str, str, str] | str:
    """(email, status, reason) to keep, or the counter of an entry not kept."""
    text = raw_email.strip() if isinstance(raw_email, str) else ""
    if not text:
        return "empty"
    if len(text) > MAX_ADDRESS or (data is not None and data_size(data) > MAX_DATA_BYTES):
        return "too_long"
    try:
        email = address(text, "Email")
    except Refusal as error:
        return text, AddressStatus.INVALID, error.message.removeprefix("Email: ")[:200]
    # An internationalised domain grows in its IDNA form, past what the column holds.
    if len(email) > MAX_ADDRESS:
        return "too_long"
    return email, AddressStatus.VALID, ""


REASONS = {
    "empty": "The address is empty.",
    "too_long": f"The address has more than {MAX_ADDRESS} characters, or its data more than "
    f"{MAX_DATA_BYTES} bytes.",
    "repeated": "The address is in the list already.",
}


def check_variables(receiver_list: ReceiverList, keys: list[str]) -> None:
    if receiver_list.variables and sorted(receiver_list.variables) != sorted(keys):
        raise BadData(
            "InvalidParameterValue.TemplateDataInconsistent",
            f"This list's template data has the variables {', '.join(receiver_list.variables)}; "
            f"these have {', '.join(keys) or 'none'}.",
        )


def add(
    receiver_list: ReceiverList, entries: Iterable[tuple[object, dict[str, Any] | None]]
) -> Counts:
    """Add `entries` ((email, data or None)) to the list, in chunks of CHUNK, each chunk in
    its own transaction with the list's counters. The caller checks the data
    (parse_data, check_variables) and the list's capacity (check_capacity)."""
    counts = Counts()
    chunk: list[tuple[object, dict[str, Any] | None]] = []
    seen = 0
    for entry in entries:
        chunk.append(entry)
        if len(chunk) == CHUNK:
            counts.add(_add_chunk(receiver_list, chunk), seen)
            seen += len(chunk)
            chunk = []
    if chunk:
        counts.add(_add_chunk(receiver_list, chunk), seen)
    return counts


def _add_chunk(
    receiver_list: ReceiverList, entries: list[tuple[object, dict[str, Any] | None]]
) -> Counts:
    counts = Counts(total=len(entries))
    now = timezone.now()
    valid: list[tuple[int, list[Any]]] = []
    invalid: list[list[Any]] = []
    keys: set[str] = set()
    for position, (raw_email, data) in enumerate(entries):
        kept = _classify(raw_email, data)
        if isinstance(kept, str):
            setattr(counts, kept, getattr(counts, kept) + 1)
            counts.rejected.append((position, REASONS[kept]))
            continue
        email, status, reason = kept
        row = [receiver_list.pk, email, data, status, reason, now]
        if status == AddressStatus.INVALID:
            invalid.append(row)
            counts.rejected.append((position, reason))
        elif email.lower() in keys:
            counts.repeated += 1
            counts.rejected.append((position, REASONS["repeated"]))
        else:
            keys.add(email.lower())
            valid.append((position, row))
    names = ["receiver_list", "email", "data", "status", "reason", "created_at"]
    with transaction.atomic():
        inserted = bulk.insert(
            ReceiverAddress, names, [row for _, row in valid], ignore_conflicts=True
        )
        if inserted < len(valid):
            # Some were in the list already: which ones, for the rejected rows' report.
            existing = set(
                ReceiverAddress.objects.annotate(key=Lower("email"))
                .filter(
                    receiver_list=receiver_list,
                    status=AddressStatus.VALID,
                    created_at__lt=now,
                    key__in=[row[1].lower() for _, row in valid],
                )
                .values_list("key", flat=True)
            )
            repeats = [p for p, row in valid if row[1].lower() in existing]
            counts.rejected += [(p, REASONS["repeated"]) for p in repeats[: len(valid) - inserted]]
        counts.repeated += len(valid) - inserted
        counts.valid = inserted
        counts.invalid = bulk.insert(ReceiverAddress, names, invalid)
        ReceiverList.objects.filter(pk=receiver_list.pk).update(
            valid_count=F("valid_count") + counts.valid,
            invalid_count=F("invalid_count") + counts.invalid,
        )
    counts.rejected.sort()
    return counts


def check_capacity(receiver_list: ReceiverList, adding: int) -> None:
    receiver_list.refresh_from_db(fields=["valid_count", "invalid_count"])
    room = settings.SES_RECEIVER_MAX_ADDRESSES - receiver_list.total_count
    if adding > room:
        raise Refusal(
            "LimitExceeded.ReceiverDetailCountLimit",
            f"A list holds at most {settings.SES_RECEIVER_MAX_ADDRESSES} addresses; this one "
            f"has room for {max(0, room)} more.",
        )


def append(
    account: Account,
    receiver_id: object,
    entries: list[tuple[object, dict[str, Any] | None]],
    keys: list[str] | None = None,
) -> Counts:
    """Add one request's entries to the account's list `receiver_id`, all of them or
    none (one transaction, the list held): with data of the names `keys` (checked
    with parse_data beforehand), or without data (`keys` None). The first data a list
    takes fixes its `variables`; a list with something kept is COMPLETE."""
    with transaction.atomic():
        receiver_list = get(account, receiver_id, lock=True)
        check_idle(receiver_list)
        if keys is None and receiver_list.variables:
            raise Refusal(
                "InvalidParameterValue.TemplateDataInconsistent",
                "This list's addresses have template data "
                f"({', '.join(receiver_list.variables)}): add these with their data "
                "(CreateReceiverDetailWithData).",
            )
        if keys is not None and not receiver_list.variables and receiver_list.valid_count:
            raise Refusal(
                "InvalidParameterValue.TemplateDataInconsistent",
                "This list's addresses have no template data: add these without data "
                "(CreateReceiverDetail), or to a new list.",
            )
        if keys is not None:
            try:
                check_variables(receiver_list, keys)
            except BadData as error:
                raise Refusal(error.code, error.message) from error
        check_capacity(receiver_list, len(entries))
        counts = add(receiver_list, entries)
        if counts.valid + counts.invalid:
            if keys and not receiver_list.variables:
                ReceiverList.objects.filter(pk=receiver_list.pk).update(variables=keys)
            # Not over UPLOADING: an import started meanwhile sets its own status.
            ReceiverList.objects.filter(pk=receiver_list.pk, status=ListStatus.WAITING).update(
                status=ListStatus.COMPLETE
            )
    return counts
