"""Helpers for the SendEmail tests: changing one field of valid params, and checking
that a refused request left nothing behind."""

import copy

from sending.models import Attachment, Delivery, Event, Message, SendStatus
from sending.suppression.lookup import refusals_for

DROP = object()


def change(path: str, value=DROP):
    """A function that sets `path` ("Template.TemplateData", "Attachments") in params,
    or removes it when no value is given."""

    def apply(params: dict) -> dict:
        params = copy.deepcopy(params)
        *parents, last = path.split(".")
        node = params
        for name in parents:
            node = node[name]
        if value is DROP:
            node.pop(last, None)
        else:
            node[last] = value
        return params

    apply.__name__ = f"{path}={value!r}"[:60]
    return apply


def nothing_written():
    return (
        Message.objects.count(),
        Delivery.objects.count(),
        Attachment.objects.count(),
        Event.objects.count(),
    ) == (0, 0, 0, 0)


def refusal(account, address: str) -> SendStatus:
    """What the lists say of mail from `account` to `address` (SendStatus.OK: nothing)."""
    return refusals_for(account, [address]).get(address.lower(), SendStatus.OK)
