"""Delivering one destination's due mail.

    deliver("example.com")  # -> how many Deliveries it finished

Claims the domain's due Deliveries in batches, routes the domain once per
batch, and sends each Delivery in its own transaction (its own VERP return
path) over one SMTP session reused for the whole batch. Each message is built
and DKIM-signed once, however many of its recipients are in the batch.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from django.conf import settings

from domains.models import SenderDomain
from sending.build import mime, verp
from sending.build.dkim.sign import Signer, SigningError
from sending.delivery import claim, connections, dispatch, routing, simulator
from sending.delivery.outcomes import Extra, Try, record
from sending.delivery.routing import Route
from sending.models import (
    Attachment,
    AttemptCategory,
    Delivery,
    DeliveryStatus,
    EventType,
    Message,
)
from sending.smtp.client import SessionError, SmtpSession
from sending.smtp.status import Outcome, classify, deferred, dropped
from sesconsole.crypto import UndecryptableSecret

logger = logging.getLogger(__name__)


def deliver(domain: str, *, budget: float | None = None) -> int:
    """Deliver `domain`'s due mail for up to `budget` seconds; the number of Deliveries finished.

    Work left when the budget runs out is published as a new task, so one busy
    destination does not hold a worker past its time limit. A full first batch
    means a backlog: one more task is published at once, so that another worker
    can share it (claims keep the two apart).
    """
    budget = settings.SES_DELIVERY_TASK_BUDGET if budget is None else budget
    deadline = time.monotonic() + budget
    finished = 0
    first = True
    while True:
        token, batch = claim.claim(domain, settings.SES_DELIVERY_BATCH)
        if not batch:
            dispatch.publish_when_due(domain)
            return finished
        if first and len(batch) == settings.SES_DELIVERY_BATCH:
            dispatch.publish([domain])
        first = False
        try:
            finished += Batch(domain, token, batch).run()
        finally:
            # Anything not recorded (an exception, a time limit) goes back unattempted.
            claim.release(token, [d.pk for d in batch])
        if time.monotonic() >= deadline:
            dispatch.publish([domain])
            return finished


def _elapsed_ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)


# A message built and signed (its bytes, its sender's domain), or why it cannot be now.
Prepared = tuple[bytes, str] | Outcome


class Batch:
    def __init__(self, domain: str, token: str, deliveries: list[Delivery]) -> None:
        self.domain, self.token, self.deliveries = domain, token, deliveries
        # What building needs of every message in the batch, in two queries.
        ids = {d.message_id for d in deliveries}
        # message pk -> (kind, address) of each of its Deliveries; a personal message's
        # mail names its one recipient (and it may have a million).
        shared = {d.message_id for d in deliveries if not d.message.personal}
        self.recipients: defaultdict[int, list[tuple[str, str]]] = defaultdict(list)
        for message_id, kind, address in (
            Delivery.objects.filter(message_id__in=shared)
            .order_by("pk")
            .values_list("message_id", "kind", "recipient")
        ):
            self.recipients[message_id].append((kind, address))
        self.attachments: defaultdict[int, list[Attachment]] = defaultdict(list)
        for attachment in Attachment.objects.filter(message_id__in=ids).order_by("pk"):
            self.attachments[attachment.message_id].append(attachment)
        # message pk -> what _prepare said of it
        self.prepared: dict[int, Prepared] = {}
        self.signers: dict[str, Signer | SigningError | UndecryptableSecret] = {}

    def run(self) -> int:
        route = routing.route(self.domain)
        if route.kind == "simulator":
            return sum(self._guarded(self._simulate, d) for d in self.deliveries)
        if route.kind == "fail":
            return sum(self._guarded(self._unroutable, d, route) for d in self.deliveries)
        connection = Connection(route)
        try:
            return sum(self._guarded(self._send, d, connection) for d in self.deliveries)
        finally:
            connection.close()

    def _guarded(self, step: Callable[..., int], delivery: Delivery, *args: Any) -> int:
        """One delivery's step; a fault of ours (a bug, a corrupt row) defers that
        delivery alone, so it retries with backoff and expires like any deferral
        instead of failing the batch and coming back at once, forever."""
        try:
            return step(delivery, *args)
        except Exception as error:
            logger.exception("delivery %s failed", delivery.pk)
            text = f"Internal error, will retry: {type(error).__name__}: {error}"[:500]
            outcome = deferred(AttemptCategory.OTHER, "4.3.0", text)
            return self._record(delivery, [Try(outcome)])

    # Building and signing, once per message.

    def _prepare(self, delivery: Delivery) -> Prepared:
        """(signed message, the sender's domain), or the outcome of a message that cannot
        be built now: dropped, or deferred for a fault of ours."""
        message = delivery.message
        if message.personal:  # each recipient's own mail, built for it alone
            try:
                mail = mime.personalise(message, delivery)
            except mime.BuildError as error:
                return dropped(str(error))
            return self._build(mail, [("to", delivery.recipient)])
        if message.pk not in self.prepared:
            self.prepared[message.pk] = self._build(message)
        return self.prepared[message.pk]

    def _build(self, message: Message, recipients: list[tuple[str, str]] | None = None) -> Prepared:
        sender_domain = message.from_address.rpartition("@")[2].lower()
        try:
            raw = mime.build(
                message, self.attachments[message.pk], recipients or self.recipients[message.pk]
            )
        except mime.BuildError as error:
            return dropped(str(error))
        signer = self._signer(message, sender_domain)
        if isinstance(signer, UndecryptableSecret):
            # The operator can fix the keys; the mail waits for that, with the reason.
            return unusable_key(signer)
        if isinstance(signer, SigningError):
            return dropped(f"Cannot DKIM-sign: {signer}")
        try:
            return signer.sign(raw) + raw, sender_domain
        except SigningError as error:
            return dropped(f"Cannot DKIM-sign: {error}")

    def _signer(self, message: Message, name: str) -> Signer | SigningError | UndecryptableSecret:
        if name not in self.signers:
            domain = message.sender.domain if message.sender else None
            if domain is None or domain.name.lower() != name:
                domain = SenderDomain.objects.filter(account=message.account_id, name=name).first()
            try:
                if domain is None:
                    raise SigningError(f"{name} is no longer a sender domain of the account")
                self.signers[name] = Signer.for_domain(domain)
            except SigningError as error:
                self.signers[name] = error
            except UndecryptableSecret as error:
                logger.error("%s: mail from %s is deferred until it can be.", error, name)
                self.signers[name] = error
        return self.signers[name]

    # The three routes.

    def _simulate(self, delivery: Delivery) -> int:
        prepared = self._prepare(delivery)
        if isinstance(prepared, Outcome):
            return self._record(delivery, [Try(prepared)])
        started = time.monotonic()
        outcome, extra = simulate(delivery)
        tries = [Try(outcome, "simulator", "", None, None, _elapsed_ms(started))]
        return self._record(delivery, tries, extra)

    def _unroutable(self, delivery: Delivery, route: Route) -> int:
        if route.permanent:
            outcome = Outcome(
                DeliveryStatus.BOUNCED, True, AttemptCategory.MAILBOX, None, "5.1.2", route.reason
            )
        else:
            outcome = deferred(AttemptCategory.CONNECTION, "4.4.3", route.reason)
        return self._record(delivery, [Try(outcome)])

    def _send(self, delivery: Delivery, connection: Connection) -> int:
        prepared = self._prepare(delivery)
        if isinstance(prepared, Outcome):
            return self._record(delivery, [Try(prepared)])
        data, sender_domain = prepared
        session = connection.session()
        failures = connection.take_failures()
        if session is None:
            return self._record(delivery, failures)
        if delivery.account.tls_required and session.tls_version is None:
            text = f"TLS required by the account, not offered by {session.host}"
            deferral = deferred(AttemptCategory.TLS, "4.7.4", text)
            return self._record(delivery, [*failures, _tried(session, deferral, 0)])
        started = time.monotonic()
        return_path = verp.verp_address(delivery, sender_domain)
        result = session.send(return_path, [delivery.recipient], data)
        outcome = result.outcomes.get(delivery.recipient) or result.error
        if outcome is None:  # cannot happen with one recipient; never lose the delivery
            outcome = deferred(AttemptCategory.OTHER, "", "no reply for the recipient")
        return self._record(delivery, [*failures, _tried(session, outcome, _elapsed_ms(started))])

    def _record(self, delivery: Delivery, tries: list[Try], extra: Extra | None = None) -> int:
        return int(record(delivery, self.token, tries, extra) is not None)


class Connection:
    """The batch's SMTP session: hosts in route order, reopened when a session ends.

    STARTTLS is used whenever offered; a handshake that fails is retried on
    the same host in plaintext (opportunistic TLS, as between MTAs), and the
    account's "TLS required" keeps its mail off such a session. A relay gets no
    plaintext retry: its credentials never travel in the clear.
    """

    def __init__(self, route: Route) -> None:
        self.route = route
        self.index = 0
        self.current: SmtpSession | None = None
        self.key: connections.Key = ()
        self.failures: list[Try] = []

    def session(self) -> SmtpSession | None:
        if self.current is not None and self.current.smtp is not None:
            return self.current
        self.close()
        while self.index < len(self.route.hosts):
            host, ip, port = self.route.hosts[self.index]
            modes = ["starttls", "none"] if self.route.tls == "starttls" else [self.route.tls]
            if self.route.kind == "relay":
                modes = modes[:1]
            for mode in modes:
                self.key = (host, ip, port, mode, self.route.auth, self.route.tls_verify)
                self.current = connections.take(self.key)
                if self.current is not None:
                    return self.current
                started = time.monotonic()
                session = SmtpSession(
                    host,
                    ip,
                    port,
                    tls=mode,
                    tls_verify=self.route.tls_verify,
                    auth=self.route.auth,
                    source_address=_source_address(),
                )
                try:
                    self.current = session.__enter__()
                    return self.current
                except SessionError as error:
                    tls = session.tls_version
                    self.failures.append(
                        Try(error.outcome, host, ip, port, tls, _elapsed_ms(started))
                    )
                    if error.outcome.category != AttemptCategory.TLS:
                        break
            self.index += 1
        return None

    def take_failures(self) -> list[Try]:
        failures = self.failures
        if self.current is not None:
            self.failures = []
        # With no session at all every Delivery gets the same tries: keep them.
        return list(failures)

    def close(self) -> None:
        """End the batch: a healthy session is kept a moment for the next one."""
        if self.current is not None:
            connections.put(self.key, self.current)
            self.current = None


def _tried(session: SmtpSession, outcome: Outcome, duration_ms: int) -> Try:
    """The try of one Delivery on `session`."""
    return Try(outcome, session.host, session.ip, session.port, session.tls_version, duration_ms)


def unusable_key(error: UndecryptableSecret) -> Outcome:
    return deferred(AttemptCategory.OTHER, "4.3.0", f"{error}; will retry")


def _source_address() -> tuple[str, int] | None:
    address = settings.SES_SMTP_SOURCE_ADDRESS
    return (address, 0) if address else None


# The mailbox simulator.

SIMULATED_OK = "OK (mailbox simulator)"


def simulate(delivery: Delivery) -> tuple[Outcome, Extra | None]:
    behaviour = simulator.behaviour(delivery.recipient)
    delivered = classify(250, "2.0.0", SIMULATED_OK)
    if behaviour == "success":
        return delivered, None
    if behaviour == "ooto":
        reply = "Out of office (mailbox simulator): I am away and will read your message later."
        return delivered, Extra(detail={"auto_reply": reply})
    if behaviour == "complaint":
        complaint = {"feedback_type": "abuse", "reason": "Marked as spam (mailbox simulator)"}
        return delivered, Extra(events=[(EventType.SPAMREPORT, complaint)])
    if behaviour == "defer" and delivery.attempts < simulator.DEFER_TRIES:
        return classify(421, "4.2.0", "Mailbox busy, try again later (mailbox simulator)"), None
    if behaviour == "defer":
        return delivered, None
    if behaviour == "suppressionlist":
        # Refused at acceptance; only mail accepted before that rule reaches here.
        text = "Address on the suppression list (mailbox simulator)"
        return classify(550, "5.1.1", text), None
    if behaviour == "bounce":
        return classify(550, "5.1.1", "No such user (mailbox simulator)"), None
    known = ", ".join(simulator.BEHAVIOURS)
    return classify(550, "5.1.1", f"No such mailbox in the simulator; try one of: {known}"), None
