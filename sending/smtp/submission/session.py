"""One client connection of the submission server: aiosmtpd's session with this server's
rules (SubmissionSMTP) and what each command means here (SubmissionHandler).

- On the STARTTLS port nothing but EHLO, STARTTLS, NOOP and QUIT is accepted before
  TLS (530 5.7.0); the implicit-TLS port is TLS from the first byte (RFC 8314), and
  counts as such for AUTH, which aiosmtpd would otherwise offer only after STARTTLS.
- AUTH PLAIN and LOGIN, under TLS only; MAIL, RCPT and DATA need it (530 5.7.0).
- MAIL FROM must be the authenticated sender address (550 5.7.1); source routes and
  % or ! relaying are refused (553 5.1.3); at most 90 recipients (452 4.5.3).
- DATA: the 250 comes only once sending.acceptance.service.accept has committed the
  Message and its Deliveries, and gives the MessageId.
- Per session: commands (421), an idle timeout and a total one (421 4.4.2), failed
  logins (421).

Database work (logins, accepting mail) runs in the server's thread pool, off the
event loop, each call with fresh connections (django.db.close_old_connections).
"""

import asyncio
import base64
import logging
import ssl
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial, wraps
from typing import TYPE_CHECKING, Any, AnyStr, TypeVar, cast

# aiosmtpd internals (pinned in pyproject.toml): SubmissionSMTP overrides SMTP's private
# _handle_client and _timeout_cb, wraps its _smtp_methods, reads its _reader and calls
# its _reset_timeout.
from aiosmtpd.smtp import SMTP, Envelope, Session, syntax
from django.db import close_old_connections

from domains import smtp_auth
from sending.acceptance.parse import RECIPIENT_LIMITS, address
from sending.smtp.submission import replies
from sending.smtp.submission.addresses import path_problem
from sending.smtp.submission.message import Refused, submit
from sesconsole.refusals import Refusal

if TYPE_CHECKING:
    from sending.smtp.submission.server import Config, Connections

log = logging.getLogger("sending.smtp")
T = TypeVar("T")
Command = Callable[[str], Awaitable[None]]

MAX_RECIPIENTS = sum(limit for _, limit in RECIPIENT_LIMITS)
MECHANISMS = ("PLAIN", "LOGIN")


def _in_thread(func: Callable[..., T], *args: Any) -> T:
    close_old_connections()
    try:
        return func(*args)
    finally:
        close_old_connections()


class SubmissionHandler:
    """aiosmtpd hooks: what each command means here."""

    def __init__(self, executor: ThreadPoolExecutor) -> None:
        self.executor = executor

    async def db(self, func: Callable[..., T], *args: Any) -> T:
        """`func(*args)` in the database threads."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.executor, partial(_in_thread, func, *args))

    async def handle_EHLO(
        self,
        server: "SubmissionSMTP",
        session: Session,
        envelope: Envelope,
        hostname: str,
        responses: list[str],
    ) -> list[str]:
        session.host_name = hostname
        lines = [line[4:] for line in responses[1:-1] if not line[4:].startswith("AUTH ")]
        lines.append("ENHANCEDSTATUSCODES")
        if server.secure:
            lines.append("AUTH " + " ".join(MECHANISMS))
        lines = [responses[0][4:], *lines, "HELP"]
        return [f"250-{line}" for line in lines[:-1]] + [f"250 {lines[-1]}"]

    async def handle_MAIL(
        self,
        server: "SubmissionSMTP",
        session: Session,
        envelope: Envelope,
        mail_from: str,
        mail_options: list[str],
    ) -> str:
        login = _logged_in(session)
        try:
            normal = address(mail_from, "MAIL FROM")
        except Refusal as error:
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

    async def handle_RCPT(
        self,
        server: "SubmissionSMTP",
        session: Session,
        envelope: Envelope,
        rcpt_to: str,
        rcpt_options: list[str],
    ) -> str:
        try:
            normal = address(rcpt_to, "RCPT TO")
        except Refusal as error:
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

    async def handle_DATA(
        self, server: "SubmissionSMTP", session: Session, envelope: Envelope
    ) -> str:
        login = _logged_in(session)
        server.busy = True
        try:
            message = await self.db(
                submit, login, list(envelope.rcpt_tos), envelope.original_content
            )
        except Refused as refusal:
            log.info("refused from %s (%s): %s", login.email, server.peer_ip, refusal.reply)
            return refusal.reply
        except Refusal as error:
            log.info("refused from %s (%s): %s", login.email, server.peer_ip, error)
            return replies.for_refusal(error)
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

    async def check_login(self, ip: str, username: str, password: str) -> smtp_auth.Login | None:
        return await self.db(smtp_auth.authenticate, username, password, ip)

    async def handle_exception(self, error: Exception) -> str:
        log.exception("SMTP session error", exc_info=error)
        return replies.LOCAL_ERROR


def _logged_in(session: Session) -> smtp_auth.Login:
    """Who the session is authenticated as: MAIL and DATA come only after AUTH (auth_required)."""
    # aiosmtpd types auth_data as None: it holds whatever the server stored (_log_in).
    return cast(smtp_auth.Login, session.auth_data)


class SubmissionSMTP(SMTP):
    """One client connection: aiosmtpd's session with this server's rules and limits."""

    # Narrower than aiosmtpd declares them: it makes the session and the envelope in
    # connection_made, before any command, and never unsets them; a stream's transport
    # is a Transport (None once the connection is lost).
    session: Session
    envelope: Envelope
    transport: asyncio.Transport | None
    event_handler: SubmissionHandler

    def __init__(
        self,
        handler: SubmissionHandler,
        *,
        config: "Config",
        connections: "Connections",
        tls_context: ssl.SSLContext | None,
        implicit_tls: bool,
        loop: asyncio.AbstractEventLoop,
    ) -> None:
        self.config = config
        self.connections = connections
        self.implicit_tls = implicit_tls
        self.busy = False  # a message is being accepted: its reply must get out
        self.peer_ip = "?"
        self._admitted = False
        self._in_data = False
        self._commands = 0
        self._auth_failures = 0
        self._session_timer: asyncio.TimerHandle | None = None
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

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        if self.implicit_tls and self.session.ssl is None:
            self.session.ssl = {
                "ssl_object": transport.get_extra_info("ssl_object"),
                "cipher": transport.get_extra_info("cipher"),
            }

    async def _handle_client(self) -> None:
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

    def connection_lost(self, error: Exception | None) -> None:
        if self._admitted:
            self._admitted = False
            self.connections.release(self, self.peer_ip)
        if self._session_timer is not None:
            self._session_timer.cancel()
        super().connection_lost(error)

    def data_received(self, data: bytes) -> None:
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

    def _timeout_cb(self) -> None:
        if self.busy:
            self._reset_timeout()
            return
        log.info("%s idle for %ss: closing", self.peer_ip, self.config.idle_timeout)
        self._say_and_close(f"421 4.4.2 {self.hostname} Idle for too long; closing the connection")

    def _session_expired(self) -> None:
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

    async def push(self, status: AnyStr) -> None:
        if isinstance(status, str):
            status = replies.rewrite(status, self._size_replies)
        await super().push(status)

    def _counted(self, method: Command) -> Command:
        @wraps(method)
        async def counted(arg: str) -> None:
            self._commands += 1
            if self._commands > self.config.max_commands:
                log.info("%s sent too many commands: closing", self.peer_ip)
                await self.push("421 4.7.0 Too many commands in one session; reconnect to go on")
                if self.transport is not None:
                    self.transport.close()
                return None
            return await method(arg)

        return counted

    @syntax("MAIL FROM: <address>", extended=" [SP <mail-parameters>]")
    async def smtp_MAIL(self, arg: str | None) -> None:
        if await self.check_helo_needed() or await self.check_auth_needed("MAIL"):
            return
        problem = path_problem(arg, "FROM:")
        if problem:
            await self.push(problem)
            return
        await super().smtp_MAIL(arg)

    @syntax("RCPT TO: <address>", extended=" [SP <mail-parameters>]")
    async def smtp_RCPT(self, arg: str | None) -> None:
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
    async def smtp_STARTTLS(self, arg: str) -> None:
        if self.secure:  # aiosmtpd would start TLS inside TLS
            await self.push("503 5.5.1 TLS is already active")
            return
        await super().smtp_STARTTLS(arg)

    @syntax("DATA")
    async def smtp_DATA(self, arg: str) -> None:
        self._in_data = True
        try:
            await super().smtp_DATA(arg)
        finally:
            self._in_data = False

    # --- AUTH -------------------------------------------------------------------

    @syntax("AUTH <mechanism>")
    async def smtp_AUTH(self, arg: str) -> None:
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
        await self._log_in(*credentials)

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

    async def _read_plain(self, initial: str | None) -> tuple[bytes, bytes] | None:
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

    async def _read_login(self, initial: str | None) -> tuple[bytes, bytes] | None:
        username = await self._response(initial, b"VXNlcm5hbWU6")  # "Username:"
        if username is None:
            return None
        password = await self._response(None, b"UGFzc3dvcmQ6")  # "Password:"
        if password is None:
            return None
        return username, password

    # Not aiosmtpd's _authenticate, which its auth_PLAIN and auth_LOGIN call for an AuthResult.
    async def _log_in(self, username: bytes, password: bytes) -> None:
        user = username.decode("utf-8", "replace")
        try:
            login = await self.event_handler.check_login(
                self.peer_ip, user, password.decode("utf-8", "replace")
            )
        except smtp_auth.TooManyFailures:
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
                if self.transport is not None:
                    self.transport.close()
                return
            await self.push("535 5.7.8 Authentication credentials invalid")
            return
        self.session.authenticated = True
        self.session.auth_data = login  # type: ignore[assignment]  # see _logged_in
        log.info("%s logged in as %s", self.peer_ip, login.email)
        await self.push("235 2.7.0 Authentication successful")
