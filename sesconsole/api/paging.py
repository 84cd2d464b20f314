"""Offset/Limit of the list actions, one rule for all of them."""

from typing import Any

from sesconsole.refusals import Refusal

MAX_LIMIT = 100


def page_slice(params: dict[str, Any], *, require_limit: bool = False) -> slice:
    """The slice of a list action's results its Offset and Limit ask for.

    Limit is at most 100 (FailedOperation.InvalidLimit, as the spec's error
    says); absent or 0, it means all the rest, as the official example of
    ListEmailTemplates sends Limit 0. `require_limit`: the action needs a
    positive Limit (GetSendEmailStatus). The gateway has already refused
    negative values (the spec types both as unsigned) and values beyond
    2**63 - 1, which SQL's OFFSET cannot take.
    """
    offset, limit = params.get("Offset") or 0, params.get("Limit") or 0
    if require_limit and limit < 1:
        raise Refusal("InvalidParameterValue", "Limit must be between 1 and 100.")
    if limit > MAX_LIMIT:
        raise Refusal("FailedOperation.InvalidLimit", f"Limit is at most {MAX_LIMIT}.")
    return slice(offset, offset + limit if limit else None)
