"""What happened to each recipient: the Message Log and message page, GetSendEmailStatus,
and support's admin of messages, attempts and events."""
