"""SMTP sessions kept open briefly between batches, as MTAs cache connections.

While mail arrives steadily, each task may find only a few messages for a
destination; reconnecting (TCP, EHLO, STARTTLS) for each would cost more than
the messages. A session that finishes a batch waits here for up to
SES_SMTP_CONNECTION_CACHE_SECONDS (0 turns this off) and is checked with NOOP
before it is used again. The cache is per worker process.
"""

import contextlib
import smtplib
import time
from collections.abc import Hashable

from django.conf import settings

from sending.smtp.client import SmtpSession

# What makes two sessions interchangeable (the engine's: host, address, port, TLS, AUTH).
Key = tuple[Hashable, ...]

_cache: dict[Key, tuple[SmtpSession, float]] = {}


def _limit() -> float:
    return settings.SES_SMTP_CONNECTION_CACHE_SECONDS


def take(key: Key) -> SmtpSession | None:
    """A live cached session for `key`, or None."""
    expire()
    entry = _cache.pop(key, None)
    if entry is None:
        return None
    session, _ = entry
    if session.alive():
        return session
    session.close()
    return None


def put(key: Key, session: SmtpSession) -> None:
    """Keep `session` for the next batch, or end it when caching is off or it is closed."""
    old = _cache.pop(key, None)
    if old is not None:
        _quit(old[0])
    if _limit() <= 0 or session.smtp is None:
        _quit(session)
        return
    _cache[key] = (session, time.monotonic())


def expire(now: float | None = None) -> None:
    now = time.monotonic() if now is None else now
    for key, (session, since) in list(_cache.items()):
        if now - since > _limit():
            del _cache[key]
            _quit(session)


def clear() -> None:
    while _cache:
        _quit(_cache.popitem()[1][0])


def _quit(session: SmtpSession) -> None:
    with contextlib.suppress(OSError, smtplib.SMTPException):
        session.__exit__(None, None, None)
