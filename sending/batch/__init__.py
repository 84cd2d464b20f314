"""Batch sending: recipient lists, send tasks, their expansion into Deliveries day by
day, the cache queue, and warm-up (see sending.models.batch for the rows)."""
