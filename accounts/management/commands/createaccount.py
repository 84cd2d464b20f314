from django.core.management.base import BaseCommand, CommandError

from accounts.models import Account


class Command(BaseCommand):
    help = "Create an account (tenant)."

    def add_arguments(self, parser):
        parser.add_argument("name")

    def handle(self, name, **options):
        name = name.strip()
        if not name:
            raise CommandError("The account name must not be empty.")
        if Account.objects.filter(name=name).exists():
            raise CommandError(f"Account {name!r} already exists.")
        account = Account.objects.create(name=name)
        self.stdout.write(f"Created account {account.name} (AppId {account.app_id}).")
