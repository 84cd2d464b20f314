import json
import secrets
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.models import Account, ApiKey, Membership, User
from domains.models import DomainStatus, SenderAddress, SenderDomain
from templates_app import workflow
from templates_app.models import Category, EmailTemplate, ReviewDecision, RevisionStatus

# A reserved name (RFC 6761): the demo can send only where no real domain is
# involved, to the mailbox simulator.
DEMO_DOMAIN = "demo.sesconsole.localhost"
DEMO_SENDER = f"noreply@{DEMO_DOMAIN}"
DEMO_TEMPLATE_NAME = "Demo notice"
DEMO_TEMPLATE_HTML = (
    "<p>Hello {{name}},</p>"
    "<p>This is a demonstration message from your own email service. It was accepted, "
    "signed with the key of the demo domain and handed to the mailbox simulator, which "
    "answers like a real mailbox would. Open the message log to follow each attempt and "
    "event, then try the other simulator mailboxes to see a bounce, a complaint or a "
    "deferral. Nothing here leaves this machine. Kind regards from the demo team.</p>"
)

ROLES = [
    ("operator", "demo@example.com", {}),
    ("reviewer", "reviewer@example.com", {"is_reviewer": True}),
    ("support", "support@example.com", {"is_staff": True, "is_superuser": True}),
]


class Command(BaseCommand):
    help = (
        "Create the demo account and its logins once (used by `make run`) and print them. "
        "Passwords and an API key are generated on first run and kept in var/demo-logins.json."
    )

    def handle(self, **options: Any) -> None:
        store = settings.VAR_DIR / "demo-logins.json"
        known = json.loads(store.read_text()) if store.exists() else {}
        with transaction.atomic():
            account, created = Account.objects.get_or_create(name="demo")
            if created:
                # The API's Simple content works for the demo before any template is made.
                account.allow_custom_content = True
                account.save(update_fields=["allow_custom_content"])
            for role, email, flags in ROLES:
                if User.objects.filter(email=email).exists():
                    continue
                password = secrets.token_urlsafe(12)
                user = User.objects.create_user(email=email, password=password, **flags)
                if role == "operator":
                    Membership.objects.create(user=user, account=account)
                known[email] = password
            if "api_key" not in known and not account.api_keys.exists():
                key, secret = ApiKey.issue(account, "demo key")
                known["api_key"] = {"SecretId": key.secret_id, "SecretKey": secret}
            self.demo_sender(account)
            self.demo_template(account)
        store.write_text(json.dumps(known, indent=2))
        store.chmod(0o600)
        self.stdout.write("Demo logins (account 'demo'):")
        for role, email, _ in ROLES:
            password = known.get(email, "(set before; unchanged)")
            self.stdout.write(f"  {role:<9} {email:<24} {password}")
        if "api_key" in known:
            key = known["api_key"]
            self.stdout.write(f"Demo API key: SecretId {key['SecretId']}")
            self.stdout.write(f"              SecretKey {key['SecretKey']}")
        simulator = settings.SES_SIMULATOR_DOMAIN
        self.stdout.write(f"Demo sender:  {DEMO_SENDER} (marked verified for the demo)")
        self.stdout.write(f"Try sending to success@{simulator}, bounce@{simulator}, ...")

    @staticmethod
    def demo_sender(account: Account) -> None:
        """A sender domain with DKIM keys, marked verified without DNS: the demo's only
        destination is the mailbox simulator, which needs no DNS either."""
        if SenderDomain.objects.filter(account=account, name=DEMO_DOMAIN).exists():
            return
        domain = SenderDomain.create_with_keys(account, DEMO_DOMAIN)
        # Never checked, so never re-checked (and failed) by beat on a machine without DNS.
        domain.status = DomainStatus.VERIFIED
        domain.status_reason = "Marked verified by seeddemo for the mailbox simulator."
        domain.save(update_fields=["status", "status_reason"])
        SenderAddress.objects.create(
            account=account, domain=domain, email=DEMO_SENDER, sender_name="Demo"
        )

    @staticmethod
    def demo_template(account: Account) -> None:
        """An approved template, so the Send page works at once."""
        if EmailTemplate.objects.filter(account=account).exists():
            return
        template = workflow.create_template(
            account, DEMO_TEMPLATE_NAME, Category.TRANSACTIONAL, DEMO_TEMPLATE_HTML, "", submit=True
        )
        reviewer = User.objects.get(email="reviewer@example.com")
        template.latest.refresh_from_db()
        if template.latest.status == RevisionStatus.PENDING:
            # No email to the demo operator: `make run` would print it among the logins.
            workflow.decide(
                template.latest, reviewer, ReviewDecision.Outcome.APPROVED, "Demo", notify=False
            )
