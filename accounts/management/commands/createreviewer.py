from django.core.management.base import BaseCommand

from ._users import create_user


class Command(BaseCommand):
    help = "Create a template reviewer (platform staff)."

    def add_arguments(self, parser):
        parser.add_argument("--email", required=True)
        parser.add_argument("--password", required=True)

    def handle(self, email, password, **options):
        user = create_user(email, password, is_reviewer=True)
        self.stdout.write(f"Created reviewer {user.email}.")
