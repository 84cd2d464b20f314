from django.apps import AppConfig


class SesconsoleConfig(AppConfig):
    name = "sesconsole"
    verbose_name = "sesconsole core"

    def ready(self) -> None:
        from django.utils.module_loading import autodiscover_modules

        from . import checks  # noqa: F401  (registers the system checks)

        # Each app registers its API actions in its own api.py.
        autodiscover_modules("api")
