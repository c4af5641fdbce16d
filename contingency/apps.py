from django.apps import AppConfig


class ContingencyConfig(AppConfig):
    name = "contingency"
    verbose_name = "Liquidity and drills"

    def ready(self) -> None:
        # The signal receivers, and the early-warning tasks (autodiscovery only finds tasks.py); and, as apps
        # register into the core (STYLE.md), the contingency app's export datasets and spreadsheet import.
        from . import exports, imports, receivers  # noqa: F401
        from .early_warnings import tasks  # noqa: F401

        exports.register()
        imports.register()
