"""Suppression: the platform blocklist of hard bounces, each account's own blocklist and
its unsubscribed recipients, with their rules, lookups, API actions and pages."""
