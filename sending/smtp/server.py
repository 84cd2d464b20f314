"""The submission server: aiosmtpd sessions on a STARTTLS port and an implicit-TLS port.

Every session:
- On the STARTTLS port nothing but EHLO, STARTTLS, NOOP and QUIT is accepted before
  TLS (530 5.7.0); the implicit-TLS port is TLS from the first byte (RFC 8314), and
  counts as such for AUTH, which aiosmtpd would otherwise offer only after STARTTLS.
- AUTH PLAIN and LOGIN, under TLS only; MAIL, RCPT and DATA need it (530 5.7.0).
- MAIL FROM must be the authenticated sender address (550 5.7.1); source routes and
  % or ! relaying are refused (553 5.1.3); at most 90 recipients (452 4.5.3).
- DATA: at most 4 MB (SIZE, 552 5.3.4), lines of at most 998 characters. The 250
  comes only once sending.service.accept has committed the Message and its
  Deliveries, and gives the MessageId; refusals are sending.smtp.replies'.
- Limits of the server itself: connections per client address and in all (421),
  commands per session (421), an idle timeout (no command, or no data inside DATA)
  and a total one (421 4.4.2), failed logins per session (421), per address and
  per user name (454, sending.smtp.auth). A client that goes away, even in the
  middle of DATA, leaves nothing behind: a message is accepted whole or not at all.

Database work (logins, accepting mail) runs in a small thread pool, off the event
loop, each call with fresh connections (django.db.close_old_connections).
"""

import asyncio
import base64
import logging
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial, wraps

from aiosmtpd.smtp import SMTP, syntax
from django.conf import settings
from django.db import close_old_connections

from sesconsole.api.errors import ApiError

from ..requests import MAX_EMAIL_BYTES, RECIPIENT_LIMITS, address
from . import auth, replies
from .addresses import path_problem
from .submission import Refused, submit

log = logging.getLogger("sending.smtp")

MAX_RECIPIENTS = sum(limit for _, limit in RECIPIENT_LIMITS)
MECHANISMS = ("PLAIN", "LOGIN")


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
    def from_settings(cls, **overrides) -> "Config":
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

    def __init__(self, config: Config):
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


def _in_thread(func, *args):
    close_old_connections()
    try:
        return func(*args)
    finally:
        close_old_connections()


class SubmissionHandler:
    """aiosmtpd hooks: what each command means here."""

    def __init__(self, executor: ThreadPoolExecutor):
        self.executor = executor

    async def db(self, func, *args):
        """`func(*args)` in the database threads."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.executor, partial(_in_thread, func, *args))

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname
        lines = [line[4:] for line in responses[1:-1] if not line[4:].startswith("AUTH ")]
        lines.append("ENHANCEDSTATUSCODES")
        if server.secure:
            lines.append("AUTH " + " ".join(MECHANISMS))
        lines = [responses[0][4:], *lines, "HELP"]
        return [f"250-{line}" for line in lines[:-1]] + [f"250 {lines[-1]}"]

    async def handle_MAIL(self, server, session, envelope, mail_from, mail_options):
        login: auth.Login = session.auth_data
        try:
            normal = address(mail_from, "MAIL FROM")
        except ApiError as error:
            return replies.reply(553, "5.1.3", error.message)
        if normal.lower() != login.email.lower():
            return replies.reply(
                550,
                "5.7.1",
                f"You are authenticated as {login.email}: MAIL FROM must be that address, "
                f"not <{mail_from[:100]}>",
            )
        if not login.domain_verified:
            host = login.email.rpartition("@")[2]
            return replies.reply(
                550, "5.7.1", f"The domain {host} is not verified, so {login.email} cannot send"
            )
        envelope.mail_from = normal
        envelope.mail_options.extend(mail_options)
        return "250 2.1.0 Sender OK"

    async def handle_RCPT(self, server, session, envelope, rcpt_to, rcpt_options):
        try:
            normal = address(rcpt_to, "RCPT TO")
        except ApiError as error:
            return replies.reply(553, "5.1.3", error.message)
        if normal.lower() in (r.lower() for r in envelope.rcpt_tos):
            return "250 2.1.5 Recipient OK (given before)"
        if len(envelope.rcpt_tos) >= MAX_RECIPIENTS:
            limits = ", ".join(f"{limit} {field}" for field, limit in RECIPIENT_LIMITS)
            return replies.reply(
                452,
                "4.5.3",
                f"Too many recipients: at most {MAX_RECIPIENTS} a message ({limits}); "
                "send to the others in another message",
            )
        envelope.rcpt_tos.append(normal)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 2.1.5 Recipient OK"

    async def handle_DATA(self, server, session, envelope):
        login: auth.Login = session.auth_data
        server.busy = True
        try:
            message = await self.db(
                submit, login, list(envelope.rcpt_tos), envelope.original_content
            )
        except Refused as refusal:
            log.info("refused from %s (%s): %s", login.email, server.peer_ip, refusal.reply)
            return refusal.reply
        except ApiError as error:
            log.info("refused from %s (%s): %s", login.email, server.peer_ip, error)
            return replies.for_api_error(error)
        except Exception:
            log.exception("accepting a message from %s failed", login.email)
            return replies.LOCAL_ERROR
        finally:
            server.busy = False
        log.info(
            "accepted %s from %s (%s) for %d recipients",
            message.message_id,
            login.email,
            server.peer_ip,
            len(envelope.rcpt_tos),
        )
        return f"250 2.0.0 Ok: queued as {message.message_id}"

    async def check_login(self, ip: str, username: str, password: str):
        return await self.db(auth.authenticate, username, password, ip)

    async def handle_exception(self, error):
        log.exception("SMTP session error", exc_info=error)
        return replies.LOCAL_ERROR


class SubmissionSMTP(SMTP):
    """One client connection: aiosmtpd's session with this server's rules and limits."""

    def __init__(self, handler, *, config, connections, tls_context, implicit_tls, loop):
        self.config = config
        self.connections = connections
        self.implicit_tls = implicit_tls
        self.busy = False  # a message is being accepted: its reply must get out
        self.peer_ip = "?"
        self._admitted = False
        self._in_data = False
        self._commands = 0
        self._auth_failures = 0
        self._session_timer = None
        self._size_replies = replies.size_replies(config.max_message_bytes)
        super().__init__(
            handler,
            hostname=config.hostname,
            ident="sesconsole ESMTP submission",
            tls_context=None if implicit_tls else tls_context,
            require_starttls=not implicit_tls,
            auth_required=True,
            auth_require_tls=True,
            data_size_limit=config.max_message_bytes,
            timeout=config.idle_timeout,
            loop=loop,
        )
        for name, method in list(self._smtp_methods.items()):
            self._smtp_methods[name] = self._counted(method)

    @property
    def secure(self) -> bool:
        return self.session is not None and self.session.ssl is not None

    # --- connection life -------------------------------------------------------

    def connection_made(self, transport):
        super().connection_made(transport)
        if self.implicit_tls and self.session.ssl is None:
            self.session.ssl = {
                "ssl_object": transport.get_extra_info("ssl_object"),
                "cipher": transport.get_extra_info("cipher"),
            }

    async def _handle_client(self):
        peer = self.session.peer
        self.peer_ip = peer[0] if isinstance(peer, tuple) else str(peer)
        refusal = self.connections.admit(self, self.peer_ip)
        if refusal:
            log.warning("refused a connection from %s: %s", self.peer_ip, refusal)
            self._say_and_close(refusal)
            return
        self._admitted = True
        self._session_timer = self.loop.call_later(
            self.config.session_timeout, self._session_expired
        )
        await super()._handle_client()

    def connection_lost(self, error):
        if self._admitted:
            self._admitted = False
            self.connections.release(self, self.peer_ip)
        if self._session_timer is not None:
            self._session_timer.cancel()
        super().connection_lost(error)

    def data_received(self, data):
        if self._in_data:  # the idle timer counts silence, not the length of a message
            self._reset_timeout()
        super().data_received(data)

    def _say_and_close(self, line: str) -> None:
        if self.transport is None or self.transport.is_closing():
            return
        try:
            self.transport.write(line.encode("ascii") + b"\r\n")
        finally:
            self.transport.close()

    def _timeout_cb(self):
        if self.busy:
            self._reset_timeout()
            return
        log.info("%s idle for %ss: closing", self.peer_ip, self.config.idle_timeout)
        self._say_and_close(f"421 4.4.2 {self.hostname} Idle for too long; closing the connection")

    def _session_expired(self):
        if self.busy:
            self._session_timer = self.loop.call_later(1, self._session_expired)
            return
        log.info("%s session time limit reached: closing", self.peer_ip)
        self._say_and_close(
            f"421 4.4.2 {self.hostname} Session time limit reached; closing the connection"
        )

    def shut_down(self) -> None:
        self._say_and_close(f"421 4.3.2 {self.hostname} Shutting down; try again shortly")

    # --- replies and commands --------------------------------------------------

    async def push(self, status):
        if isinstance(status, str):
            status = replies.rewrite(status, self._size_replies)
        await super().push(status)

    def _counted(self, method):
        @wraps(method)
        async def counted(arg):
            self._commands += 1
            if self._commands > self.config.max_commands:
                log.info("%s sent too many commands: closing", self.peer_ip)
                await self.push("421 4.7.0 Too many commands in one session; reconnect to go on")
                self.transport.close()
                return None
            return await method(arg)

        return counted

    @syntax("MAIL FROM: <address>", extended=" [SP <mail-parameters>]")
    async def smtp_MAIL(self, arg):
        if await self.check_helo_needed() or await self.check_auth_needed("MAIL"):
            return
        problem = path_problem(arg, "FROM:")
        if problem:
            await self.push(problem)
            return
        await super().smtp_MAIL(arg)

    @syntax("RCPT TO: <address>", extended=" [SP <mail-parameters>]")
    async def smtp_RCPT(self, arg):
        if await self.check_helo_needed() or await self.check_auth_needed("RCPT"):
            return
        if not self.envelope.mail_from:
            await self.push("503 5.5.1 Need a MAIL command first")
            return
        problem = path_problem(arg, "TO:")
        if problem:
            await self.push(problem)
            return
        await super().smtp_RCPT(arg)

    @syntax("STARTTLS", when="tls_context")
    async def smtp_STARTTLS(self, arg):
        if self.secure:  # aiosmtpd would start TLS inside TLS
            await self.push("503 5.5.1 TLS is already active")
            return
        await super().smtp_STARTTLS(arg)

    @syntax("DATA")
    async def smtp_DATA(self, arg):
        self._in_data = True
        try:
            await super().smtp_DATA(arg)
        finally:
            self._in_data = False

    # --- AUTH -------------------------------------------------------------------

    @syntax("AUTH <mechanism>")
    async def smtp_AUTH(self, arg):
        if await self.check_helo_needed("EHLO"):
            return
        if not self.session.extended_smtp:
            await self.push("503 5.5.1 AUTH needs EHLO, not HELO")
            return
        if not self.secure:
            await self.push(
                "538 5.7.11 Encryption required: STARTTLS first, or use the implicit TLS port"
            )
            return
        if self.session.authenticated:
            await self.push("503 5.5.1 Already authenticated")
            return
        if self.envelope.mail_from:
            await self.push("503 5.5.1 AUTH is not allowed during a mail transaction")
            return
        args = (arg or "").split()
        if not args or len(args) > 2:
            await self.push("501 5.5.4 Syntax: AUTH PLAIN|LOGIN [initial-response]")
            return
        mechanism = args[0].upper()
        if mechanism not in MECHANISMS:
            await self.push("504 5.5.4 Unrecognized authentication type: use PLAIN or LOGIN")
            return
        reader = self._read_plain if mechanism == "PLAIN" else self._read_login
        credentials = await reader(args[1] if len(args) == 2 else None)
        if credentials is None:
            return  # the reply is out
        await self._authenticate(*credentials)

    async def _response(self, initial: str | None, challenge: bytes) -> bytes | None:
        """A base64 client response: the initial one, or the answer to a 334 challenge."""
        if initial is None:
            await self.push(b"334 " + challenge)
            try:
                line = await self._reader.readline()
            except ValueError:  # longer than a line may be
                await self.push("500 5.5.2 Line too long")
                return None
            initial = line.strip().decode("ascii", "replace")
            if initial == "*":
                await self.push("501 5.7.0 Authentication aborted")
                return None
        if initial == "=":
            return b""
        try:
            return base64.b64decode(initial, validate=True)
        except ValueError:
            await self.push("501 5.5.2 Cannot decode the base64 response")
            return None

    async def _read_plain(self, initial):
        response = await self._response(initial, b"")
        if response is None:
            return None
        parts = response.split(b"\x00")
        if len(parts) != 3:
            await self.push("501 5.5.2 PLAIN wants authzid NUL authcid NUL password")
            return None
        authzid, username, password = parts
        if authzid and authzid != username:
            await self.push("535 5.7.8 Logging in as another user is not supported")
            return None
        return username, password

    async def _read_login(self, initial):
        username = await self._response(initial, b"VXNlcm5hbWU6")  # "Username:"
        if username is None:
            return None
        password = await self._response(None, b"UGFzc3dvcmQ6")  # "Password:"
        if password is None:
            return None
        return username, password

    async def _authenticate(self, username: bytes, password: bytes) -> None:
        user = username.decode("utf-8", "replace")
        try:
            login = await self.event_handler.check_login(
                self.peer_ip, user, password.decode("utf-8", "replace")
            )
        except auth.TooManyFailures:
            log.warning("login as %r from %s refused: too many failures", user, self.peer_ip)
            await self.push(
                "454 4.7.0 Too many failed logins from your address or as this user; "
                "try again later"
            )
            return
        if login is None:
            self._auth_failures += 1
            log.info("failed login as %r from %s", user, self.peer_ip)
            if self._auth_failures >= self.config.auth_failures_per_session:
                await self.push("421 4.7.0 Too many failed logins; closing the connection")
                self.transport.close()
                return
            await self.push("535 5.7.8 Authentication credentials invalid")
            return
        self.session.authenticated = True
        self.session.auth_data = login
        log.info("%s logged in as %s", self.peer_ip, login.email)
        await self.push("235 2.7.0 Authentication successful")


class SubmissionServer:
    """Both listeners of one process and what they share."""

    def __init__(self, tls_context, *, bind, starttls_port, tls_port, config=None):
        self.tls_context = tls_context
        self.bind = bind
        self.starttls_port = starttls_port
        self.tls_port = tls_port
        self.config = config or Config.from_settings()
        self.connections = Connections(self.config)
        self._servers = []
        self.executor = None

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self.executor = ThreadPoolExecutor(self.config.db_threads, thread_name_prefix="smtpd-db")
        handler = SubmissionHandler(self.executor)

        def factory(implicit_tls):
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

    def __init__(self, server: SubmissionServer):
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
