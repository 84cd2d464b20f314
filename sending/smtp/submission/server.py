"""The submission server: both listeners (a STARTTLS port and an implicit-TLS port) of
one process, the limits they share, and a threaded runner for tests and benchmarks.

- DATA: at most 4 MB (SIZE, 552 5.3.4), lines of at most 998 characters.
- Connections per client address and in all (421); what a session may do is
  sending.smtp.submission.session's, and failed logins per address and per user
  name are limited by domains.smtp_auth (454).
- A client that goes away, even in the middle of DATA, leaves nothing behind: a
  message is accepted whole or not at all.
"""

import asyncio
import ssl
import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from django.conf import settings

from sending.acceptance.parse import MAX_EMAIL_BYTES
from sending.smtp.submission.session import SubmissionHandler, SubmissionSMTP


@dataclass(frozen=True)
class Config:
    hostname: str
    max_connections: int
    max_connections_per_ip: int
    max_commands: int
    idle_timeout: float
    session_timeout: float
    auth_failures_per_session: int
    db_threads: int
    max_message_bytes: int = MAX_EMAIL_BYTES

    @classmethod
    def from_settings(cls, **overrides: Any) -> "Config":
        values = {
            "hostname": settings.SES_SMTPD_HOSTNAME,
            "max_connections": settings.SES_SMTPD_MAX_CONNECTIONS,
            "max_connections_per_ip": settings.SES_SMTPD_MAX_CONNECTIONS_PER_IP,
            "max_commands": settings.SES_SMTPD_MAX_COMMANDS,
            "idle_timeout": settings.SES_SMTPD_IDLE_TIMEOUT,
            "session_timeout": settings.SES_SMTPD_SESSION_TIMEOUT,
            "auth_failures_per_session": settings.SES_SMTPD_AUTH_FAILURES_PER_SESSION,
            "db_threads": settings.SES_SMTPD_DB_THREADS,
        }
        return cls(**{**values, **overrides})


class Connections:
    """The live sessions of both ports, counted per client address (one event loop)."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.per_ip: Counter[str] = Counter()
        self.sessions: set[SubmissionSMTP] = set()

    def admit(self, session: "SubmissionSMTP", ip: str) -> str | None:
        """None when the session may go on, else the reply that ends it."""
        if len(self.sessions) >= self.config.max_connections:
            return "421 4.7.0 Too many connections; try again later"
        if self.per_ip[ip] >= self.config.max_connections_per_ip:
            return f"421 4.7.0 Too many connections from {ip}; try again later"
        self.per_ip[ip] += 1
        self.sessions.add(session)
        return None

    def release(self, session: "SubmissionSMTP", ip: str) -> None:
        self.sessions.discard(session)
        self.per_ip[ip] -= 1
        if self.per_ip[ip] <= 0:
            del self.per_ip[ip]


class SubmissionServer:
    """Both listeners of one process and what they share."""

    def __init__(
        self,
        tls_context: ssl.SSLContext,
        *,
        bind: str,
        starttls_port: int,
        tls_port: int,
        config: Config | None = None,
    ) -> None:
        self.tls_context = tls_context
        self.bind = bind
        self.starttls_port = starttls_port
        self.tls_port = tls_port
        self.config = config or Config.from_settings()
        self.connections = Connections(self.config)
        self._servers: list[asyncio.Server] = []
        self.executor: ThreadPoolExecutor | None = None

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self.executor = ThreadPoolExecutor(self.config.db_threads, thread_name_prefix="smtpd-db")
        handler = SubmissionHandler(self.executor)

        def factory(implicit_tls: bool) -> Callable[[], SubmissionSMTP]:
            return lambda: SubmissionSMTP(
                handler,
                config=self.config,
                connections=self.connections,
                tls_context=self.tls_context,
                implicit_tls=implicit_tls,
                loop=loop,
            )

        starttls = await loop.create_server(factory(False), self.bind, self.starttls_port)
        self._servers.append(starttls)
        implicit = await loop.create_server(
            factory(True), self.bind, self.tls_port, ssl=self.tls_context, ssl_handshake_timeout=30
        )
        self._servers.append(implicit)
        self.starttls_port = starttls.sockets[0].getsockname()[1]
        self.tls_port = implicit.sockets[0].getsockname()[1]

    async def stop(self, grace: float = 30) -> None:
        """Stop listening, let messages being accepted get their reply, close the rest."""
        for server in self._servers:
            server.close()
        deadline = asyncio.get_running_loop().time() + grace
        while any(s.busy for s in self.connections.sessions):
            if asyncio.get_running_loop().time() > deadline:
                break
            await asyncio.sleep(0.05)
        for session in list(self.connections.sessions):
            session.shut_down()
        await asyncio.sleep(0)  # let connection_lost run
        if self.executor is not None:  # without blocking the loop on a late transaction
            await asyncio.to_thread(self.executor.shutdown, wait=True)


class ThreadedServer:
    """A SubmissionServer on its own event loop in a thread (tests, the benchmark)."""

    def __init__(self, server: SubmissionServer) -> None:
        self.server = server
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    def start(self) -> "ThreadedServer":
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self.server.start(), self.loop).result(30)
        return self

    def stop(self) -> None:
        try:
            asyncio.run_coroutine_threadsafe(self.server.stop(grace=10), self.loop).result(60)
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(30)
            self.loop.close()
