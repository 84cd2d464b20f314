"""Fixtures for the API tests."""

import json

import pytest

from .helpers import envelope, tc3_headers


@pytest.fixture
def call_api(client, api_key):
    """Sign and send one API request through the Django test client.

    `params` is JSON-encoded unless a raw `body` is given; `headers` replaces
    the signed headers entirely; other keywords go to tc3_headers.
    """
    key, secret = api_key

    def call(
        action="ListEmailTemplates",
        params=None,
        *,
        body=None,
        method="POST",
        query="",
        headers=None,
        secret_id=None,
        secret_key=None,
        **sign,
    ):
        if body is None:
            body = b"" if method == "GET" else json.dumps(params or {}).encode()
        if headers is None:
            headers = tc3_headers(
                secret_id or key.secret_id,
                secret_key or secret,
                method=method,
                body=body,
                query=query,
                action=action,
                **sign,
            )
        path = f"/?{query}" if query else "/"
        return envelope(client.generic(method, path, data=body, headers=headers))

    return call
