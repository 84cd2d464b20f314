"""Helpers for the SendEmail tests: changing one field of valid params, and checking
that a refused request left nothing behind."""

import copy

from sending.models import Attachment, Delivery, Event, Message

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
