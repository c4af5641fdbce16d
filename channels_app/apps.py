from django.apps import AppConfig


class ChannelsAppConfig(AppConfig):
    name = "channels_app"
    verbose_name = "Funding channels"

    def ready(self) -> None:
        # Apps register into the core (STYLE.md): the trigger watch is an export dataset like the core's own.
        from financeplanner import exports

        from .exports import TRIGGER_WATCH

        exports.DATASETS.setdefault(TRIGGER_WATCH.name, TRIGGER_WATCH)
