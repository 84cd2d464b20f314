from django.apps import AppConfig


class DomainsConfig(AppConfig):
    name = "domains"
    verbose_name = "Sender domains and addresses"

    def ready(self):
        from . import checks  # noqa: F401  (registers the system checks)
