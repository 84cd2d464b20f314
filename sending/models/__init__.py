"""The sending app's models: the message store (message.py), the suppression lists
(suppression.py), batch sending (batch.py), and the one vocabulary both speak (vocab.py)."""

from sending.models.batch import (
    AddressStatus,
    ImportRejection,
    ImportStatus,
    ListStatus,
    ReceiverAddress,
    ReceiverImport,
    ReceiverList,
    SendTask,
    TaskStatus,
    TaskType,
)
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
    "AddressStatus",
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
    "ImportRejection",
    "ImportStatus",
    "ListStatus",
    "Message",
    "PlatformBlock",
    "ReceiverAddress",
    "ReceiverImport",
    "ReceiverList",
    "Recipient",
    "SendStatus",
    "SendTask",
    "Source",
    "TaskStatus",
    "TaskType",
    "Unsubscription",
    "new_message_id",
]
