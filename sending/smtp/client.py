"""A small blocking SMTP client on smtplib, for the delivery worker.

    with SmtpSession("mx1.example.com", "192.0.2.1", 25, helo_name="out.example.net") as s:
        result = s.send("bounce@ours", ["a@example.com"], message_bytes)
        result.outcomes  # {"a@example.com": Outcome(DeliveryStatus.DELIVERED, ...)}

Opening a session raises SessionError (with an Outcome) when the host cannot be
used: no connection, no greeting, TLS required but missing, AUTH refused. After
that, send() never raises: every failure lands in its SendResult, and network
failures are "deferred" (the server may or may not hold the message; RFC 5321
section 4.1.1.4 says retry, accepting the rare duplicate).
"""

from __future__ import annotations

import contextlib
import re
import smtplib
import socket
import ssl
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings

from sending.models.vocab import AttemptCategory
from sending.smtp.status import Outcome, classify, deferred, parse_reply

__all__ = ["Outcome", "SendResult", "SessionError", "SmtpSession", "classify", "parse_reply"]


class SessionError(Exception):
    def __init__(self, outcome: Outcome):
        super().__init__(f"{outcome.code or ''} {outcome.enhanced} {outcome.text}".strip())
        self.outcome = outcome


@dataclass
class SendResult:
    server_ip: str
    tls_version: str | None
    recipients: list[str] = field(default_factory=list)
    accepted: list[str] = field(default_factory=list)
    refused: dict[str, tuple[int, str, str]] = field(default_factory=dict)  # rcpt: reply
    data_reply: tuple[int, str] | None = None
    error: Outcome | None = None  # the whole transaction failed (MAIL, DATA, network)

    @property
    def outcomes(self) -> dict[str, Outcome]:
        """Every recipient's outcome: its RCPT refusal, else the transaction's end."""
        result: dict[str, Outcome] = {}
        for rcpt in self.recipients:
            if rcpt in self.refused:
                result[rcpt] = classify(*self.refused[rcpt])
            elif self.error is not None:
                result[rcpt] = self.error
            elif self.data_reply:
                code, text = self.data_reply
                result[rcpt] = classify(code, *parse_reply(text, code))
        return result


def _decode(reply: bytes | str) -> str:
    if isinstance(reply, bytes):
        reply = reply.decode("utf-8", errors="replace")
    return " ".join(reply.split("\n")).strip()


def _reply(code: int, reply: bytes | str) -> tuple[int, str, str]:
    return (code, *parse_reply(_decode(reply), code))


def tls_context(verify: bool) -> ssl.SSLContext:
    context = ssl.create_default_context()
    if not verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


class _SMTP(smtplib.SMTP):
    """smtplib connecting to an IP while TLS (SNI, verification) uses the host name."""

    _host: str  # smtplib's own (connect sets it): the server_hostname of STARTTLS

    def __init__(
        self, tls_hostname: str | None, implicit: ssl.SSLContext | None, **kwargs: Any
    ) -> None:
        self.tls_hostname, self.implicit = tls_hostname, implicit
        super().__init__(**kwargs)

    # smtplib internal: SMTP.connect opens its socket through _get_socket.
    def _get_socket(self, host: str, port: int, timeout: float) -> socket.socket:
        sock = socket.create_connection((host, port), timeout, self.source_address)
        if self.implicit:
            return self.implicit.wrap_socket(sock, server_hostname=self.tls_hostname)
        return sock


class SmtpSession:
    def __init__(
        self,
        host: str,
        ip: str,
        port: int,
        *,
        helo_name: str | None = None,
        tls: str = "starttls",
        tls_required: bool = False,
        tls_verify: bool = False,
        auth: tuple[str, str] | None = None,
        auth_without_tls: bool = False,
        timeout: float | None = None,
        data_timeout: float | None = None,
        source_address: tuple[str, int] | None = None,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        # "none" skips STARTTLS: the retry after an opportunistic STARTTLS failed, as MTAs do.
        if tls not in ("starttls", "implicit", "none"):
            raise ValueError(f"tls must be 'starttls', 'implicit' or 'none', not {tls!r}")
        self.host, self.ip, self.port = host, ip, port
        self.helo_name = helo_name or settings.SES_HELO_NAME
        self.tls, self.tls_required, self.auth = tls, tls_required, auth
        self.auth_without_tls = auth_without_tls
        self.timeout = float(timeout or settings.SES_SMTP_TIMEOUT)
        self.data_timeout = float(data_timeout or settings.SES_SMTP_DATA_TIMEOUT)
        self.source_address = source_address
        self.context = ssl_context or tls_context(tls_verify)
        # TLS 1.2 at least, even on a given context (MINIMUM_SUPPORTED is -2, MAXIMUM -1).
        if 0 < self.context.minimum_version < 771 or self.context.minimum_version == -2:
            self.context.minimum_version = ssl.TLSVersion.TLSv1_2
        self.tls_version: str | None = None
        self.smtp: _SMTP | None = None
        self._sent = 0

    def __enter__(self) -> SmtpSession:
        try:
            self._open()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        if self.smtp is not None:
            with contextlib.suppress(OSError, smtplib.SMTPException):
                self.smtp.quit()
        self.close()

    def close(self) -> None:
        if self.smtp is not None:
            self.smtp.close()
            self.smtp = None

    def _open(self) -> None:
        implicit = self.context if self.tls == "implicit" else None
        smtp = self.smtp = _SMTP(
            self.host or None, implicit, timeout=self.timeout, source_address=self.source_address
        )
        try:
            code, text = smtp.connect(self.ip, self.port)
        except ssl.SSLError as error:
            raise SessionError(
                deferred(AttemptCategory.TLS, "4.7.0", f"TLS handshake: {error}")
            ) from None
        except (OSError, smtplib.SMTPException) as error:
            raise SessionError(
                deferred(AttemptCategory.CONNECTION, "4.4.1", f"connect: {error}")
            ) from None
        smtp._host = self.host or self.ip  # STARTTLS's server_hostname
        try:
            if code != 220:  # a 554 greeting: this host will not take mail
                raise SessionError(classify(*_reply(code, text)))
            self._ehlo(smtp)
            if self.tls == "starttls" and smtp.has_extn("starttls"):
                try:
                    smtp.starttls(context=self.context)
                except (OSError, smtplib.SMTPException) as error:
                    # A failed handshake often shows only as a reset: still a TLS failure,
                    # which the caller may retry in plaintext.
                    raise SessionError(
                        deferred(AttemptCategory.TLS, "4.7.0", f"STARTTLS: {error}")
                    ) from None
                self._ehlo(smtp)  # RFC 3207: capabilities must be asked again over TLS
            if isinstance(smtp.sock, ssl.SSLSocket):
                self.tls_version = smtp.sock.version()
            elif self.tls_required:
                raise SessionError(
                    deferred(AttemptCategory.TLS, "4.7.4", "TLS required but not offered")
                )
            if self.auth:
                self._login(smtp, self.auth)
        except smtplib.SMTPResponseException as error:
            raise SessionError(classify(*_reply(error.smtp_code, error.smtp_error))) from None
        except (OSError, smtplib.SMTPException) as error:
            raise SessionError(deferred(AttemptCategory.CONNECTION, "4.4.2", str(error))) from None

    def _ehlo(self, smtp: _SMTP) -> None:
        code, text = smtp.ehlo(self.helo_name)
        if code != 250:  # RFC 5321 4.1.4: fall back to HELO
            code, text = smtp.helo(self.helo_name)
            if code != 250:
                raise SessionError(classify(*_reply(code, text)))

    def _login(self, smtp: _SMTP, auth: tuple[str, str]) -> None:
        if self.tls_version is None and not self.auth_without_tls:
            raise SessionError(deferred(AttemptCategory.AUTH, "4.7.0", "refusing AUTH without TLS"))
        if not smtp.has_extn("auth"):
            raise SessionError(
                deferred(AttemptCategory.AUTH, "4.7.0", "server does not offer AUTH")
            )
        try:
            smtp.login(*auth)
        except smtplib.SMTPAuthenticationError as error:
            # Our credentials are wrong, not the message: hold mail until they are fixed.
            code, enhanced, text = _reply(error.smtp_code, error.smtp_error)
            raise SessionError(deferred(AttemptCategory.AUTH, enhanced, text, code)) from None

    def alive(self) -> bool:
        """Whether the session still answers (NOOP), for reuse after a pause."""
        if self.smtp is None:
            return False
        try:
            return self.smtp.noop()[0] == 250
        except (OSError, smtplib.SMTPException):
            self.close()
            return False

    def send(self, mail_from: str, recipients: list[str], message: bytes) -> SendResult:
        result = SendResult(self.ip, self.tls_version, list(recipients))
        if self.smtp is None:
            result.error = deferred(AttemptCategory.CONNECTION, "4.4.2", "session is closed")
            return result
        smtp = self.smtp
        # RFC 5321 2.3.8: lines end in CRLF on the wire; smtplib sends bytes as given.
        message = re.sub(rb"\r?\n", b"\r\n", message)
        options = []
        if smtp.has_extn("size"):
            options.append(f"SIZE={len(message)}")
        if smtp.has_extn("8bitmime") and not message.isascii():
            options.append("BODY=8BITMIME")
        if not (mail_from + "".join(recipients)).isascii():
            if not smtp.has_extn("smtputf8"):
                result.error = classify(553, "5.6.7", "SMTPUTF8 needed, not offered (RFC 6531)")
                return result
            options.append("SMTPUTF8")
        try:
            if self._sent:
                smtp.rset()  # RFC 5321 4.1.1.5: a clean transaction on a reused session
            self._sent += 1
            code, text = smtp.mail(mail_from, options)
            if code != 250:
                result.error = classify(*_reply(code, text))
                return self._reset(smtp, result)
            for rcpt in recipients:
                code, text = smtp.rcpt(rcpt)
                if code in (250, 251):
                    result.accepted.append(rcpt)
                else:
                    result.refused[rcpt] = _reply(code, text)
            if not result.accepted:
                return self._reset(smtp, result)
            code, text = self._data(smtp, message)
            result.data_reply = (code, _decode(text))
            if code == 421:  # the server is closing the channel (RFC 5321 3.8)
                self.close()
        except smtplib.SMTPDataError as error:  # DATA itself refused (not 354)
            result.error = classify(*_reply(error.smtp_code, error.smtp_error))
            if error.smtp_code == 421:
                self.close()
        except (OSError, smtplib.SMTPException) as error:
            result.error = deferred(
                AttemptCategory.CONNECTION, "4.4.2", f"connection lost: {error}"
            )
            self.close()
        return result

    def _data(self, smtp: _SMTP, message: bytes) -> tuple[int, bytes]:
        """DATA, allowing the reply to the final dot its own (longer) timeout."""
        sock = smtp.sock
        try:
            if sock is not None:
                sock.settimeout(max(self.timeout, self.data_timeout))
            return smtp.data(message)
        finally:
            if self.smtp is not None and self.smtp.sock is not None:
                self.smtp.sock.settimeout(self.timeout)

    def _reset(self, smtp: _SMTP, result: SendResult) -> SendResult:
        """RSET after a failed transaction; a server gone by then only ends the session."""
        try:
            smtp.rset()
        except (OSError, smtplib.SMTPException):
            self.close()
        return result
