"""Accounts: the tenant (Account and its limits), people and their roles, invitations,
sign-in, and the API keys that are the API's credentials."""
