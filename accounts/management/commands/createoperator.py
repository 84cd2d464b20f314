from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts.models import Account, Membership

from ._users import create_user


class Command(BaseCommand):
    help = "Create an operator of an account."

    def add_arguments(self, parser):
        parser.add_argument("--account", required=True)
        parser.add_argument("--email", required=True)
        parser.add_argument("--password", required=True)

    def handle(self, account, email, password, **options):
        try:
            account_obj = Account.objects.get(name=account)
        except Account.DoesNotExist as error:
            raise CommandError(f"No account named {account!r}.") from error
        with transaction.atomic():
            user = create_user(email, password)
            Membership.objects.create(user=user, account=account_obj)
        self.stdout.write(f"Created operator {user.email} of {account_obj.name}.")
