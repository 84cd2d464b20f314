"""`python manage.py smtpd`: the SMTP submission server (the Procfile's `smtp`)."""

import asyncio
import logging
import signal
from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError

from sending.smtp.submission.server import SubmissionServer
from sending.smtp.submission.tls import server_context


class Command(BaseCommand):
    help = (
        "Run the SMTP submission server: STARTTLS and implicit-TLS ports, AUTH with a "
        "sender address and its SMTP password (settings SES_SMTPD_*)."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--bind", default=None, help="address to listen on (SES_SMTPD_BIND)")
        parser.add_argument(
            "--starttls-port", type=int, default=None, help="SES_SMTPD_STARTTLS_PORT"
        )
        parser.add_argument("--tls-port", type=int, default=None, help="SES_SMTPD_TLS_PORT")

    def handle(
        self,
        *args: Any,
        bind: str | None,
        starttls_port: int | None,
        tls_port: int | None,
        **options: Any,
    ) -> None:
        if not logging.getLogger().isEnabledFor(logging.DEBUG):
            # aiosmtpd logs every command, addresses included, at INFO.
            logging.getLogger("mail.log").setLevel(logging.WARNING)
        try:
            context = server_context()
        except ImproperlyConfigured as error:
            raise CommandError(str(error)) from error
        server = SubmissionServer(
            context,
            bind=bind if bind is not None else settings.SES_SMTPD_BIND,
            starttls_port=settings.SES_SMTPD_STARTTLS_PORT
            if starttls_port is None
            else starttls_port,
            tls_port=settings.SES_SMTPD_TLS_PORT if tls_port is None else tls_port,
        )
        try:
            asyncio.run(self.serve(server))
        except OSError as error:  # the port is taken, the address is not ours
            raise CommandError(f"The SMTP server cannot listen: {error}") from error

    async def serve(self, server: SubmissionServer) -> None:
        await server.start()
        self.stdout.write(
            f"SMTP submission for {server.config.hostname} on {server.bind}: "
            f"STARTTLS port {server.starttls_port}, implicit TLS port {server.tls_port}",
        )
        self.stdout.flush()
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        await stop.wait()
        self.stdout.write("SMTP submission: stopping (messages being accepted finish first)")
        await server.stop()
