"""Delivery: accepted Deliveries claimed by destination, built, signed and handed to
the recipients' servers (or the mailbox simulator), every outcome recorded.

- dispatch: which destinations have work; publishing after commit; the beat sweep
- claim:    taking due Deliveries with a conditional UPDATE, giving back stale ones
- outcomes: what one attempt's result does to a Delivery (events, retries, blocklist)
- engine:   one destination's due Deliveries over reused SMTP sessions
"""
