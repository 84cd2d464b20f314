import json

from django.core.management.base import BaseCommand, CommandError

from accounts.models import Account, ApiKey


class Command(BaseCommand):
    help = 'Create an API key; prints {"SecretId": ..., "SecretKey": ...} as JSON.'

    def add_arguments(self, parser):
        parser.add_argument("--account", required=True)
        parser.add_argument("--description", default="created by createapikey")

    def handle(self, account, description, **options):
        try:
            account_obj = Account.objects.get(name=account)
        except Account.DoesNotExist as error:
            raise CommandError(f"No account named {account!r}.") from error
        if account_obj.api_keys.count() >= ApiKey.MAX_PER_ACCOUNT:
            raise CommandError(f"Account {account!r} already has {ApiKey.MAX_PER_ACCOUNT} keys.")
        key, secret = ApiKey.issue(account_obj, description)
        self.stdout.write(json.dumps({"SecretId": key.secret_id, "SecretKey": secret}))
