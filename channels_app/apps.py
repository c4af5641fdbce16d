from django.apps import AppConfig


class ChannelsAppConfig(AppConfig):
    name = "channels_app"
    verbose_name = "Funding channels"

    def ready(self) -> None:
        # Apps register into the core (STYLE.md): the channels app's export datasets and spreadsheet imports.
        from . import exports, imports

        exports.register()
        imports.register()
