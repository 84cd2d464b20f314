import json
import secrets

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.models import Account, ApiKey, Membership, User

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

    def handle(self, **options):
        store = settings.VAR_DIR / "demo-logins.json"
        known = json.loads(store.read_text()) if store.exists() else {}
        with transaction.atomic():
            account, _ = Account.objects.get_or_create(name="demo")
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
