"""Acceptance: one send (API, console or SMTP) checked against every rule and limit, then
written durably as a Message with a Delivery per recipient (service.accept)."""
