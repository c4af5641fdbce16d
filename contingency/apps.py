from django.apps import AppConfig


class ContingencyConfig(AppConfig):
    name = "contingency"
    verbose_name = "Liquidity and drills"

    def ready(self) -> None:
        from .early_warnings import tasks  # noqa: F401  (the early-warning tasks: autodiscovery only finds tasks.py)
