"""The sending app's models: the message store (message.py), the suppression lists
(suppression.py), and the one vocabulary both speak (vocab.py)."""

from sending.models.message import Attachment, Attempt, Delivery, Event, Message, new_message_id
from sending.models.suppression import CustomBlock, PlatformBlock, Unsubscription
from sending.models.vocab import (
    AttemptCategory,
    BounceCategory,
    BounceType,
    DeliveryStatus,
    EventType,
    Recipient,
    SendStatus,
    Source,
)

__all__ = [
    "Attachment",
    "Attempt",
    "AttemptCategory",
    "BounceCategory",
    "BounceType",
    "CustomBlock",
    "Delivery",
    "DeliveryStatus",
    "Event",
    "EventType",
    "Message",
    "PlatformBlock",
    "Recipient",
    "SendStatus",
    "Source",
    "Unsubscription",
    "new_message_id",
]
