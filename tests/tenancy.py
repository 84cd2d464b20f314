"""Tenant isolation: another account's objects must look like missing ones.

Every issue that adds an object type calls `assert_isolated` with the URLs
that read or change one object of account A, using a client signed in as an
operator of account B. Each must answer 404 (never 403, which would confirm
the object exists) and must leave the object as it was.
"""

from django.test import Client


def assert_isolated(client: Client, requests, unchanged=None):
    """`requests`: (method, url) pairs, method "get" or "post".

    `unchanged`: a callable returning a snapshot of the object(s) under test;
    it is compared before and after all requests.
    """
    before = unchanged() if unchanged else None
    for method, url in requests:
        response = getattr(client, method)(url)
        assert response.status_code == 404, (
            f"{method.upper()} {url} answered {response.status_code} to another tenant"
        )
    if unchanged:
        assert unchanged() == before, "another tenant changed the object"
