"""Delivery: due Deliveries claimed by destination, routed, sent over reused SMTP sessions
(or to the mailbox simulator), and every outcome recorded."""
