"""The web process's application: Django over ASGI (the Procfile's `web`).

Served by gunicorn with uvicorn workers, every request is read by an event loop
and reaches Django only once its headers are complete, so a client that sends
slowly, stalls half-way or never reads its answer holds a socket, not a worker.
"""

import os
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sesconsole.settings")
# Django runs each ASGI request in a thread of its own, where a persistent
# database connection would be left behind: this process takes them from a pool.
os.environ.setdefault("SES_DB_POOL", "1")

from django.conf import settings
from django.core.asgi import get_asgi_application

Message = Mapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[Any]]
App = Callable[[dict[str, Any], Receive, Send], Awaitable[None]]


class BodyLimit:
    """Hand Django at most `max_body` + 1 bytes of a request body.

    Django's ASGI handler reads the whole body into a temporary file before any
    view runs (under WSGI the API read it from the stream and stopped at the
    limit), so an endless body would fill the disk and one merely announced
    would keep the client waiting for nothing. With what it gets, the API
    answers RequestSizeLimitExceeded as before; the connection is then closed
    rather than read to the end of the body.
    """

    def __init__(self, app: App, max_body: int) -> None:
        self.app = app
        self.max_body = max_body

    async def __call__(self, scope: dict[str, Any], receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        remaining = self.max_body + 1
        # The API refuses a declared length over the limit without reading
        # anything, so nothing is waited for.
        refuse_unread = declared_length(scope["headers"]) > self.max_body
        cut = False

        async def limited_receive() -> Message:
            nonlocal remaining, cut, refuse_unread
            if refuse_unread:
                refuse_unread, cut = False, True
                return {"type": "http.request", "body": b"", "more_body": False}
            while True:
                message = await receive()
                if message["type"] != "http.request":
                    return message
                if cut:
                    # Past the body, Django expects nothing but a disconnect.
                    continue
                body = message.get("body", b"")[:remaining]
                remaining -= len(body)
                more = message.get("more_body", False)
                if more and remaining == 0:
                    cut, more = True, False
                return {**message, "body": body, "more_body": more}

        async def closing_send(message: Message) -> None:
            if cut and message["type"] == "http.response.start":
                kept = [(n, v) for n, v in message.get("headers", []) if n.lower() != b"connection"]
                message = {**message, "headers": [*kept, (b"connection", b"close")]}
            await send(message)

        await self.app(scope, limited_receive, closing_send)


def declared_length(headers: Iterable[tuple[bytes, bytes]]) -> int:
    for name, value in headers:
        if name.lower() == b"content-length":
            try:
                return int(value)
            except ValueError:
                return 0
    return 0


application = BodyLimit(get_asgi_application(), max_body=settings.SES_API_MAX_BODY)
