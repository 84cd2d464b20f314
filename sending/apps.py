from django.apps import AppConfig


class SendingConfig(AppConfig):
    name = "sending"
    verbose_name = "Sending"

    def ready(self) -> None:
        from sending import checks  # noqa: F401  (registers the system checks)
